-- 0010_open_bindings: third-party accounts bound to users (v1 user/open,
-- get_token_by_open).  open_type: 1 QQ, 2 WeChat, 3 Weibo, 4 Taobao.
-- A pair (open_type, open_id) belongs to at most one user of an app, and a
-- user holds at most one binding of each open_type (a new one replaces it).

CREATE TABLE open_bindings (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    open_type   INTEGER NOT NULL CHECK (open_type BETWEEN 1 AND 4),
    open_id     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX open_bindings_pair
    ON open_bindings (app_id, open_type, open_id);
CREATE UNIQUE INDEX open_bindings_user
    ON open_bindings (app_id, user_id, open_type);
