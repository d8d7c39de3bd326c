-- 0020_notices: activity notices (v1 /api/user/notice*), written by
-- administrators through "featctl notice" and read by every user of the
-- app, and each user's read state: a row in notice_reads means read.

CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    title       TEXT NOT NULL,
    content     TEXT NOT NULL DEFAULT '',
    thumbnail   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Lists and the newest notice within one app.
CREATE INDEX notices_app ON notices (app_id, id);

CREATE TABLE notice_reads (
    notice_id  INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at    INTEGER NOT NULL,
    PRIMARY KEY (notice_id, user_id)
) WITHOUT ROWID;
-- A deleted user's rows go by the cascade, which looks them up by user.
CREATE INDEX notice_reads_user ON notice_reads (user_id);
