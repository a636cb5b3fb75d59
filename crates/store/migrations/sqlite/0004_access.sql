-- Access: users, their grants (a role over a scope of the organisation), browser
-- sessions, API tokens and the append-only activity log; and each stored file's SHA-256.
-- The same contract as PostgreSQL's `migrations/postgres/0002_access.sql`. The store keeps
-- what the application decides (hashing, who may do what, whether a session or a token
-- is still good); the database enforces the rules below.

-- A stored file's SHA-256 (lowercase hex), recorded at commit; NULL for files committed
-- before this migration.
ALTER TABLE batch_file ADD COLUMN sha256 TEXT;

-- Users. A login is stored lower-cased, so the UNIQUE constraint compares logins without
-- regard to case; the store folds case (all of Unicode) before writing, and the CHECK
-- refuses a raw write with an upper-case ASCII letter (SQLite's `lower` folds ASCII only).
-- A NULL password hash: no password is set, the user cannot log in with one. Users are
-- disabled, never deleted.
CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    lang          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT app_user_login UNIQUE (login),
    CONSTRAINT app_user_login_lower CHECK (login = lower(login)),
    CONSTRAINT app_user_lang CHECK (lang IN ('zh', 'en'))
);

-- A role over a scope (an organisation node or a site id), once per user, role and scope.
CREATE TABLE user_grant (
    user_id    INTEGER NOT NULL CONSTRAINT user_grant_user REFERENCES app_user (id),
    role       TEXT NOT NULL,
    scope      TEXT NOT NULL,
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
    user_id      INTEGER NOT NULL CONSTRAINT user_session_user REFERENCES app_user (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    client       TEXT NOT NULL,
    CONSTRAINT user_session_id PRIMARY KEY (id_hash),
    CONSTRAINT user_session_id_hash
        CHECK (length(id_hash) = 64 AND id_hash NOT GLOB '*[^0-9a-f]*')
);
CREATE INDEX user_session_user_id ON user_session (user_id);
CREATE INDEX user_session_expires_at ON user_session (expires_at);

-- API tokens, by the SHA-256 (lowercase hex) of the token; its first characters are kept
-- to be shown in lists.
CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL CONSTRAINT api_token_user REFERENCES app_user (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT,
    CONSTRAINT api_token_hash UNIQUE (token_hash),
    CONSTRAINT api_token_hash_hex
        CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*')
);
CREATE INDEX api_token_user_id ON api_token (user_id);

-- SQLite's foreign-key errors do not name the key: these triggers refuse a row of a user
-- that does not exist first, by name, as PostgreSQL's named foreign keys do.
CREATE TRIGGER user_grant_user BEFORE INSERT ON user_grant
WHEN NOT EXISTS (SELECT 1 FROM app_user WHERE id = NEW.user_id)
BEGIN
    SELECT RAISE(ABORT, 'user_grant_user: the user does not exist');
END;
CREATE TRIGGER user_session_user BEFORE INSERT ON user_session
WHEN NOT EXISTS (SELECT 1 FROM app_user WHERE id = NEW.user_id)
BEGIN
    SELECT RAISE(ABORT, 'user_session_user: the user does not exist');
END;
CREATE TRIGGER api_token_user BEFORE INSERT ON api_token
WHEN NOT EXISTS (SELECT 1 FROM app_user WHERE id = NEW.user_id)
BEGIN
    SELECT RAISE(ABORT, 'api_token_user: the user does not exist');
END;

-- Who did what, when, from where. Append-only: an entry is never changed nor deleted.
-- Ids increase in the order entries are appended.
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT,
    actor_kind  TEXT NOT NULL,
    client      TEXT,
    action      TEXT NOT NULL,
    object      TEXT,
    detail_json TEXT NOT NULL,
    CONSTRAINT activity_actor_kind CHECK (actor_kind IN ('cli', 'session', 'token', 'system'))
);
CREATE TRIGGER activity_append_only BEFORE UPDATE ON activity
BEGIN
    SELECT RAISE(ABORT, 'activity_append_only: the activity log is append-only: entries cannot be changed');
END;
CREATE TRIGGER activity_undeletable BEFORE DELETE ON activity
BEGIN
    SELECT RAISE(ABORT, 'activity_append_only: the activity log is append-only: entries cannot be deleted');
END;
