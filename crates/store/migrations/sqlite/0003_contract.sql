-- The metadata contract shared with PostgreSQL (`migrations/postgres/0001_init.sql` holds
-- the same schema): organisation versions, batches that account for rows not stored,
-- files with their sizes, evaluations with their provenance. Every row is kept.
--
-- SQLite cannot change a table's constraints in place, so `batch` (its accounting CHECK),
-- `batch_file` and `batch_coverage` (their foreign keys point at `batch`) and `evaluation`
-- (a foreign key to the guideline versions) are rebuilt: new table, rows copied, old table
-- dropped, new one renamed. Children are dropped before their parent, so that with foreign
-- keys on no drop ever orphans a row; renaming `batch_v3` to `batch` rewrites the foreign
-- keys of the new children that point at it.

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
INSERT INTO org_version (fingerprint, file_name, toml, loaded_at)
    SELECT fingerprint, file_name, toml, loaded_at FROM org_source;
INSERT INTO org_current (id, fingerprint)
    SELECT 1, fingerprint FROM org_source;
DROP TABLE org_source;

-- Batches. Rows not stored (ignored by a named rule) join the accounting; a batch records
-- how many rows of earlier batches it superseded (0 for batches committed before this
-- migration: it was not counted then) and where its quarantine file is (taken from the
-- report of earlier batches).
CREATE TABLE batch_v3 (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    replace_mode     INTEGER NOT NULL CHECK (replace_mode IN (0, 1)),
    committed_at     TEXT NOT NULL,
    rows_read        INTEGER NOT NULL,
    rows_stored      INTEGER NOT NULL,
    rows_quarantined INTEGER NOT NULL,
    rows_not_stored  INTEGER NOT NULL DEFAULT 0,
    rows_superseded  INTEGER NOT NULL DEFAULT 0,
    duplicates       INTEGER NOT NULL,
    quarantine_path  TEXT,
    report_json      TEXT NOT NULL,
    CONSTRAINT batch_accounting
        CHECK (rows_stored + rows_quarantined + rows_not_stored = rows_read),
    CONSTRAINT batch_kind_content UNIQUE (kind, content_hash)
);
INSERT INTO batch_v3 (id, kind, file_name, content_hash, replace_mode, committed_at,
                      rows_read, rows_stored, rows_quarantined, rows_not_stored,
                      rows_superseded, duplicates, quarantine_path, report_json)
    SELECT id, kind, file_name, content_hash, replace_mode, committed_at,
           rows_read, rows_stored, rows_quarantined, 0,
           0, duplicates,
           CASE WHEN json_valid(report_json)
                THEN json_extract(report_json, '$.quarantine_file') END,
           report_json
    FROM batch;

-- Files of a batch, with their size in bytes (0 for files committed before this
-- migration).
CREATE TABLE batch_file_v3 (
    batch_id INTEGER NOT NULL REFERENCES batch_v3 (id),
    path     TEXT NOT NULL,
    month    TEXT NOT NULL,
    rows     INTEGER NOT NULL,
    bytes    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, path)
);
INSERT INTO batch_file_v3 (batch_id, path, month, rows, bytes)
    SELECT batch_id, path, month, rows, 0 FROM batch_file;

CREATE TABLE batch_coverage_v3 (
    batch_id INTEGER NOT NULL REFERENCES batch_v3 (id),
    site_id  TEXT NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (batch_id, site_id, day)
);
INSERT INTO batch_coverage_v3 (batch_id, site_id, day)
    SELECT batch_id, site_id, day FROM batch_coverage;

DROP TABLE batch_coverage;
DROP TABLE batch_file;
DROP TABLE batch;
ALTER TABLE batch_v3 RENAME TO batch;
ALTER TABLE batch_file_v3 RENAME TO batch_file;
ALTER TABLE batch_coverage_v3 RENAME TO batch_coverage;

-- Evaluations name a recorded guideline version. Earlier versions could freeze an
-- evaluation of a guideline file whose text was never stored: such a version is recorded
-- here with empty text, id and version (the store reports its text as unknown), so that
-- the evaluation keeps its fingerprint. Organisation fingerprint and batch watermark were
-- not recorded then (NULL), nor the engine ('unrecorded').
INSERT INTO guideline_version (fingerprint, guideline_id, version, toml, loaded_at)
    SELECT e.guideline_fingerprint, '', '', '', MIN(e.created_at)
    FROM evaluation e
    WHERE NOT EXISTS (SELECT 1 FROM guideline_version g
                      WHERE g.fingerprint = e.guideline_fingerprint)
    GROUP BY e.guideline_fingerprint;

CREATE TABLE evaluation_v3 (
    id                    INTEGER PRIMARY KEY,
    scope                 TEXT NOT NULL,
    period                TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL
        CONSTRAINT evaluation_guideline REFERENCES guideline_version (fingerprint),
    org_fingerprint       TEXT,
    input_fingerprint     TEXT NOT NULL,
    batch_watermark       INTEGER,
    engine                TEXT NOT NULL,
    frozen_by             TEXT,
    created_at            TEXT NOT NULL,
    result_json           TEXT NOT NULL
);
INSERT INTO evaluation_v3 (id, scope, period, guideline_fingerprint, org_fingerprint,
                           input_fingerprint, batch_watermark, engine, frozen_by,
                           created_at, result_json)
    SELECT id, scope, period, guideline_fingerprint, NULL,
           input_fingerprint, NULL, 'unrecorded', NULL,
           created_at, result_json
    FROM evaluation;
-- Dropping a table fires none of its triggers; the frozen ones go with it and are made
-- again below.
DROP TABLE evaluation;
ALTER TABLE evaluation_v3 RENAME TO evaluation;

-- SQLite's foreign-key errors do not name the key: this trigger refuses an unknown
-- guideline version first, by name, as PostgreSQL's named foreign key does.
CREATE TRIGGER evaluation_guideline BEFORE INSERT ON evaluation
WHEN NOT EXISTS (SELECT 1 FROM guideline_version
                 WHERE fingerprint = NEW.guideline_fingerprint)
BEGIN
    SELECT RAISE(ABORT, 'evaluation_guideline: the guideline version is not recorded');
END;

-- A frozen evaluation is never modified nor deleted; recomputing makes a new one.
CREATE TRIGGER evaluation_frozen BEFORE UPDATE ON evaluation
BEGIN
    SELECT RAISE(ABORT, 'evaluation_frozen: evaluations are frozen: recompute to make a new one');
END;
CREATE TRIGGER evaluation_undeletable BEFORE DELETE ON evaluation
BEGIN
    SELECT RAISE(ABORT, 'evaluation_frozen: evaluations are frozen: they cannot be deleted');
END;
