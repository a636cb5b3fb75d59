//! API tokens, kept by the SHA-256 of the token (the store never sees the token itself)
//! with a few first characters to show in lists, their optional expiry, revocation and
//! last use.
//!
//! The store does not decide whether a token is still good: a revoked or expired token
//! reads back like any other, with its revocation and expiry, and the application judges
//! it against the clock.

use chrono::{DateTime, Utc};

use crate::row::Columns;
use crate::{GrantRow, Result, Store, UserRow, ts};

/// A token about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The user the token acts for.
    pub user_id: i64,
    /// Its name, given by the user.
    pub name: String,
    /// The token's first characters, shown in lists to tell tokens apart.
    pub prefix: String,
    /// SHA-256 of the token, 64 lowercase hex digits (the database refuses anything
    /// else, so the token itself cannot be stored by mistake).
    pub token_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it ends; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stored token, revoked or expired ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Id, from the database (increasing in creation order).
    pub id: i64,
    /// The user the token acts for.
    pub user_id: i64,
    /// Its name.
    pub name: String,
    /// Its first characters.
    pub prefix: String,
    /// SHA-256 of the token (hex).
    pub token_hash: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it ends (RFC 3339, UTC); `None`: never.
    pub expires_at: Option<String>,
    /// When it was revoked, if it was (RFC 3339, UTC).
    pub revoked_at: Option<String>,
    /// When it was last used, if ever (RFC 3339, UTC): the latest instant it was touched
    /// at.
    pub last_used_at: Option<String>,
}

const INSERT_TOKEN: &str = "INSERT INTO api_token (user_id, name, prefix, token_hash, \
     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
const TOKEN_COLUMNS: &str = "SELECT id, user_id, name, prefix, token_hash, created_at, \
     expires_at, revoked_at, last_used_at FROM api_token";
/// A revocation is recorded once: revoking again keeps the first instant.
const REVOKE_TOKEN: &str =
    "UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
/// Last use only moves forward: two requests with one token may finish out of order.
/// Instants compare as text (one fixed format, byte order in both backends).
const TOUCH_TOKEN: &str = "UPDATE api_token SET last_used_at = CASE \
     WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END WHERE id = $1";

/// A token with its user and the user's grants, in one statement: what every request
/// with a bearer token needs (one row per grant; a user without grants gives one row
/// with no grant).
const TOKEN_HOLDER: &str = "SELECT t.id, t.user_id, t.name, t.prefix, t.token_hash, \
     t.created_at, t.expires_at, t.revoked_at, t.last_used_at, \
     u.login AS u_login, u.display_name AS u_display_name, \
     u.password_hash AS u_password_hash, u.disabled AS u_disabled, u.lang AS u_lang, \
     u.created_at AS u_created_at, u.updated_at AS u_updated_at, \
     g.role AS g_role, g.scope AS g_scope, g.created_at AS g_created_at \
     FROM api_token t JOIN app_user u ON u.id = t.user_id \
     LEFT JOIN user_grant g ON g.user_id = u.id \
     WHERE t.token_hash = $1 ORDER BY g.role, g.scope";

impl Store {
    /// The token with this hash, its user and the user's grants (by role, then scope),
    /// read in one statement; `None` when no token has this hash.
    ///
    /// # Errors
    /// On database failure.
    pub async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(TokenRow, UserRow, Vec<GrantRow>)>> {
        with_pool!(self, p => {
            let rows = sqlx::query(TOKEN_HOLDER).bind(token_hash).fetch_all(p).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let token = token_row(first)?;
            let user = UserRow {
                id: token.user_id,
                login: first.text("u_login")?,
                display_name: first.text("u_display_name")?,
                password_hash: first.opt_text("u_password_hash")?,
                disabled: first.flag("u_disabled")?,
                lang: first.text("u_lang")?,
                created_at: first.text("u_created_at")?,
                updated_at: first.text("u_updated_at")?,
            };
            let mut grants = Vec::new();
            for r in &rows {
                if let (Some(role), Some(scope), Some(created_at)) = (
                    r.opt_text("g_role")?,
                    r.opt_text("g_scope")?,
                    r.opt_text("g_created_at")?,
                ) {
                    grants.push(GrantRow {
                        user_id: token.user_id,
                        role,
                        scope,
                        created_at,
                    });
                }
            }
            Ok(Some((token, user, grants)))
        })
    }

    /// Stores a new token and returns its id, which the database assigns.
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::NotAHash`] when the hash
    /// is not a SHA-256 in lowercase hex, [`crate::Constraint::TokenHash`] when a token
    /// has this hash already, [`crate::Constraint::UserUnknown`] when there is no such
    /// user; any database failure.
    pub async fn create_token(&self, t: &NewToken) -> Result<i64> {
        let created_at = ts(t.created_at);
        let expires_at = t.expires_at.map(ts);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_TOKEN)
                .bind(t.user_id)
                .bind(&t.name)
                .bind(&t.prefix)
                .bind(&t.token_hash)
                .bind(&created_at)
                .bind(expires_at.as_deref())
                .fetch_one(p)
                .await?)
        })
    }

    /// The token with this hash, revoked or expired as it may be; `None` when there is
    /// none.
    ///
    /// # Errors
    /// On database failure.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let sql = sqlx::AssertSqlSafe(format!("{TOKEN_COLUMNS} WHERE token_hash = $1"));
        with_pool!(self, p => {
            match sqlx::query(sql).bind(token_hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(token_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The tokens of one user, or of every user (`None`), newest first (by id: the order
    /// they were created in), revoked and expired ones included.
    ///
    /// # Errors
    /// On database failure.
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenRow>> {
        match user_id {
            Some(id) => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "{TOKEN_COLUMNS} WHERE user_id = $1 ORDER BY id DESC"
                ));
                with_pool!(self, p => {
                    sqlx::query(sql).bind(id).fetch_all(p).await?.iter().map(token_row).collect()
                })
            }
            None => {
                let sql = sqlx::AssertSqlSafe(format!("{TOKEN_COLUMNS} ORDER BY id DESC"));
                with_pool!(self, p => {
                    sqlx::query(sql).fetch_all(p).await?.iter().map(token_row).collect()
                })
            }
        }
    }

    /// Revokes a token at `now`. Returns `true` when this revoked it, `false` when there
    /// is no such token or it was revoked already (its first revocation is kept).
    ///
    /// # Errors
    /// On database failure.
    pub async fn revoke_token(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(REVOKE_TOKEN).bind(id).bind(&at).execute(p).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records a use of a token at `now` (its last use becomes `now` unless it is later
    /// already). Returns whether the token exists.
    ///
    /// # Errors
    /// On database failure.
    pub async fn touch_token(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(TOUCH_TOKEN).bind(id).bind(&at).execute(p).await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

fn token_row(r: &impl Columns) -> Result<TokenRow> {
    Ok(TokenRow {
        id: r.int("id")?,
        user_id: r.int("user_id")?,
        name: r.text("name")?,
        prefix: r.text("prefix")?,
        token_hash: r.text("token_hash")?,
        created_at: r.text("created_at")?,
        expires_at: r.opt_text("expires_at")?,
        revoked_at: r.opt_text("revoked_at")?,
        last_used_at: r.opt_text("last_used_at")?,
    })
}
