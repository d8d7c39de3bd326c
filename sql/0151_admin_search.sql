-- 0151_admin_search: the console's lists (issue 13; modules/accounts/
-- directory.c, modules/admin/audit.c), each one range of an index, as
-- EXPLAIN QUERY PLAN showed:
--
-- users_app: an app's users newest first (ORDER BY id DESC, the rowid
-- after app_id), counted, and searched by a piece of the nickname, which
-- no index can match: only the app's rows are read, never every app's
-- (without it: SCAN users).
-- users_phone_prefix: the start of a phone number, a range of (app_id,
-- phone); users_phone has area between them, so it could only give the
-- app's rows (SEARCH users_phone (app_id=?)).  The start of an email is
-- already a range of users_email.
-- audit_app: an app's audit rows in a time range, and their count.

CREATE INDEX users_app ON users (app_id);
CREATE INDEX users_phone_prefix ON users (app_id, phone) WHERE phone <> '';
CREATE INDEX audit_app ON audit (app_id, at);
