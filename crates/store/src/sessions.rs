//! Browser sessions, kept on the server by the SHA-256 of the cookie's secret (the store
//! never sees the secret), with their CSRF token, last use, absolute expiry and
//! revocation.
//!
//! The store does not decide whether a session is still good: a revoked or expired
//! session reads back like any other, with its revocation and expiry, and the application
//! judges it against the clock. Expired sessions stay until [`Store::delete_expired_sessions`]
//! sweeps them.

use chrono::{DateTime, Utc};

use crate::row::Columns;
use crate::users::Redacted;
use crate::{Result, Store, ts};

/// A session about to be stored.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the cookie's secret, 64 lowercase hex digits (the database refuses
    /// anything else, so the secret itself cannot be stored by mistake).
    pub id_hash: String,
    /// The user.
    pub user_id: i64,
    /// The session's CSRF token, which pages embed in their forms. Redacted in `Debug`.
    pub csrf_token: String,
    /// When the session began; also its first "last seen".
    pub created_at: DateTime<Utc>,
    /// When it ends, whatever its use (absolute expiry).
    pub expires_at: DateTime<Utc>,
    /// The client it began from (address, user agent: as the application records it).
    pub client: String,
}

/// A stored session, revoked or expired ones included.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie's secret (hex).
    pub id_hash: String,
    /// The user.
    pub user_id: i64,
    /// The CSRF token. Redacted in `Debug`.
    pub csrf_token: String,
    /// When it began (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last used (RFC 3339, UTC): the latest instant it was touched at.
    pub last_seen_at: String,
    /// When it ends (RFC 3339, UTC).
    pub expires_at: String,
    /// When it was revoked, if it was (RFC 3339, UTC).
    pub revoked_at: Option<String>,
    /// The client it began from.
    pub client: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("id_hash", &self.id_hash)
            .field("user_id", &self.user_id)
            .field("csrf_token", &Redacted)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("client", &self.client)
            .finish()
    }
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("id_hash", &self.id_hash)
            .field("user_id", &self.user_id)
            .field("csrf_token", &Redacted)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("client", &self.client)
            .finish()
    }
}

const INSERT_SESSION: &str = "INSERT INTO user_session (id_hash, user_id, csrf_token, \
     created_at, last_seen_at, expires_at, client) VALUES ($1, $2, $3, $4, $4, $5, $6)";
const SESSION: &str = "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, \
     expires_at, revoked_at, client FROM user_session WHERE id_hash = $1";
/// Last seen only moves forward: two requests of one session may finish out of order.
/// Instants compare as text (one fixed format, byte order in both backends).
const TOUCH_SESSION: &str = "UPDATE user_session SET last_seen_at = \
     CASE WHEN last_seen_at < $2 THEN $2 ELSE last_seen_at END WHERE id_hash = $1";
/// A revocation is recorded once: revoking again keeps the first instant.
const REVOKE_SESSION: &str =
    "UPDATE user_session SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL";
const REVOKE_SESSIONS_OF: &str =
    "UPDATE user_session SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM user_session WHERE expires_at < $1";

impl Store {
    /// Stores a new session; it was last seen when it began.
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::NotAHash`] when the id is
    /// not a SHA-256 in lowercase hex, [`crate::Constraint::SessionId`] when a session has
    /// this id already, [`crate::Constraint::UserUnknown`] when there is no such user; any
    /// database failure.
    pub async fn create_session(&self, s: &NewSession) -> Result<()> {
        let created_at = ts(s.created_at);
        let expires_at = ts(s.expires_at);
        with_pool!(self, p => {
            sqlx::query(INSERT_SESSION)
                .bind(&s.id_hash)
                .bind(s.user_id)
                .bind(&s.csrf_token)
                .bind(&created_at)
                .bind(&expires_at)
                .bind(&s.client)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The session with this id hash, revoked or expired as it may be; `None` when there
    /// is none (never stored, or swept).
    ///
    /// # Errors
    /// On database failure.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        with_pool!(self, p => {
            match sqlx::query(SESSION).bind(id_hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(session_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// Records a use of a session at `now` (its last seen instant becomes `now` unless it
    /// is later already). Returns whether the session exists.
    ///
    /// # Errors
    /// On database failure.
    pub async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(TOUCH_SESSION).bind(id_hash).bind(&at).execute(p).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Revokes a session at `now`. Returns `true` when this revoked it, `false` when there
    /// is no such session or it was revoked already (its first revocation is kept).
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(REVOKE_SESSION).bind(id_hash).bind(&at).execute(p).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Revokes every session of a user not revoked yet (expired ones not swept yet
    /// included) at `now`, and returns how many.
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_sessions_of(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(REVOKE_SESSIONS_OF).bind(user_id).bind(&at).execute(p).await?;
            Ok(done.rows_affected())
        })
    }

    /// Deletes the sessions whose expiry is before `before` (strictly), revoked or not,
    /// and returns how many. A revoked session is swept once it expires too: every
    /// session has an expiry.
    ///
    /// # Errors
    /// On database failure.
    pub async fn delete_expired_sessions(&self, before: DateTime<Utc>) -> Result<u64> {
        let at = ts(before);
        with_pool!(self, p => {
            let done = sqlx::query(DELETE_EXPIRED_SESSIONS).bind(&at).execute(p).await?;
            Ok(done.rows_affected())
        })
    }
}

fn session_row(r: &impl Columns) -> Result<SessionRow> {
    Ok(SessionRow {
        id_hash: r.text("id_hash")?,
        user_id: r.int("user_id")?,
        csrf_token: r.text("csrf_token")?,
        created_at: r.text("created_at")?,
        last_seen_at: r.text("last_seen_at")?,
        expires_at: r.text("expires_at")?,
        revoked_at: r.opt_text("revoked_at")?,
        client: r.text("client")?,
    })
}
