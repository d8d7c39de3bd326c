/*
 * closedue.c: the closes owed to a gateway (sql/0200_pay_close_due.sql).
 *
 * WeChat Pay's pay/closeorder takes an order only 5 minutes after it was
 * made.  A pay that switches away from a younger WeChat attempt has it
 * queried instead (notify.c, feat_pay_attempt_close); unpaid, the attempt
 * is stored closed here at once, so the new one may open, and its close
 * at WeChat is owed: close_due says when.  The jobs process's pay sweep
 * asks the due ones with the same feat_pay_attempt_close, which by then
 * calls closeorder and, on ORDERPAID, the query that settles the payment
 * (a second payment of the order is kept and audited pay.double_payment
 * by feat_pay_order_paid).  A close that fails is asked again a minute
 * later, and given up an hour after the order's expiry, when WeChat has
 * long ended the trade by the time_expire it was sent with.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"

/* attempts asked in one sweep: each is a gateway call or two */
#define CLOSE_DUE_BATCH  16
/* a failed close is asked again an hour after its order's expiry, last */
#define CLOSE_DUE_GIVE_UP  3600


int
feat_pay_attempt_owe(sqlite3 *db, sqlite3_int64 attempt, time_t due)
{
    int  rc;

    rc = due != 0
         ? feat_db_exec(db, "UPDATE pay_attempt SET close_due = ?2"
                        " WHERE id = ?1", "ii", attempt, (sqlite3_int64) due)
         : feat_db_exec(db, "UPDATE pay_attempt SET close_due = NULL"
                        " WHERE id = ?1", "i", attempt);
    if (rc != FEAT_OK) {
        feat_log(LOG_ERR, 0, "pay: the close owed of attempt %lld not"
                 " stored", (long long) attempt);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The attempts stored closed whose close is due at now, oldest due first,
 * at most CLOSE_DUE_BATCH, into due (what feat_pay_attempt_close reads of
 * one): their number.  FEAT_OK, or FEAT_ERROR (logged).
 */
static int
close_due_read(sqlite3 *db, struct feat_arena *a, time_t now,
    struct feat_pay_prepay *due, size_t *n)
{
    int            rc;
    sqlite3_stmt  *st;

    *n = 0;

    st = feat_db_query(db, "SELECT id, out_trade_no, provider, end_type,"
                       " provider_app, created_at FROM pay_attempt"
                       " WHERE close_due <= ?1 AND closed_at IS NOT NULL"
                       " ORDER BY close_due, id LIMIT ?2",
                       "ii", (sqlite3_int64) now,
                       (sqlite3_int64) CLOSE_DUE_BATCH);
    if (st == NULL) {
        return FEAT_ERROR;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < CLOSE_DUE_BATCH) {
        memset(&due[*n], 0, sizeof(due[*n]));
        due[*n].attempt = sqlite3_column_int64(st, 0);
        due[*n].out_trade_no = feat_db_col_text(a, st, 1);
        due[*n].pay_method = sqlite3_column_int(st, 2);
        due[*n].end_type = sqlite3_column_int(st, 3);
        due[*n].provider_app = feat_db_col_text(a, st, 4);
        due[*n].made = (time_t) sqlite3_column_int64(st, 5);
        due[*n].key = "";
        due[*n].prepay_id = "";
        due[*n].pay_url = "";
        (*n)++;
    }

    feat_db_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "pay: the closes due not read");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


void
feat_pay_close_due(sqlite3 *db, time_t now)
{
    int                     st;
    size_t                  i, n;
    time_t                  next;
    struct feat_arena      *a;
    struct feat_pay_order   o;
    struct feat_pay_prepay  due[CLOSE_DUE_BATCH];

    a = feat_arena_create();

    if (close_due_read(db, a, now, due, &n) != FEAT_OK) {
        n = 0;
    }

    for (i = 0; i < n; i++) {
        if (feat_pay_order_by_no(db, a, due[i].out_trade_no, &o)
            != FEAT_E_NONE)
        {
            continue;
        }

        st = feat_pay_attempt_close(a, &o, &due[i]);

        if (st == FEAT_PAY_AT_CLOSED || st == FEAT_PAY_AT_PAID) {
            next = 0;
            feat_log(LOG_INFO, 0, "pay: order %lld: attempt %s %s at its"
                     " gateway", (long long) o.id, due[i].out_trade_no,
                     st == FEAT_PAY_AT_PAID ? "was paid (settled)"
                                            : "closed");

        } else if (now > o.expires_at + CLOSE_DUE_GIVE_UP) {
            next = 0;
            feat_log(LOG_WARNING, 0, "pay: order %lld: the close of attempt"
                     " %s failed until an hour after the order expired:"
                     " given up (its time_expire ended it there)",
                     (long long) o.id, due[i].out_trade_no);

        } else {
            next = now + FEAT_PAY_QUERY_EVERY;
        }

        (void) feat_pay_attempt_owe(db, due[i].attempt, next);
    }

    feat_arena_destroy(a);
}
