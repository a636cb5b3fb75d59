//! Users, roles and scopes, sessions and API tokens: who may sign in, and what they
//! may see and do. The rules live here; the store only keeps the rows.
//!
//! - Passwords are hashed with Argon2id (PHC string format, salt from the system's
//!   random source); a wrong password and an unknown login take the same time and give
//!   the same answer.
//! - A session secret and an API token are 32 random bytes; the store keeps only their
//!   SHA-256, so a copy of the database opens no door. A token is shown once, when made.
//! - A grant is a role on an organisation node or site; a user may hold several. What
//!   a user can see is the union of the subtrees of their grants ([`Principal`]).

use std::collections::BTreeSet;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use yardstick_core::org::Organisation;
use yardstick_core::vocab::Lang;
use yardstick_store::{NewSession, NewToken, NewUser, StoreError};

use crate::activity::{Activity, ActorKind};
use crate::error::{Error, ErrorKind, Result};
use crate::scope::Actor;
use crate::workspace::Workspace;

/// A role, as PRODUCT.md "Access" names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users and grants.
    Admin,
    /// Watches and evaluates the sites in scope, freezes evaluations, imports records.
    QualityManager,
    /// Their own sites: indicators, records, plans, corrective actions.
    SiteManager,
    /// Audits assigned to them; reads the sites in scope.
    Evaluator,
    /// Reads the sites in scope.
    Viewer,
    /// Aggregated figures of every operator's nodes and sites; no individual record.
    Regulator,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::QualityManager,
        Role::SiteManager,
        Role::Evaluator,
        Role::Viewer,
        Role::Regulator,
    ];

    /// Its name as stored and typed (`quality_manager`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::QualityManager => "quality_manager",
            Role::SiteManager => "site_manager",
            Role::Evaluator => "evaluator",
            Role::Viewer => "viewer",
            Role::Regulator => "regulator",
        }
    }

    /// Parses a role name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A role on an organisation node or site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// Role.
    pub role: Role,
    /// Node or site id.
    pub scope: String,
}

/// How a principal proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A browser session.
    Session,
    /// An API token.
    Token,
}

/// A signed-in user and their grants.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// User id.
    pub user_id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Preferred language.
    pub lang: Lang,
    /// Grants.
    pub grants: Vec<Grant>,
    /// How they signed in.
    pub via: Via,
    /// Client address, for the activity log.
    pub client: Option<String>,
}

impl Principal {
    /// Whether any grant has this role.
    #[must_use]
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Scopes of grants with one of these roles.
    pub fn scopes_of<'a>(&'a self, roles: &'a [Role]) -> impl Iterator<Item = &'a str> + 'a {
        self.grants
            .iter()
            .filter(|g| roles.contains(&g.role))
            .map(|g| g.scope.as_str())
    }
}

/// A user as lists show them.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    /// Id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Disabled users cannot sign in; their sessions and tokens stop working.
    pub disabled: bool,
    /// Preferred language.
    pub lang: Lang,
    /// Grants.
    pub grants: Vec<Grant>,
}

/// A token as lists show it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Id.
    pub id: i64,
    /// Owner's login.
    pub login: String,
    /// Name.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Created.
    pub created_at: String,
    /// Expiry, if any.
    pub expires_at: Option<String>,
    /// Revocation, if any.
    pub revoked_at: Option<String>,
    /// Last use.
    pub last_used_at: Option<String>,
}

/// A token just made: its secret is in here once and never again.
#[derive(Debug, Clone)]
pub struct NewTokenSecret {
    /// Its row.
    pub info: TokenInfo,
    /// The secret to give the user.
    pub token: String,
}

/// A session just opened: the cookie secret and the CSRF token of its forms.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The cookie value.
    pub secret: String,
    /// The token every state-changing form carries.
    pub csrf: String,
    /// The principal.
    pub principal: Principal,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in whatever its use.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Prefix of API tokens, so that a leaked one is recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "ys_";

/// `n` random bytes as lower-case hex.
fn random_hex(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::internal("error.internal.random").detail(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 hex of a secret: what the store keeps of sessions and tokens.
#[must_use]
pub fn secret_hash(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A generated password: 16 characters from an alphabet without look-alikes.
///
/// # Errors
/// When the system has no random source.
pub fn generate_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::internal("error.internal.random").detail(e.to_string()))?;
    Ok(buf
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// Hashes a password (Argon2id, PHC string).
///
/// # Errors
/// An input error for a password shorter than [`MIN_PASSWORD_CHARS`].
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::input("error.user.password_short").arg("min", MIN_PASSWORD_CHARS));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::internal("error.internal.random").detail(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::internal("error.internal.random").detail(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal("error.internal.hash").detail(e.to_string()))
}

/// Whether a password matches a stored hash.
#[must_use]
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the login is unknown, so that both cases take the same
/// time.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, never matches").unwrap_or_default())
}

fn lang_of(s: &str) -> Lang {
    if s == "en" { Lang::En } else { Lang::Zh }
}

fn lang_str(l: Lang) -> &'static str {
    match l {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn store(e: &StoreError) -> Error {
    crate::store_error(e)
}

impl Workspace {
    /// Adds a user with grants. Without a password one is generated and returned (shown
    /// once).
    ///
    /// # Errors
    /// Input errors for an existing login, an unknown scope, a short password.
    pub async fn add_user(
        &self,
        actor: &Actor,
        login: &str,
        grants: &[Grant],
        password: Option<&str>,
    ) -> Result<(UserInfo, Option<String>)> {
        actor.require_admin()?;
        let login = normalise_login(login)?;
        if grants.is_empty() {
            return Err(Error::input("error.user.no_grant"));
        }
        let org = self.require_org().await?;
        for g in grants {
            check_scope(&org, &g.scope)?;
        }
        let (password, generated) = match password {
            Some(p) => (p.to_string(), None),
            None => {
                let p = generate_password()?;
                (p.clone(), Some(p))
            }
        };
        let hash = hash_password(&password)?;
        if self
            .store
            .user_by_login(&login)
            .await
            .map_err(|e| store(&e))?
            .is_some()
        {
            return Err(Error::new(ErrorKind::Conflict, "error.user.exists").arg("login", &login));
        }
        let now = Utc::now();
        let id = self
            .store
            .create_user(
                &NewUser {
                    login: login.clone(),
                    display_name: login.clone(),
                    password_hash: Some(hash),
                    disabled: false,
                    lang: "zh".to_string(),
                },
                now,
            )
            .await
            .map_err(|e| store(&e))?;
        for g in grants {
            self.store
                .add_grant(id, g.role.as_str(), &g.scope, now)
                .await
                .map_err(|e| store(&e))?;
        }
        self.log(
            actor,
            Activity::new("user.add")
                .object(&login)
                .detail(serde_json::json!({ "grants": grants })),
        )
        .await?;
        let info = self.user_info(&login).await?;
        Ok((info, generated))
    }

    /// Every user with their grants.
    ///
    /// # Errors
    /// Forbidden for non-admins.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserInfo>> {
        actor.require_admin()?;
        let rows = self.store.users().await.map_err(|e| store(&e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.user_info(&r.login).await?);
        }
        Ok(out)
    }

    async fn user_info(&self, login: &str) -> Result<UserInfo> {
        let u = self
            .store
            .user_by_login(login)
            .await
            .map_err(|e| store(&e))?
            .ok_or_else(|| Error::not_found("error.user.unknown").arg("login", login))?;
        let grants = self.grants_of(u.id).await?;
        Ok(UserInfo {
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            disabled: u.disabled,
            lang: lang_of(&u.lang),
            grants,
        })
    }

    async fn grants_of(&self, user_id: i64) -> Result<Vec<Grant>> {
        let rows = self.store.grants_of(user_id).await.map_err(|e| store(&e))?;
        Ok(grants_from(rows))
    }

    /// Disables or enables a user; disabling ends their sessions.
    ///
    /// # Errors
    /// Not found; forbidden for non-admins.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        login: &str,
        disabled: bool,
    ) -> Result<()> {
        actor.require_admin()?;
        let u = self.user_info(&normalise_login(login)?).await?;
        let now = Utc::now();
        self.store
            .set_disabled(u.id, disabled, now)
            .await
            .map_err(|e| store(&e))?;
        if disabled {
            self.store
                .revoke_sessions_of(u.id, now)
                .await
                .map_err(|e| store(&e))?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.log(actor, Activity::new(action).object(&u.login))
            .await
    }

    /// Adds or removes a grant.
    ///
    /// # Errors
    /// Not found; an unknown scope; forbidden for non-admins.
    pub async fn change_grant(
        &self,
        actor: &Actor,
        login: &str,
        grant: &Grant,
        add: bool,
    ) -> Result<bool> {
        actor.require_admin()?;
        let u = self.user_info(&normalise_login(login)?).await?;
        let changed = if add {
            check_scope(&self.require_org().await?, &grant.scope)?;
            self.store
                .add_grant(u.id, grant.role.as_str(), &grant.scope, Utc::now())
                .await
                .map_err(|e| store(&e))?
        } else {
            self.store
                .remove_grant(u.id, grant.role.as_str(), &grant.scope)
                .await
                .map_err(|e| store(&e))?
        };
        let action = if add { "grant.add" } else { "grant.revoke" };
        self.log(
            actor,
            Activity::new(action)
                .object(&u.login)
                .detail(serde_json::json!({ "role": grant.role, "scope": grant.scope })),
        )
        .await?;
        Ok(changed)
    }

    /// Sets a user's password; their other sessions end.
    ///
    /// # Errors
    /// A short password; not found.
    pub async fn set_password(&self, actor: &Actor, login: &str, password: &str) -> Result<()> {
        let login = normalise_login(login)?;
        if actor.login() != Some(login.as_str()) {
            actor.require_admin()?;
        }
        let u = self.user_info(&login).await?;
        let hash = hash_password(password)?;
        let now = Utc::now();
        self.store
            .set_password(u.id, Some(&hash), now)
            .await
            .map_err(|e| store(&e))?;
        self.store
            .revoke_sessions_of(u.id, now)
            .await
            .map_err(|e| store(&e))?;
        self.log(actor, Activity::new("user.password").object(&login))
            .await
    }

    /// Sets the signed-in user's own preferred language (pages, problem documents and
    /// the command line's messages to them).
    ///
    /// # Errors
    /// Forbidden for the system actor (it has no language of its own); store failures.
    pub async fn set_own_language(&self, actor: &Actor, lang: Lang) -> Result<()> {
        let Actor::User(p) = actor else {
            return Err(Error::new(crate::ErrorKind::Forbidden, "error.forbidden"));
        };
        self.store
            .set_lang(p.user_id, lang_str(lang), Utc::now())
            .await
            .map_err(|e| store(&e))?;
        Ok(())
    }

    /// Checks a login and password. Every failure — unknown login, wrong password,
    /// disabled user — gives the same error and takes the same time; each is logged.
    ///
    /// # Errors
    /// An input error "login or password wrong".
    pub async fn authenticate(
        &self,
        login: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<Principal> {
        let login = login.trim().to_lowercase();
        let row = self
            .store
            .user_by_login(&login)
            .await
            .map_err(|e| store(&e))?;
        let hash = row
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_string());
        let pw = password.to_string();
        let matches = tokio::task::spawn_blocking(move || password_matches(&pw, &hash))
            .await
            .unwrap_or(false);
        let ok = matches
            && row
                .as_ref()
                .is_some_and(|u| !u.disabled && u.password_hash.is_some());
        let system = Actor::System;
        match (ok, row) {
            (true, Some(u)) => {
                let grants = self.grants_of(u.id).await?;
                let p = Principal {
                    user_id: u.id,
                    login: u.login.clone(),
                    display_name: u.display_name,
                    lang: lang_of(&u.lang),
                    grants,
                    via: Via::Session,
                    client: client.map(str::to_string),
                };
                self.log_as(&u.login, ActorKind::Session, client, Activity::new("login"))
                    .await?;
                Ok(p)
            }
            _ => {
                let _ = system;
                self.log_as(
                    &login,
                    ActorKind::Session,
                    client,
                    Activity::new("login_failed").object(&login),
                )
                .await?;
                Err(Error::input("error.auth.failed"))
            }
        }
    }

    /// Opens a browser session for an authenticated principal.
    ///
    /// # Errors
    /// Store failures.
    pub async fn open_session(
        &self,
        p: &Principal,
        policy: SessionPolicy,
    ) -> Result<OpenedSession> {
        let secret = random_hex(32)?;
        let csrf = random_hex(32)?;
        let now = Utc::now();
        let expires_at = now + policy.absolute;
        self.store
            .create_session(&NewSession {
                id_hash: secret_hash(&secret),
                user_id: p.user_id,
                csrf_token: csrf.clone(),
                created_at: now,
                expires_at,
                client: p.client.clone().unwrap_or_default(),
            })
            .await
            .map_err(|e| store(&e))?;
        Ok(OpenedSession {
            secret,
            csrf,
            principal: p.clone(),
            expires_at,
        })
    }

    /// The principal of a session cookie, when the session is live: not revoked, not
    /// past its absolute expiry, used within the idle time, its user enabled. Touches it.
    ///
    /// # Errors
    /// Store failures (an unknown or dead session is `None`).
    pub async fn session_principal(
        &self,
        secret: &str,
        policy: SessionPolicy,
        client: Option<&str>,
    ) -> Result<Option<(Principal, String)>> {
        let id = secret_hash(secret);
        let Some(s) = self.store.session(&id).await.map_err(|e| store(&e))? else {
            return Ok(None);
        };
        let now = Utc::now();
        let live = s.revoked_at.is_none()
            && parse_ts(&s.expires_at).is_some_and(|t| now < t)
            && parse_ts(&s.last_seen_at).is_some_and(|t| now < t + policy.idle);
        if !live {
            return Ok(None);
        }
        let Some(p) = self.principal_of(s.user_id, Via::Session, client).await? else {
            return Ok(None);
        };
        // Last use is written when it has moved by a sixtieth of the idle time (at most
        // a minute): a page and its requests would otherwise each make a write, and a
        // session still ends within 1/60 of its idle time of the configured instant.
        let step = (policy.idle / 60).min(chrono::Duration::seconds(TOUCH_EVERY_S));
        let recent = parse_ts(&s.last_seen_at).is_some_and(|last| now - last < step);
        if !recent {
            self.store
                .touch_session(&id, now)
                .await
                .map_err(|e| store(&e))?;
        }
        Ok(Some((p, s.csrf_token)))
    }

    /// Ends a session (logout).
    ///
    /// # Errors
    /// Store failures.
    pub async fn close_session(&self, secret: &str, p: &Principal) -> Result<()> {
        self.store
            .revoke_session(&secret_hash(secret), Utc::now())
            .await
            .map_err(|e| store(&e))?;
        self.log_as(
            &p.login,
            ActorKind::Session,
            p.client.as_deref(),
            Activity::new("logout"),
        )
        .await
    }

    async fn principal_of(
        &self,
        user_id: i64,
        via: Via,
        client: Option<&str>,
    ) -> Result<Option<Principal>> {
        let Some(u) = self.store.user(user_id).await.map_err(|e| store(&e))? else {
            return Ok(None);
        };
        let grants = if u.disabled {
            Vec::new()
        } else {
            self.grants_of(u.id).await?
        };
        Ok(principal_from(u, grants, via, client))
    }

    /// Makes an API token for a user, scoped like the user; the secret is returned once.
    ///
    /// # Errors
    /// Not found; forbidden unless admin or the user themself.
    pub async fn create_token(
        &self,
        actor: &Actor,
        login: &str,
        name: &str,
        expires_days: Option<u32>,
    ) -> Result<NewTokenSecret> {
        let login = normalise_login(login)?;
        if actor.login() != Some(login.as_str()) {
            actor.require_admin()?;
        }
        let u = self.user_info(&login).await?;
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let now = Utc::now();
        let expires_at = expires_days.map(|d| now + Duration::days(i64::from(d)));
        let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let id = self
            .store
            .create_token(&NewToken {
                user_id: u.id,
                name: name.to_string(),
                prefix: prefix.clone(),
                token_hash: secret_hash(&token),
                created_at: now,
                expires_at,
            })
            .await
            .map_err(|e| store(&e))?;
        self.log(
            actor,
            Activity::new("token.create").object(&login).detail(
                serde_json::json!({ "token": id, "name": name, "expires_at": expires_at.map(ts) }),
            ),
        )
        .await?;
        Ok(NewTokenSecret {
            info: TokenInfo {
                id,
                login,
                name: name.to_string(),
                prefix,
                created_at: ts(now),
                expires_at: expires_at.map(ts),
                revoked_at: None,
                last_used_at: None,
            },
            token,
        })
    }

    /// Tokens: all (admins) or the actor's own.
    ///
    /// # Errors
    /// Store failures.
    pub async fn tokens(&self, actor: &Actor, login: Option<&str>) -> Result<Vec<TokenInfo>> {
        let user = match login {
            Some(l) => {
                let l = normalise_login(l)?;
                if actor.login() != Some(l.as_str()) {
                    actor.require_admin()?;
                }
                Some(self.user_info(&l).await?.id)
            }
            None => {
                actor.require_admin()?;
                None
            }
        };
        let users = self.store.users().await.map_err(|e| store(&e))?;
        let login_of = |id: i64| {
            users
                .iter()
                .find(|u| u.id == id)
                .map_or_else(String::new, |u| u.login.clone())
        };
        Ok(self
            .store
            .tokens(user)
            .await
            .map_err(|e| store(&e))?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                login: login_of(t.user_id),
                name: t.name,
                prefix: t.prefix,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
                last_used_at: t.last_used_at,
            })
            .collect())
    }

    /// Revokes a token.
    ///
    /// # Errors
    /// Not found; forbidden unless admin or its owner.
    pub async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let all = self.store.tokens(None).await.map_err(|e| store(&e))?;
        let t = all
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| Error::not_found("error.token.unknown").arg("id", id))?;
        let owner = self.store.user(t.user_id).await.map_err(|e| store(&e))?;
        if actor.login() != owner.as_ref().map(|u| u.login.as_str()) {
            actor.require_admin()?;
        }
        self.store
            .revoke_token(id, Utc::now())
            .await
            .map_err(|e| store(&e))?;
        self.log(actor, Activity::new("token.revoke").object(&id.to_string()))
            .await
    }

    /// The principal of a bearer token, when the token is live (not revoked, not
    /// expired, its user enabled). Records its use.
    ///
    /// # Errors
    /// Store failures (an unknown or dead token is `None`).
    pub async fn token_principal(
        &self,
        token: &str,
        client: Option<&str>,
    ) -> Result<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        // The token, its user and the user's grants in one statement: every API
        // request starts here.
        let Some((t, user, grants)) = self
            .store
            .token_holder(&secret_hash(token))
            .await
            .map_err(|e| store(&e))?
        else {
            return Ok(None);
        };
        let now = Utc::now();
        let live = t.revoked_at.is_none()
            && t.expires_at
                .as_deref()
                .is_none_or(|e| parse_ts(e).is_some_and(|e| now < e));
        if !live {
            return Ok(None);
        }
        let p = principal_from(user, grants_from(grants), Via::Token, client);
        // Last use is kept to the minute: a machine calling many times a second would
        // otherwise make every read a write, and writes wait on one another.
        let recent = t
            .last_used_at
            .as_deref()
            .and_then(parse_ts)
            .is_some_and(|last| now - last < chrono::Duration::seconds(TOUCH_EVERY_S));
        if p.is_some() && !recent {
            self.store
                .touch_token(t.id, now)
                .await
                .map_err(|e| store(&e))?;
        }
        Ok(p)
    }
}

/// The grants of stored rows (a role this build does not know gives nothing).
fn grants_from(rows: Vec<yardstick_store::GrantRow>) -> Vec<Grant> {
    rows.into_iter()
        .filter_map(|g| {
            Role::parse(&g.role).map(|role| Grant {
                role,
                scope: g.scope,
            })
        })
        .collect()
}

/// The principal of a user: `None` for a disabled user (who is nobody to the server).
fn principal_from(
    u: yardstick_store::UserRow,
    grants: Vec<Grant>,
    via: Via,
    client: Option<&str>,
) -> Option<Principal> {
    if u.disabled {
        return None;
    }
    Some(Principal {
        user_id: u.id,
        login: u.login,
        display_name: u.display_name,
        lang: lang_of(&u.lang),
        grants,
        via,
        client: client.map(str::to_string),
    })
}

/// How often a token's last use is written, at most (seconds).
const TOUCH_EVERY_S: i64 = 60;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A login: 2–64 characters of letters, digits, `.`, `_`, `-`, lower-cased.
pub(crate) fn normalise_login(login: &str) -> Result<String> {
    let l = login.trim().to_lowercase();
    let ok = (2..=64).contains(&l.chars().count())
        && l.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(l)
    } else {
        Err(Error::input("error.user.bad_login").arg("login", login))
    }
}

/// A grant's scope must name a node or site of the organisation.
fn check_scope(org: &Organisation, scope: &str) -> Result<()> {
    if org.contains(scope) {
        Ok(())
    } else {
        Err(Error::input("error.scope.unknown").arg("scope", scope).arg(
            "ids",
            org.nodes
                .iter()
                .take(8)
                .map(|n| n.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ))
    }
}

/// The sites a set of scopes covers (each scope's subtree).
#[must_use]
pub fn sites_covered<'a>(
    org: &Organisation,
    scopes: impl Iterator<Item = &'a str>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in scopes {
        for site in org.sites_under(s) {
            out.insert(site.id.clone());
        }
    }
    out
}

#[allow(dead_code, reason = "used by the server")]
fn lang_name(l: Lang) -> &'static str {
    lang_str(l)
}
