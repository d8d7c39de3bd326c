/*
 * bids.c: the service module's bids (one per user per project, revised by
 * a second one, withdrawn while OPEN) and the jobs process's sweep that
 * stores the closes time made.  Each write is one feat_service_begin /
 * feat_service_end transaction, judged by the step table like every other
 * operation.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "service/service.h"
#include "service/internal.h"


enum feat_error
feat_service_bid(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, long long price_fen,
    const char *message, struct feat_service_bid *out, int *created,
    const char **bad)
{
    char                         body[600];
    time_t                       now;
    enum feat_error              e;
    struct feat_service_project  p;
    int                          to;

    if (price_fen < 1 || price_fen > FEAT_SERVICE_PRICE_MAX) {
        *bad = "price_fen";
        return FEAT_E_BAD_FIELD;
    }

    if (message != NULL
        && !feat_utf8_ok(message, FEAT_SERVICE_MESSAGE_MAX, 0))
    {
        *bad = "message";
        return FEAT_E_BAD_FIELD;
    }

    now = feat_now();

    e = feat_service_begin(db, a, app, user_id, id, FEAT_SERVICE_BID, now,
                           &p, &to);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *created = !p.has_my_bid;

    if (p.has_my_bid) {
        /* a revision: an absent message keeps the one given before */
        if (feat_db_exec(db,
                         "UPDATE service_bid SET price_fen = ?2,"
                         " message = coalesce(?3, message), updated_at = ?4"
                         " WHERE id = ?1",
                         "iisi", p.my_bid.id, (sqlite3_int64) price_fen,
                         message, (sqlite3_int64) now)
            != FEAT_OK)
        {
            return feat_service_end(db, FEAT_E_INTERNAL);
        }

    } else {
        if (feat_db_exec(db,
                         "INSERT INTO service_bid (app_id, project_id,"
                         " bidder_id, price_fen, message, created_at,"
                         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         "siiisii", app, id, user_id,
                         (sqlite3_int64) price_fen,
                         message != NULL ? message : "",
                         (sqlite3_int64) now, (sqlite3_int64) now)
            != FEAT_OK)
        {
            return feat_service_end(db, FEAT_E_INTERNAL);
        }

        if (feat_service_en()) {
            snprintf(body, sizeof(body), "Your project \"%s\" has a new bid.",
                     p.title);
        } else {
            snprintf(body, sizeof(body), "你的需求「%s」收到一个新的竞标。",
                     p.title);
        }

        e = feat_service_notify(db, app,
                         feat_service_en() ? "New bid" : "收到新的竞标",
                         body,
                         &p.owner_id, 1);
        if (e != FEAT_E_NONE) {
            return feat_service_end(db, e);
        }
    }

    e = feat_db_row(db, a,
            feat_db_query(db,
                "SELECT " FEAT_SERVICE_BID_COLUMNS FEAT_SERVICE_BID_FROM
                " WHERE b.project_id = ? AND b.bidder_id = ?",
                "ii", id, user_id),
            feat_service_bid_row, out,
            "service: reading the bid on %lld failed",
            (long long) id);

    return feat_service_end(db, e == FEAT_E_NOT_FOUND ? FEAT_E_INTERNAL : e);
}


enum feat_error
feat_service_withdraw(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;
    int                          to;

    a = feat_arena_create();

    e = feat_service_begin(db, a, app, user_id, id,
                           FEAT_SERVICE_WITHDRAW_BID, feat_now(), &p, &to);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    if (!p.has_my_bid) {
        e = feat_service_end(db, FEAT_E_NOT_FOUND);
        goto done;
    }

    if (feat_db_exec(db, "DELETE FROM service_bid WHERE id = ?", "i",
                     p.my_bid.id)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = feat_service_end(db, e);

done:

    feat_arena_destroy(a);

    return e;
}


/* ?1 the project, ?2 the one bidder shown (0: every bidder). */
static const struct feat_db_list  service_bid_list = {
    "SELECT count(*) FROM service_bid"
    " WHERE project_id = ?1 AND (?2 = 0 OR bidder_id = ?2)",
    "SELECT " FEAT_SERVICE_BID_COLUMNS FEAT_SERVICE_BID_FROM
    " WHERE b.project_id = ?1 AND (?2 = 0 OR b.bidder_id = ?2)"
    " ORDER BY b.id LIMIT ?3 OFFSET ?4",
    feat_service_bid_row, sizeof(struct feat_service_bid),
    FEAT_SERVICE_LIST_MAX, "service: the bids"
};


enum feat_error
feat_service_bids(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, long long offset,
    long long limit, long long *total, struct feat_service_bid **items,
    size_t *n)
{
    sqlite3_int64                bidder;
    enum feat_error              e;
    struct feat_service_project  p;

    *items = NULL;
    *n = 0;
    *total = 0;

    e = feat_service_load(db, a, app, viewer, id, feat_now(), &p);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* the owner sees every bid, a bidder their own, anyone else none */
    bidder = 0;
    if (viewer != FEAT_SERVICE_MODERATOR && viewer != p.owner_id) {
        if (!p.has_my_bid) {
            return FEAT_E_FORBIDDEN;
        }
        bidder = viewer;
    }

    return feat_db_page(db, a, &service_bid_list, offset, limit, total,
                        items, n, "ii", id, bidder);
}


/* ---- the sweep ----------------------------------------------------------- */

void
feat_service_sweep(sqlite3 *db, time_t now)
{
    int                          i, done;
    const char                  *app;
    sqlite3_int64                id;
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;

    a = feat_arena_create();
    done = 0;

    /* a bounded batch per sweep: the next sweep takes the rest */
    for (i = 0; i < 1000; i++) {
        feat_arena_reset(a);

        if (feat_db_begin(db) != FEAT_OK) {
            break;
        }

        if (feat_db_int(db, &id,
                        "SELECT id FROM service_project"
                        " WHERE status = 200 AND close_at <= ?"
                        " ORDER BY close_at LIMIT 1",
                        "i", (sqlite3_int64) now)
            != FEAT_OK
            || feat_db_text(db, a, &app,
                            "SELECT app_id FROM service_project"
                            " WHERE id = ?", "i", id)
               != FEAT_OK)
        {
            feat_db_rollback(db);
            break;
        }

        e = feat_service_load(db, a, app, FEAT_SERVICE_MODERATOR, id, now, &p);
        if (e == FEAT_E_NONE) {
            e = feat_service_store_close(db, app, &p);
        }

        if (feat_service_end(db, e) != FEAT_E_NONE) {
            feat_log(LOG_ERR, 0, "service: closing project %lld failed",
                     (long long) id);
            break;
        }

        done++;
    }

    if (done > 0) {
        feat_log(LOG_INFO, 0, "service: %d project%s closed by time", done,
                 done == 1 ? "" : "s");
    }

    feat_arena_destroy(a);
}
