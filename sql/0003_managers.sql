-- 0003_managers: administrators of an app, who answer feedback and send
-- pushes.  They have no login here: featctl manages them, and their id is
-- what replies and pushes carry as manager_id.

CREATE TABLE managers (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX managers_app ON managers (app_id, id);
