-- 0042_alipay: Alipay accounts bound to users
-- (feat /api/user/profile/alipay-binding/).
--
-- alipay_user_id is what alipay.system.oauth.token answered for the
-- user's auth code: its user_id ("2088..."), or its open_id where the
-- Alipay app answers that.  A user holds at most one binding, and one
-- Alipay account is bound to at most one user of an app.

CREATE TABLE alipay_binding (
    id              INTEGER PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps (id),
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    alipay_user_id  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (app_id, user_id),
    UNIQUE (app_id, alipay_user_id)
);
CREATE INDEX alipay_binding_user ON alipay_binding (user_id);
