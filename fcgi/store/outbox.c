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

/* The modules, whose push providers say which channels an app can be
 * delivered on (feat_outbox_providers). */
static const struct feat_module *const  *feat_outbox_mods;


long long
feat_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return ((long long) ts.tv_sec + (long long) (feat_now() - time(NULL)))
           * 1000 + ts.tv_nsec / 1000000;
}


void
feat_outbox_providers(const struct feat_module *const *mods)
{
    feat_outbox_mods = mods;
}


/*
 * 1 when app's rows of channel can be delivered, else 0 with *why: the
 * channel's provider (a module's push) holds the app's credentials.  With
 * push.log_path every channel goes to the log provider.  A program that
 * never named its modules writes every row, as the jobs process then
 * judges each.
 */
static int
feat_outbox_ready(const char *app, const char *channel, const char **why)
{
    const struct feat_module *const  *m;

    *why = "";

    if (feat_outbox_mods == NULL
        || feat_conf_path(FEAT_CONF_PUSH_LOG_PATH)[0] != '\0')
    {
        return 1;
    }

    for (m = feat_outbox_mods; *m != NULL; m++) {
        if ((*m)->push == NULL || strcmp((*m)->push->channel, channel) != 0)
        {
            continue;
        }

        if ((*m)->push->ready == NULL || (*m)->push->ready(app)) {
            return 1;
        }

        *why = "no credentials for the app";
        return 0;
    }

    *why = "no provider";
    return 0;
}


/* The getui and apns rows of the devices of a batch of users (?4 the app,
 * ?5 < user id <= ?6) or of a listed push's users (by its targets). */
#define FEAT_OUTBOX_GETUI                                                     \
    FEAT_OUTBOX_INSERT                                                        \
    "SELECT ?1, c.app_id, c.user_id, 'getui', c.id, c.client_id, 0, "         \
    FEAT_OUTBOX_UUID ", ?2, ?3, ?3"
#define FEAT_OUTBOX_APNS                                                      \
    FEAT_OUTBOX_INSERT                                                        \
    "SELECT ?1, d.app_id, d.user_id, 'apns', d.id, d.token, d.sandbox, "      \
    FEAT_OUTBOX_UUID ", ?2, ?3, ?3"
#define FEAT_OUTBOX_BATCH(t)                                                  \
    " WHERE " t ".app_id = ?4 AND " t ".user_id > ?5"                         \
    " AND " t ".user_id <= ?6"
#define FEAT_OUTBOX_LISTED(table, t)                                          \
    " FROM push_target t JOIN " table " " t                                   \
    " ON " t ".user_id = t.user_id AND " t ".app_id = t.app_id"               \
    " WHERE t.push_id = ?1"

/*
 * Writes the rows of the devices of the users after < id <= last (all:
 * of every user of app; else of push_id's listed users), on the channels
 * that are ready: a device switched off, or on a channel whose provider
 * lacks the app's credentials, gets no row.
 */
static int
feat_outbox_write(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    int all, sqlite3_int64 after, sqlite3_int64 last)
{
    const char     *why;
    sqlite3_int64   now, now_ms;

    now = (sqlite3_int64) feat_now();
    now_ms = feat_now_ms();

    if (feat_outbox_ready(app, "getui", &why)
        && (all ? feat_db_exec(db, FEAT_OUTBOX_GETUI " FROM push_client c"
                                   FEAT_OUTBOX_BATCH("c") " AND c.switch = 1",
                               "iiisii", push_id, now_ms, now, app, after,
                               last)
                : feat_db_exec(db, FEAT_OUTBOX_GETUI
                                   FEAT_OUTBOX_LISTED("push_client", "c")
                                   " AND c.switch = 1",
                               "iii", push_id, now_ms, now))
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (feat_outbox_ready(app, "apns", &why)
        && (all ? feat_db_exec(db, FEAT_OUTBOX_APNS " FROM apns_device d"
                                   FEAT_OUTBOX_BATCH("d"),
                               "iiisii", push_id, now_ms, now, app, after,
                               last)
                : feat_db_exec(db, FEAT_OUTBOX_APNS
                                   FEAT_OUTBOX_LISTED("apns_device", "d"),
                               "iii", push_id, now_ms, now))
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* A count for the log (0 when the query fails: it only informs): of
 * every user's devices of app (all), else of push_id's listed users'. */
static long long
feat_outbox_count(sqlite3 *db, const char *all_sql, const char *listed_sql,
    const char *app, sqlite3_int64 push_id, int all)
{
    sqlite3_int64  v;

    if ((all ? feat_db_int(db, &v, all_sql, "s", app)
             : feat_db_int(db, &v, listed_sql, "i", push_id))
        != FEAT_OK)
    {
        /* best effort: the push is queued all the same */
        feat_log(LOG_WARNING, 0, "push %lld: devices left out not counted",
                 (long long) push_id);
        return 0;
    }

    return v;
}


/* The devices of push_id's users: every user of app ?1, or the listed
 * users of push ?1. */
#define FEAT_OUTBOX_COUNT(table, t, cond)                                     \
    "SELECT count(*) FROM " table " " t " WHERE " t ".app_id = ?1" cond,      \
    "SELECT count(*) FROM push_target t JOIN " table " " t                    \
    " ON " t ".user_id = t.user_id AND " t ".app_id = t.app_id"               \
    " WHERE t.push_id = ?1" cond

/*
 * Once a push's rows are all written: logs the devices it leaves out and
 * why (switched off, a channel that is not ready), and, when it has no
 * row at all, that it counts as sent with nothing to deliver.
 */
static void
feat_outbox_account(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    int all)
{
    char           why[512];
    size_t         w;
    long long      rows, off, n;
    const char    *reason;
    sqlite3_int64  v;

    if (feat_db_int(db, &v, "SELECT count(*) FROM outbox WHERE push_id = ?",
                    "i", push_id)
        != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "push %lld: devices left out not counted",
                 (long long) push_id);
        return;
    }
    rows = v;
    off = feat_outbox_count(db, FEAT_OUTBOX_COUNT("push_client", "c",
                                                  " AND c.switch = 0"),
                            app, push_id, all);
    why[0] = '\0';
    w = 0;

    if (off > 0) {
        w += snprintf(why + w, sizeof(why) - w, "; %lld v2 push client%s"
                      " switched off", off, off == 1 ? "" : "s");
    }

    if (!feat_outbox_ready(app, "getui", &reason)) {
        n = feat_outbox_count(db, FEAT_OUTBOX_COUNT("push_client", "c",
                                                    " AND c.switch = 1"),
                              app, push_id, all);
        if (n > 0 && w < sizeof(why)) {
            w += snprintf(why + w, sizeof(why) - w, "; getui: %s (%lld"
                          " client%s)", reason, n, n == 1 ? "" : "s");
        }
    }

    if (!feat_outbox_ready(app, "apns", &reason)) {
        n = feat_outbox_count(db, FEAT_OUTBOX_COUNT("apns_device", "d", ""),
                              app, push_id, all);
        if (n > 0 && w < sizeof(why)) {
            w += snprintf(why + w, sizeof(why) - w, "; apns: %s (%lld"
                          " device%s)", reason, n, n == 1 ? "" : "s");
        }
    }

    if (rows > 0) {
        if (why[0] != '\0') {
            feat_log(LOG_INFO, 0, "push %lld: %lld deliveries; left out: %s",
                     (long long) push_id, rows, why + 2);
        }
        return;
    }

    feat_log(LOG_NOTICE, 0, "push %lld: nothing deliverable, counted as "
             "sent: %s", (long long) push_id,
             why[0] != '\0' ? why + 2 : "no device");
}


int
feat_outbox_queue(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    int scope)
{
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

    if (feat_outbox_write(db, app, push_id, 0, 0, 0) != FEAT_OK) {
        return FEAT_ERROR;
    }

    feat_outbox_account(db, app, push_id, 0);

    return feat_outbox_judge(db, push_id);
}


int
feat_outbox_fanout(sqlite3 *db, long long batch, int *more)
{
    int             rc;
    const char     *app;
    sqlite3_int64   push_id, after, last, count;
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

        if (count > 0
            && feat_outbox_write(db, app_id, push_id, 1, after, last)
               != FEAT_OK)
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
                   != FEAT_OK)
        {
            goto done;

        } else {
            feat_outbox_account(db, app_id, push_id, 1);

            if (feat_outbox_judge(db, push_id) != FEAT_OK) {
                goto done;
            }
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

    e = feat_outbox_resolve_in(db, row, status, next_at_ms, error, gone)
        == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;

    return feat_db_end(db, e) == FEAT_E_NONE ? FEAT_OK : FEAT_ERROR;
}


int
feat_outbox_resolve_in(sqlite3 *db, const struct feat_outbox_row *row,
    int status, long long next_at_ms, const char *error, int gone)
{
    if (feat_db_exec(db, "UPDATE outbox SET status = ?, next_at = ?,"
                         " last_error = ?, updated_at = ?"
                         " WHERE id = ? AND status = 1",
                     "disii", status, (sqlite3_int64) next_at_ms,
                     error != NULL ? error : "", (sqlite3_int64) feat_now(),
                     row->id)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (gone && strcmp(row->channel, "apns") == 0
        && feat_db_exec(db, "DELETE FROM apns_device WHERE id = ?"
                            " AND token = ?", "is", row->device_id,
                        row->token)
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (gone && strcmp(row->channel, "getui") == 0
        && feat_db_exec(db, "UPDATE push_client SET switch = 0,"
                            " updated_at = ? WHERE id = ? AND client_id = ?",
                        "iis", (sqlite3_int64) feat_now(), row->device_id,
                        row->token)
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return feat_outbox_judge(db, row->push_id);
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


/* ---- what a push's sender reads -------------------------------------- */

int
feat_outbox_counts(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    struct feat_outbox_counts *c)
{
    int            rc;
    sqlite3_stmt  *st;
    sqlite3_int64  one;

    memset(c, 0, sizeof(*c));

    /* the (push_id, status) index answers this without the rows */
    st = feat_db_query(db, "SELECT status, count(*) FROM outbox"
                           " WHERE push_id = ? AND app_id = ?"
                           " GROUP BY status", "is", push_id, app);
    if (st == NULL) {
        return FEAT_ERROR;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        switch (sqlite3_column_int(st, 0)) {
        case FEAT_OUTBOX_PENDING:
            c->pending = sqlite3_column_int64(st, 1);
            break;
        case FEAT_OUTBOX_SENDING:
            c->sending = sqlite3_column_int64(st, 1);
            break;
        case FEAT_OUTBOX_SENT:
            c->sent = sqlite3_column_int64(st, 1);
            break;
        case FEAT_OUTBOX_FAILED:
            c->failed = sqlite3_column_int64(st, 1);
            break;
        default:
            c->skipped += sqlite3_column_int64(st, 1);
            break;
        }
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "outbox: counting push %lld failed: %s",
                 (long long) push_id, sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    rc = feat_db_int(db, &one, "SELECT 1 FROM outbox_fanout"
                               " WHERE push_id = ?", "i", push_id);
    if (rc == FEAT_ERROR) {
        return FEAT_ERROR;
    }

    c->fanout = (rc == FEAT_OK);

    return FEAT_OK;
}


#define FEAT_OUTBOX_ENTRY_COLS(X, _)                                          \
    X(struct feat_outbox_entry, INT64, id, "id") _                           \
    X(struct feat_outbox_entry, INT64, user_id, "user_id") _                 \
    X(struct feat_outbox_entry, TEXT, channel, "channel") _                  \
    X(struct feat_outbox_entry, INT, status, "status") _                     \
    X(struct feat_outbox_entry, INT, attempts, "attempts") _                 \
    X(struct feat_outbox_entry, TEXT, last_error, "last_error") _            \
    X(struct feat_outbox_entry, TIME, created_at, "created_at") _            \
    X(struct feat_outbox_entry, TIME, updated_at, "updated_at")

static const struct feat_db_col  feat_outbox_entry_cols[] = {
    FEAT_OUTBOX_ENTRY_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(feat_outbox_entry_row, feat_outbox_entry_cols)

/* The unique (push_id, channel, device_id) index finds a push's rows. */
static const struct feat_db_list  feat_outbox_entries = {
    "SELECT count(*) FROM outbox WHERE push_id = ? AND app_id = ?",
    "SELECT " FEAT_OUTBOX_ENTRY_COLS(FEAT_COL_SQL, ", ")
    " FROM outbox WHERE push_id = ? AND app_id = ?"
    " ORDER BY id LIMIT ? OFFSET ?",
    feat_outbox_entry_row, sizeof(struct feat_outbox_entry), 100,
    "outbox rows of a push"
};


enum feat_error
feat_outbox_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 push_id, long long offset, long long limit,
    long long *total, struct feat_outbox_entry **items, size_t *n)
{
    struct feat_rows  rows;
    enum feat_error   e;

    e = feat_db_rows(db, a, &feat_outbox_entries, offset, limit, 1, &rows,
                     "is", push_id, app);

    *total = rows.total < 0 ? 0 : rows.total;
    *items = rows.items;
    *n = rows.n;

    return e;
}
