-- 0031_permits: feat registration permits (POST /api/auth/phone/
-- verification/ with form_id register issues one, POST /api/auth/register/
-- spends it).  A permit is tied to its app and phone ("<area>:<digits>"),
-- lives 30 minutes, is used once, and is stored only as the SHA-256 hex of
-- the token the client got.  The jobs process deletes permits a day after
-- they expired.

CREATE TABLE permits (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    account     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX permits_expires ON permits (expires_at);
