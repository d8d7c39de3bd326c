/*
 * rate.c: sliding-window rate limits over the rate_events table.  Every
 * counted event is a row (app, bucket, key, at); a limit of N per W
 * seconds allows an event while at most N events of that (app, bucket,
 * key) fall in the last W seconds.  The table lives in the shared SQLite
 * database, so every worker sees the same counts; the jobs process deletes
 * rows older than a day.
 *
 * A hit inserts its event first and counts after, and needs no
 * transaction (callers may already be inside one): two processes racing
 * at the boundary both see both events and are both refused, so the limit
 * is never exceeded, only occasionally undershot.  Where the limit must be
 * met exactly (one password check per allowed attempt), feat_rate_take
 * counts and inserts in one statement, which SQLite runs under its write
 * lock: the event is a reservation that feat_rate_undo can take back.
 */

#include "config.h"

#include "runtime.h"


/* Rows of (app, bucket, key) with at > since: FEAT_OK or FEAT_ERROR. */
static int
feat_rate_count(sqlite3 *db, const char *app, const char *bucket,
    const char *key, time_t since, sqlite3_int64 *count)
{
    return feat_db_int(db, count,
        "SELECT count(*) FROM rate_events"
        " WHERE app_id = ? AND bucket = ? AND key = ? AND at > ?",
        "sssi", app, bucket, key, (sqlite3_int64) since);
}


/*
 * Seconds until the window holds limit - 1 events, so that one more may be
 * counted: the moment the (count - limit + 1)-th oldest event leaves it.
 * With exactly limit events that is the oldest one's at + window - now.
 * At least 1; the window itself if the events cannot be read.
 */
static int
feat_rate_retry(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, time_t now, sqlite3_int64 count)
{
    sqlite3_int64  at, skip;

    skip = count - (limit > 0 ? limit : 0);
    if (skip < 0) {
        skip = 0;
    }

    if (feat_db_int(db, &at,
            "SELECT at FROM rate_events"
            " WHERE app_id = ? AND bucket = ? AND key = ? AND at > ?"
            " ORDER BY at LIMIT 1 OFFSET ?",
            "sssii", app, bucket, key, (sqlite3_int64) (now - window), skip)
        != FEAT_OK)
    {
        return window;
    }

    at = at + window - now;

    return at < 1 ? 1 : (at > window ? window : (int) at);
}


static int
feat_rate_look(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, int *retry_after, int count_it)
{
    time_t         now;
    sqlite3_int64  n, allowed;

    if (retry_after != NULL) {
        *retry_after = 0;
    }

    if (window <= 0) {
        return FEAT_OK;         /* no window: nothing is ever limited */
    }

    if (app == NULL) {
        app = "";
    }

    now = feat_now();

    if (count_it
        && feat_db_exec(db,
               "INSERT INTO rate_events (app_id, bucket, key, at)"
               " VALUES (?, ?, ?, ?)",
               "sssi", app, bucket, key, (sqlite3_int64) now)
           != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (feat_rate_count(db, app, bucket, key, now - window, &n) != FEAT_OK) {
        return FEAT_ERROR;
    }

    /* A hit's own event is in n; a look asks whether one more would fit. */
    allowed = count_it ? n <= limit : n < limit;
    if (allowed) {
        return FEAT_OK;
    }

    if (retry_after != NULL) {
        *retry_after = feat_rate_retry(db, app, bucket, key, limit, window,
                                       now, n);
    }

    return FEAT_BUSY;
}


int
feat_rate_hit(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, int *retry_after)
{
    return feat_rate_look(db, app, bucket, key, limit, window, retry_after,
                          1);
}


int
feat_rate_check(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, int *retry_after)
{
    return feat_rate_look(db, app, bucket, key, limit, window, retry_after,
                          0);
}


int
feat_rate_clear(sqlite3 *db, const char *app, const char *bucket,
    const char *key)
{
    return feat_db_exec(db,
        "DELETE FROM rate_events WHERE app_id = ? AND bucket = ? AND key = ?",
        "sss", app != NULL ? app : "", bucket, key) == FEAT_OK
        ? FEAT_OK : FEAT_ERROR;
}


int
feat_rate_take(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, sqlite3_int64 *id)
{
    time_t  now;

    *id = 0;

    if (window <= 0) {
        return FEAT_OK;         /* no window: nothing is ever limited */
    }

    now = feat_now();

    /*
     * One INSERT ... SELECT: the count and the insert happen under the
     * one write lock the statement holds, so of N racing takes exactly
     * the ones that fit get a row.
     */
    if (feat_db_exec(db,
            "INSERT INTO rate_events (app_id, bucket, key, at)"
            " SELECT ?1, ?2, ?3, ?4"
            " WHERE (SELECT count(*) FROM rate_events"
            " WHERE app_id = ?1 AND bucket = ?2 AND key = ?3 AND at > ?5)"
            " < ?6",
            "sssiii", app != NULL ? app : "", bucket, key,
            (sqlite3_int64) now, (sqlite3_int64) (now - window),
            (sqlite3_int64) limit)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (sqlite3_changes(db) == 0) {
        return FEAT_BUSY;
    }

    *id = sqlite3_last_insert_rowid(db);
    return FEAT_OK;
}


int
feat_rate_undo(sqlite3 *db, sqlite3_int64 id)
{
    if (id == 0) {
        return FEAT_OK;
    }

    return feat_db_exec(db, "DELETE FROM rate_events WHERE rowid = ?",
                        "i", id) == FEAT_OK ? FEAT_OK : FEAT_ERROR;
}
