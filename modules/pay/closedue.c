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


void
feat_pay_close_due(sqlite3 *db, time_t now)
{
    int                      st;
    size_t                   i;
    time_t                   next;
    struct feat_rows         rows;
    struct feat_arena       *a;
    struct feat_pay_order    o;
    struct feat_pay_prepay  *due;

    a = feat_arena_create();

    /* a failure is logged and reads no row */
    (void) feat_pay_attempts_due(db, a, now, CLOSE_DUE_BATCH, &rows);
    due = rows.items;

    for (i = 0; i < rows.n; i++) {
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
