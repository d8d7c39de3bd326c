/*
 * pushq.c: the one way a push is queued (feat_push_queue in feat.h).
 *
 * A push is a row in push (sql/0006_push.sql, 0049_push_sender.sql) with
 * status 0, queued, and for a push to listed users one push_target row
 * per user, and one outbox row per device it reaches (outbox.c), which
 * the jobs process delivers.  The push module's
 * "featctl push send" and a module's own events (the service
 * marketplace's bids and transitions) both come here, so every queued
 * push has the same shape whoever queued it.  The function writes inside
 * the caller's transaction and opens none itself: an event's push then
 * commits or rolls back with the change that caused it.
 */

#include "config.h"

#include "runtime.h"


int
feat_push_queue(sqlite3 *db, const char *app, sqlite3_int64 manager_id,
    const char *title, const char *body, int scope,
    const sqlite3_int64 *users, size_t n, sqlite3_int64 *push_id)
{
    size_t         i;
    time_t         now;
    sqlite3_int64  id;

    if (scope != FEAT_PUSH_SCOPE_ALL && scope != FEAT_PUSH_SCOPE_LISTED) {
        feat_log(LOG_ALERT, 0, "push queue: bad scope %d", scope);
        return FEAT_ERROR;
    }

    now = feat_now();

    /* manager_id 0: a push the system sends, stored as NULL */
    if (feat_db_exec(db,
                     "INSERT INTO push (app_id, manager_id, title, body,"
                     " scope, status, created_at, updated_at)"
                     " VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, 0, ?6, ?6)",
                     "sissdi", app, manager_id, title,
                     body != NULL ? body : "", scope, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    id = sqlite3_last_insert_rowid(db);

    for (i = 0; scope == FEAT_PUSH_SCOPE_LISTED && i < n; i++) {
        /* OR IGNORE: a user listed twice gets the push once */
        if (feat_db_exec(db,
                         "INSERT OR IGNORE INTO push_target"
                         " (push_id, app_id, user_id) VALUES (?, ?, ?)",
                         "isi", id, app, users[i])
            != FEAT_OK)
        {
            return FEAT_ERROR;
        }
    }

    /* its deliveries commit with it (fcgi/store/outbox.c) */
    if (feat_outbox_queue(db, app, id, scope) != FEAT_OK) {
        return FEAT_ERROR;
    }

    if (push_id != NULL) {
        *push_id = id;
    }

    return FEAT_OK;
}
