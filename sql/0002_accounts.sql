-- 0002_accounts: users, verification codes, sessions.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    app_id               TEXT NOT NULL REFERENCES apps (id),
    area                 TEXT NOT NULL DEFAULT '',
    phone                TEXT NOT NULL DEFAULT '',
    email                TEXT NOT NULL DEFAULT '',
    username             TEXT NOT NULL,
    openid               TEXT NOT NULL UNIQUE,
    password             TEXT NOT NULL DEFAULT '',
    role                 INTEGER NOT NULL DEFAULT 0,
    is_active            INTEGER NOT NULL DEFAULT 1,
    nickname             TEXT NOT NULL DEFAULT '',
    avatar               TEXT NOT NULL DEFAULT '',
    gender               INTEGER NOT NULL DEFAULT 2,
    birthday             TEXT NOT NULL DEFAULT '',
    address              TEXT NOT NULL DEFAULT '',
    city                 TEXT NOT NULL DEFAULT '',
    password_changed_at  INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_phone ON users (app_id, area, phone)
    WHERE phone <> '';
CREATE UNIQUE INDEX users_email ON users (app_id, email) WHERE email <> '';

-- A verification code, stored only as an HMAC under the install's secret.
-- account is the normalized account: "<area>:<phone>" or the email.
CREATE TABLE codes (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    account      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    code_hmac    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    consumed_at  INTEGER
);
CREATE INDEX codes_account ON codes (app_id, account, created_at);
-- the jobs process deletes codes older than a day
CREATE INDEX codes_created ON codes (created_at);

-- A session: one login.  Rotation updates the row in place, so a session
-- is also its refresh-token family.  Tokens are stored as SHA-256 hex.
CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    app_id           TEXT NOT NULL REFERENCES apps (id),
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    client_id        INTEGER,
    device_id        TEXT NOT NULL DEFAULT '',
    scope            TEXT NOT NULL DEFAULT '',
    access_hash      TEXT NOT NULL UNIQUE,
    refresh_hash     TEXT NOT NULL UNIQUE,
    access_expires   INTEGER NOT NULL,
    refresh_expires  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    rotated_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);
-- the jobs process deletes sessions a day after their refresh expired
CREATE INDEX sessions_refresh_expires ON sessions (refresh_expires);

-- Refresh tokens already rotated away, for reuse detection.
CREATE TABLE session_rotated (
    refresh_hash  TEXT PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at    INTEGER NOT NULL
);
CREATE INDEX session_rotated_session ON session_rotated (session_id);
-- kept until they could no longer be valid (session.refresh_ttl), then swept
CREATE INDEX session_rotated_at ON session_rotated (rotated_at);
