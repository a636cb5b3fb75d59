//! Database URLs: which backend and where, parsed once into a [`DatabaseUrl`]; a
//! PostgreSQL password never appears when one is printed.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where the metadata database is.
///
/// Parsed from `sqlite://PATH` or `sqlite:PATH` (the rest of the text is the path, taken
/// literally: no query parameters, no percent-decoding) and `postgres://…` or
/// `postgresql://…` (checked by the PostgreSQL driver's parser). `Debug` and `Display`
/// show a PostgreSQL URL with its password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

/// Why a text is not a database URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// No `scheme:` at all.
    #[error(
        "`{0}` is not a database URL: write sqlite://PATH for a SQLite file or postgres://USER@HOST/DATABASE for PostgreSQL"
    )]
    NoScheme(String),
    /// A scheme other than `sqlite`, `postgres` or `postgresql`.
    #[error(
        "database URLs starting with `{0}:` are not supported: use sqlite://PATH or postgres://USER@HOST/DATABASE"
    )]
    UnknownScheme(String),
    /// `sqlite://` with nothing after it.
    #[error("the SQLite URL `{0}` names no file: write sqlite://PATH")]
    NoSqliteFile(String),
    /// `sqlite::memory:` and the like.
    #[error(
        "an in-memory SQLite database (`{0}`) would be lost when the program ends: name a file, sqlite://PATH"
    )]
    SqliteMemory(String),
    /// The PostgreSQL driver could not read the URL.
    #[error("the PostgreSQL URL `{url}` cannot be read: {reason}")]
    BadPostgres {
        /// The URL, password redacted.
        url: String,
        /// What the driver said.
        reason: String,
    },
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<DatabaseUrl, UrlError> {
        let Some((scheme, rest)) = s.split_once(':') else {
            return Err(UrlError::NoScheme(s.to_string()));
        };
        // A Windows drive letter (`C:\data`) or an empty scheme is not a URL either.
        if scheme.len() < 2
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return Err(UrlError::NoScheme(s.to_string()));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(UrlError::NoSqliteFile(s.to_string()));
                }
                if path == ":memory:" || path.starts_with(":memory:?") || path == "memory:" {
                    return Err(UrlError::SqliteMemory(s.to_string()));
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => {
                if let Err(e) = s.parse::<sqlx::postgres::PgConnectOptions>() {
                    return Err(UrlError::BadPostgres {
                        url: redact(s),
                        reason: redact(&e.to_string()),
                    });
                }
                Ok(DatabaseUrl::Postgres(s.to_string()))
            }
            other => Err(UrlError::UnknownScheme(other.to_string())),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DatabaseUrl::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
        }
    }
}

/// The text with the password of a URL's user part (`user:secret@`) and any
/// `password=` query parameter replaced by `***`.
fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        // The authority ends at the first `/`, `?` or `#` after the scheme; the user part
        // is what comes before its last `@`.
        let end = out[start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", redacted.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    /// Hand-checked: the password sits between the first `:` of the user part and its
    /// last `@` (a password may itself hold `@`); hosts and paths stay.
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://ys:s3cret@db.example:5432/ys"),
            "postgres://ys:***@db.example:5432/ys"
        );
        assert_eq!(
            redact("postgres://ys:p@ss@db/ys?sslmode=require&password=x"),
            "postgres://ys:***@db/ys?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://ys@db/ys"), "postgres://ys@db/ys");
        assert_eq!(redact("postgres://db/a:b@c"), "postgres://db/a:b@c");
    }
}
