-- 0049_push_sender: a push may come from the system rather than from a
-- manager.  The service marketplace (0050_service) queues pushes on its
-- own events (a new bid, a project closed, cancelled, completed) with no
-- manager behind them: those rows carry manager_id NULL.
--
-- SQLite cannot drop a NOT NULL, so push is rebuilt: push_new and
-- push_target_new are filled from the old tables, the old ones dropped
-- (push_target first: nothing references it, so the drops cascade into
-- nothing), and the new ones renamed, which also renames push_target's
-- reference to push.  push's AUTOINCREMENT high-water mark is carried
-- over, since push_hidden's watermarks rely on ids never going back.

CREATE TABLE push_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    manager_id  INTEGER REFERENCES managers (id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    scope       INTEGER NOT NULL CHECK (scope IN (0, 1)),
    status      INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
INSERT INTO push_new (id, app_id, manager_id, title, body, scope, status,
    created_at, updated_at)
    SELECT id, app_id, manager_id, title, body, scope, status, created_at,
        updated_at FROM push ORDER BY id;

CREATE TABLE push_target_new (
    push_id  INTEGER NOT NULL REFERENCES push_new (id) ON DELETE CASCADE,
    app_id   TEXT NOT NULL REFERENCES apps (id),
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (push_id, user_id)
) WITHOUT ROWID;
INSERT INTO push_target_new (push_id, app_id, user_id)
    SELECT push_id, app_id, user_id FROM push_target;

UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence
    WHERE name IN ('push', 'push_new')) WHERE name = 'push_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'push_new', seq FROM sqlite_sequence WHERE name = 'push'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'push_new');

DROP TABLE push_target;
DROP TABLE push;
ALTER TABLE push_new RENAME TO push;
ALTER TABLE push_target_new RENAME TO push_target;

CREATE INDEX push_app ON push (app_id, id);
CREATE INDEX push_queued ON push (id) WHERE status = 0;
CREATE INDEX push_target_user ON push_target (user_id, push_id);
