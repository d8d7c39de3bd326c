-- 0043_app_settings: per-app settings (featctl app set APP KEY=VALUE).
--
-- Keys are declared by the modules (fcgi/protocol/settings.c checks them and their
-- values); a row exists only where an app has a value of its own, and an
-- app without one gets the default (the config file's value of the same
-- key where there is one).  A secret value is kept in sealed only:
-- nonce (12 bytes) || AES-256-GCM ciphertext || tag (16 bytes), under a
-- key derived from the install secret, with "app_id NUL key" as the
-- associated data; value holds the others as text.
--
-- Every change to apps or app_settings bumps app_settings_version, which
-- each process reads at most once a second to know when its cache of apps
-- and values is stale; triggers do it, so a hand-made UPDATE counts too.
--
-- The per-app switches that were columns of apps (open_login,
-- default_scopes) become the settings accounts.open_login and
-- accounts.default_scopes; values that differ from the defaults are
-- copied over before the columns go.

CREATE TABLE app_settings (
    app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT,
    sealed      BLOB,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (app_id, key),
    CHECK ((value IS NULL) <> (sealed IS NULL))
) WITHOUT ROWID;

CREATE TABLE app_settings_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO app_settings_version (id, version) VALUES (1, 1);

CREATE TRIGGER app_settings_insert AFTER INSERT ON app_settings BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;
CREATE TRIGGER app_settings_update AFTER UPDATE ON app_settings BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;
CREATE TRIGGER app_settings_delete AFTER DELETE ON app_settings BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;
CREATE TRIGGER apps_insert AFTER INSERT ON apps BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;
CREATE TRIGGER apps_update AFTER UPDATE ON apps BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;
CREATE TRIGGER apps_delete AFTER DELETE ON apps BEGIN
    UPDATE app_settings_version SET version = version + 1;
END;

INSERT INTO app_settings (app_id, key, value, updated_at)
    SELECT id, 'accounts.open_login', 'on',
           CAST(strftime('%s', 'now') AS INTEGER)
    FROM apps WHERE open_login <> 0;
INSERT INTO app_settings (app_id, key, value, updated_at)
    SELECT id, 'accounts.default_scopes', default_scopes,
           CAST(strftime('%s', 'now') AS INTEGER)
    FROM apps WHERE default_scopes <> 'read write';

ALTER TABLE apps DROP COLUMN open_login;
ALTER TABLE apps DROP COLUMN default_scopes;
