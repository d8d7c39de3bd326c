/*
 * notices.c: the activity notices domain.  A notice belongs to one app
 * and is read by all its users; a row of notice_reads records that one
 * user has read one notice, so the read state costs nothing until a user
 * reads and a new notice is unread for everybody at once.  Every
 * statement filters by app_id.  The summary also reads the replies to the
 * user's feedback, through accounts (feat_user_reply_latest).
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "notices/notices.h"

/*
 * struct feat_notice's columns in SELECT order, over notices n left-joined
 * with the user's read marks r (status: 1 when read): the column list and
 * the map notice_row reads by are both made from it.
 */
#define NOTICE_COLS(X, _)                                                    \
    X(struct feat_notice, INT64, id, "n.id") _                               \
    X(struct feat_notice, TEXT, app_id, "n.app_id") _                        \
    X(struct feat_notice, TEXT, title, "n.title") _                          \
    X(struct feat_notice, TEXT, content, "n.content") _                      \
    X(struct feat_notice, TEXT, thumbnail, "n.thumbnail") _                  \
    X(struct feat_notice, TIME, created_at, "n.created_at") _                \
    X(struct feat_notice, TIME, updated_at, "n.updated_at") _                \
    X(struct feat_notice, INT, status, "r.notice_id IS NOT NULL")

#define NOTICE_COLUMNS  NOTICE_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  notice_cols[] = {
    NOTICE_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(notice_row, notice_cols)


/* A thumbnail: "", an http(s) URL or an absolute path, of printable
 * ASCII without blanks, so it can stand in an img src as it is. */
static int
notice_thumbnail_ok(const char *s)
{
    size_t  i, n;

    if (s == NULL || s[0] == '\0') {
        return 1;
    }

    n = strlen(s);
    if (n > FEAT_NOTICE_THUMBNAIL_MAX) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '<'
            || s[i] == '>' || s[i] == '\\')
        {
            return 0;
        }
    }

    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0
           || (s[0] == '/' && s[1] != '/');
}


/* Checks the fields of an add (required) or an edit: FEAT_E_NONE or
 * FEAT_E_BAD_FIELD with *bad. */
static enum feat_error
notice_check(const char *title, const char *content, const char *thumbnail,
    int required, const char **bad)
{
    if ((required || title != NULL)
        && !feat_utf8_ok(title, FEAT_NOTICE_TITLE_MAX, 1))
    {
        *bad = "title";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(content, FEAT_NOTICE_CONTENT_MAX, 0)) {
        *bad = "content";
        return FEAT_E_BAD_FIELD;
    }

    if (!notice_thumbnail_ok(thumbnail)) {
        *bad = "thumbnail";
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_notice_add(sqlite3 *db, const char *app, const char *title,
    const char *content, const char *thumbnail, sqlite3_int64 *id,
    const char **bad)
{
    time_t           now;
    enum feat_error  e;

    e = notice_check(title, content, thumbnail, 1, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    now = feat_now();

    if (feat_db_exec(db,
                     "INSERT INTO notices (app_id, title, content, thumbnail,"
                     " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                     "ssssi", app, title, content ? content : "",
                     thumbnail ? thumbnail : "", (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *id = sqlite3_last_insert_rowid(db);

    return FEAT_E_NONE;
}


enum feat_error
feat_notice_edit(sqlite3 *db, const char *app, sqlite3_int64 id,
    const char *title, const char *content, const char *thumbnail,
    const char **bad)
{
    enum feat_error  e;

    e = notice_check(title, content, thumbnail, 0, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* NULL binds NULL, and COALESCE keeps the stored value for it */
    return feat_db_change(db,
                          "UPDATE notices SET title = COALESCE(?3, title),"
                          " content = COALESCE(?4, content),"
                          " thumbnail = COALESCE(?5, thumbnail),"
                          " updated_at = ?6"
                          " WHERE app_id = ?1 AND id = ?2",
                          "sisssi", app, id, title, content, thumbnail,
                          (sqlite3_int64) feat_now());
}


enum feat_error
feat_notice_remove(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    /* the read states go with it: notice_reads' ON DELETE CASCADE */
    return feat_db_change(db,
                          "DELETE FROM notices WHERE app_id = ? AND id = ?",
                          "si", app, id);
}


/* The count reads the same LEFT JOIN as the page, so both take the same
 * parameters; notice_reads' key (notice_id, user_id) keeps it one row per
 * notice, and SQLite drops the unused join from the count. */
static const struct feat_db_list  notice_list = {
    "SELECT COUNT(*) FROM notices n LEFT JOIN notice_reads r"
    " ON r.notice_id = n.id AND r.user_id = ?2 WHERE n.app_id = ?1",
    "SELECT " NOTICE_COLUMNS
    " FROM notices n LEFT JOIN notice_reads r"
    " ON r.notice_id = n.id AND r.user_id = ?2"
    " WHERE n.app_id = ?1 ORDER BY n.id LIMIT ?3 OFFSET ?4",
    notice_row, sizeof(struct feat_notice), FEAT_NOTICE_LIST_MAX, "notices"
};


enum feat_error
feat_notice_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, long long offset, long long limit,
    long long *total, struct feat_notice **items, size_t *n)
{
    return feat_db_page(db, a, &notice_list, offset, limit, total, items,
                        n, "si", app, user_id);
}


enum feat_error
feat_notice_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, int mark_read,
    struct feat_notice *out)
{
    sqlite3_stmt     *st;
    enum feat_error   e;

    st = feat_db_query(db,
                       "SELECT " NOTICE_COLUMNS
                       " FROM notices n LEFT JOIN notice_reads r"
                       " ON r.notice_id = n.id AND r.user_id = ?3"
                       " WHERE n.app_id = ?1 AND n.id = ?2",
                       "sii", app, id, user_id);

    e = feat_db_row(db, a, st, notice_row, out,
                    "notices: reading notice %lld failed", (long long) id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (!mark_read || out->status || user_id <= 0) {
        return FEAT_E_NONE;
    }

    /*
     * A concurrent reader, or the notice removed meanwhile, makes this
     * insert nothing (OR IGNORE; the SELECT finds no notice): the state
     * answered is still what this request saw.
     */
    if (feat_db_exec(db,
                     "INSERT OR IGNORE INTO notice_reads"
                     " (notice_id, user_id, read_at)"
                     " SELECT id, ?3, ?4 FROM notices"
                     " WHERE app_id = ?1 AND id = ?2",
                     "siii", app, id, user_id, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_notice_summary(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, struct feat_notice_summary *out)
{
    int              rc;
    sqlite3_int64    c;
    sqlite3_stmt    *st;
    enum feat_error  e;

    memset(out, 0, sizeof(*out));
    out->notice_content = "";
    out->reply_content = "";

    st = feat_db_query(db,
                       "SELECT content, created_at FROM notices"
                       " WHERE app_id = ? ORDER BY id DESC LIMIT 1",
                       "s", app);
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->has_notice = 1;
        out->notice_content = feat_db_col_text(a, st, 0);
        out->notice_time = (time_t) sqlite3_column_int64(st, 1);
    }

    feat_db_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "notices: newest notice: %s",
                 sqlite3_errmsg(db));
        return FEAT_E_INTERNAL;
    }

    if (feat_db_int(db, &c,
                    "SELECT COUNT(*) FROM notices n WHERE n.app_id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM notice_reads r"
                    " WHERE r.notice_id = n.id AND r.user_id = ?)",
                    "si", app, user_id)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    out->unread_notices = c;

    e = feat_user_reply_latest(db, a, app, user_id, &out->reply_content,
                               &out->reply_time);
    if (e == FEAT_E_NONE) {
        out->has_reply = 1;

    } else if (e != FEAT_E_NOT_FOUND) {
        return e;
    }

    return feat_user_replies_unread(db, app, user_id, &out->unread_replies);
}


const char *
feat_notice_number(struct feat_arena *a, sqlite3_int64 id)
{
    return feat_arena_sprintf(a, "%0*" PRId64, FEAT_NOTICE_NUMBER_DIGITS,
                              (int64_t) id);
}
