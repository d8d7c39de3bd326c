-- 0120_audit: the audit log, one row per security event (issue 12):
-- sign-up, login, failed login, lockout, password change, refresh-token
-- reuse, session revoked, binding added or removed, account deleted, and
-- every featctl command that changed data.  Each row is written in the
-- same transaction as the change it records (fcgi/store/audit.c,
-- feat_audit), so a change and its record commit or roll back together.
--
-- at is unix seconds; user_id the user the event is about (NULL: none,
-- or an account nobody holds); detail a JSON object; address the client
-- address ('' from featctl); actor 'user' for a request, the operator's
-- Unix user name for featctl.  No foreign keys: the log outlives what it
-- names.  The jobs process deletes rows older than audit.retention_days.

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    app_id   TEXT NOT NULL,
    user_id  INTEGER,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}',
    address  TEXT NOT NULL DEFAULT '',
    actor    TEXT NOT NULL DEFAULT 'user'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_user ON audit (user_id, at) WHERE user_id IS NOT NULL;
