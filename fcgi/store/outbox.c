/*
 * outbox.c: the outbox, one row per device a push is delivered to
 * (sql/0070_outbox.sql).
 *
 * The rows are written with the push, in the queuing transaction
 * (feat_outbox_queue, from feat_push_queue), so a push is never queued
 * without its deliveries nor the other way round.  A push to every user
 * may reach any number of devices: it gets an outbox_fanout row and the
 * jobs process writes its rows a batch of users at a time
 * (feat_outbox_fanout), never a request.  The jobs process then claims due
 * rows (marked sending, attempts + 1, before any provider is asked),
 * sends them and resolves each (fcgi/process/delivery.c decides how); a
 * row still sending when the jobs process starts was cut by a crash and
 * is sent again under its request_id, which the providers use to drop a
 * repeat.  A push's status follows its rows: 0 while any is pending or
 * sending (or the fan-out is not done), else 1 when one was sent or none
 * was deliverable, else 2.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"


/* A version-4 UUID, fresh for every row the statement writes. */
#define FEAT_OUTBOX_UUID                                                      \
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||"        \
    " substr(hex(randomblob(2)), 2) || '-' ||"                                \
    " substr('89ab', 1 + abs(random() % 4), 1) ||"                            \
    " substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"

#define FEAT_OUTBOX_INSERT                                                    \
    "INSERT OR IGNORE INTO outbox (push_id, app_id, user_id, channel,"        \
    " device_id, token, sandbox, request_id, next_at, created_at,"            \
    " updated_at) "

#define FEAT_OUTBOX_ROW_COLS(X, _)                                            \
    X(struct feat_outbox_row, INT64, id, "o.id") _                           \
    X(struct feat_outbox_row, INT64, push_id, "o.push_id") _                 \
    X(struct feat_outbox_row, TEXT, app_id, "o.app_id") _                    \
    X(struct feat_outbox_row, INT64, user_id, "o.user_id") _                 \
    X(struct feat_outbox_row, TEXT, channel, "o.channel") _                  \
    X(struct feat_outbox_row, INT64, device_id, "o.device_id") _             \
    X(struct feat_outbox_row, TEXT, token, "o.token") _                      \
    X(struct feat_outbox_row, BOOL, sandbox, "o.sandbox") _                  \
    X(struct feat_outbox_row, TEXT, request_id, "o.request_id") _            \
    X(struct feat_outbox_row, INT, attempts, "o.attempts") _                 \
    X(struct feat_outbox_row, TIME, created_at, "o.created_at") _            \
    X(struct feat_outbox_row, TEXT, title, "p.title") _                      \
    X(struct feat_outbox_row, TEXT, body, "p.body")

static const struct feat_db_col  feat_outbox_row_cols[] = {
    FEAT_OUTBOX_ROW_COLS(FEAT_COL_MAP, )
};


long long
feat_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return ((long long) ts.tv_sec + (long long) (feat_now() - time(NULL)))
           * 1000 + ts.tv_nsec / 1000000;
}


int
feat_outbox_queue(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    int scope)
{
    sqlite3_int64  now, now_ms;

    now = (sqlite3_int64) feat_now();
    now_ms = feat_now_ms();

    if (scope == FEAT_PUSH_SCOPE_ALL) {
        if (feat_db_exec(db,
                         "INSERT INTO outbox_fanout (push_id, app_id)"
                         " VALUES (?, ?)", "is", push_id, app)
            != FEAT_OK)
        {
            return FEAT_ERROR;
        }

        return FEAT_OK;
    }

    if (feat_db_exec(db,
                     FEAT_OUTBOX_INSERT
                     "SELECT ?1, c.app_id, c.user_id, 'getui', c.id,"
                     " c.client_id, 0, " FEAT_OUTBOX_UUID ", ?2, ?3, ?3"
                     " FROM push_target t JOIN push_client c"
                     " ON c.user_id = t.user_id AND c.app_id = t.app_id"
                     " WHERE t.push_id = ?1 AND c.switch = 1",
                     "iii", push_id, now_ms, now)
        != FEAT_OK
        || feat_db_exec(db,
                        FEAT_OUTBOX_INSERT
                        "SELECT ?1, d.app_id, d.user_id, 'apns', d.id,"
                        " d.token, d.sandbox, " FEAT_OUTBOX_UUID ", ?2, ?3,"
                        " ?3 FROM push_target t JOIN apns_device d"
                        " ON d.user_id = t.user_id AND d.app_id = t.app_id"
                        " WHERE t.push_id = ?1",
                        "iii", push_id, now_ms, now)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return feat_outbox_judge(db, push_id);
}


int
feat_outbox_fanout(sqlite3 *db, long long batch, int *more)
{
    int             rc;
    const char     *app;
    sqlite3_int64   push_id, after, last, count, now, now_ms;
    sqlite3_stmt   *st;
    enum feat_error e;

    *more = 0;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_ERROR;
    }

    e = FEAT_E_INTERNAL;

    st = feat_db_query(db, "SELECT push_id, app_id, after_user"
                           " FROM outbox_fanout ORDER BY push_id LIMIT 1",
                       NULL);
    if (st == NULL) {
        goto done;
    }

    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        feat_db_done(st);
        e = (rc == SQLITE_DONE) ? FEAT_E_NONE : FEAT_E_INTERNAL;
        goto done;
    }

    /* the app id is a short row key: a stack copy outlives the reset */
    push_id = sqlite3_column_int64(st, 0);
    app = (const char *) sqlite3_column_text(st, 1);
    after = sqlite3_column_int64(st, 2);

    {
        char  app_id[256];

        snprintf(app_id, sizeof(app_id), "%s", app != NULL ? app : "");
        feat_db_done(st);

        st = feat_db_query(db, "SELECT count(*), coalesce(max(id), 0) FROM"
                               " (SELECT id FROM users WHERE app_id = ?"
                               " AND id > ? ORDER BY id LIMIT ?)",
                           "sii", app_id, after, (sqlite3_int64) batch);
        if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
            feat_db_done(st);
            goto done;
        }

        count = sqlite3_column_int64(st, 0);
        last = sqlite3_column_int64(st, 1);
        feat_db_done(st);

        now = (sqlite3_int64) feat_now();
        now_ms = feat_now_ms();

        if (count > 0
            && (feat_db_exec(db,
                             FEAT_OUTBOX_INSERT
                             "SELECT ?1, c.app_id, c.user_id, 'getui', c.id,"
                             " c.client_id, 0, " FEAT_OUTBOX_UUID ", ?2, ?3,"
                             " ?3 FROM push_client c WHERE c.app_id = ?4"
                             " AND c.user_id > ?5 AND c.user_id <= ?6"
                             " AND c.switch = 1",
                             "iiisii", push_id, now_ms, now, app_id, after,
                             last)
                != FEAT_OK
                || feat_db_exec(db,
                                FEAT_OUTBOX_INSERT
                                "SELECT ?1, d.app_id, d.user_id, 'apns',"
                                " d.id, d.token, d.sandbox, "
                                FEAT_OUTBOX_UUID ", ?2, ?3, ?3"
                                " FROM apns_device d WHERE d.app_id = ?4"
                                " AND d.user_id > ?5 AND d.user_id <= ?6",
                                "iiisii", push_id, now_ms, now, app_id,
                                after, last)
                != FEAT_OK))
        {
            goto done;
        }

        if (count == batch) {
            if (feat_db_exec(db, "UPDATE outbox_fanout SET after_user = ?"
                                 " WHERE push_id = ?", "ii", last, push_id)
                != FEAT_OK)
            {
                goto done;
            }

        } else if (feat_db_exec(db, "DELETE FROM outbox_fanout"
                                    " WHERE push_id = ?", "i", push_id)
                   != FEAT_OK
                   || feat_outbox_judge(db, push_id) != FEAT_OK)
        {
            goto done;
        }
    }

    *more = 1;
    e = FEAT_E_NONE;

done:

    return feat_db_end(db, e) == FEAT_E_NONE ? FEAT_OK : FEAT_ERROR;
}


long long
feat_outbox_rescue(sqlite3 *db)
{
    if (feat_db_exec(db, "UPDATE outbox SET status = 0, next_at = ?,"
                         " updated_at = ? WHERE status = 1",
                     "ii", feat_now_ms(), (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return -1;
    }

    return sqlite3_changes(db);
}


int
feat_outbox_claim(sqlite3 *db, struct feat_arena *a, long long now_ms,
    long long max, struct feat_outbox_row **rows, size_t *n)
{
    int                      rc;
    size_t                   i;
    sqlite3_stmt            *st;
    enum feat_error          e;
    struct feat_outbox_row  *r;

    *rows = NULL;
    *n = 0;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_ERROR;
    }

    e = FEAT_E_INTERNAL;

    st = feat_db_query(db, "SELECT "
                           FEAT_OUTBOX_ROW_COLS(FEAT_COL_SQL, ", ")
                           " FROM outbox o JOIN push p ON p.id = o.push_id"
                           " WHERE o.status = 0 AND o.next_at <= ?"
                           " ORDER BY o.next_at LIMIT ?",
                       "ii", (sqlite3_int64) now_ms, (sqlite3_int64) max);
    if (st == NULL) {
        goto done;
    }

    r = feat_arena_alloc(a, (size_t) max * sizeof(*r));

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        feat_db_read(a, st, 0, feat_outbox_row_cols,
                     FEAT_NELEMS(feat_outbox_row_cols), &r[*n]);
        (*n)++;
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "outbox claim: %s", sqlite3_errmsg(db));
        *n = 0;
        goto done;
    }

    for (i = 0; i < *n; i++) {
        r[i].attempts++;

        if (feat_db_exec(db, "UPDATE outbox SET status = 1, attempts = ?,"
                             " updated_at = ? WHERE id = ?", "dii",
                         r[i].attempts, (sqlite3_int64) feat_now(), r[i].id)
            != FEAT_OK)
        {
            *n = 0;
            goto done;
        }
    }

    *rows = r;
    e = FEAT_E_NONE;

done:

    return feat_db_end(db, e) == FEAT_E_NONE ? FEAT_OK : FEAT_ERROR;
}


int
feat_outbox_resolve(sqlite3 *db, const struct feat_outbox_row *row,
    int status, long long next_at_ms, const char *error, int gone)
{
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_ERROR;
    }

    e = FEAT_E_INTERNAL;

    if (feat_db_exec(db, "UPDATE outbox SET status = ?, next_at = ?,"
                         " last_error = ?, updated_at = ?"
                         " WHERE id = ? AND status = 1",
                     "disii", status, (sqlite3_int64) next_at_ms,
                     error != NULL ? error : "", (sqlite3_int64) feat_now(),
                     row->id)
        != FEAT_OK)
    {
        goto done;
    }

    if (gone && strcmp(row->channel, "apns") == 0
        && feat_db_exec(db, "DELETE FROM apns_device WHERE id = ?"
                            " AND token = ?", "is", row->device_id,
                        row->token)
           != FEAT_OK)
    {
        goto done;
    }

    if (gone && strcmp(row->channel, "getui") == 0
        && feat_db_exec(db, "UPDATE push_client SET switch = 0,"
                            " updated_at = ? WHERE id = ? AND client_id = ?",
                        "iis", (sqlite3_int64) feat_now(), row->device_id,
                        row->token)
           != FEAT_OK)
    {
        goto done;
    }

    if (feat_outbox_judge(db, row->push_id) == FEAT_OK) {
        e = FEAT_E_NONE;
    }

done:

    return feat_db_end(db, e) == FEAT_E_NONE ? FEAT_OK : FEAT_ERROR;
}


int
feat_outbox_judge(sqlite3 *db, sqlite3_int64 push_id)
{
    return feat_db_exec(db,
                        "UPDATE push SET status = j.s, updated_at = ?2"
                        " FROM (SELECT CASE"
                        " WHEN EXISTS (SELECT 1 FROM outbox WHERE"
                        " push_id = ?1 AND status IN (0, 1))"
                        " OR EXISTS (SELECT 1 FROM outbox_fanout WHERE"
                        " push_id = ?1) THEN 0"
                        " WHEN EXISTS (SELECT 1 FROM outbox WHERE"
                        " push_id = ?1 AND status = 2) THEN 1"
                        " WHEN EXISTS (SELECT 1 FROM outbox WHERE"
                        " push_id = ?1 AND status = 3) THEN 2"
                        " ELSE 1 END AS s) AS j"
                        " WHERE push.id = ?1 AND push.status != j.s",
                        "ii", push_id, (sqlite3_int64) feat_now());
}


int
feat_outbox_next_due(sqlite3 *db, long long *ms)
{
    int            rc;
    sqlite3_int64  v;

    /* min() of no row is NULL: -1 tells it from a due row */
    rc = feat_db_int(db, &v, "SELECT coalesce(min(next_at), -1)"
                             " FROM outbox WHERE status = 0", NULL);
    if (rc == FEAT_ERROR) {
        return FEAT_ERROR;
    }

    if (rc != FEAT_OK || v < 0) {
        *ms = LLONG_MAX;
        return FEAT_OK;
    }

    *ms = v;
    return FEAT_OK;
}
