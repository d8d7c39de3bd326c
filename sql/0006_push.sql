-- 0006_push: the devices users bind for pushes, the pushes administrators
-- send, and what each user has hidden of them.
--
-- A push is recorded with status 0 (queued); the jobs process delivers it
-- later (status 1 sent, 2 failed).  scope 0 reaches every user of the app,
-- scope 1 the users listed in push_target.

-- client_id is issued by the outside push service; one device is bound to
-- one user of an app at a time (binding it again moves it).
CREATE TABLE push_client (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    client_type  TEXT NOT NULL CHECK (client_type IN ('android', 'ios')),
    switch       INTEGER NOT NULL DEFAULT 1 CHECK (switch IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (app_id, client_id)
);
-- Delivery looks up a user's devices; deleting a user cascades.
CREATE INDEX push_client_user ON push_client (user_id);

-- AUTOINCREMENT: ids never go back, so push_hidden's watermark stays right
-- even after the newest push is deleted.
CREATE TABLE push (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    manager_id  INTEGER NOT NULL REFERENCES managers (id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    scope       INTEGER NOT NULL CHECK (scope IN (0, 1)),
    status      INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX push_app ON push (app_id, id);
-- The jobs process picks queued pushes in order.
CREATE INDEX push_queued ON push (id) WHERE status = 0;

CREATE TABLE push_target (
    push_id  INTEGER NOT NULL REFERENCES push (id) ON DELETE CASCADE,
    app_id   TEXT NOT NULL REFERENCES apps (id),
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (push_id, user_id)
) WITHOUT ROWID;
CREATE INDEX push_target_user ON push_target (user_id, push_id);

-- DELETE /api/push/log/delete: the user no longer sees pushes with
-- id <= up_to_push_id.
CREATE TABLE push_hidden (
    app_id         TEXT NOT NULL REFERENCES apps (id),
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    up_to_push_id  INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;
CREATE INDEX push_hidden_user ON push_hidden (user_id);
