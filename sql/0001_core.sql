-- 0001_core: apps (tenants), rate-limit events.  Every later table has an
-- app_id that references apps(id); the default app is ''.

CREATE TABLE apps (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL DEFAULT '',
    open_login      INTEGER NOT NULL DEFAULT 0,
    default_scopes  TEXT NOT NULL DEFAULT 'read write',
    created_at      INTEGER NOT NULL
);

INSERT INTO apps (id, name, created_at)
    VALUES ('', 'default', CAST(strftime('%s', 'now') AS INTEGER));

-- One row per counted event (a code sent, a failed login, ...).  The jobs
-- process deletes rows older than a day.
CREATE TABLE rate_events (
    app_id  TEXT NOT NULL,
    bucket  TEXT NOT NULL,
    key     TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (app_id, bucket, key, at);
CREATE INDEX rate_events_at ON rate_events (at);
