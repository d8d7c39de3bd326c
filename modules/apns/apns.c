/*
 * apns.c: the APNs device token domain (apns.h).  Every statement filters
 * by app_id, and the user-facing ones by user_id, so a token of another
 * user can be taken over (moved) by registering it, never removed or read.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "apns/apns.h"


/* struct feat_apns_device's columns in SELECT (and RETURNING) order: the
 * column list and the map apns_row reads by are both made from it. */
#define APNS_COLS(X, _)                                                      \
    X(struct feat_apns_device, INT64, id, "id") _                            \
    X(struct feat_apns_device, INT64, user_id, "user_id") _                  \
    X(struct feat_apns_device, TEXT, token, "token") _                       \
    X(struct feat_apns_device, INT, sandbox, "sandbox") _                    \
    X(struct feat_apns_device, TIME, created_at, "created_at") _             \
    X(struct feat_apns_device, TIME, updated_at, "updated_at")

#define APNS_COLUMNS  APNS_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  apns_cols[] = {
    APNS_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(apns_row, apns_cols)


int
feat_apns_token_norm(const char *in, char *out, const char **reason)
{
    size_t  n, i;
    char    c;

    n = strlen(in);

    if (n < FEAT_APNS_TOKEN_MIN || n > FEAT_APNS_TOKEN_MAX) {
        *reason = "must be 64 to 200 hex digits";
        return FEAT_ERROR;
    }

    /* whole bytes: APNs tokens are binary, sent as hex */
    if (n % 2 != 0) {
        *reason = "must have an even number of hex digits";
        return FEAT_ERROR;
    }

    for (i = 0; i < n; i++) {
        c = in[i];

        if (c >= 'A' && c <= 'F') {
            c = (char) (c - 'A' + 'a');

        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            *reason = "must be hex digits";
            return FEAT_ERROR;
        }

        out[i] = c;
    }

    out[n] = '\0';

    return FEAT_OK;
}


enum feat_error
feat_apns_put(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char *token, int sandbox,
    struct feat_apns_device *out)
{
    int             rc;
    time_t          now;
    sqlite3_stmt   *st;

    now = feat_now();

    /*
     * One statement: a token seen before keeps its row (and created_at)
     * and moves to this user, as one device passes from one account to
     * the next.
     */
    st = feat_db_query(db,
        "INSERT INTO apns_device"
        " (app_id, user_id, token, sandbox, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        " ON CONFLICT (app_id, token) DO UPDATE SET"
        " user_id = excluded.user_id, sandbox = excluded.sandbox,"
        " updated_at = excluded.updated_at"
        " RETURNING " APNS_COLUMNS,
        "sisdi", app, user_id, token, sandbox ? 1 : 0, (sqlite3_int64) now);

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        apns_row(a, st, out);
    }

    feat_db_done(st);

    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "apns: storing a token failed: %s",
                 sqlite3_errmsg(db));
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_apns_remove(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *token)
{
    return feat_db_change(db,
            "DELETE FROM apns_device"
            " WHERE app_id = ?1 AND user_id = ?2 AND token = ?3",
            "sis", app, user_id, token);
}


/* A user's tokens are few: never counted, one page of them all. */
static const struct feat_db_list  apns_list = {
    NULL,
    "SELECT " APNS_COLUMNS " FROM apns_device"
    " WHERE app_id = ?1 AND user_id = ?2"
    " ORDER BY updated_at DESC, id DESC LIMIT ?3 OFFSET ?4",
    apns_row, sizeof(struct feat_apns_device), FEAT_APNS_LIST_MAX, "apns"
};


enum feat_error
feat_apns_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, struct feat_apns_device **items, size_t *n)
{
    struct feat_rows  rows;
    enum feat_error   e;

    e = feat_db_rows(db, a, &apns_list, 0, FEAT_APNS_LIST_MAX, 0, &rows,
                     "si", app, user_id);

    *items = rows.items;
    *n = rows.n;

    return e;
}
