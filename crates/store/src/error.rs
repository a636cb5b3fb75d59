//! The store's errors, and the one place where database failures become domain errors:
//! a named constraint the database enforced ([`Constraint`]: the manifest's accounting,
//! frozen evaluations, unique logins, known roles, the append-only activity log…), a batch
//! committed already, a database that cannot be opened (with the file and the system's
//! reason).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use sqlx::error::DatabaseError;
use yardstick_core::diag::LoadError;

use crate::DatabaseUrl;

/// Errors of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A SQLite database file could not be opened or created.
    #[error("cannot open the metadata database {}: {reason}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why, in the system's words (permission denied, read-only file system, no space
        /// left on the device, not a database…).
        reason: String,
    },
    /// A PostgreSQL server could not be reached or refused the connection.
    #[error("cannot connect to the metadata database {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// The same file content was committed already for this record kind (perhaps by a
    /// concurrent import of the same file); nothing of the new batch was stored.
    #[error("this file's content was already imported as batch {batch}; nothing new was stored")]
    AlreadyCommitted {
        /// The batch that holds the content.
        batch: i64,
    },
    /// The database refused a write that would break one of its rules.
    #[error("{0}")]
    Refused(Constraint),
    /// A number too large for the database (above 2^63 - 1).
    #[error("{what} is too large to store: {value}")]
    TooLarge {
        /// Which number.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// The database could not be written: its file or folder is read-only, the disk is
    /// full, or the system failed the write.
    #[error("the metadata database cannot be written: {reason}")]
    Unwritable {
        /// Why, in words (read-only, no space left on the device…).
        reason: String,
    },
    /// Any other database failure.
    #[error("metadata database: {0}")]
    Db(sqlx::Error),
    /// A migration failed or an applied one differs from this program's.
    #[error("migrating the metadata database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database is damaged: SQLite says so, or stored content no longer matches the
    /// fingerprint it was stored under.
    #[error("the metadata database is damaged: {what}: {reason}")]
    Damaged {
        /// What was read.
        what: String,
        /// What differs.
        reason: String,
    },
    /// A stored organisation no longer validates.
    #[error("the stored organisation is invalid: {0}")]
    Org(#[from] LoadError),
    /// JSON could not be written or read back.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A rule the database enforces, named the same in both schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Constraint {
    /// `batch_accounting`: stored + quarantined + not stored = read.
    #[error(
        "the import's row counts do not add up (rows stored + quarantined + not stored must equal rows read); the batch was not committed"
    )]
    BatchAccounting,
    /// `batch_kind_content`: one batch per record kind and file content.
    #[error("this file's content was already imported for this record kind")]
    BatchContent,
    /// `evaluation_guideline`: an evaluation names a recorded guideline version.
    #[error(
        "the evaluation's guideline version is not recorded: store the guideline before an evaluation that uses it"
    )]
    EvaluationGuideline,
    /// `evaluation_frozen`: frozen evaluations are neither updated nor deleted.
    #[error(
        "evaluations are frozen: they can be neither changed nor deleted; recompute to make a new one"
    )]
    EvaluationFrozen,
    /// `app_user_login`: a login names one user, whatever its case (logins are stored
    /// lower-cased).
    #[error("this login is taken (logins are compared without regard to case)")]
    UserLogin,
    /// `app_user_login_lower`: a login is stored lower-cased (only a write past the store
    /// can break this: the store folds case before writing).
    #[error("a login must be stored lower-cased")]
    UserLoginCase,
    /// `app_user_lang`: a user's language is `zh` or `en`.
    #[error("unknown language: a user's language is zh or en")]
    UserLang,
    /// `user_grant_user`, `user_session_user`, `api_token_user`: a grant, a session or a
    /// token belongs to a user that exists.
    #[error("the user does not exist")]
    UserUnknown,
    /// `user_grant_role`: a grant's role is one of the product's roles.
    #[error(
        "unknown role: a role is admin, quality_manager, site_manager, evaluator, viewer or regulator"
    )]
    GrantRole,
    /// `user_session_id`: one session per id hash.
    #[error("a session with this id exists already")]
    SessionId,
    /// `api_token_hash`: one token per hash.
    #[error("a token with this hash exists already")]
    TokenHash,
    /// `user_session_id_hash`, `api_token_hash_hex`: a session id or a token is stored as
    /// the SHA-256 of its secret in lowercase hex, never as the secret itself.
    #[error(
        "a session id or token must be stored as the SHA-256 of its secret (64 lowercase hex digits), never as the secret"
    )]
    NotAHash,
    /// `activity_actor_kind`: an activity's actor kind is `cli`, `session`, `token` or
    /// `system`.
    #[error("unknown actor kind: cli, session, token or system")]
    ActivityActorKind,
    /// `activity_append_only`: activity entries are neither updated nor deleted.
    #[error("the activity log is append-only: entries can be neither changed nor deleted")]
    ActivityAppendOnly,
    /// `audit_guideline`: an audit names a recorded guideline version.
    #[error("the audit's guideline version is not recorded: store the guideline first")]
    AuditGuideline,
    /// `audit_signed`: a signed audit, its answers and its evidence never change.
    #[error("a signed audit cannot change; amend it by a new version")]
    AuditSigned,
    /// `audit_amends`: a correction names a signed audit.
    #[error("a correction names a signed audit")]
    AuditAmends,
    /// `audit_amend_reason`: a correction says why, and only a correction has a reason.
    #[error("a correction must say why it amends the audit")]
    AuditAmendReason,
    /// `audit_response_once`: a signed audit is acknowledged or disputed once.
    #[error("the site has already responded to this audit")]
    AuditResponded,
    /// `audit_response_signed`: only a signed audit can be acknowledged or disputed.
    #[error("only a signed audit can be acknowledged or disputed")]
    AuditNotSigned,
    /// `audit_response_reason`: a dispute gives its reason.
    #[error("a dispute must give its reason")]
    DisputeReason,
    /// `audit_plan_window`: a plan's window starts no later than it ends.
    #[error("an audit plan's window must start no later than it ends")]
    PlanWindow,
    /// `finding_open`: one open finding per site, source and subject.
    #[error("an open finding of this site, source and subject exists already")]
    FindingOpen,
    /// `finding_history`: a finding changes only by being closed, once.
    #[error("a finding changes only by being closed, once; its history is never rewritten")]
    FindingHistory,
    /// `history_append_only`: finding events, actions and their events, audit responses
    /// and review decisions are appended, never changed nor deleted.
    #[error("history is appended, never changed nor deleted")]
    HistoryAppendOnly,
}

/// How each backend names a constraint when it refuses a write: PostgreSQL gives the
/// constraint's name; SQLite gives a message (`CHECK constraint failed: NAME`, the
/// columns of a UNIQUE constraint, or the text a trigger raises). No SQLite text holds
/// another (a test checks), so a message names one constraint.
const NAMED: [(Constraint, &str, &str); 28] = [
    (
        Constraint::BatchAccounting,
        "batch_accounting",
        "CHECK constraint failed: batch_accounting",
    ),
    (
        Constraint::BatchContent,
        "batch_kind_content",
        "UNIQUE constraint failed: batch.kind, batch.content_hash",
    ),
    (
        Constraint::EvaluationGuideline,
        "evaluation_guideline",
        "evaluation_guideline:",
    ),
    (
        Constraint::EvaluationFrozen,
        "evaluation_frozen",
        "evaluation_frozen:",
    ),
    (
        Constraint::UserLogin,
        "app_user_login",
        "UNIQUE constraint failed: app_user.login",
    ),
    (
        Constraint::UserLoginCase,
        "app_user_login_lower",
        "CHECK constraint failed: app_user_login_lower",
    ),
    (
        Constraint::UserLang,
        "app_user_lang",
        "CHECK constraint failed: app_user_lang",
    ),
    (
        Constraint::UserUnknown,
        "user_grant_user",
        "user_grant_user:",
    ),
    (
        Constraint::UserUnknown,
        "user_session_user",
        "user_session_user:",
    ),
    (Constraint::UserUnknown, "api_token_user", "api_token_user:"),
    (
        Constraint::GrantRole,
        "user_grant_role",
        "CHECK constraint failed: user_grant_role",
    ),
    (
        Constraint::SessionId,
        "user_session_id",
        "UNIQUE constraint failed: user_session.id_hash",
    ),
    (
        Constraint::TokenHash,
        "api_token_hash",
        "UNIQUE constraint failed: api_token.token_hash",
    ),
    (
        Constraint::NotAHash,
        "user_session_id_hash",
        "CHECK constraint failed: user_session_id_hash",
    ),
    (
        Constraint::NotAHash,
        "api_token_hash_hex",
        "CHECK constraint failed: api_token_hash_hex",
    ),
    (
        Constraint::ActivityActorKind,
        "activity_actor_kind",
        "CHECK constraint failed: activity_actor_kind",
    ),
    (
        Constraint::ActivityAppendOnly,
        "activity_append_only",
        "activity_append_only:",
    ),
    (
        Constraint::AuditGuideline,
        "audit_guideline",
        "audit_guideline:",
    ),
    (Constraint::AuditSigned, "audit_signed", "audit_signed:"),
    (Constraint::AuditAmends, "audit_amends", "audit_amends:"),
    (
        Constraint::AuditAmendReason,
        "audit_amend_reason",
        "CHECK constraint failed: audit_amend_reason",
    ),
    (
        Constraint::AuditResponded,
        "audit_response_once",
        "UNIQUE constraint failed: audit_response.audit_id",
    ),
    (
        Constraint::AuditNotSigned,
        "audit_response_signed",
        "audit_response_signed:",
    ),
    (
        Constraint::DisputeReason,
        "audit_response_reason",
        "CHECK constraint failed: audit_response_reason",
    ),
    (
        Constraint::PlanWindow,
        "audit_plan_window",
        "CHECK constraint failed: audit_plan_window",
    ),
    (
        Constraint::FindingOpen,
        "finding_open",
        "UNIQUE constraint failed: finding.site, finding.source, finding.subject",
    ),
    (
        Constraint::FindingHistory,
        "finding_history",
        "finding_history:",
    ),
    (
        Constraint::HistoryAppendOnly,
        "history_append_only",
        "history_append_only:",
    ),
];

/// The constraint a database error reports, if it is one of ours. PostgreSQL's trigger
/// raises its exception with the constraint name set (`USING CONSTRAINT`), so both
/// backends' triggers are found by name too.
pub(crate) fn constraint_of(db: &dyn DatabaseError) -> Option<Constraint> {
    let name = db.constraint();
    let message = db.message();
    NAMED.iter().find_map(|(c, pg_name, sqlite_text)| {
        let hit = match name {
            Some(n) => n == *pg_name,
            None => message.contains(sqlite_text),
        };
        hit.then_some(*c)
    })
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if let Some(c) = constraint_of(db.as_ref()) {
                return StoreError::Refused(c);
            }
            if let Some(reason) = sqlite_write_failure(db.as_ref()) {
                return StoreError::Unwritable { reason };
            }
            if let Some(reason) = sqlite_corrupt(db.as_ref()) {
                return StoreError::Damaged {
                    what: "the database file".into(),
                    reason,
                };
            }
        }
        // A stored value that no longer decodes (text that is not UTF-8, a number where
        // text was written) was changed inside the database: every write goes through
        // the store's typed binds.
        if let sqlx::Error::ColumnDecode { index, source } = &e {
            return StoreError::Damaged {
                what: format!("column {index}"),
                reason: source.to_string(),
            };
        }
        StoreError::Db(e)
    }
}

/// Why SQLite could not open `path`, said once. SQLite's own message ("unable to open
/// database file") does not say why, so the file is first opened here the way SQLite
/// will (read and write, created when missing): the system's error names the reason.
/// When that succeeds, SQLite's result code says it (read-only, disk full, not a
/// database).
pub(crate) fn sqlite_open(path: &Path, e: &sqlx::Error) -> StoreError {
    let probe = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    // A file that opens but whose pages SQLite finds malformed is damage; a file that
    // is no database at all is the user's mistake of path, said as such below.
    if probe.is_ok()
        && let sqlx::Error::Database(db) = e
        && db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff)
            == Some(11)
        && let Some(reason) = sqlite_corrupt(db.as_ref())
    {
        return StoreError::Damaged {
            what: path.display().to_string(),
            reason,
        };
    }
    let reason = match probe {
        Err(io) => io_reason(&io, path),
        Ok(_) => match e {
            sqlx::Error::Database(db) => sqlite_code_reason(db.as_ref()),
            sqlx::Error::Io(io) => io_reason(io, path),
            other => other.to_string(),
        },
    };
    StoreError::Open {
        path: path.to_path_buf(),
        reason,
    }
}

/// A system error in words, once (without Rust's "(os error N)").
fn io_reason(e: &std::io::Error, path: &Path) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        ErrorKind::StorageFull => "no space left on the device (disk full)".into(),
        ErrorKind::NotFound => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => format!("the directory {} does not exist", dir.display()),
            None => "the file cannot be created".into(),
        },
        ErrorKind::IsADirectory => "it is a directory, not a file".into(),
        ErrorKind::NotADirectory => "a part of the path is a file, not a directory".into(),
        _ => e.to_string(),
    }
}

/// Why SQLite could not write, in words, for the primary result codes that say so:
/// read-only (8), disk full (13), a failed system call (10), permission (23). `None` for
/// any other failure, and for PostgreSQL's.
fn sqlite_write_failure(db: &dyn DatabaseError) -> Option<String> {
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    let code = db.code()?.parse::<i32>().ok()? & 0xff;
    match code {
        8 | 13 | 23 => Some(sqlite_code_reason(db)),
        10 => Some(format!(
            "the system failed a read or write ({})",
            db.message()
        )),
        _ => None,
    }
}

/// SQLite's word that its file is damaged: SQLITE_CORRUPT (11) or SQLITE_NOTADB (26)
/// on a file that opened.
fn sqlite_corrupt(db: &dyn DatabaseError) -> Option<String> {
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    let code = db.code()?.parse::<i32>().ok()? & 0xff;
    matches!(code, 11 | 26).then(|| format!("SQLite: {}", db.message()))
}

/// SQLite's primary result codes that explain a failed open (extended codes carry
/// the primary one in their low byte).
fn sqlite_code_reason(db: &dyn DatabaseError) -> String {
    let code = db
        .code()
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff);
    match code {
        Some(8) => "the database is read-only (the file or its directory cannot be written)".into(),
        Some(13) => "no space left on the device (disk full)".into(),
        Some(14) => "the file cannot be opened (is its directory writable?)".into(),
        Some(23) => "permission denied".into(),
        Some(26) => "the file is not a SQLite database".into(),
        _ => db.message().to_string(),
    }
}

/// Why a PostgreSQL server could not be reached, with the URL redacted.
pub(crate) fn postgres_connect(url: &DatabaseUrl, e: &sqlx::Error) -> StoreError {
    let reason = match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => {
                "the connection was refused (is the server running, on that host and port?)".into()
            }
            _ => io.to_string(),
        },
        sqlx::Error::PoolTimedOut => "no connection within the time allowed".into(),
        other => other.to_string(),
    };
    StoreError::Connect {
        url: url.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};
    use std::path::Path;

    use super::{NAMED, io_reason};

    /// A SQLite message names one constraint: no constraint's text is found inside
    /// another's (`app_user_login` would be, in `app_user_login_lower`, were it a CHECK),
    /// and no two constraints share a PostgreSQL name.
    #[test]
    fn each_message_names_one_constraint() {
        for (i, (_, pg_a, sqlite_a)) in NAMED.iter().enumerate() {
            for (j, (_, pg_b, sqlite_b)) in NAMED.iter().enumerate() {
                if i != j {
                    assert!(!sqlite_a.contains(sqlite_b), "{sqlite_a} holds {sqlite_b}");
                    assert_ne!(pg_a, pg_b);
                }
            }
        }
    }

    /// The system's reasons in words, once; a missing directory is named.
    #[test]
    fn open_failures_say_why_in_words() {
        let path = Path::new("/srv/ys/meta.sqlite");
        for (kind, words) in [
            (ErrorKind::PermissionDenied, "permission denied"),
            (
                ErrorKind::ReadOnlyFilesystem,
                "the file system is read-only",
            ),
            (
                ErrorKind::StorageFull,
                "no space left on the device (disk full)",
            ),
            (ErrorKind::NotFound, "the directory /srv/ys does not exist"),
        ] {
            assert_eq!(io_reason(&Error::from(kind), path), words, "{kind:?}");
        }
    }
}
