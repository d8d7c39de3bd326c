-- 0005_feedback: feedback categories (administrators), the users' feedback
-- and the administrators' replies to it.  v2 and, later, v1 serve the same
-- rows; v1's feedback_title is the title column (v2 leaves it '').

CREATE TABLE feedback_category (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX feedback_category_app ON feedback_category (app_id, id);

-- status: 0 new, 1 replied, 2 closed.  Removing a category keeps the
-- feedback filed under it, without a category.
CREATE TABLE feedback (
    id             INTEGER PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title          TEXT NOT NULL DEFAULT '',
    content        TEXT NOT NULL,
    category_id    INTEGER REFERENCES feedback_category (id)
                       ON DELETE SET NULL,
    contact_phone  TEXT NOT NULL DEFAULT '',
    status         INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX feedback_user ON feedback (app_id, user_id, id);
CREATE INDEX feedback_status ON feedback (app_id, status, id);
CREATE INDEX feedback_category_ref ON feedback (category_id)
    WHERE category_id IS NOT NULL;
CREATE INDEX feedback_user_ref ON feedback (user_id);

CREATE TABLE feedback_reply (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    feedback_id  INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    manager_id   INTEGER NOT NULL REFERENCES managers (id),
    content      TEXT NOT NULL,
    is_read      INTEGER NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
-- The latest reply of a feedback, and its replies in order.
CREATE INDEX feedback_reply_feedback ON feedback_reply (feedback_id, id);
-- Unread counts (message/count) look only at unread rows.
CREATE INDEX feedback_reply_unread ON feedback_reply (feedback_id)
    WHERE is_read = 0;
