-- Access: users, their grants (a role over a scope of the organisation), browser
-- sessions, API tokens and the append-only activity log; and each stored file's SHA-256.
-- The same contract as SQLite's `migrations/sqlite/0004_access.sql`. The store keeps what
-- the application decides (hashing, who may do what, whether a session or a token is
-- still good); the database enforces the rules below.
--
-- Text that is sorted or compared by range (logins, roles, scopes, instants, file paths)
-- is in the "C" collation: byte order, as SQLite compares, so both backends return the
-- same rows in the same order whatever the database's locale.

-- A stored file's SHA-256 (lowercase hex), recorded at commit; NULL for files committed
-- before this migration. Files are listed by batch then path, in byte order.
ALTER TABLE batch_file ADD COLUMN sha256 TEXT;
ALTER TABLE batch_file ALTER COLUMN path TYPE TEXT COLLATE "C";

-- Users. A login is stored lower-cased, so the UNIQUE constraint compares logins without
-- regard to case; the store folds case (all of Unicode) before writing, and the CHECK
-- refuses a raw write with an upper-case ASCII letter (`lower` in the "C" collation folds
-- ASCII only, as SQLite's does). A NULL password hash: no password is set, the user cannot
-- log in with one. Users are disabled, never deleted.
CREATE TABLE app_user (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT COLLATE "C" NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    disabled      BOOLEAN NOT NULL,
    lang          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT app_user_login UNIQUE (login),
    CONSTRAINT app_user_login_lower CHECK (login = lower(login)),
    CONSTRAINT app_user_lang CHECK (lang IN ('zh', 'en'))
);

-- A role over a scope (an organisation node or a site id), once per user, role and scope.
CREATE TABLE user_grant (
    user_id    BIGINT NOT NULL CONSTRAINT user_grant_user REFERENCES app_user (id),
    role       TEXT COLLATE "C" NOT NULL,
    scope      TEXT COLLATE "C" NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT user_grant_role CHECK (role IN ('admin', 'quality_manager', 'site_manager',
                                               'evaluator', 'viewer', 'regulator')),
    CONSTRAINT user_grant_unique UNIQUE (user_id, role, scope)
);

-- Browser sessions, by the SHA-256 (lowercase hex) of the cookie's secret: the secret
-- itself is never stored, and the CHECK refuses anything that is not shaped like such a
-- hash. Revoked and expired sessions are kept until swept; whether one is still good is
-- the application's decision.
CREATE TABLE user_session (
    id_hash      TEXT NOT NULL,
    user_id      BIGINT NOT NULL CONSTRAINT user_session_user REFERENCES app_user (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C" NOT NULL,
    revoked_at   TEXT,
    client       TEXT NOT NULL,
    CONSTRAINT user_session_id PRIMARY KEY (id_hash),
    CONSTRAINT user_session_id_hash CHECK (id_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX user_session_user_id ON user_session (user_id);
CREATE INDEX user_session_expires_at ON user_session (expires_at);

-- API tokens, by the SHA-256 (lowercase hex) of the token; its first characters are kept
-- to be shown in lists.
CREATE TABLE api_token (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL CONSTRAINT api_token_user REFERENCES app_user (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT COLLATE "C",
    CONSTRAINT api_token_hash UNIQUE (token_hash),
    CONSTRAINT api_token_hash_hex CHECK (token_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX api_token_user_id ON api_token (user_id);

-- Who did what, when, from where. Append-only: an entry is never changed nor deleted.
-- Ids increase in the order entries are appended.
CREATE TABLE activity (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TEXT COLLATE "C" NOT NULL,
    actor       TEXT,
    actor_kind  TEXT NOT NULL,
    client      TEXT,
    action      TEXT NOT NULL,
    object      TEXT,
    detail_json TEXT NOT NULL,
    CONSTRAINT activity_actor_kind CHECK (actor_kind IN ('cli', 'session', 'token', 'system'))
);

-- The exception carries the constraint name the store maps to its domain error. TRUNCATE
-- fires no row trigger, so it has a statement trigger of its own.
CREATE FUNCTION activity_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the activity log is append-only: entries can be neither changed nor deleted'
        USING ERRCODE = 'integrity_constraint_violation',
              CONSTRAINT = 'activity_append_only',
              TABLE = 'activity';
END;
$$;
CREATE TRIGGER activity_append_only BEFORE UPDATE OR DELETE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_append_only();
CREATE TRIGGER activity_append_only_truncate BEFORE TRUNCATE ON activity
    FOR EACH STATEMENT EXECUTE FUNCTION activity_append_only();
