-- 0041_apns: Apple push device tokens (feat /api/user/apns-device-token/).
--
-- Apple issues a token per app install: one token belongs to one user of
-- an app at a time (registering it again moves it), and a user may hold
-- several (one per device).  token is lower-case hex.  sandbox 1 means
-- the token is for APNs' development environment.

CREATE TABLE apns_device (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token       TEXT NOT NULL,
    sandbox     INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (app_id, token)
);
-- Delivery looks up a user's devices; deleting a user cascades.
CREATE INDEX apns_device_user ON apns_device (user_id);
