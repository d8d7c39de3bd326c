/*
 * images.c: the user image domain (images.h).  The bytes are judged,
 * stripped and stored by fcgi/image.c; this file keeps the rows that say
 * whose each file is, and keeps rows and files in step: a file is stored
 * before its row is written and removed if the row cannot be, and a
 * delete removes the file before the row's deletion commits.  Every
 * statement filters by app_id and user_id, so another user's image is
 * simply not found.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "images/images.h"


/* struct feat_user_image's columns in SELECT order: the column list and
 * the map image_row reads by are both made from it. */
#define IMAGE_COLS(X, _)                                                     \
    X(struct feat_user_image, INT64, id, "id") _                             \
    X(struct feat_user_image, INT64, user_id, "user_id") _                   \
    X(struct feat_user_image, TEXT, relpath, "relpath") _                    \
    X(struct feat_user_image, UINT, width, "width") _                        \
    X(struct feat_user_image, UINT, height, "height") _                      \
    X(struct feat_user_image, INT64, size, "size") _                         \
    X(struct feat_user_image, TEXT, content_type, "content_type") _          \
    X(struct feat_user_image, TEXT, title, "title") _                        \
    X(struct feat_user_image, TEXT, description, "description") _            \
    X(struct feat_user_image, TIME, created_at, "created_at") _              \
    X(struct feat_user_image, TIME, updated_at, "updated_at")

#define IMAGE_COLUMNS  IMAGE_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  image_cols[] = {
    IMAGE_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(image_row, image_cols)


int
feat_user_image_text_ok(const char *s, size_t len, long max)
{
    long  n;

    if (memchr(s, '\0', len) != NULL) {
        return 0;
    }

    n = feat_utf8_len(s, len);

    return n >= 0 && n <= max;
}


/* Checks the optional texts: FEAT_E_NONE or FEAT_E_BAD_FIELD with *bad. */
static enum feat_error
image_texts_ok(const char *title, const char *description, const char **bad)
{
    if (title != NULL
        && !feat_user_image_text_ok(title, strlen(title),
                                    FEAT_USER_IMAGE_TITLE_MAX))
    {
        *bad = "title";
        return FEAT_E_BAD_FIELD;
    }

    if (description != NULL
        && !feat_user_image_text_ok(description, strlen(description),
                                    FEAT_USER_IMAGE_DESC_MAX))
    {
        *bad = "description";
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_user_image_add(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const unsigned char *p, size_t n,
    const char *title, const char *description, struct feat_user_image *out,
    const char **bad)
{
    int                     rc;
    size_t                  len;
    time_t                  now;
    const char             *relpath;
    unsigned char          *data;
    enum feat_error         e;
    struct feat_image_info  info;

    e = image_texts_ok(title, description, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* by content alone: the name and the declared type mean nothing */
    rc = feat_image_inspect(p, n, &info);
    if (rc == FEAT_ERROR) {
        /* over image.max_side or image.max_pixels: nothing is written */
        *bad = "image";
        return FEAT_E_BAD_FIELD;
    }
    if (rc != FEAT_OK || feat_image_strip(a, p, n, &data, &len) != FEAT_OK) {
        return FEAT_E_UPLOAD;
    }

    if (feat_image_store(a, data, len, &info, &relpath) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    now = feat_now();

    /* the user must be of this app: the row is written only if so */
    rc = feat_db_exec(db,
        "INSERT INTO images (app_id, user_id, relpath, width, height, size,"
        " content_type, title, description, created_at, updated_at)"
        " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10 FROM users"
        " WHERE id = ?2 AND app_id = ?1",
        "sisiiisssi", app, user_id, relpath, (sqlite3_int64) info.width,
        (sqlite3_int64) info.height, (sqlite3_int64) len, info.content_type,
        title != NULL ? title : "", description != NULL ? description : "",
        (sqlite3_int64) now);

    if (rc != FEAT_OK || sqlite3_changes(db) == 0) {
        (void) feat_image_remove(relpath);

        if (rc == FEAT_OK) {
            return FEAT_E_NOT_FOUND;
        }

        return FEAT_E_INTERNAL;
    }

    out->id = sqlite3_last_insert_rowid(db);
    out->user_id = user_id;
    out->relpath = relpath;
    out->width = info.width;
    out->height = info.height;
    out->size = (sqlite3_int64) len;
    out->content_type = info.content_type;
    out->title = feat_arena_strdup(a, title != NULL ? title : "");
    out->description = feat_arena_strdup(a,
                           description != NULL ? description : "");
    out->created_at = now;
    out->updated_at = now;

    return FEAT_E_NONE;
}


enum feat_error
feat_user_image_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, struct feat_user_image *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
        "SELECT " IMAGE_COLUMNS " FROM images"
        " WHERE id = ?1 AND app_id = ?2 AND user_id = ?3",
        "isi", id, app, user_id);

    return feat_db_row(db, a, st, image_row, out,
                       "images: reading image %lld failed", (long long) id);
}


static const struct feat_db_list  image_list = {
    "SELECT count(*) FROM images WHERE user_id = ?1 AND app_id = ?2",
    "SELECT " IMAGE_COLUMNS " FROM images WHERE user_id = ?1 AND app_id = ?2"
    " ORDER BY id DESC LIMIT ?3 OFFSET ?4",
    image_row, sizeof(struct feat_user_image), FEAT_USER_IMAGE_LIST_MAX,
    "images"
};


enum feat_error
feat_user_image_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, long long offset, long long limit,
    long long *total, struct feat_user_image **items, size_t *n)
{
    return feat_db_page(db, a, &image_list, offset, limit, total, items, n,
                        "is", user_id, app);
}


enum feat_error
feat_user_image_update(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id, const char *title, const char *description,
    const char **bad)
{
    enum feat_error  e;

    e = image_texts_ok(title, description, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* NULL binds NULL: coalesce keeps what is there */
    return feat_db_change(db,
            "UPDATE images SET title = coalesce(?1, title),"
            " description = coalesce(?2, description), updated_at = ?3"
            " WHERE id = ?4 AND app_id = ?5 AND user_id = ?6",
            "ssiisi", title, description, (sqlite3_int64) feat_now(), id,
            app, user_id);
}


enum feat_error
feat_user_image_delete(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    int            rc;
    char           relpath[256];
    const char    *s;
    sqlite3_stmt  *st;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    st = feat_db_query(db,
        "DELETE FROM images WHERE id = ?1 AND app_id = ?2 AND user_id = ?3"
        " RETURNING relpath",
        "isi", id, app, user_id);

    if (st == NULL) {
        goto failed;
    }

    rc = sqlite3_step(st);
    relpath[0] = '\0';

    if (rc == SQLITE_ROW) {
        s = (const char *) sqlite3_column_text(st, 0);
        if (s != NULL && strlen(s) < sizeof(relpath)) {
            strcpy(relpath, s);
        }
    }

    /* a RETURNING statement finishes its work only when run to the end */
    while (rc == SQLITE_ROW) {
        rc = sqlite3_step(st);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "images: deleting image %lld failed: %s",
                 (long long) id, sqlite3_errmsg(db));
        goto failed;
    }

    if (sqlite3_changes(db) == 0) {
        feat_db_rollback(db);
        return FEAT_E_NOT_FOUND;
    }

    /*
     * The file goes first: once the row is gone nothing would remember
     * the file, and a public file nobody owns would stay served.  A file
     * already missing is fine.
     */
    if (relpath[0] == '\0' || feat_image_remove(relpath) == FEAT_ERROR) {
        feat_log(LOG_ERR, 0, "images: image %lld: file \"%s\" not removed",
                 (long long) id, relpath);
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        feat_db_rollback(db);
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return FEAT_E_INTERNAL;
}


const char *
feat_user_image_url(struct feat_req *r, const char *relpath)
{
    const char  *prefix, *slash;

    prefix = feat_conf_str(FEAT_CONF_MEDIA_URL);
    if (prefix == NULL) {
        prefix = "/media/";
    }

    slash = (prefix[0] != '\0' && prefix[strlen(prefix) - 1] == '/')
            ? "" : "/";

    /* a CDN or another host already names its own scheme and host */
    if (strncmp(prefix, "http://", 7) == 0
        || strncmp(prefix, "https://", 8) == 0)
    {
        return feat_arena_sprintf(r->arena, "%s%s%s", prefix, slash,
                                  relpath);
    }

    return feat_arena_sprintf(r->arena, "%s%s%s%s%s", feat_req_origin(r),
                              prefix[0] == '/' ? "" : "/", prefix, slash,
                              relpath);
}
