//! `yardstick user …`, `yardstick token …` and `yardstick activity`: users and their
//! grants, API tokens, and the activity log, as the local operator of the data directory
//! (the command line acts as the system; every change is logged).

use std::io::Read as _;

use clap::{Args, Subcommand, ValueEnum};
use yardstick_app::access::{Grant, Role};
use yardstick_app::activity::ActivityQuery;
use yardstick_app::{Actor, Error};
use yardstick_core::t;

use crate::data_cmd::open;
use crate::table::render;
use crate::{Ctx, out, outln};

/// A role.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
#[value(rename_all = "snake_case")]
pub enum RoleArg {
    /// Everything, including users.
    Admin,
    /// Watches and evaluates its subtrees, freezes evaluations, imports records.
    QualityManager,
    /// Its own sites.
    SiteManager,
    /// Reads its subtrees (audits to come).
    Evaluator,
    /// Reads its subtrees.
    Viewer,
    /// Aggregated figures of every node and site; no records.
    Regulator,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::QualityManager => Role::QualityManager,
            RoleArg::SiteManager => Role::SiteManager,
            RoleArg::Evaluator => Role::Evaluator,
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Regulator => Role::Regulator,
        }
    }
}

/// `user` subcommands.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user with a role on one or more organisation nodes or sites.
    ///
    /// Without --password-stdin a password is generated and printed once.
    /// Example: yardstick user add li.wei --role quality_manager --scope zj
    Add {
        /// Login (2–64 letters, digits, . _ - @; case does not matter).
        login: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Node or site id the role applies to (repeat for several).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their grants.
    List,
    /// Disable a user: no sign-in; their sessions and tokens stop working.
    Disable {
        /// Login.
        login: String,
    },
    /// Enable a disabled user.
    Enable {
        /// Login.
        login: String,
    },
    /// Give a user a role on a node or site.
    Grant {
        /// Login.
        login: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Node or site id.
        #[arg(long)]
        scope: String,
    },
    /// Take a role on a node or site from a user.
    Revoke {
        /// Login.
        login: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Node or site id.
        #[arg(long)]
        scope: String,
    },
    /// Set a user's password (read from standard input); their sessions end.
    Password {
        /// Login.
        login: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `token` subcommands.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once, alone on the last line.
    ///
    /// Example: curl -H "Authorization: Bearer $(yardstick token create li.wei | tail -1)" …
    Create {
        /// The user's login.
        login: String,
        /// A name to recognise it by.
        #[arg(long, default_value = "api")]
        name: String,
        /// Days until it expires (never when omitted).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// Token id (from `token list`).
        id: i64,
    },
}

/// `activity` arguments.
#[derive(Args)]
pub struct ActivityArgs {
    /// From this instant (RFC 3339, e.g. 2026-10-01T00:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// By this login.
    #[arg(long)]
    pub actor: Option<String>,
    /// At most this many entries (1–1000).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

fn password_from_stdin() -> Result<String, Error> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Error::input("error.user.stdin").detail(e.to_string()))?;
    Ok(s.lines().next().unwrap_or("").to_string())
}

/// `yardstick user …`.
pub async fn user(ctx: &Ctx, cmd: UserCommand) -> Result<u8, Error> {
    let ws = open(ctx).await?;
    let lang = ctx.lang;
    let sys = Actor::System;
    match cmd {
        UserCommand::Add {
            login,
            role,
            scopes,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(password_from_stdin()?)
            } else {
                None
            };
            let grants: Vec<Grant> = scopes
                .into_iter()
                .map(|scope| Grant {
                    role: role.into(),
                    scope,
                })
                .collect();
            let (info, generated) = ws
                .add_user(&sys, &login, &grants, password.as_deref())
                .await?;
            outln!("{}", t!(lang, "user.added", login = info.login))?;
            if let Some(p) = generated {
                outln!("{}", t!(lang, "user.generated_password"))?;
                outln!("{p}")?;
            }
        }
        UserCommand::List => {
            let rows: Vec<Vec<String>> = ws
                .users(&sys)
                .await?
                .into_iter()
                .map(|u| {
                    vec![
                        u.login,
                        u.grants
                            .iter()
                            .map(|g| format!("{}@{}", g.role.as_str(), g.scope))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if u.disabled {
                            t!(lang, "common.yes").to_string()
                        } else {
                            t!(lang, "common.no").to_string()
                        },
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        t!(lang, "user.col.login"),
                        t!(lang, "user.col.grants"),
                        t!(lang, "user.col.disabled"),
                    ],
                    &rows
                )
            )?;
        }
        UserCommand::Disable { login } => {
            ws.set_user_disabled(&sys, &login, true).await?;
            outln!("{}", t!(lang, "user.disabled", login = login))?;
        }
        UserCommand::Enable { login } => {
            ws.set_user_disabled(&sys, &login, false).await?;
            outln!("{}", t!(lang, "user.enabled", login = login))?;
        }
        UserCommand::Grant { login, role, scope } => {
            let g = Grant {
                role: role.into(),
                scope,
            };
            let changed = ws.change_grant(&sys, &login, &g, true).await?;
            let key = if changed {
                t!(
                    lang,
                    "user.granted",
                    login = login,
                    role = g.role.as_str(),
                    scope = g.scope
                )
            } else {
                t!(lang, "user.unchanged", login = login)
            };
            outln!("{key}")?;
        }
        UserCommand::Revoke { login, role, scope } => {
            let g = Grant {
                role: role.into(),
                scope,
            };
            let changed = ws.change_grant(&sys, &login, &g, false).await?;
            let key = if changed {
                t!(
                    lang,
                    "user.revoked",
                    login = login,
                    role = g.role.as_str(),
                    scope = g.scope
                )
            } else {
                t!(lang, "user.unchanged", login = login)
            };
            outln!("{key}")?;
        }
        UserCommand::Password { login, .. } => {
            let p = password_from_stdin()?;
            ws.set_password(&sys, &login, &p).await?;
            outln!("{}", t!(lang, "user.password_set", login = login))?;
        }
    }
    Ok(0)
}

/// `yardstick token …`.
pub async fn token(ctx: &Ctx, cmd: TokenCommand) -> Result<u8, Error> {
    let ws = open(ctx).await?;
    let lang = ctx.lang;
    let sys = Actor::System;
    match cmd {
        TokenCommand::Create {
            login,
            name,
            expires_days,
        } => {
            let t = ws.create_token(&sys, &login, &name, expires_days).await?;
            outln!(
                "{}",
                t!(
                    lang,
                    "token.created",
                    id = t.info.id,
                    login = t.info.login,
                    expires = t
                        .info
                        .expires_at
                        .clone()
                        .unwrap_or_else(|| t!(lang, "token.never").to_string())
                )
            )?;
            outln!("{}", t.token)?;
        }
        TokenCommand::List => {
            let rows: Vec<Vec<String>> = ws
                .tokens(&sys, None)
                .await?
                .into_iter()
                .map(|t| {
                    let none = || t!(lang, "common.none").to_string();
                    vec![
                        t.id.to_string(),
                        t.login,
                        t.name,
                        format!("{}…", t.prefix),
                        t.created_at,
                        t.expires_at.unwrap_or_else(none),
                        t.revoked_at.unwrap_or_else(none),
                        t.last_used_at.unwrap_or_else(none),
                    ]
                })
                .collect();
            out!(
                "{}",
                render(
                    &[
                        t!(lang, "token.col.id"),
                        t!(lang, "token.col.login"),
                        t!(lang, "token.col.name"),
                        t!(lang, "token.col.prefix"),
                        t!(lang, "token.col.created"),
                        t!(lang, "token.col.expires"),
                        t!(lang, "token.col.revoked"),
                        t!(lang, "token.col.used"),
                    ],
                    &rows
                )
            )?;
        }
        TokenCommand::Revoke { id } => {
            ws.revoke_token(&sys, id).await?;
            outln!("{}", t!(lang, "token.revoked", id = id))?;
        }
    }
    Ok(0)
}

/// `yardstick activity`.
pub async fn activity(ctx: &Ctx, args: &ActivityArgs) -> Result<u8, Error> {
    let since = args
        .since
        .as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    Error::input("error.activity.since")
                        .arg("since", s)
                        .detail(e.to_string())
                })
        })
        .transpose()?;
    let ws = open(ctx).await?;
    let lang = ctx.lang;
    let rows: Vec<Vec<String>> = ws
        .activity(
            &Actor::System,
            &ActivityQuery {
                since,
                actor: args.actor.clone(),
                limit: Some(args.limit.clamp(1, 1000)),
                ..ActivityQuery::default()
            },
        )
        .await?
        .into_iter()
        .map(|e| {
            let none = || t!(lang, "common.none").to_string();
            vec![
                e.id.to_string(),
                e.at,
                e.actor.unwrap_or_else(none),
                e.actor_kind,
                e.client.unwrap_or_else(none),
                e.action,
                e.object.unwrap_or_else(none),
                if e.detail.as_object().is_some_and(serde_json::Map::is_empty) {
                    String::new()
                } else {
                    e.detail.to_string()
                },
            ]
        })
        .collect();
    out!(
        "{}",
        render(
            &[
                t!(lang, "activity.col.id"),
                t!(lang, "activity.col.at"),
                t!(lang, "activity.col.actor"),
                t!(lang, "activity.col.via"),
                t!(lang, "activity.col.client"),
                t!(lang, "activity.col.action"),
                t!(lang, "activity.col.object"),
                t!(lang, "activity.col.detail"),
            ],
            &rows
        )
    )?;
    Ok(0)
}
