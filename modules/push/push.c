/*
 * push.c: the push domain.  Users bind devices (client ids issued by the
 * outside push service) and switch pushes on or off per device; managers
 * send pushes, to all users of the app or to listed ones; users list the
 * pushes that reach them, hide them all at once, and count the unread.
 *
 * Sending only records the push, queued: the jobs process delivers it in a
 * later issue.  What "reaches" a user is one SQL condition (PUSH_VISIBLE),
 * used by every read so the list, the detail and the count always agree.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "push/push.h"


/* struct feat_push_client's columns in SELECT order: the column list and
 * the map push_client_row reads by are both made from it. */
#define CLIENT_COLS(X, _)                                                    \
    X(struct feat_push_client, INT64, id, "id") _                            \
    X(struct feat_push_client, TEXT, app_id, "app_id") _                     \
    X(struct feat_push_client, TIME, created_at, "created_at") _             \
    X(struct feat_push_client, TIME, updated_at, "updated_at") _             \
    X(struct feat_push_client, INT64, user_id, "user_id") _                  \
    X(struct feat_push_client, TEXT, client_id, "client_id") _               \
    X(struct feat_push_client, TEXT, client_type, "client_type") _           \
    X(struct feat_push_client, INT, on, "switch")

#define CLIENT_COLUMNS  CLIENT_COLS(FEAT_COL_SQL, ", ")

/* struct feat_push's columns, over push p: the same for push_row. */
#define PUSH_COLS(X, _)                                                      \
    X(struct feat_push, INT64, id, "p.id") _                                 \
    X(struct feat_push, TEXT, app_id, "p.app_id") _                          \
    X(struct feat_push, TIME, created_at, "p.created_at") _                  \
    X(struct feat_push, TIME, updated_at, "p.updated_at") _                  \
    X(struct feat_push, INT64, manager_id, "p.manager_id") _                 \
    X(struct feat_push, TEXT, title, "p.title") _                            \
    X(struct feat_push, TEXT, body, "p.body") _                              \
    X(struct feat_push, INT, scope, "p.scope") _                             \
    X(struct feat_push, INT, status, "p.status")

#define PUSH_COLUMNS  PUSH_COLS(FEAT_COL_SQL, ", ")

/*
 * The pushes of app ?1 that reach user ?2: sent to all, or listed with the
 * user, and newer than the user's hide watermark.  push ids only grow
 * (AUTOINCREMENT), so "newer than" is "id greater than".
 */
#define PUSH_VISIBLE                                                         \
    " FROM push p WHERE p.app_id = ?1"                                       \
    " AND p.id > COALESCE((SELECT h.up_to_push_id FROM push_hidden h"        \
    " WHERE h.app_id = ?1 AND h.user_id = ?2), 0)"                           \
    " AND (p.scope = 0 OR EXISTS (SELECT 1 FROM push_target t"               \
    " WHERE t.push_id = p.id AND t.user_id = ?2))"


static const struct feat_db_col  push_client_cols[] = {
    CLIENT_COLS(FEAT_COL_MAP, )
};

static const struct feat_db_col  push_cols[] = {
    PUSH_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(push_client_row, push_client_cols)
FEAT_DB_READER(push_row, push_cols)


/* FEAT_E_NONE if the statement (from feat_db_int) found its row. */
static enum feat_error
push_found(int rc)
{
    if (rc == FEAT_OK) {
        return FEAT_E_NONE;
    }

    return rc == FEAT_DECLINED ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
}


/* ---- devices ------------------------------------------------------------- */

int
feat_push_client_id_ok(const char *s)
{
    size_t  i;

    /* printable ASCII only: the id goes back into a URL path and logs */
    for (i = 0; s[i] != '\0'; i++) {
        if (i >= FEAT_PUSH_CLIENT_ID_MAX || s[i] < 0x20 || s[i] > 0x7e) {
            return 0;
        }
    }

    return i > 0;
}


enum feat_error
feat_push_bind(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char *client_id, const char *client_type,
    struct feat_push_client *out, const char **bad)
{
    time_t           now;
    sqlite3_int64    one;
    enum feat_error  e;

    if (client_id == NULL || !feat_push_client_id_ok(client_id)) {
        *bad = "client_id";
        return FEAT_E_BAD_FIELD;
    }

    if (client_type == NULL
        || (strcmp(client_type, "android") != 0
            && strcmp(client_type, "ios") != 0))
    {
        *bad = "client_type";
        return FEAT_E_BAD_FIELD;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = push_found(feat_db_int(db, &one,
                               "SELECT 1 FROM users"
                               " WHERE app_id = ? AND id = ?",
                               "si", app, user_id));
    if (e != FEAT_E_NONE) {
        goto done;
    }

    now = feat_now();

    /*
     * One device, one user: binding a client id that another user of the
     * app holds moves the row to the caller.  A moved device starts afresh
     * (switch on, created now); the same user binding again keeps both.
     * The right-hand sides all read the row as it was.
     */
    if (feat_db_exec(db,
                     "INSERT INTO push_client (app_id, user_id, client_id,"
                     " client_type, switch, created_at, updated_at)"
                     " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)"
                     " ON CONFLICT (app_id, client_id) DO UPDATE SET"
                     " switch = CASE WHEN user_id = excluded.user_id"
                     " THEN switch ELSE 1 END,"
                     " created_at = CASE WHEN user_id = excluded.user_id"
                     " THEN created_at ELSE excluded.created_at END,"
                     " user_id = excluded.user_id,"
                     " client_type = excluded.client_type,"
                     " updated_at = excluded.updated_at",
                     "sissi", app, user_id, client_id, client_type,
                     (sqlite3_int64) now)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    e = feat_push_client_get(db, a, app, user_id, client_id, out);
    if (e != FEAT_E_NONE) {
        e = FEAT_E_INTERNAL;
        goto done;
    }

done:

    return feat_db_end(db, e);
}


enum feat_error
feat_push_client_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char *client_id,
    struct feat_push_client *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " CLIENT_COLUMNS " FROM push_client"
                       " WHERE app_id = ? AND client_id = ? AND user_id = ?",
                       "ssi", app, client_id, user_id);

    return feat_db_row(db, a, st, push_client_row, out, "push client");
}


enum feat_error
feat_push_switch_set(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *client_id, int on)
{
    return feat_db_change(db,
                          "UPDATE push_client SET switch = ?, updated_at = ?"
                          " WHERE app_id = ? AND client_id = ? AND user_id = ?",
                          "dissi", on ? 1 : 0, (sqlite3_int64) feat_now(), app,
                          client_id, user_id);
}


/* ---- pushes -------------------------------------------------------------- */

enum feat_error
feat_push_send(sqlite3 *db, const char *app, sqlite3_int64 manager_id,
    const char *title, const char *body, const sqlite3_int64 *users,
    size_t nusers, sqlite3_int64 *id, const char **bad)
{
    size_t           i;
    sqlite3_int64    one, push_id;
    enum feat_error  e;

    if (!feat_utf8_ok(title, FEAT_PUSH_TITLE_MAX, 1)) {
        *bad = "push_title";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(body, FEAT_PUSH_BODY_MAX, 0)) {
        *bad = "push_body";
        return FEAT_E_BAD_FIELD;
    }

    if (nusers > FEAT_PUSH_TARGETS_MAX) {
        *bad = "user_id";
        return FEAT_E_BAD_FIELD;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /* a manager of the app, or of every app (sql/0150's all_apps) */
    e = push_found(feat_db_int(db, &one,
                               "SELECT 1 FROM managers WHERE id = ?2"
                               " AND (app_id = ?1 OR all_apps = 1)",
                               "si", app, manager_id));
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    /* every listed user must be of this app: no push crosses tenants */
    for (i = 0; i < nusers; i++) {
        e = push_found(feat_db_int(db, &one,
                                   "SELECT 1 FROM users"
                                   " WHERE app_id = ? AND id = ?",
                                   "si", app, users[i]));
        if (e != FEAT_E_NONE) {
            goto failed;
        }
    }

    e = FEAT_E_INTERNAL;

    /* queued: the jobs process picks this row up and delivers it */
    if (feat_push_queue(db, app, manager_id, title, body,
                        nusers ? FEAT_PUSH_SCOPE_LISTED : FEAT_PUSH_SCOPE_ALL,
                        users, nusers, &push_id)
        != FEAT_OK)
    {
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        goto failed;
    }

    *id = push_id;

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);

    return e;
}


static const struct feat_db_list  push_log_list = {
    "SELECT COUNT(*)" PUSH_VISIBLE,
    "SELECT " PUSH_COLUMNS PUSH_VISIBLE
    " ORDER BY p.id DESC LIMIT ?3 OFFSET ?4",
    push_row, sizeof(struct feat_push), FEAT_PUSH_LIST_MAX, "push log"
};


enum feat_error
feat_push_log_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, long long offset, long long limit,
    long long *total, struct feat_push **items, size_t *n)
{
    return feat_db_page(db, a, &push_log_list, offset, limit, total, items,
                        n, "si", app, user_id);
}


enum feat_error
feat_push_log_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, struct feat_push *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " PUSH_COLUMNS PUSH_VISIBLE " AND p.id = ?3",
                       "sii", app, user_id, id);

    return feat_db_row(db, a, st, push_row, out, "push log");
}


enum feat_error
feat_push_log_hide(sqlite3 *db, const char *app, sqlite3_int64 user_id)
{
    /*
     * The watermark is the newest push of the app now, one statement, so a
     * push recorded at the same moment is either below it or shows later.
     * max() keeps a watermark from going back.  (The WHERE clause also
     * keeps SQLite from reading ON CONFLICT as a join's ON.)
     */
    if (feat_db_exec(db,
                     "INSERT INTO push_hidden (app_id, user_id,"
                     " up_to_push_id, updated_at)"
                     " SELECT ?1, ?2, COALESCE(MAX(id), 0), ?3"
                     " FROM push WHERE app_id = ?1"
                     " ON CONFLICT (app_id, user_id) DO UPDATE SET"
                     " up_to_push_id = max(up_to_push_id,"
                     " excluded.up_to_push_id),"
                     " updated_at = excluded.updated_at",
                     "sii", app, user_id, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_push_unread_count(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const sqlite3_int64 *read, size_t nread,
    long long *count)
{
    char          *json, *p;
    size_t         i, size;
    sqlite3_int64  c;

    if (nread > FEAT_PUSH_READ_IDS_MAX) {
        return FEAT_E_BAD_FIELD;
    }

    /*
     * The read ids go in as one bound JSON array that json_each() unpacks:
     * one fixed statement for any number of ids, no SQL built from input.
     * We print the integers ourselves, so the text is always well formed.
     */
    size = nread * 21 + 3;
    json = feat_arena_alloc(a, size);
    p = json;
    *p++ = '[';

    for (i = 0; i < nread; i++) {
        p += snprintf(p, size - (size_t) (p - json), "%s%lld",
                      i ? "," : "", (long long) read[i]);
    }

    *p++ = ']';
    *p = '\0';

    if (feat_db_int(db, &c,
                    "SELECT COUNT(*)" PUSH_VISIBLE
                    " AND p.id NOT IN (SELECT value FROM json_each(?3))",
                    "sis", app, user_id, json)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *count = c;

    return FEAT_E_NONE;
}


/* ---- the senders' view --------------------------------------------------- */

/* The push's columns, then its manager's name and its listed users. */
#define PUSH_SENT_SELECT                                                     \
    "SELECT " PUSH_COLUMNS ", coalesce(m.name, ''),"                         \
    " (SELECT count(*) FROM push_target t WHERE t.push_id = p.id)"           \
    " FROM push p LEFT JOIN managers m ON m.id = p.manager_id"

static void
push_sent_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    int                     c;
    struct feat_push_sent  *it = item;

    memset(it, 0, sizeof(*it));
    feat_db_read(a, st, 0, push_cols, FEAT_NELEMS(push_cols), &it->push);
    c = (int) FEAT_NELEMS(push_cols);
    it->manager_name = feat_db_col_text(a, st, c);
    it->users = sqlite3_column_int64(st, c + 1);
}


/* Fills the delivery counts of items read by push_sent_row. */
static enum feat_error
push_sent_delivery(sqlite3 *db, const char *app, struct feat_push_sent *it,
    size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (feat_outbox_counts(db, app, it[i].push.id, &it[i].delivery)
            != FEAT_OK)
        {
            return FEAT_E_INTERNAL;
        }
    }

    return FEAT_E_NONE;
}


static const struct feat_db_list  push_sent_list = {
    "SELECT count(*) FROM push WHERE app_id = ?1",
    PUSH_SENT_SELECT " WHERE p.app_id = ?1 ORDER BY p.id DESC"
    " LIMIT ?2 OFFSET ?3",
    push_sent_row, sizeof(struct feat_push_sent), FEAT_PUSH_LIST_MAX,
    "pushes sent"
};


enum feat_error
feat_push_sent_list(sqlite3 *db, struct feat_arena *a, const char *app,
    long long offset, long long limit, long long *total,
    struct feat_push_sent **items, size_t *n)
{
    enum feat_error  e;

    e = feat_db_page(db, a, &push_sent_list, offset, limit, total, items, n,
                     "s", app);
    if (e != FEAT_E_NONE) {
        return e;
    }

    return push_sent_delivery(db, app, *items, *n);
}


enum feat_error
feat_push_sent_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_push_sent *out)
{
    sqlite3_stmt     *st;
    enum feat_error   e;

    st = feat_db_query(db, PUSH_SENT_SELECT
                       " WHERE p.app_id = ? AND p.id = ?", "si", app, id);

    e = feat_db_row(db, a, st, push_sent_row, out, "push %lld",
                    (long long) id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    return push_sent_delivery(db, app, out, 1);
}
