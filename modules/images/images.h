/*
 * images.h: the pictures users upload (sql/0040_images.sql), shared by
 * the feat handlers (/api/user/user-image/, modules/images/feat.c) and
 * v1's POST /api/user/img.
 *
 * An image is judged by its bytes (PNG, JPEG or GIF, fcgi/image.c), its
 * metadata is stripped, and the copy is stored under media_dir with a
 * random name, public at media_url + relpath until deleted.  Domain
 * functions take plain arguments and a connection, never a request;
 * strings they answer live in the arena given.  They answer FEAT_E_NONE,
 * FEAT_E_NOT_FOUND (no such image of this user in this app),
 * FEAT_E_UPLOAD (not an image we accept), FEAT_E_BAD_FIELD (with *bad
 * naming the field) or FEAT_E_INTERNAL (logged).
 */

#ifndef FEAT_IMAGES_H
#define FEAT_IMAGES_H

#include "feat.h"

/* Limits in code points. */
#define FEAT_USER_IMAGE_TITLE_MAX  64
#define FEAT_USER_IMAGE_DESC_MAX   512

/* A list asks for at most this many rows at once. */
#define FEAT_USER_IMAGE_LIST_MAX   100

struct feat_user_image {
    sqlite3_int64   id;
    sqlite3_int64   user_id;
    const char     *relpath;        /* under media_dir and media_url */
    unsigned        width;
    unsigned        height;
    sqlite3_int64   size;           /* bytes of the stored file */
    const char     *content_type;   /* "image/png", "image/jpeg", "image/gif" */
    const char     *title;          /* "" when none */
    const char     *description;    /* "" when none */
    time_t          created_at;
    time_t          updated_at;
};

/*
 * 1 if s (len bytes, not NUL-terminated) is acceptable free text of at
 * most max code points: valid UTF-8 without NUL.
 */
int feat_user_image_text_ok(const char *s, size_t len, long max);

/*
 * Adds an image of user_id from the uploaded bytes p[0..n): recognized,
 * stripped of metadata, stored, and recorded with title and description
 * (NULL or "" for none; checked: *bad "title", "description").  If the
 * row cannot be written the file is removed again.  *out gets the row.
 * FEAT_E_NONE, FEAT_E_UPLOAD, FEAT_E_BAD_FIELD (*bad "image": larger than
 * image.max_side or image.max_pixels), FEAT_E_NOT_FOUND (the user is not
 * of the app) or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_image_add(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const unsigned char *p, size_t n,
    const char *title, const char *description, struct feat_user_image *out,
    const char **bad);

/* One image of user_id into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_user_image_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    struct feat_user_image *out);

/*
 * A page of user_id's images, newest first.  *total counts them all;
 * *items (arena array, NULL when *n is 0) holds at most limit (capped at
 * FEAT_USER_IMAGE_LIST_MAX) from offset.
 */
enum feat_error feat_user_image_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, long long offset,
    long long limit, long long *total, struct feat_user_image **items,
    size_t *n);

/* Changes title and/or description (NULL leaves one as is, "" clears
 * it); *bad as for feat_user_image_add.  FEAT_E_NOT_FOUND when the image
 * is not user_id's. */
enum feat_error feat_user_image_update(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, const char *title,
    const char *description, const char **bad);

/*
 * Deletes an image of user_id: the row and its file, so the public URL
 * answers 404 from then on.  The file goes inside the transaction that
 * deletes the row, and a failure to remove it keeps the row.
 * FEAT_E_NONE, FEAT_E_NOT_FOUND or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_image_delete(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id);

/*
 * The public URL of a stored file for the client of r (a handler helper):
 * media_url + relpath, made absolute with the request's scheme and Host
 * when media_url is a path.  An arena string, never NULL.
 */
const char *feat_user_image_url(struct feat_req *r, const char *relpath);

/* The module (modules/images/feat.c): /api/user/user-image/. */
extern const struct feat_module  feat_images_module;

#endif /* FEAT_IMAGES_H */
