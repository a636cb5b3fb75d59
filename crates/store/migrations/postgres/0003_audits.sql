-- Audits and the improvement loop: audits with their answers, evidence files and the
-- site's response; audit plans; findings with their append-only history; corrective
-- actions with their append-only events; decisions of management reviews. The same
-- contract as SQLite's `migrations/sqlite/0005_audits.sql`. Self-contained: it names only
-- tables of earlier migrations (guideline_version).
--
-- The database enforces: a signed audit never changes (neither the audit nor its answers
-- nor its evidence), a correction names a signed audit and why, one response per signed
-- audit (a dispute with a reason), one open finding per (site, source, subject), a
-- finding changes only by being closed, once; histories (finding events, actions and
-- their events, responses, review decisions) are appended, never changed nor deleted.
-- Text sorted or compared by range (sites, days, instants) is in the "C" collation, byte
-- order like SQLite's. Each refusal carries the constraint name the store maps.

CREATE TABLE audit_plan (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site       TEXT COLLATE "C" NOT NULL,
    kind       TEXT NOT NULL,
    evaluator  TEXT COLLATE "C" NOT NULL,
    due_from   TEXT COLLATE "C" NOT NULL,
    due_to     TEXT COLLATE "C" NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT audit_plan_kind CHECK (kind IN ('on_site', 'mystery_shopper', 'self_assessment', 'third_party')),
    CONSTRAINT audit_plan_window CHECK (due_from <= due_to)
);
CREATE INDEX audit_plan_site ON audit_plan (site);

CREATE TABLE audit (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site                  TEXT COLLATE "C" NOT NULL,
    kind                  TEXT NOT NULL,
    guideline_fingerprint TEXT NOT NULL
        CONSTRAINT audit_guideline REFERENCES guideline_version (fingerprint),
    audit_date            TEXT COLLATE "C" NOT NULL,
    evaluator             TEXT COLLATE "C" NOT NULL,
    state                 TEXT NOT NULL,
    amends                BIGINT CONSTRAINT audit_amends_ref REFERENCES audit (id),
    amend_reason          TEXT,
    plan_id               BIGINT CONSTRAINT audit_plan_ref REFERENCES audit_plan (id),
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

-- A correction names a signed audit.
CREATE FUNCTION audit_amends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amends IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM audit WHERE id = NEW.amends AND state = 'signed') THEN
        RAISE EXCEPTION 'a correction names a signed audit'
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'audit_amends', TABLE = 'audit';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_amends BEFORE INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_amends();

-- A signed audit never changes: not the audit, its answers or its evidence.
CREATE FUNCTION audit_signed_refusal() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a signed audit cannot change; amend it by a new version'
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'audit_signed', TABLE = 'audit';
END;
$$;
CREATE FUNCTION audit_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'signed' THEN
        PERFORM audit_signed_refusal();
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_signed BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_signed();
-- A row of an audit's answers or evidence: refused when its audit (before or after the
-- change) is signed.
CREATE FUNCTION audit_child_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE')
       AND EXISTS (SELECT 1 FROM audit WHERE id = OLD.audit_id AND state = 'signed') THEN
        PERFORM audit_signed_refusal();
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE')
       AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.audit_id AND state = 'signed') THEN
        PERFORM audit_signed_refusal();
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
-- TRUNCATE fires no row trigger: a statement trigger refuses it on every audit table.
CREATE FUNCTION audit_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM audit_signed_refusal();
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_signed_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate();

CREATE TABLE audit_answer (
    audit_id    BIGINT NOT NULL REFERENCES audit (id),
    item_id     TEXT COLLATE "C" NOT NULL,
    answer      TEXT NOT NULL,
    value       DOUBLE PRECISION,
    comment     TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    answered_by TEXT,
    CONSTRAINT audit_answer_item PRIMARY KEY (audit_id, item_id),
    CONSTRAINT audit_answer_kind CHECK (answer IN ('pass', 'fail', 'scale', 'points', 'na')),
    CONSTRAINT audit_answer_value CHECK ((answer IN ('scale', 'points')) = (value IS NOT NULL))
);
CREATE TRIGGER audit_answer_signed BEFORE INSERT OR UPDATE OR DELETE ON audit_answer
    FOR EACH ROW EXECUTE FUNCTION audit_child_signed();
CREATE TRIGGER audit_answer_signed_truncate BEFORE TRUNCATE ON audit_answer
    FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate();

-- Evidence files, stored content-addressed in the data directory by their SHA-256.
CREATE TABLE audit_evidence (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id   BIGINT NOT NULL REFERENCES audit (id),
    item_id    TEXT COLLATE "C",
    sha256     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    bytes      BIGINT NOT NULL,
    file_name  TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT,
    CONSTRAINT audit_evidence_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_evidence_audit ON audit_evidence (audit_id);
CREATE TRIGGER audit_evidence_signed BEFORE INSERT OR UPDATE OR DELETE ON audit_evidence
    FOR EACH ROW EXECUTE FUNCTION audit_child_signed();
CREATE TRIGGER audit_evidence_signed_truncate BEFORE TRUNCATE ON audit_evidence
    FOR EACH STATEMENT EXECUTE FUNCTION audit_truncate();

-- Histories are appended, never changed nor deleted (nor truncated).
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is appended, never changed nor deleted'
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'history_append_only', TABLE = TG_TABLE_NAME;
END;
$$;

-- The site manager's response to a signed audit: once, a dispute with its reason.
CREATE TABLE audit_response (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id BIGINT NOT NULL REFERENCES audit (id),
    response TEXT NOT NULL,
    reason   TEXT NOT NULL,
    actor    TEXT,
    at       TEXT NOT NULL,
    CONSTRAINT audit_response_once UNIQUE (audit_id),
    CONSTRAINT audit_response_kind CHECK (response IN ('acknowledged', 'disputed')),
    CONSTRAINT audit_response_reason CHECK (response = 'acknowledged' OR length(trim(reason)) > 0)
);
CREATE FUNCTION audit_response_signed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit WHERE id = NEW.audit_id AND state = 'signed') THEN
        RAISE EXCEPTION 'only a signed audit can be acknowledged or disputed'
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'audit_response_signed', TABLE = 'audit_response';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_response_signed BEFORE INSERT ON audit_response
    FOR EACH ROW EXECUTE FUNCTION audit_response_signed();
CREATE TRIGGER audit_response_append_only BEFORE UPDATE OR DELETE ON audit_response
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER audit_response_append_only_truncate BEFORE TRUNCATE ON audit_response
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- Findings. One open finding per (site, source, subject); a finding changes only by
-- being closed, once; its history is its events.
CREATE TABLE finding (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site       TEXT COLLATE "C" NOT NULL,
    source     TEXT COLLATE "C" NOT NULL,
    subject    TEXT COLLATE "C" NOT NULL,
    severity   TEXT NOT NULL,
    clause     TEXT,
    indicator  TEXT,
    item       TEXT,
    opened_on  TEXT COLLATE "C" NOT NULL,
    due_on     TEXT COLLATE "C" NOT NULL,
    title      TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    closed_on  TEXT COLLATE "C",
    closed_at  TEXT,
    CONSTRAINT finding_source CHECK (source IN ('indicator_floor', 'hard_limit', 'audit_item',
                                                'complaint_cluster', 'trend', 'manual')),
    CONSTRAINT finding_severity CHECK (severity IN ('critical', 'major', 'minor')),
    CONSTRAINT finding_closed CHECK ((closed_on IS NULL) = (closed_at IS NULL))
);
CREATE UNIQUE INDEX finding_open ON finding (site, source, subject) WHERE closed_at IS NULL;
CREATE INDEX finding_site ON finding (site);
CREATE FUNCTION finding_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.closed_at IS NOT NULL OR NEW.closed_at IS NULL
       OR (NEW.id, NEW.site, NEW.source, NEW.subject, NEW.severity, NEW.opened_on, NEW.due_on,
           NEW.title, NEW.created_at)
          IS DISTINCT FROM (OLD.id, OLD.site, OLD.source, OLD.subject, OLD.severity, OLD.opened_on,
                            OLD.due_on, OLD.title, OLD.created_at)
       OR (NEW.clause, NEW.indicator, NEW.item, NEW.created_by)
          IS DISTINCT FROM (OLD.clause, OLD.indicator, OLD.item, OLD.created_by) THEN
        RAISE EXCEPTION 'a finding changes only by being closed, once'
            USING ERRCODE = 'integrity_constraint_violation',
                  CONSTRAINT = 'finding_history', TABLE = 'finding';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER finding_history BEFORE UPDATE OR DELETE ON finding
    FOR EACH ROW EXECUTE FUNCTION finding_history();
CREATE TRIGGER finding_history_truncate BEFORE TRUNCATE ON finding
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

CREATE TABLE finding_event (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finding_id    BIGINT NOT NULL REFERENCES finding (id),
    kind          TEXT NOT NULL,
    on_date       TEXT COLLATE "C" NOT NULL,
    period        TEXT,
    evidence_json TEXT,
    note          TEXT,
    actor         TEXT,
    at            TEXT NOT NULL,
    CONSTRAINT finding_event_kind CHECK (kind IN ('opened', 'repeated', 'closed'))
);
CREATE INDEX finding_event_finding ON finding_event (finding_id);
CREATE TRIGGER finding_event_append_only BEFORE UPDATE OR DELETE ON finding_event
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER finding_event_append_only_truncate BEFORE TRUNCATE ON finding_event
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- Corrective actions: what they are never changes; their life is their events.
CREATE TABLE corrective_action (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finding_id BIGINT NOT NULL REFERENCES finding (id),
    owner      TEXT COLLATE "C" NOT NULL,
    root_cause TEXT NOT NULL,
    five_whys  TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    CONSTRAINT corrective_action_cause CHECK (root_cause IN ('people', 'facilities', 'process',
                                                             'environment', 'information_systems', 'external'))
);
CREATE INDEX corrective_action_finding ON corrective_action (finding_id);
CREATE TRIGGER corrective_action_append_only BEFORE UPDATE OR DELETE ON corrective_action
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER corrective_action_append_only_truncate BEFORE TRUNCATE ON corrective_action
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

CREATE TABLE action_event (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action_id   BIGINT NOT NULL REFERENCES corrective_action (id),
    event       TEXT NOT NULL,
    on_date     TEXT COLLATE "C" NOT NULL,
    detail_json TEXT NOT NULL,
    actor       TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX action_event_action ON action_event (action_id);
CREATE TRIGGER action_event_append_only BEFORE UPDATE OR DELETE ON action_event
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER action_event_append_only_truncate BEFORE TRUNCATE ON action_event
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- Decisions recorded against the management review of a scope and period.
CREATE TABLE review_decision (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope  TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    text   TEXT NOT NULL,
    owner  TEXT,
    due_on TEXT,
    actor  TEXT,
    at     TEXT NOT NULL,
    CONSTRAINT review_decision_text CHECK (length(trim(text)) > 0)
);
CREATE INDEX review_decision_period ON review_decision (scope, period);
CREATE TRIGGER review_decision_append_only BEFORE UPDATE OR DELETE ON review_decision
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER review_decision_append_only_truncate BEFORE TRUNCATE ON review_decision
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();
