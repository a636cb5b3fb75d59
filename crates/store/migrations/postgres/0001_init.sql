-- Metadata of a Yardstick installation (PostgreSQL): the same contract as SQLite's
-- migrations 0001-0003. Instants are RFC 3339 UTC text, as in SQLite, so both backends
-- return the same bytes; counts are BIGINT, flags BOOLEAN.

-- Organisation versions, by fingerprint; `org_current` points at the one in use.
CREATE TABLE org_version (
    fingerprint TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    toml        TEXT NOT NULL,
    loaded_at   TEXT NOT NULL
);
CREATE TABLE org_current (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL REFERENCES org_version (fingerprint)
);

-- The sites of the current organisation.
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
    fingerprint  TEXT PRIMARY KEY,
    guideline_id TEXT NOT NULL,
    version      TEXT NOT NULL,
    toml         TEXT NOT NULL,
    loaded_at    TEXT NOT NULL
);

-- One committed import. A batch becomes visible only when its row is committed, which
-- happens after its Parquet files are durable. Ids are taken under a transaction-scoped
-- advisory lock (see the store's `begin_write`), so they increase in commit order.
CREATE TABLE batch (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    replace_mode     BOOLEAN NOT NULL,
    committed_at     TEXT NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_stored      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_not_stored  BIGINT NOT NULL DEFAULT 0,
    rows_superseded  BIGINT NOT NULL DEFAULT 0,
    duplicates       BIGINT NOT NULL,
    quarantine_path  TEXT,
    report_json      TEXT NOT NULL,
    CONSTRAINT batch_accounting
        CHECK (rows_stored + rows_quarantined + rows_not_stored = rows_read),
    CONSTRAINT batch_kind_content UNIQUE (kind, content_hash)
);

CREATE TABLE batch_file (
    batch_id BIGINT NOT NULL REFERENCES batch (id),
    path     TEXT NOT NULL,
    month    TEXT NOT NULL,
    rows     BIGINT NOT NULL,
    bytes    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, path)
);

-- The (site, day) pairs a batch covers, so that a `--replace` batch can supersede the
-- rows of earlier batches for the same kind, site and day.
CREATE TABLE batch_coverage (
    batch_id BIGINT NOT NULL REFERENCES batch (id),
    site_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (batch_id, site_id, day)
);

CREATE TABLE evaluation (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope                 TEXT NOT NULL,
    period                TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL
        CONSTRAINT evaluation_guideline REFERENCES guideline_version (fingerprint),
    org_fingerprint       TEXT,
    input_fingerprint     TEXT NOT NULL,
    batch_watermark       BIGINT,
    engine                TEXT NOT NULL,
    frozen_by             TEXT,
    created_at            TEXT NOT NULL,
    result_json           TEXT NOT NULL
);

-- A frozen evaluation is never modified nor deleted; recomputing makes a new one. The
-- exception carries the constraint name the store maps to its domain error. TRUNCATE
-- fires no row trigger, so it has a statement trigger of its own.
CREATE FUNCTION evaluation_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evaluations are frozen: they can be neither changed nor deleted'
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'evaluation_frozen',
              TABLE = 'evaluation';
END;
$$;
CREATE TRIGGER evaluation_frozen BEFORE UPDATE OR DELETE ON evaluation
    FOR EACH ROW EXECUTE FUNCTION evaluation_frozen();
CREATE TRIGGER evaluation_frozen_truncate BEFORE TRUNCATE ON evaluation
    FOR EACH STATEMENT EXECUTE FUNCTION evaluation_frozen();
