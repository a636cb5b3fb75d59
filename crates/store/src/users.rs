//! Users and their grants (a role over a scope of the organisation), stored and read
//! back. The rules (password hashing, who may do what where) live in the application; the
//! database enforces what holds whatever the rules: one user per login whatever its case,
//! known languages and roles, one grant per user, role and scope.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::row::Columns;
use crate::{Result, Store, ts};

/// A user about to be created.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login; stored lower-cased (all of Unicode folded), so `Alice` and `alice` are one
    /// login.
    pub login: String,
    /// Name shown in pages.
    pub display_name: String,
    /// The password's hash as the application made it (PHC string); `None`: no password
    /// is set. Redacted in `Debug`.
    pub password_hash: Option<String>,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// Language of the user's pages: `zh` or `en` (the database refuses others).
    pub lang: String,
}

/// A stored user. Carries no grants: [`Store::grants_of`] reads them, so that reading a
/// user for a page that shows no grants costs one query.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Id, from the database.
    pub id: i64,
    /// Login, lower-cased.
    pub login: String,
    /// Name shown in pages.
    pub display_name: String,
    /// The password's hash; `None` when no password is set. Redacted in `Debug`.
    pub password_hash: Option<String>,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// Language: `zh` or `en`.
    pub lang: String,
    /// When the user was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the user was last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// A role granted to a user over a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    /// The user.
    pub user_id: i64,
    /// Role: `admin`, `quality_manager`, `site_manager`, `evaluator`, `viewer` or
    /// `regulator`.
    pub role: String,
    /// Scope: an organisation node or a site id.
    pub scope: String,
    /// When it was granted (RFC 3339, UTC).
    pub created_at: String,
}

/// Shown in `Debug` in place of a secret.
pub(crate) struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("login", &self.login)
            .field("display_name", &self.display_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| Redacted),
            )
            .field("disabled", &self.disabled)
            .field("lang", &self.lang)
            .finish()
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("display_name", &self.display_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| Redacted),
            )
            .field("disabled", &self.disabled)
            .field("lang", &self.lang)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

const INSERT_USER: &str = "INSERT INTO app_user (login, display_name, password_hash, disabled, \
     lang, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
const USER_COLUMNS: &str = "SELECT id, login, display_name, password_hash, disabled, lang, \
     created_at, updated_at FROM app_user";
const SET_PASSWORD: &str = "UPDATE app_user SET password_hash = $2, updated_at = $3 WHERE id = $1";
const SET_DISABLED: &str = "UPDATE app_user SET disabled = $2, updated_at = $3 WHERE id = $1";
const SET_LANG: &str = "UPDATE app_user SET lang = $2, updated_at = $3 WHERE id = $1";

const INSERT_GRANT: &str = "INSERT INTO user_grant (user_id, role, scope, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role, scope) DO NOTHING";
const DELETE_GRANT: &str = "DELETE FROM user_grant WHERE user_id = $1 AND role = $2 AND scope = $3";
const GRANTS_OF: &str = "SELECT user_id, role, scope, created_at FROM user_grant \
     WHERE user_id = $1 ORDER BY role, scope";

/// A login as stored and compared: lower-cased, all of Unicode (the database's `lower`
/// folds ASCII only, so the store folds before writing or looking up).
fn fold(login: &str) -> String {
    login.to_lowercase()
}

impl Store {
    /// Creates a user and returns its id, which the database assigns. The login is
    /// stored lower-cased; created and updated at `now`.
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::UserLogin`] when the
    /// login is taken, whatever its case (a refusal like the database's others rather than
    /// an error variant of its own: the database decides, and the server answers it like
    /// any refused write); [`crate::Constraint::UserLang`] for a language other than `zh`
    /// or `en`; any database failure.
    pub async fn create_user(&self, u: &NewUser, now: DateTime<Utc>) -> Result<i64> {
        let login = fold(&u.login);
        let at = ts(now);
        with_pool!(self, p => {
            Ok(sqlx::query_scalar(INSERT_USER)
                .bind(&login)
                .bind(&u.display_name)
                .bind(u.password_hash.as_deref())
                .bind(u.disabled)
                .bind(&u.lang)
                .bind(&at)
                .fetch_one(p)
                .await?)
        })
    }

    /// The user with this login, compared without regard to case; `None` when there is
    /// none.
    ///
    /// # Errors
    /// On database failure.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        let login = fold(login);
        let sql = sqlx::AssertSqlSafe(format!("{USER_COLUMNS} WHERE login = $1"));
        with_pool!(self, p => {
            match sqlx::query(sql).bind(&login).fetch_optional(p).await? {
                Some(r) => Ok(Some(user_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// The user with this id; `None` when there is none.
    ///
    /// # Errors
    /// On database failure.
    pub async fn user(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!("{USER_COLUMNS} WHERE id = $1"));
        with_pool!(self, p => {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(user_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    /// Every user, disabled ones too, by login (byte order).
    ///
    /// # Errors
    /// On database failure.
    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let sql = sqlx::AssertSqlSafe(format!("{USER_COLUMNS} ORDER BY login"));
        with_pool!(self, p => {
            sqlx::query(sql).fetch_all(p).await?.iter().map(user_row).collect()
        })
    }

    /// Sets a user's password hash (`None`: no password, the user can no longer log in
    /// with one) and its update instant. Returns whether the user exists.
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(SET_PASSWORD)
                .bind(user_id)
                .bind(hash)
                .bind(&at)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Disables or enables a user and sets its update instant. Returns whether the user
    /// exists. Its sessions and tokens are left as they are: ending them is the
    /// application's decision ([`Store::revoke_sessions_of`], [`Store::revoke_token`]).
    ///
    /// # Errors
    /// On database failure.
    pub async fn set_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(SET_DISABLED)
                .bind(user_id)
                .bind(disabled)
                .bind(&at)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Sets a user's language (`zh` or `en`) and its update instant. Returns whether the
    /// user exists.
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::UserLang`] for another
    /// language; any database failure.
    pub async fn set_lang(&self, user_id: i64, lang: &str, now: DateTime<Utc>) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(SET_LANG)
                .bind(user_id)
                .bind(lang)
                .bind(&at)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Grants `role` over `scope` (an organisation node or a site id) to a user. Returns
    /// `true` when the grant was added, `false` when the user held it already (then its
    /// first grant instant is kept).
    ///
    /// # Errors
    /// [`crate::StoreError::Refused`] with [`crate::Constraint::GrantRole`] for a role
    /// that is not one of the product's, [`crate::Constraint::UserUnknown`] when there is
    /// no such user; any database failure.
    pub async fn add_grant(
        &self,
        user_id: i64,
        role: &str,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let at = ts(now);
        with_pool!(self, p => {
            let done = sqlx::query(INSERT_GRANT)
                .bind(user_id)
                .bind(role)
                .bind(scope)
                .bind(&at)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Takes a grant away. Returns `true` when the user held it.
    ///
    /// # Errors
    /// On database failure.
    pub async fn remove_grant(&self, user_id: i64, role: &str, scope: &str) -> Result<bool> {
        with_pool!(self, p => {
            let done = sqlx::query(DELETE_GRANT)
                .bind(user_id)
                .bind(role)
                .bind(scope)
                .execute(p)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// A user's grants, by role then scope (byte order); empty for a user without any, or
    /// no such user.
    ///
    /// # Errors
    /// On database failure.
    pub async fn grants_of(&self, user_id: i64) -> Result<Vec<GrantRow>> {
        with_pool!(self, p => {
            sqlx::query(GRANTS_OF)
                .bind(user_id)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| {
                    Ok(GrantRow {
                        user_id: r.int("user_id")?,
                        role: r.text("role")?,
                        scope: r.text("scope")?,
                        created_at: r.text("created_at")?,
                    })
                })
                .collect()
        })
    }
}

fn user_row(r: &impl Columns) -> Result<UserRow> {
    Ok(UserRow {
        id: r.int("id")?,
        login: r.text("login")?,
        display_name: r.text("display_name")?,
        password_hash: r.opt_text("password_hash")?,
        disabled: r.flag("disabled")?,
        lang: r.text("lang")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
    })
}
