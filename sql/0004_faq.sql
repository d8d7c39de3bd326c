-- 0004_faq: frequently asked questions, written by administrators through
-- featctl and read by every user of the app (v2 /api/faq, later v1 /faq).
-- category is free text, as the seed shows it.

CREATE TABLE faq (
    id             INTEGER PRIMARY KEY,
    app_id         TEXT NOT NULL REFERENCES apps (id),
    title          TEXT NOT NULL,
    content        TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL DEFAULT '',
    external_link  TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- Lists are newest first within one app.
CREATE INDEX faq_app ON faq (app_id, id);
