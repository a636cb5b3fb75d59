-- Metadata of a Yardstick data directory (SQLite). Instants are RFC 3339 UTC text.

CREATE TABLE org_source (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    file_name   TEXT NOT NULL,
    toml        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    loaded_at   TEXT NOT NULL
);

CREATE TABLE site (
    id         TEXT PRIMARY KEY,
    parent     TEXT NOT NULL,
    scene      TEXT NOT NULL,
    area       TEXT NOT NULL,
    tier       TEXT NOT NULL,
    tz         TEXT NOT NULL,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL
);

CREATE TABLE guideline_version (
    fingerprint TEXT PRIMARY KEY,
    guideline_id TEXT NOT NULL,
    version     TEXT NOT NULL,
    toml        TEXT NOT NULL,
    loaded_at   TEXT NOT NULL
);

-- One committed import. A batch becomes visible only when its row is committed, which
-- happens after its Parquet files are durable.
CREATE TABLE batch (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    replace_mode     INTEGER NOT NULL,
    committed_at     TEXT NOT NULL,
    rows_read        INTEGER NOT NULL,
    rows_stored      INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    duplicates       INTEGER NOT NULL,
    report_json      TEXT NOT NULL,
    CHECK (rows_stored + rows_quarantined = rows_read)
);
CREATE UNIQUE INDEX batch_kind_hash ON batch (kind, content_hash);

CREATE TABLE batch_file (
    batch_id INTEGER NOT NULL REFERENCES batch (id),
    path     TEXT NOT NULL,
    month    TEXT NOT NULL,
    rows     INTEGER NOT NULL,
    PRIMARY KEY (batch_id, path)
);

-- The (site, day) pairs a batch covers, so that a `--replace` batch can supersede the
-- rows of earlier batches for the same kind, site and day.
CREATE TABLE batch_coverage (
    batch_id INTEGER NOT NULL REFERENCES batch (id),
    site_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (batch_id, site_id, day)
);

CREATE TABLE evaluation (
    id                    INTEGER PRIMARY KEY,
    scope                 TEXT NOT NULL,
    period                TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL,
    input_fingerprint     TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    result_json           TEXT NOT NULL
);

-- A frozen evaluation is never modified; recomputing makes a new one.
CREATE TRIGGER evaluation_frozen BEFORE UPDATE ON evaluation
BEGIN
    SELECT RAISE(ABORT, 'evaluations are frozen: recompute to make a new one');
END;
