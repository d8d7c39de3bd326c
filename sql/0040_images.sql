-- 0040_images: the pictures users upload (feat /api/user/user-image/,
-- v1 /api/user/img).
--
-- The file lives under media_dir at relpath (a random name), public at
-- media_url + relpath until the row is deleted, which removes the file.
-- width, height, size and content_type describe the stored (stripped)
-- file; title and description are the owner's free text.

CREATE TABLE images (
    id            INTEGER PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id),
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    relpath       TEXT NOT NULL UNIQUE,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- A user's list, newest first; deleting a user cascades.
CREATE INDEX images_user ON images (user_id, app_id, id);
