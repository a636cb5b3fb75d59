//! Migrations: what is pending and applied on each backend, the same tables and columns
//! on both, and SQLite databases of earlier versions carried forward with their rows.
//! Also: what opening a database that cannot be opened says.

use std::collections::{BTreeMap, HashMap};

use sqlx::{Connection, Executor, Row};
use yardstick_core::org::Organisation;
use yardstick_store::{
    Backend, BatchInfo, Constraint, DatabaseUrl, EvaluationInfo, FileEntry, Migration, Pool, Store,
    StoreError, testing,
};

use crate::support::{ORG, at, batch, execute, texts};

#[tokio::test]
async fn migrate_applies_what_is_pending_once() {
    for db in testing::empty_databases().await {
        let store = db.store();
        let all = match db.backend() {
            Backend::Sqlite => vec![
                Migration {
                    version: 1,
                    description: "init",
                },
                Migration {
                    version: 2,
                    description: "frozen delete",
                },
                Migration {
                    version: 3,
                    description: "contract",
                },
                Migration {
                    version: 4,
                    description: "access",
                },
                Migration {
                    version: 5,
                    description: "audits",
                },
            ],
            Backend::Postgres => vec![
                Migration {
                    version: 1,
                    description: "init",
                },
                Migration {
                    version: 2,
                    description: "access",
                },
                Migration {
                    version: 3,
                    description: "audits",
                },
            ],
        };
        assert_eq!(store.pending().await.expect("pending"), all);
        assert_eq!(store.migrate().await.expect("migrate"), all);
        assert_eq!(store.pending().await.expect("pending"), []);
        assert_eq!(store.migrate().await.expect("migrate"), []);
        // Connecting again does not migrate, and finds nothing to do.
        let again = Store::connect(db.url()).await.expect("connect");
        assert_eq!(again.pending().await.expect("pending"), []);
        again.close().await;
    }
}

/// Every table with its columns in order, as `table.column`: the same on both backends.
const COLUMNS: &[&str] = &[
    "action_event.id",
    "action_event.action_id",
    "action_event.event",
    "action_event.on_date",
    "action_event.detail_json",
    "action_event.actor",
    "action_event.at",
    "activity.id",
    "activity.at",
    "activity.actor",
    "activity.actor_kind",
    "activity.client",
    "activity.action",
    "activity.object",
    "activity.detail_json",
    "api_token.id",
    "api_token.user_id",
    "api_token.name",
    "api_token.prefix",
    "api_token.token_hash",
    "api_token.created_at",
    "api_token.expires_at",
    "api_token.revoked_at",
    "api_token.last_used_at",
    "app_user.id",
    "app_user.login",
    "app_user.display_name",
    "app_user.password_hash",
    "app_user.disabled",
    "app_user.lang",
    "app_user.created_at",
    "app_user.updated_at",
    "audit.id",
    "audit.site",
    "audit.kind",
    "audit.guideline_fingerprint",
    "audit.audit_date",
    "audit.evaluator",
    "audit.state",
    "audit.amends",
    "audit.amend_reason",
    "audit.plan_id",
    "audit.created_by",
    "audit.created_at",
    "audit.submitted_at",
    "audit.signed_at",
    "audit_answer.audit_id",
    "audit_answer.item_id",
    "audit_answer.answer",
    "audit_answer.value",
    "audit_answer.comment",
    "audit_answer.answered_at",
    "audit_answer.answered_by",
    "audit_evidence.id",
    "audit_evidence.audit_id",
    "audit_evidence.item_id",
    "audit_evidence.sha256",
    "audit_evidence.media_type",
    "audit_evidence.bytes",
    "audit_evidence.file_name",
    "audit_evidence.added_at",
    "audit_evidence.added_by",
    "audit_plan.id",
    "audit_plan.site",
    "audit_plan.kind",
    "audit_plan.evaluator",
    "audit_plan.due_from",
    "audit_plan.due_to",
    "audit_plan.note",
    "audit_plan.created_by",
    "audit_plan.created_at",
    "audit_response.id",
    "audit_response.audit_id",
    "audit_response.response",
    "audit_response.reason",
    "audit_response.actor",
    "audit_response.at",
    "batch.id",
    "batch.kind",
    "batch.file_name",
    "batch.content_hash",
    "batch.replace_mode",
    "batch.committed_at",
    "batch.rows_read",
    "batch.rows_stored",
    "batch.rows_quarantined",
    "batch.rows_not_stored",
    "batch.rows_superseded",
    "batch.duplicates",
    "batch.quarantine_path",
    "batch.report_json",
    "batch_coverage.batch_id",
    "batch_coverage.site_id",
    "batch_coverage.day",
    "batch_file.batch_id",
    "batch_file.path",
    "batch_file.month",
    "batch_file.rows",
    "batch_file.bytes",
    "batch_file.sha256",
    "corrective_action.id",
    "corrective_action.finding_id",
    "corrective_action.owner",
    "corrective_action.root_cause",
    "corrective_action.five_whys",
    "corrective_action.plan",
    "corrective_action.created_by",
    "corrective_action.created_at",
    "evaluation.id",
    "evaluation.scope",
    "evaluation.period",
    "evaluation.guideline_fingerprint",
    "evaluation.org_fingerprint",
    "evaluation.input_fingerprint",
    "evaluation.batch_watermark",
    "evaluation.engine",
    "evaluation.frozen_by",
    "evaluation.created_at",
    "evaluation.result_json",
    "finding.id",
    "finding.site",
    "finding.source",
    "finding.subject",
    "finding.severity",
    "finding.clause",
    "finding.indicator",
    "finding.item",
    "finding.opened_on",
    "finding.due_on",
    "finding.title",
    "finding.created_by",
    "finding.created_at",
    "finding.closed_on",
    "finding.closed_at",
    "finding_event.id",
    "finding_event.finding_id",
    "finding_event.kind",
    "finding_event.on_date",
    "finding_event.period",
    "finding_event.evidence_json",
    "finding_event.note",
    "finding_event.actor",
    "finding_event.at",
    "guideline_version.fingerprint",
    "guideline_version.guideline_id",
    "guideline_version.version",
    "guideline_version.toml",
    "guideline_version.loaded_at",
    "org_current.id",
    "org_current.fingerprint",
    "org_version.fingerprint",
    "org_version.file_name",
    "org_version.toml",
    "org_version.loaded_at",
    "review_decision.id",
    "review_decision.scope",
    "review_decision.period",
    "review_decision.text",
    "review_decision.owner",
    "review_decision.due_on",
    "review_decision.actor",
    "review_decision.at",
    "site.id",
    "site.parent",
    "site.scene",
    "site.area",
    "site.tier",
    "site.tz",
    "site.name_zh",
    "site.name_en",
    "user_grant.user_id",
    "user_grant.role",
    "user_grant.scope",
    "user_grant.created_at",
    "user_session.id_hash",
    "user_session.user_id",
    "user_session.csrf_token",
    "user_session.created_at",
    "user_session.last_seen_at",
    "user_session.expires_at",
    "user_session.revoked_at",
    "user_session.client",
];

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    for db in testing::databases().await {
        let got = match db.backend() {
            Backend::Sqlite => {
                texts(
                    db.store(),
                    "SELECT m.name || '.' || p.name FROM sqlite_master m \
                     JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                     AND m.name <> '_sqlx_migrations' ORDER BY m.name, p.cid",
                )
                .await
            }
            Backend::Postgres => {
                texts(
                    db.store(),
                    "SELECT CAST(table_name AS TEXT) || '.' || CAST(column_name AS TEXT) \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
                     ORDER BY table_name, ordinal_position",
                )
                .await
            }
        };
        assert_eq!(got, COLUMNS, "{:?}", db.backend());
    }
}

/// The schema of migrations 0001 and 0002 as they were, written out here so that this
/// test does not depend on the files it checks.
const SCHEMA_0002: &str = r"
CREATE TABLE org_source (
    id INTEGER PRIMARY KEY CHECK (id = 1), file_name TEXT NOT NULL, toml TEXT NOT NULL,
    fingerprint TEXT NOT NULL, loaded_at TEXT NOT NULL);
CREATE TABLE site (
    id TEXT PRIMARY KEY, parent TEXT NOT NULL, scene TEXT NOT NULL, area TEXT NOT NULL,
    tier TEXT NOT NULL, tz TEXT NOT NULL, name_zh TEXT NOT NULL, name_en TEXT NOT NULL);
CREATE TABLE guideline_version (
    fingerprint TEXT PRIMARY KEY, guideline_id TEXT NOT NULL, version TEXT NOT NULL,
    toml TEXT NOT NULL, loaded_at TEXT NOT NULL);
CREATE TABLE batch (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, file_name TEXT NOT NULL,
    content_hash TEXT NOT NULL, replace_mode INTEGER NOT NULL, committed_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_stored INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL, duplicates INTEGER NOT NULL,
    report_json TEXT NOT NULL, CHECK (rows_stored + rows_quarantined = rows_read));
CREATE UNIQUE INDEX batch_kind_hash ON batch (kind, content_hash);
CREATE TABLE batch_file (
    batch_id INTEGER NOT NULL REFERENCES batch (id), path TEXT NOT NULL,
    month TEXT NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (batch_id, path));
CREATE TABLE batch_coverage (
    batch_id INTEGER NOT NULL REFERENCES batch (id), site_id TEXT NOT NULL,
    day TEXT NOT NULL, PRIMARY KEY (batch_id, site_id, day));
CREATE TABLE evaluation (
    id INTEGER PRIMARY KEY, scope TEXT NOT NULL, period TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL, input_fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL, result_json TEXT NOT NULL);
CREATE TRIGGER evaluation_frozen BEFORE UPDATE ON evaluation
BEGIN SELECT RAISE(ABORT, 'evaluations are frozen: recompute to make a new one'); END;
CREATE TRIGGER evaluation_undeletable BEFORE DELETE ON evaluation
BEGIN SELECT RAISE(ABORT, 'evaluations are frozen: they cannot be deleted'); END;
CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
";

/// The rows sqlx wrote for migrations 1 and 2: their checksums are the SHA-384 of the
/// two files (as `sha384sum` prints them). If either file changed, `migrate` would
/// refuse the database.
const APPLIED_0002: &str = "
INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
 (1, 'init', TRUE, X'A8F19F56FC3ACC237E15CE32F3983FE2829A817A607A6E3FFDB2892A8A079082D3F1697993EB0544F7E5BFAC8D581B64', 1),
 (2, 'frozen delete', TRUE, X'3B92EE91E3E07C383DC82662CFCFE0ED0DC9678C18A64E8828115F0C5BDD338BCF3745E8EEF16D9681EA4E8294B16770', 1);
";

/// Data as version 0002 held it: an organisation, the default guideline, two batches
/// (the first with a quarantine file in its report, the second a replace batch taking
/// over h1 on 2026-09-02), their files and days, and two evaluations, the second of a
/// guideline whose text was never stored (`g-custom`).
const ROWS_0002: &str = "
INSERT INTO guideline_version VALUES ('g-default', 'ys', '1.0', 'x = 1\n', '2026-09-01T00:00:00.000Z');
INSERT INTO batch VALUES (1, 'hall_ticket', 'a.csv', 'hash-a', 0, '2026-09-02T00:00:00.000Z',
    10, 8, 2, 1, '{\"quarantine_file\":\"/data/quarantine/b1.csv\",\"rows_read\":10}');
INSERT INTO batch VALUES (2, 'hall_ticket', 'b.csv', 'hash-b', 1, '2026-09-03T00:00:00.000Z',
    5, 5, 0, 0, '{\"quarantine_file\":null}');
INSERT INTO batch_file VALUES (1, 'records/hall_ticket/2026-09/b1-0.parquet', '2026-09', 8);
INSERT INTO batch_file VALUES (2, 'records/hall_ticket/2026-09/b2-0.parquet', '2026-09', 5);
INSERT INTO batch_coverage VALUES (1, 'h1', '2026-09-01'), (1, 'h1', '2026-09-02'),
    (2, 'h1', '2026-09-02');
INSERT INTO evaluation VALUES (1, 'op', '2026-09', 'g-default', 'in-1',
    '2026-09-04T00:00:00.000Z', '{\"total\":1}');
INSERT INTO evaluation VALUES (2, 'op', '2026-09', 'g-custom', 'in-2',
    '2026-09-05T00:00:00.000Z', '{\"total\":2}');
";

/// `ORG`'s fingerprint: version 0002 kept the organisation under it (SHA-256 of its
/// canonical JSON), as the program computed it then and now; the store checks it when
/// read.
fn org_fingerprint() -> String {
    yardstick_core::fingerprint::of_json(&Organisation::from_toml("org.toml", ORG).expect("valid"))
        .expect("fingerprint")
}

/// A SQLite database as version 0002 left it, with the organisation `ORG`.
async fn database_0002(path: &std::path::Path) {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("connect");
    conn.execute(SCHEMA_0002).await.expect("schema 0002");
    conn.execute(APPLIED_0002).await.expect("migration rows");
    conn.execute(ROWS_0002).await.expect("rows");
    let fp_old = org_fingerprint();
    sqlx::query(
        "INSERT INTO org_source VALUES (1, 'org.toml', $1, $2, '2026-09-01T00:00:00.000Z')",
    )
    .bind(ORG)
    .bind(&fp_old)
    .execute(&mut conn)
    .await
    .expect("organisation");
    conn.execute(
        "INSERT INTO site VALUES ('h1', 'c', 'hall', 'urban', 'standard', 'Asia/Shanghai', '营业厅', 'Hall one')",
    )
    .await
    .expect("site");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn a_sqlite_database_of_version_0002_migrates_with_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("meta.sqlite");
    database_0002(&path).await;
    let store = Store::connect(&DatabaseUrl::Sqlite(path))
        .await
        .expect("connect");
    assert_eq!(
        store.migrate().await.expect("migrate"),
        [
            Migration {
                version: 3,
                description: "contract"
            },
            Migration {
                version: 4,
                description: "access"
            },
            Migration {
                version: 5,
                description: "audits"
            },
        ]
    );

    // The organisation became a version under its fingerprint, the current one.
    let fp_old = org_fingerprint();
    let org = Organisation::from_toml("org.toml", ORG).expect("valid");
    assert_eq!(store.org().await.expect("org"), Some(org.clone()));
    assert_eq!(
        store.org_fingerprint().await.expect("fp"),
        Some(fp_old.clone())
    );
    assert_eq!(
        store.org_version(&fp_old).await.expect("version"),
        Some(org)
    );
    assert_eq!(
        texts(&store, "SELECT name_en FROM site").await,
        ["Hall one"]
    );

    // Batches: nothing was not stored or superseded then; the first batch's quarantine
    // file comes from its report, the second's report says there is none.
    let one = BatchInfo {
        id: 1,
        kind: "hall_ticket".into(),
        file_name: "a.csv".into(),
        content_hash: "hash-a".into(),
        replace: false,
        committed_at: "2026-09-02T00:00:00.000Z".into(),
        rows_read: 10,
        rows_stored: 8,
        rows_quarantined: 2,
        rows_not_stored: 0,
        rows_superseded: 0,
        duplicates: 1,
        quarantine_path: Some("/data/quarantine/b1.csv".into()),
    };
    let two = BatchInfo {
        id: 2,
        file_name: "b.csv".into(),
        content_hash: "hash-b".into(),
        replace: true,
        committed_at: "2026-09-03T00:00:00.000Z".into(),
        rows_read: 5,
        rows_stored: 5,
        rows_quarantined: 0,
        duplicates: 0,
        quarantine_path: None,
        ..one.clone()
    };
    assert_eq!(store.batches().await.expect("batches"), [one, two]);
    assert_eq!(
        store.batch_report_json(2).await.expect("report"),
        Some("{\"quarantine_file\":null}".into())
    );
    let m = store.manifest("hall_ticket", None).await.expect("manifest");
    assert_eq!(
        m.files,
        [
            FileEntry {
                batch_id: 1,
                path: "records/hall_ticket/2026-09/b1-0.parquet".into(),
                month: "2026-09".into(),
                rows: 8,
                bytes: 0,
                sha256: None,
            },
            FileEntry {
                batch_id: 2,
                path: "records/hall_ticket/2026-09/b2-0.parquet".into(),
                month: "2026-09".into(),
                rows: 5,
                bytes: 0,
                sha256: None,
            },
        ]
    );
    assert_eq!(
        m.replaced,
        BTreeMap::from([(("h1".to_string(), "2026-09-02".to_string()), 2)])
    );
    assert_eq!(
        m.hashes,
        HashMap::from([("hash-a".to_string(), 1), ("hash-b".to_string(), 2)])
    );

    // Evaluations keep their ids, fingerprints and results; what was not recorded then
    // is marked so.
    let older = EvaluationInfo {
        id: 1,
        scope: "op".into(),
        period: "2026-09".into(),
        guideline_fingerprint: "g-default".into(),
        org_fingerprint: None,
        input_fingerprint: "in-1".into(),
        batch_watermark: None,
        engine: "unrecorded".into(),
        frozen_by: None,
        created_at: "2026-09-04T00:00:00.000Z".into(),
    };
    let newer = EvaluationInfo {
        id: 2,
        guideline_fingerprint: "g-custom".into(),
        input_fingerprint: "in-2".into(),
        created_at: "2026-09-05T00:00:00.000Z".into(),
        ..older.clone()
    };
    assert_eq!(store.evaluations().await.expect("list"), [newer, older]);
    assert_eq!(
        store
            .evaluation(1)
            .await
            .expect("read")
            .map(|e| e.result_json),
        Some("{\"total\":1}".into())
    );
    assert_eq!(
        store.guideline_text("g-default").await.expect("text"),
        Some("x = 1\n".into())
    );
    // The custom guideline is recorded without text, until it is stored.
    assert_eq!(store.guideline_text("g-custom").await.expect("text"), None);
    store
        .put_guideline("g-custom", "custom", "2.0", "y = 2\n", at(0))
        .await
        .expect("put");
    assert_eq!(
        store.guideline_text("g-custom").await.expect("text"),
        Some("y = 2\n".into())
    );

    the_migrated_database_keeps_its_rules(&store).await;
    assert_eq!(store.pending().await.expect("pending"), []);
}

/// After 0003: foreign keys intact and pointing at the rebuilt tables, frozen
/// evaluations, accounting with rows not stored, unique content, and ids going on from
/// the old ones.
async fn the_migrated_database_keeps_its_rules(store: &Store) {
    let Pool::Sqlite(pool) = store.pool() else {
        panic!("SQLite");
    };
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .expect("check");
    assert!(
        broken.is_empty(),
        "{} rows break a foreign key",
        broken.len()
    );
    let fks: Vec<String> = sqlx::query(
        "SELECT m.name || '->' || f.\"table\" FROM sqlite_master m \
         JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id",
    )
    .fetch_all(pool)
    .await
    .expect("keys")
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(
        fks,
        [
            "action_event->corrective_action",
            "api_token->app_user",
            "audit->audit_plan",
            "audit->audit",
            "audit->guideline_version",
            "audit_answer->audit",
            "audit_evidence->audit",
            "audit_response->audit",
            "batch_coverage->batch",
            "batch_file->batch",
            "corrective_action->finding",
            "evaluation->guideline_version",
            "finding_event->finding",
            "org_current->org_version",
            "user_grant->app_user",
            "user_session->app_user",
        ]
    );
    // A file of batch 1 can be added; one of a batch that does not exist cannot.
    execute(
        store,
        "INSERT INTO batch_file (batch_id, path, month, rows) VALUES (1, 'extra', '2026-09', 1)",
    )
    .await
    .expect("batch 1 exists");
    assert!(
        execute(
            store,
            "INSERT INTO batch_file (batch_id, path, month, rows) VALUES (99, 'x', '2026-09', 1)",
        )
        .await
        .is_err()
    );
    for sql in [
        "UPDATE evaluation SET scope = 'x' WHERE id = 1",
        "DELETE FROM evaluation WHERE id = 2",
    ] {
        let err = execute(store, sql).await.expect_err("frozen");
        assert!(
            matches!(err, StoreError::Refused(Constraint::EvaluationFrozen)),
            "{sql}: {err:?}"
        );
    }
    let mut wrong = batch("hall_ticket", "new", false, &[]);
    wrong.rows_not_stored = 1;
    assert!(matches!(
        store.commit_batch(&wrong, at(0)).await,
        Err(StoreError::Refused(Constraint::BatchAccounting))
    ));
    assert!(matches!(
        store
            .commit_batch(&batch("hall_ticket", "hash-a", false, &[]), at(0))
            .await,
        Err(StoreError::AlreadyCommitted { batch: 1 })
    ));
    assert_eq!(
        store
            .commit_batch(&batch("hall_ticket", "new", false, &[]), at(0))
            .await
            .expect("commit"),
        3
    );
}

/// A database laid out as the macro build left it: schema 1 applied and its row in
/// `_sqlx_migrations` with the given checksum (hex).
async fn macro_era_database(path: &std::path::Path, checksum_hex: &str) {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("connect");
    conn.execute(include_str!("../../migrations/sqlite/0001_init.sql"))
        .await
        .expect("schema 1");
    let table = format!(
        "CREATE TABLE _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL);
         INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (1, 'init', TRUE, X'{checksum_hex}', 11577668);"
    );
    conn.execute(sqlx::AssertSqlSafe(table))
        .await
        .expect("old migration table");
    conn.close().await.expect("close");
}

/// A data directory created by an earlier build, whose migrations were embedded with
/// `sqlx::migrate!`, still migrates: the hand-built migrator gives the same version and
/// checksum, and applies only what is new. The checksum below is the row that build
/// wrote into `_sqlx_migrations` for `0001_init.sql` (SHA-384 of the file). The same
/// database with one checksum byte changed is refused, which shows the checksum is what
/// makes the first case pass.
#[tokio::test]
async fn a_database_migrated_by_the_macro_build_still_migrates() {
    const INIT: &str = "A8F19F56FC3ACC237E15CE32F3983FE2829A817A607A6E3FFDB2892A8A079082D3F1697993EB0544F7E5BFAC8D581B64";
    let dir = tempfile::tempdir().expect("tempdir");

    let path = dir.path().join("meta.sqlite");
    macro_era_database(&path, INIT).await;
    let store = Store::connect(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("connect");
    // Row 1 was written above; 2 to 5 are what migrating applied.
    assert_eq!(
        store.migrate().await.expect("migrates the older database"),
        [
            Migration {
                version: 2,
                description: "frozen delete"
            },
            Migration {
                version: 3,
                description: "contract"
            },
            Migration {
                version: 4,
                description: "access"
            },
            Migration {
                version: 5,
                description: "audits"
            },
        ]
    );
    store.close().await;

    let tampered = dir.path().join("tampered.sqlite");
    macro_era_database(&tampered, &format!("00{}", &INIT[2..])).await;
    let store = Store::connect(&DatabaseUrl::Sqlite(tampered))
        .await
        .expect("connect");
    assert!(
        matches!(store.migrate().await, Err(StoreError::Migrate(_))),
        "a checksum that differs from the embedded migration's must be refused"
    );
}

#[tokio::test]
async fn opening_a_sqlite_file_that_cannot_be_opened_says_which_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The directory does not exist: named, once.
    let missing = dir.path().join("no-such-dir");
    let path = missing.join("meta.sqlite");
    let err = Store::connect(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect_err("no directory");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot open the metadata database {}: the directory {} does not exist",
            path.display(),
            missing.display()
        )
    );
    // A file that is not a database.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are notes, not a database\n".repeat(200)).expect("write");
    let err = Store::connect(&DatabaseUrl::Sqlite(text.clone()))
        .await
        .expect_err("not a database");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot open the metadata database {}: the file is not a SQLite database",
            text.display()
        )
    );
}

#[tokio::test]
async fn a_postgres_server_that_cannot_be_reached_is_named_without_the_password() {
    // Nothing listens on port 1 of the loopback address.
    let url: DatabaseUrl = "postgres://ys:s3cret@127.0.0.1:1/ys"
        .parse()
        .expect("valid");
    let err = Store::connect(&url).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "cannot connect to the metadata database postgres://ys:***@127.0.0.1:1/ys: \
         the connection was refused (is the server running, on that host and port?)"
    );
}
