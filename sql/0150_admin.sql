-- 0150_admin: the console's managers sign in (issue 13, featcgi-api(7)
-- "ADMIN API").  A manager of sql/0003 gains a login (unique over the
-- install; NULL: none, the manager cannot sign in), a scrypt password hash
-- ('' for none, as users'), a TOTP secret (RFC 6238; sealed with
-- AES-256-GCM under a key derived from the install secret, hex; '' for
-- none) with the last time step it accepted (a code is good once),
-- disabled, and all_apps: 1 lets it see every app (its app_id is then
-- only where its own events are recorded).
--
-- admin_sessions: one row per console sign-in.  token_hash is the
-- SHA-256 (hex) of the cookie's token, which is never stored; csrf the
-- token the state-changing calls send back; last_seen moves on every call
-- (idle timeout admin.idle_timeout), created_at bounds the whole
-- (admin.session_max); address the client's at sign-in.  The jobs
-- process deletes the expired ones.

ALTER TABLE managers ADD COLUMN login TEXT;
ALTER TABLE managers ADD COLUMN password TEXT NOT NULL DEFAULT '';
ALTER TABLE managers ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE managers ADD COLUMN totp_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE managers ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE managers ADD COLUMN all_apps INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX managers_login ON managers (login)
    WHERE login IS NOT NULL;

CREATE TABLE admin_sessions (
    id          INTEGER PRIMARY KEY,
    manager_id  INTEGER NOT NULL REFERENCES managers (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    address     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admin_sessions_manager ON admin_sessions (manager_id);
CREATE INDEX admin_sessions_seen ON admin_sessions (last_seen);
