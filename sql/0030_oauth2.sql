-- 0030_oauth2: OAuth2 clients of an app (feat dialect, /o/token/).
--
-- client_id is random and public; the secret is shown once by featctl and
-- stored only as the SHA-256 hex of itself (it is 48 random base62
-- characters, so a fast hash loses nothing against guessing).  grants and
-- scopes are space-separated lists of what the client may ask for.
-- Sessions issued to a client carry this row's id in sessions.client_id.

CREATE TABLE oauth2_client (
    id           INTEGER PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id),
    client_id    TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    grants       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX oauth2_client_app ON oauth2_client (app_id);

-- the password grant revokes the previous session of (client, user, device)
CREATE INDEX sessions_client_device ON sessions (client_id, user_id, device_id)
    WHERE client_id IS NOT NULL;
