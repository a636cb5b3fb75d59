//! Database URLs: each form parsed into its backend, clear refusals, and no password in
//! anything printed.

use std::path::PathBuf;

use yardstick_store::{DatabaseUrl, UrlError};

fn parse(s: &str) -> Result<DatabaseUrl, UrlError> {
    s.parse()
}

#[test]
fn sqlite_urls_name_a_file_taken_literally() {
    for (text, path) in [
        ("sqlite://data/meta.sqlite", "data/meta.sqlite"),
        (
            "sqlite:///var/lib/ys/meta.sqlite",
            "/var/lib/ys/meta.sqlite",
        ),
        ("sqlite:meta.sqlite", "meta.sqlite"),
        // `?`, `#` and `%` are part of the name: nothing is decoded or cut off.
        ("sqlite://dir?x#1%20/m.db", "dir?x#1%20/m.db"),
        ("SQLITE://m.db", "m.db"),
    ] {
        assert_eq!(
            parse(text),
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
            "{text}"
        );
    }
    assert_eq!(
        parse("sqlite:///var/lib/ys/meta.sqlite")
            .expect("valid")
            .to_string(),
        "sqlite:///var/lib/ys/meta.sqlite"
    );
}

#[test]
fn postgres_urls_are_kept_and_printed_without_their_password() {
    for text in [
        "postgres://ys@db.internal:5432/yardstick",
        "postgresql://ys@db.internal/yardstick",
    ] {
        assert_eq!(parse(text), Ok(DatabaseUrl::Postgres(text.into())));
    }
    let url =
        parse("postgres://ys:s3cret@db.internal:5432/yardstick?sslmode=disable").expect("valid");
    // The value keeps the password (it is needed to connect)…
    assert_eq!(
        url,
        DatabaseUrl::Postgres(
            "postgres://ys:s3cret@db.internal:5432/yardstick?sslmode=disable".into()
        )
    );
    // …but neither form of printing shows it.
    assert_eq!(
        url.to_string(),
        "postgres://ys:***@db.internal:5432/yardstick?sslmode=disable"
    );
    assert_eq!(
        format!("{url:?}"),
        "Postgres(\"postgres://ys:***@db.internal:5432/yardstick?sslmode=disable\")"
    );
}

#[test]
fn other_texts_are_refused_with_what_to_write() {
    assert_eq!(
        parse("meta.sqlite"),
        Err(UrlError::NoScheme("meta.sqlite".into()))
    );
    assert_eq!(
        parse("mysql://db/ys"),
        Err(UrlError::UnknownScheme("mysql".into()))
    );
    assert_eq!(
        parse("sqlite://"),
        Err(UrlError::NoSqliteFile("sqlite://".into()))
    );
    assert_eq!(
        parse("sqlite::memory:"),
        Err(UrlError::SqliteMemory("sqlite::memory:".into()))
    );
    let err = parse("mysql://db/ys").expect_err("refused");
    assert_eq!(
        err.to_string(),
        "database URLs starting with `mysql:` are not supported: use sqlite://PATH or postgres://USER@HOST/DATABASE"
    );
    // A PostgreSQL URL the driver cannot read is refused without its password.
    let err = parse("postgres://ys:s3cret@db:notaport/ys").expect_err("bad port");
    let UrlError::BadPostgres { url, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(url, "postgres://ys:***@db:notaport/ys");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}
