-- Audits and the improvement loop: audits with their answers, evidence files and the
-- site's response; audit plans; findings with their append-only history; corrective
-- actions with their append-only events; decisions of management reviews. The same
-- contract as PostgreSQL's `migrations/postgres/0003_audits.sql`. Self-contained: it
-- names only tables of earlier migrations (guideline_version).
--
-- The database enforces: a signed audit never changes (neither the audit nor its answers
-- nor its evidence), a correction names a signed audit and why, one response per signed
-- audit (a dispute with a reason), one open finding per (site, source, subject), a
-- finding changes only by being closed, once; histories (finding events, actions and
-- their events, responses, review decisions) are appended, never changed nor deleted.

CREATE TABLE audit_plan (
    id         INTEGER PRIMARY KEY,
    site       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    evaluator  TEXT NOT NULL,
    due_from   TEXT NOT NULL,
    due_to     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT audit_plan_kind CHECK (kind IN ('on_site', 'mystery_shopper', 'self_assessment', 'third_party')),
    CONSTRAINT audit_plan_window CHECK (due_from <= due_to)
);
CREATE INDEX audit_plan_site ON audit_plan (site);

CREATE TABLE audit (
    id                    INTEGER PRIMARY KEY,
    site                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL
        CONSTRAINT audit_guideline REFERENCES guideline_version (fingerprint),
    audit_date            TEXT NOT NULL,
    evaluator             TEXT NOT NULL,
    state                 TEXT NOT NULL,
    amends                INTEGER CONSTRAINT audit_amends REFERENCES audit (id),
    amend_reason          TEXT,
    plan_id               INTEGER CONSTRAINT audit_plan_ref REFERENCES audit_plan (id),
    created_by            TEXT,
    created_at            TEXT NOT NULL,
    submitted_at          TEXT,
    signed_at             TEXT,
    CONSTRAINT audit_kind CHECK (kind IN ('on_site', 'mystery_shopper', 'self_assessment', 'third_party')),
    CONSTRAINT audit_state CHECK (state IN ('draft', 'submitted', 'signed')),
    CONSTRAINT audit_signed_at CHECK ((state = 'signed') = (signed_at IS NOT NULL)),
    CONSTRAINT audit_amend_reason CHECK ((amends IS NULL) = (amend_reason IS NULL)
                                         AND (amend_reason IS NULL OR length(trim(amend_reason)) > 0))
);
CREATE INDEX audit_site_date ON audit (site, audit_date);
CREATE INDEX audit_evaluator ON audit (evaluator);

-- Named refusals SQLite's foreign keys would not name.
CREATE TRIGGER audit_guideline BEFORE INSERT ON audit
WHEN NOT EXISTS (SELECT 1 FROM guideline_version WHERE fingerprint = NEW.guideline_fingerprint)
BEGIN
    SELECT RAISE(ABORT, 'audit_guideline: the guideline version is not recorded');
END;
CREATE TRIGGER audit_amends BEFORE INSERT ON audit
WHEN NEW.amends IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM audit WHERE id = NEW.amends AND state = 'signed')
BEGIN
    SELECT RAISE(ABORT, 'audit_amends: a correction names a signed audit');
END;

-- A signed audit never changes: not the audit, its answers or its evidence.
CREATE TRIGGER audit_signed_update BEFORE UPDATE ON audit
WHEN OLD.state = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;
CREATE TRIGGER audit_signed_delete BEFORE DELETE ON audit
WHEN OLD.state = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;

CREATE TABLE audit_answer (
    audit_id    INTEGER NOT NULL REFERENCES audit (id),
    item_id     TEXT NOT NULL,
    answer      TEXT NOT NULL,
    value       REAL,
    comment     TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    answered_by TEXT,
    CONSTRAINT audit_answer_item PRIMARY KEY (audit_id, item_id),
    CONSTRAINT audit_answer_kind CHECK (answer IN ('pass', 'fail', 'scale', 'points', 'na')),
    CONSTRAINT audit_answer_value CHECK ((answer IN ('scale', 'points')) = (value IS NOT NULL))
);
CREATE TRIGGER audit_answer_signed_insert BEFORE INSERT ON audit_answer
WHEN (SELECT state FROM audit WHERE id = NEW.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;
CREATE TRIGGER audit_answer_signed_update BEFORE UPDATE ON audit_answer
WHEN (SELECT state FROM audit WHERE id = OLD.audit_id) = 'signed'
  OR (SELECT state FROM audit WHERE id = NEW.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;
CREATE TRIGGER audit_answer_signed_delete BEFORE DELETE ON audit_answer
WHEN (SELECT state FROM audit WHERE id = OLD.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;

-- Evidence files, stored content-addressed in the data directory by their SHA-256.
CREATE TABLE audit_evidence (
    id         INTEGER PRIMARY KEY,
    audit_id   INTEGER NOT NULL REFERENCES audit (id),
    item_id    TEXT,
    sha256     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    file_name  TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT,
    CONSTRAINT audit_evidence_sha256
        CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')
);
CREATE INDEX audit_evidence_audit ON audit_evidence (audit_id);
CREATE TRIGGER audit_evidence_signed_insert BEFORE INSERT ON audit_evidence
WHEN (SELECT state FROM audit WHERE id = NEW.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;
CREATE TRIGGER audit_evidence_signed_update BEFORE UPDATE ON audit_evidence
WHEN (SELECT state FROM audit WHERE id = OLD.audit_id) = 'signed'
  OR (SELECT state FROM audit WHERE id = NEW.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;
CREATE TRIGGER audit_evidence_signed_delete BEFORE DELETE ON audit_evidence
WHEN (SELECT state FROM audit WHERE id = OLD.audit_id) = 'signed'
BEGIN
    SELECT RAISE(ABORT, 'audit_signed: a signed audit cannot change; amend it by a new version');
END;

-- The site manager's response to a signed audit: once, a dispute with its reason.
CREATE TABLE audit_response (
    id       INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audit (id),
    response TEXT NOT NULL,
    reason   TEXT NOT NULL,
    actor    TEXT,
    at       TEXT NOT NULL,
    CONSTRAINT audit_response_once UNIQUE (audit_id),
    CONSTRAINT audit_response_kind CHECK (response IN ('acknowledged', 'disputed')),
    CONSTRAINT audit_response_reason CHECK (response = 'acknowledged' OR length(trim(reason)) > 0)
);
CREATE TRIGGER audit_response_signed BEFORE INSERT ON audit_response
WHEN NOT EXISTS (SELECT 1 FROM audit WHERE id = NEW.audit_id AND state = 'signed')
BEGIN
    SELECT RAISE(ABORT, 'audit_response_signed: only a signed audit can be acknowledged or disputed');
END;
CREATE TRIGGER audit_response_append_only_update BEFORE UPDATE ON audit_response
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
CREATE TRIGGER audit_response_append_only_delete BEFORE DELETE ON audit_response
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;

-- Findings. One open finding per (site, source, subject); a finding changes only by
-- being closed, once; its history is its events.
CREATE TABLE finding (
    id         INTEGER PRIMARY KEY,
    site       TEXT NOT NULL,
    source     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    severity   TEXT NOT NULL,
    clause     TEXT,
    indicator  TEXT,
    item       TEXT,
    opened_on  TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    closed_on  TEXT,
    closed_at  TEXT,
    CONSTRAINT finding_source CHECK (source IN ('indicator_floor', 'hard_limit', 'audit_item',
                                                'complaint_cluster', 'trend', 'manual')),
    CONSTRAINT finding_severity CHECK (severity IN ('critical', 'major', 'minor')),
    CONSTRAINT finding_closed CHECK ((closed_on IS NULL) = (closed_at IS NULL))
);
CREATE UNIQUE INDEX finding_open ON finding (site, source, subject) WHERE closed_at IS NULL;
CREATE INDEX finding_site ON finding (site);
CREATE TRIGGER finding_history_update BEFORE UPDATE ON finding
WHEN OLD.closed_at IS NOT NULL OR NEW.closed_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.site IS NOT OLD.site OR NEW.source IS NOT OLD.source
  OR NEW.subject IS NOT OLD.subject OR NEW.severity IS NOT OLD.severity
  OR NEW.clause IS NOT OLD.clause OR NEW.indicator IS NOT OLD.indicator
  OR NEW.item IS NOT OLD.item OR NEW.opened_on IS NOT OLD.opened_on
  OR NEW.due_on IS NOT OLD.due_on OR NEW.title IS NOT OLD.title
  OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'finding_history: a finding changes only by being closed, once');
END;
CREATE TRIGGER finding_history_delete BEFORE DELETE ON finding
BEGIN
    SELECT RAISE(ABORT, 'finding_history: a finding changes only by being closed, once');
END;

CREATE TABLE finding_event (
    id            INTEGER PRIMARY KEY,
    finding_id    INTEGER NOT NULL REFERENCES finding (id),
    kind          TEXT NOT NULL,
    on_date       TEXT NOT NULL,
    period        TEXT,
    evidence_json TEXT,
    note          TEXT,
    actor         TEXT,
    at            TEXT NOT NULL,
    CONSTRAINT finding_event_kind CHECK (kind IN ('opened', 'repeated', 'closed'))
);
CREATE INDEX finding_event_finding ON finding_event (finding_id);
CREATE TRIGGER finding_event_append_only_update BEFORE UPDATE ON finding_event
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
CREATE TRIGGER finding_event_append_only_delete BEFORE DELETE ON finding_event
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;

-- Corrective actions: what they are never changes; their life is their events.
CREATE TABLE corrective_action (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES finding (id),
    owner      TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    five_whys  TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT corrective_action_cause CHECK (root_cause IN ('people', 'facilities', 'process',
                                                             'environment', 'information_systems', 'external'))
);
CREATE INDEX corrective_action_finding ON corrective_action (finding_id);
CREATE TRIGGER corrective_action_append_only_update BEFORE UPDATE ON corrective_action
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
CREATE TRIGGER corrective_action_append_only_delete BEFORE DELETE ON corrective_action
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;

CREATE TABLE action_event (
    id          INTEGER PRIMARY KEY,
    action_id   INTEGER NOT NULL REFERENCES corrective_action (id),
    event       TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    actor       TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX action_event_action ON action_event (action_id);
CREATE TRIGGER action_event_append_only_update BEFORE UPDATE ON action_event
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
CREATE TRIGGER action_event_append_only_delete BEFORE DELETE ON action_event
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;

-- Decisions recorded against the management review of a scope and period.
CREATE TABLE review_decision (
    id     INTEGER PRIMARY KEY,
    scope  TEXT NOT NULL,
    period TEXT NOT NULL,
    text   TEXT NOT NULL,
    owner  TEXT,
    due_on TEXT,
    actor  TEXT,
    at     TEXT NOT NULL,
    CONSTRAINT review_decision_text CHECK (length(trim(text)) > 0)
);
CREATE INDEX review_decision_period ON review_decision (scope, period);
CREATE TRIGGER review_decision_append_only_update BEFORE UPDATE ON review_decision
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
CREATE TRIGGER review_decision_append_only_delete BEFORE DELETE ON review_decision
BEGIN
    SELECT RAISE(ABORT, 'history_append_only: history is appended, never changed nor deleted');
END;
