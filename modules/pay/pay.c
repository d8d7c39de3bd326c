/*
 * pay.c: the payments module's domain (pay.h): products, orders, their
 * expiry.
 *
 * An order for a service project reads the project and its winning bid
 * with its own bound query on service_project and service_bid rather
 * than through modules/service/service.h (a module includes no other
 * module's header): what it needs is one stored fact, "COMPLETED (400,
 * a final state no clock changes) and owned by the caller, won at this
 * price", which sql/0050_service.sql fixes, read inside the transaction
 * that stores the order, so the amount and the check are one snapshot.
 * A partial unique index keeps one UNPAID or PAID order per project.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"


#define PRODUCT_COLS(X, _)                                                   \
    X(struct feat_pay_product, INT64, id, "id") _                            \
    X(struct feat_pay_product, TEXT, app_id, "app_id") _                     \
    X(struct feat_pay_product, TEXT, name, "name") _                         \
    X(struct feat_pay_product, TEXT, description, "description") _           \
    X(struct feat_pay_product, INT64, price_fen, "price_fen") _              \
    X(struct feat_pay_product, BOOL, active, "active") _                     \
    X(struct feat_pay_product, TIME, created_at, "created_at") _             \
    X(struct feat_pay_product, TIME, updated_at, "updated_at")

#define PRODUCT_COLUMNS  PRODUCT_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  pay_product_cols[] = {
    PRODUCT_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(pay_product_row, pay_product_cols)

#define ORDER_COLS(X, _)                                                     \
    X(struct feat_pay_order, INT64, id, "o.id") _                            \
    X(struct feat_pay_order, TEXT, app_id, "o.app_id") _                     \
    X(struct feat_pay_order, INT64, user_id, "o.user_id") _                  \
    X(struct feat_pay_order, TEXT, out_trade_no, "o.out_trade_no") _        \
    X(struct feat_pay_order, TEXT, subject, "o.subject") _                   \
    X(struct feat_pay_order, INT64, amount_fen, "o.amount_fen") _            \
    X(struct feat_pay_order, INT64, product_id, "o.product_id") _            \
    X(struct feat_pay_order, INT, quantity, "o.quantity") _                  \
    X(struct feat_pay_order, INT64, project_id, "o.project_id") _            \
    X(struct feat_pay_order, INT, stored_status, "o.status") _               \
    X(struct feat_pay_order, INT, pay_method, "o.pay_method") _              \
    X(struct feat_pay_order, BOOL, has_pay_method,                           \
      "o.pay_method IS NOT NULL") _                                          \
    X(struct feat_pay_order, TIME, created_at, "o.created_at") _             \
    X(struct feat_pay_order, TIME, expires_at, "o.expires_at") _             \
    X(struct feat_pay_order, TIME, paid_at, "o.paid_at") _                   \
    X(struct feat_pay_order, TIME, closed_at, "o.closed_at")

#define ORDER_COLUMNS  ORDER_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  pay_order_cols[] = {
    ORDER_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(pay_order_read, pay_order_cols)


/* Reads an order row and applies "time closes" at the time of reading. */
static void
pay_order_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    time_t                  now;
    struct feat_pay_order  *o;

    o = item;
    pay_order_read(a, st, item);

    o->status = o->stored_status;
    now = feat_now();

    if (o->status == FEAT_PAY_UNPAID && o->expires_at <= now) {
        o->status = FEAT_PAY_CLOSED;
        o->closed_at = o->expires_at;
    }
}


const char *
feat_pay_status_name(int status)
{
    switch (status) {
    case FEAT_PAY_UNPAID:
        return "待支付";
    case FEAT_PAY_PAID:
        return "已支付";
    case FEAT_PAY_CLOSED:
        return "已关闭";
    }

    return NULL;
}


/*
 * A page feat_db_rows read, handed to a list's caller: *total (0 when
 * nothing was counted) and *n; the answer is the arena array of items,
 * for the caller to take under its type.
 */
static void *
pay_page(const struct feat_rows *rows, long long *total, size_t *n)
{
    *total = rows->total < 0 ? 0 : rows->total;
    *n = rows->n;

    return rows->items;
}


/* ---- products ------------------------------------------------------------ */

static enum feat_error
pay_product_check(const struct feat_pay_product_fields *f, int add,
    const char **bad)
{
    if ((add || f->name != NULL)
        && (f->name == NULL
            || !feat_utf8_ok(f->name, FEAT_PAY_NAME_MAX, 1)))
    {
        *bad = "name";
        return FEAT_E_BAD_FIELD;
    }

    if (f->description != NULL
        && !feat_utf8_ok(f->description, FEAT_PAY_DESC_MAX, 0))
    {
        *bad = "description";
        return FEAT_E_BAD_FIELD;
    }

    if ((add || f->has_price)
        && (!f->has_price || f->price_fen < 1
            || f->price_fen > FEAT_PAY_PRICE_MAX))
    {
        *bad = "price_fen";
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_pay_product_add(sqlite3 *db, const char *app,
    const struct feat_pay_product_fields *f, sqlite3_int64 *id,
    const char **bad)
{
    time_t           now;
    enum feat_error  e;

    e = pay_product_check(f, 1, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    now = feat_now();

    return feat_db_insert(db, id,
                          "INSERT INTO pay_product (app_id, name,"
                          " description, price_fen, created_at, updated_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                          "sssii", app, f->name,
                          f->description != NULL ? f->description : "",
                          f->price_fen, (sqlite3_int64) now);
}


enum feat_error
feat_pay_product_edit(sqlite3 *db, const char *app, sqlite3_int64 id,
    const struct feat_pay_product_fields *f, const char **bad)
{
    enum feat_error  e;

    e = pay_product_check(f, 0, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_db_exec(db,
                     "UPDATE pay_product SET name = coalesce(?3, name),"
                     " description = coalesce(?4, description),"
                     " price_fen = CASE WHEN ?5 THEN ?6 ELSE price_fen END,"
                     " updated_at = ?7 WHERE id = ?1 AND app_id = ?2",
                     "isssdii", id, app, f->name, f->description,
                     f->has_price, f->price_fen, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


enum feat_error
feat_pay_product_remove(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    if (feat_db_exec(db,
                     "UPDATE pay_product SET active = 0, updated_at = ?3"
                     " WHERE id = ?1 AND app_id = ?2 AND active = 1",
                     "isi", id, app, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


enum feat_error
feat_pay_product_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_pay_product *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db, "SELECT " PRODUCT_COLUMNS " FROM pay_product"
                       " WHERE id = ?1 AND app_id = ?2", "is", id, app);

    return feat_db_row(db, a, st, pay_product_row, out, "pay: product %lld",
                       (long long) id);
}


/* ?1 app, ?2 all (1) or active only (0); LIMIT ?3 OFFSET ?4. */
#define PRODUCT_WHERE                                                        \
    " WHERE app_id = ?1 AND (?2 OR active = 1)"

static const struct feat_db_list  pay_products = {
    "SELECT count(*) FROM pay_product" PRODUCT_WHERE,
    "SELECT " PRODUCT_COLUMNS " FROM pay_product" PRODUCT_WHERE
    " ORDER BY id DESC LIMIT ?3 OFFSET ?4",
    pay_product_row, sizeof(struct feat_pay_product), 0,
    "pay: the products"
};


enum feat_error
feat_pay_product_list(sqlite3 *db, struct feat_arena *a, const char *app,
    int all, long long offset, long long limit, long long *total,
    struct feat_pay_product **items, size_t *n)
{
    enum feat_error   e;
    struct feat_rows  rows;

    e = feat_db_rows(db, a, &pay_products, offset, limit, 1, &rows, "sd",
                     app, all ? 1 : 0);

    *items = pay_page(&rows, total, n);

    return e;
}


/* ---- orders -------------------------------------------------------------- */

#define ORDER_FROM  " FROM pay_order o"


enum feat_error
feat_pay_order_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user, sqlite3_int64 id, struct feat_pay_order *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db, "SELECT " ORDER_COLUMNS ORDER_FROM
                       " WHERE o.id = ?1 AND o.app_id = ?2"
                       " AND o.user_id = ?3", "isi", id, app, user);

    return feat_db_row(db, a, st, pay_order_row, out, "pay: order %lld",
                       (long long) id);
}


/* ?1 app, ?2 user; LIMIT ?3 OFFSET ?4: pay_order_user. */
#define ORDER_WHERE  " WHERE o.app_id = ?1 AND o.user_id = ?2"

static const struct feat_db_list  pay_orders = {
    "SELECT count(*)" ORDER_FROM ORDER_WHERE,
    "SELECT " ORDER_COLUMNS ORDER_FROM ORDER_WHERE
    " ORDER BY o.id DESC LIMIT ?3 OFFSET ?4",
    pay_order_row, sizeof(struct feat_pay_order), FEAT_PAY_LIST_MAX,
    "pay: the user's orders"
};


enum feat_error
feat_pay_order_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user, long long offset, long long limit,
    long long *total, struct feat_pay_order **items, size_t *n)
{
    enum feat_error   e;
    struct feat_rows  rows;

    e = feat_db_rows(db, a, &pay_orders, offset, limit, 1, &rows, "si",
                     app, user);

    *items = pay_page(&rows, total, n);

    return e;
}


#define PREPAY_COLS(X, _)                                                    \
    X(struct feat_pay_prepay, INT64, attempt, "id") _                        \
    X(struct feat_pay_prepay, TEXT, out_trade_no, "out_trade_no") _          \
    X(struct feat_pay_prepay, INT, pay_method, "provider") _                 \
    X(struct feat_pay_prepay, INT, end_type, "end_type") _                   \
    X(struct feat_pay_prepay, TEXT, key, "prepay_key") _                     \
    X(struct feat_pay_prepay, TEXT, prepay_id, "coalesce(prepay_id, '')") _  \
    X(struct feat_pay_prepay, TEXT, pay_url, "coalesce(pay_url, '')") _      \
    X(struct feat_pay_prepay, TEXT, provider_app, "provider_app") _          \
    X(struct feat_pay_prepay, TIME, at, "coalesce(prepay_at, 0)") _          \
    X(struct feat_pay_prepay, TIME, made, "created_at")

static const struct feat_db_col  pay_prepay_cols[] = {
    PREPAY_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(pay_prepay_row, pay_prepay_cols)

#define PREPAY_OPEN  "SELECT " PREPAY_COLS(FEAT_COL_SQL, ", ")               \
                     " FROM pay_attempt WHERE order_id = ?1"                 \
                     " AND closed_at IS NULL"

/* ?1 now; LIMIT ?2 OFFSET ?3: feat_pay_attempts_due. */
static const struct feat_db_list  pay_close_due = {
    NULL,
    "SELECT " PREPAY_COLS(FEAT_COL_SQL, ", ") " FROM pay_attempt"
    " WHERE close_due <= ?1 AND closed_at IS NOT NULL"
    " ORDER BY close_due, id LIMIT ?2 OFFSET ?3",
    pay_prepay_row, sizeof(struct feat_pay_prepay), 0,
    "pay: the closes due"
};


enum feat_error
feat_pay_attempts_due(sqlite3 *db, struct feat_arena *a, time_t now,
    long long max, struct feat_rows *due)
{
    return feat_db_rows(db, a, &pay_close_due, 0, max, 0, due, "i",
                        (sqlite3_int64) now);
}


/* The open attempt of order id into pp; none: attempt 0, "" strings. */
static enum feat_error
pay_attempt_open(sqlite3 *db, struct feat_arena *a, sqlite3_int64 id,
    struct feat_pay_prepay *pp)
{
    enum feat_error  e;
    sqlite3_stmt    *st;

    st = feat_db_query(db, PREPAY_OPEN, "i", id);
    e = feat_db_row(db, a, st, pay_prepay_row, pp,
                    "pay: the open attempt of order %lld", (long long) id);
    if (e == FEAT_E_NOT_FOUND) {
        memset(pp, 0, sizeof(*pp));
        pp->pay_method = -1;
        pp->end_type = -1;
        pp->out_trade_no = "";
        pp->key = "";
        pp->prepay_id = "";
        pp->pay_url = "";
        pp->provider_app = "";
        e = FEAT_E_NONE;
    }

    return e;
}


enum feat_error
feat_pay_order_payable(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user, sqlite3_int64 id, struct feat_pay_order *out,
    struct feat_pay_prepay *pp)
{
    enum feat_error  e;

    e = feat_pay_order_get(db, a, app, user, id, out);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (out->status != FEAT_PAY_UNPAID) {
        return FEAT_E_WRONG_STATE;
    }

    return pay_attempt_open(db, a, id, pp);
}


enum feat_error
feat_pay_attempt_new(sqlite3 *db, struct feat_arena *a,
    const struct feat_pay_order *o, sqlite3_int64 closed,
    struct feat_pay_prepay *pp)
{
    time_t           now;
    sqlite3_int64    n;
    enum feat_error  e;

    now = feat_now();

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = FEAT_E_INTERNAL;

    if (closed != 0
        && feat_db_exec(db, "UPDATE pay_attempt SET closed_at = ?2"
                        " WHERE id = ?1 AND closed_at IS NULL",
                        "ii", closed, (sqlite3_int64) now)
           != FEAT_OK)
    {
        goto done;
    }

    /* still payable, and no racing call opened another attempt */
    if (feat_db_int(db, &n, "SELECT count(*) FROM pay_order o"
                    " WHERE o.id = ?1 AND o.status = 0 AND o.expires_at > ?2"
                    " AND NOT EXISTS (SELECT 1 FROM pay_attempt"
                    " WHERE order_id = o.id AND closed_at IS NULL)",
                    "ii", o->id, (sqlite3_int64) now)
        != FEAT_OK)
    {
        goto done;
    }
    if (n != 1) {
        e = FEAT_E_WRONG_STATE;
        goto done;
    }

    if (feat_db_int(db, &n, "SELECT count(*) FROM pay_attempt"
                    " WHERE order_id = ?1", "i", o->id)
        != FEAT_OK)
    {
        goto done;
    }

    /* the order's number is 23 characters: "_<n>" keeps it within 32 */
    pp->out_trade_no = n == 0 ? o->out_trade_no
                       : feat_arena_sprintf(a, "%s_%lld", o->out_trade_no,
                                            (long long) n + 1);

    e = feat_db_insert(db, &pp->attempt,
                       "INSERT INTO pay_attempt (app_id, order_id, provider,"
                       " end_type, prepay_key, provider_app, out_trade_no,"
                       " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       "siddsssi", o->app_id, o->id, pp->pay_method,
                       pp->end_type, pp->key, pp->provider_app,
                       pp->out_trade_no, (sqlite3_int64) now);

done:

    return feat_db_end(db, e);
}


enum feat_error
feat_pay_order_prepaid(sqlite3 *db, const char *app, sqlite3_int64 user,
    sqlite3_int64 id, const struct feat_pay_prepay *pp)
{
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = FEAT_E_INTERNAL;

    /* the provider's app id stays for the orderquery of each provider */
    if (feat_db_exec(db,
                     "UPDATE pay_order SET pay_method = ?4, end_type = ?5,"
                     " prepay_key = ?6, prepay_id = ?7, pay_url = ?8,"
                     " prepay_at = ?9, updated_at = ?9,"
                     " wx_appid = CASE WHEN ?4 = 200 THEN ?10"
                     " ELSE wx_appid END,"
                     " alipay_app_id = CASE WHEN ?4 = 100 THEN ?10"
                     " ELSE alipay_app_id END"
                     " WHERE id = ?1 AND app_id = ?2 AND user_id = ?3"
                     " AND status = 0 AND expires_at > ?9",
                     "isiddsssis", id, app, user, pp->pay_method,
                     pp->end_type, pp->key, pp->prepay_id, pp->pay_url,
                     (sqlite3_int64) pp->at, pp->provider_app)
        != FEAT_OK)
    {
        goto done;
    }

    if (sqlite3_changes(db) != 1) {
        e = FEAT_E_WRONG_STATE;
        goto done;
    }

    if (feat_db_exec(db,
                     "UPDATE pay_attempt SET prepay_id = ?3, pay_url = ?4,"
                     " prepay_at = ?5 WHERE id = ?1 AND order_id = ?2"
                     " AND closed_at IS NULL",
                     "iissi", pp->attempt, id, pp->prepay_id, pp->pay_url,
                     (sqlite3_int64) pp->at)
        != FEAT_OK)
    {
        goto done;
    }

    e = sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_WRONG_STATE;

done:

    return feat_db_end(db, e);
}


enum feat_error
feat_pay_order_claim_query(sqlite3 *db, struct feat_arena *a,
    sqlite3_int64 id, time_t now, struct feat_pay_prepay *pp)
{
    if (feat_db_exec(db,
                     "UPDATE pay_order SET queried_at = ?2"
                     " WHERE id = ?1 AND status = 0 AND expires_at > ?2"
                     " AND EXISTS (SELECT 1 FROM pay_attempt"
                     " WHERE order_id = ?1 AND closed_at IS NULL)"
                     " AND coalesce(queried_at, 0) <= ?2 - ?3",
                     "iii", id, (sqlite3_int64) now,
                     (sqlite3_int64) FEAT_PAY_QUERY_EVERY)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db) != 1) {
        return FEAT_E_NOT_FOUND;
    }

    return feat_db_row(db, a, feat_db_query(db, PREPAY_OPEN, "i", id),
                       pay_prepay_row, pp,
                       "pay: the open attempt of order %lld", (long long) id);
}


enum feat_error
feat_pay_order_by_no(sqlite3 *db, struct feat_arena *a, const char *no,
    struct feat_pay_order *out)
{
    sqlite3_stmt  *st;

    /* an attempt's number, else the order's (paid before 0180) */
    st = feat_db_query(db, "SELECT " ORDER_COLUMNS ORDER_FROM
                       " WHERE o.id = coalesce((SELECT order_id"
                       " FROM pay_attempt WHERE out_trade_no = ?1),"
                       " (SELECT id FROM pay_order WHERE out_trade_no = ?1))",
                       "s", no);

    return feat_db_row(db, a, st, pay_order_row, out,
                       "pay: order of out_trade_no %s", no);
}


/*
 * A second payment of the PAID order id (an attempt paid after another
 * one was: a race, or an old code paid late): its transaction is kept
 * and audited so the team refunds it; the order stays PAID once.
 */
static enum feat_error
pay_order_double(sqlite3 *db, sqlite3_int64 id, int provider,
    const char *txn, sqlite3_int64 amount, const char *raw, time_t now)
{
    const char         *app, *first;
    sqlite3_int64       user;
    enum feat_error     e;
    struct feat_arena  *a;

    a = feat_arena_create();
    e = FEAT_E_INTERNAL;

    if (feat_db_text(db, a, &app, "SELECT app_id FROM pay_order"
                     " WHERE id = ?1", "i", id) != FEAT_OK
        || feat_db_int(db, &user, "SELECT user_id FROM pay_order"
                       " WHERE id = ?1", "i", id) != FEAT_OK
        || feat_db_text(db, a, &first, "SELECT coalesce(transaction_id, '')"
                        " FROM pay_order WHERE id = ?1", "i", id) != FEAT_OK
        || feat_db_exec(db,
                        "INSERT INTO pay_transaction (order_id, provider,"
                        " transaction_id, amount_fen, raw, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        "idsisi", id, provider, txn, amount, raw,
                        (sqlite3_int64) now) != FEAT_OK
        || feat_audit(db, app, user, "pay.double_payment", "idsss",
                      "order_id", id, "provider", provider,
                      "transaction_id", first,
                      "double_transaction_id", txn,
                      "action", "refund") != FEAT_OK)
    {
        goto done;
    }

    feat_log(LOG_WARNING, 0, "pay: order %lld, already PAID by transaction"
             " %s, paid again by %s transaction %s: refund it (audit"
             " pay.double_payment)", (long long) id, first,
             provider == FEAT_PAY_WEIXIN ? "WeChat" : "Alipay", txn);

    e = FEAT_E_NONE;

done:

    feat_arena_destroy(a);

    return e;
}


enum feat_error
feat_pay_order_paid(sqlite3 *db, sqlite3_int64 id, int provider,
    const char *txn, sqlite3_int64 amount, const char *raw, int *first)
{
    int              rc;
    time_t           now;
    sqlite3_int64    status, n;
    enum feat_error  e;

    *first = 0;
    now = feat_now();

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = FEAT_E_INTERNAL;

    if (feat_db_int(db, &status, "SELECT status FROM pay_order WHERE id = ?1",
                    "i", id)
        != FEAT_OK)
    {
        goto done;
    }

    if (status == FEAT_PAY_PAID) {
        rc = feat_db_int(db, &n, "SELECT count(*) FROM pay_transaction"
                         " WHERE order_id = ?1 AND provider = ?2"
                         " AND transaction_id = ?3", "ids", id, provider,
                         txn);
        if (rc != FEAT_OK) {
            goto done;
        }
        if (n == 0) {
            e = pay_order_double(db, id, provider, txn, amount, raw, now);
            goto done;
        }
        e = FEAT_E_NONE;
        goto done;
    }

    if (status == FEAT_PAY_CLOSED) {
        feat_log(LOG_WARNING, 0, "pay: order %lld was CLOSED and is paid"
                 " (transaction %s): PAID", (long long) id, txn);
    }

    if (feat_db_exec(db,
                     "INSERT INTO pay_transaction (order_id, provider,"
                     " transaction_id, amount_fen, raw, created_at)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                     "idsisi", id, provider, txn, amount, raw,
                     (sqlite3_int64) now)
            != FEAT_OK
        || feat_db_exec(db,
                        "UPDATE pay_order SET status = 100, paid_at = ?2,"
                        " transaction_id = ?3, notify = ?4, closed_at = NULL,"
                        " pay_method = coalesce(pay_method, ?5),"
                        " updated_at = ?2 WHERE id = ?1 AND status != 100",
                        "iissd", id, (sqlite3_int64) now, txn, raw,
                        provider)
            != FEAT_OK)
    {
        goto done;
    }

    *first = 1;
    e = FEAT_E_NONE;

done:

    return feat_db_end(db, e);
}


/* What an order is for: its subject and amount, read in the transaction. */
static enum feat_error
pay_order_what(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user, sqlite3_int64 product_id, long long quantity,
    sqlite3_int64 project_id, const char **subject, sqlite3_int64 *amount,
    const char **bad)
{
    int                      rc;
    sqlite3_int64            n;
    enum feat_error          e;
    struct feat_pay_product  p;

    if (product_id != 0) {
        e = feat_pay_product_get(db, a, app, product_id, &p);
        if (e == FEAT_E_NONE && !p.active) {
            e = FEAT_E_NOT_FOUND;
        }
        if (e == FEAT_E_NOT_FOUND) {
            *bad = "product_id";
            return FEAT_E_BAD_FIELD;
        }
        if (e != FEAT_E_NONE) {
            return e;
        }

        *subject = quantity > 1
                   ? feat_arena_sprintf(a, "%s x%lld", p.name, quantity)
                   : p.name;
        *amount = p.price_fen * quantity;

        return FEAT_E_NONE;
    }

    /* the caller's COMPLETED project and its winning bid (see above) */
    rc = feat_db_text(db, a, subject,
                      "SELECT p.title FROM service_project p"
                      " JOIN service_bid b ON b.id = p.winner_bid_id"
                      " WHERE p.id = ?1 AND p.app_id = ?2"
                      " AND p.owner_id = ?3 AND p.status = 400",
                      "isi", project_id, app, user);
    if (rc == FEAT_OK) {
        rc = feat_db_int(db, amount,
                         "SELECT b.price_fen FROM service_project p"
                         " JOIN service_bid b ON b.id = p.winner_bid_id"
                         " WHERE p.id = ?1", "i", project_id);
    }
    if (rc == FEAT_DECLINED) {
        *bad = "project_id";
        return FEAT_E_BAD_FIELD;
    }
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    rc = feat_db_int(db, &n,
                     "SELECT count(*) FROM pay_order WHERE project_id = ?1"
                     " AND (status = 100 OR (status = 0 AND expires_at > ?2))",
                     "ii", project_id, (sqlite3_int64) feat_now());
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }
    if (n > 0) {
        return FEAT_E_WRONG_STATE;
    }

    /* an expired one still UNPAID in the table gives way: stored CLOSED */
    if (feat_db_exec(db,
                     "UPDATE pay_order SET status = 200,"
                     " closed_at = expires_at, updated_at = ?2"
                     " WHERE project_id = ?1 AND status = 0",
                     "ii", project_id, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_pay_order_create(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user, sqlite3_int64 product_id, long long quantity,
    sqlite3_int64 project_id, long long ttl, struct feat_pay_order *out,
    const char **bad)
{
    char             no[33], rnd[13];
    time_t           now;
    const char      *subject;
    sqlite3_int64    amount, id;
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    subject = NULL;
    amount = 0;
    e = pay_order_what(db, a, app, user, product_id, quantity, project_id,
                       &subject, &amount, bad);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    /* 10 digits of time, '_', 12 random base62: 23 of [0-9A-Za-z_] */
    now = feat_now();
    feat_random_base62(rnd, 12);
    rnd[12] = '\0';
    snprintf(no, sizeof(no), "%010lld_%s", (long long) now, rnd);

    e = feat_db_insert(db, &id,
                       "INSERT INTO pay_order (app_id, user_id,"
                       " out_trade_no, subject, amount_fen, product_id,"
                       " quantity, project_id, created_at, updated_at,"
                       " expires_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0), ?7,"
                       " nullif(?8, 0), ?9, ?9, ?10)",
                       "sissiiiiii", app, user, no, subject, amount,
                       product_id, (sqlite3_int64) quantity, project_id,
                       (sqlite3_int64) now, (sqlite3_int64) (now + ttl));
    if (e != FEAT_E_NONE) {
        goto done;
    }

    e = feat_pay_order_get(db, a, app, user, id, out);

done:

    return feat_db_end(db, e);
}


/* ---- the administrator's view -------------------------------------------- */

/*
 * ?1 app, ?2 status as it is now (-1: any), ?3 now; LIMIT ?4 OFFSET ?5.
 * The status as it is now is "time closes" in SQL, as pay_order_row
 * applies it in C.
 */
#define ORDER_ALL_WHERE                                                      \
    " WHERE o.app_id = ?1 AND (?2 < 0 OR ?2 = CASE WHEN o.status = 0"        \
    " AND o.expires_at <= ?3 THEN 200 ELSE o.status END)"

static const struct feat_db_list  pay_orders_all = {
    "SELECT count(*)" ORDER_FROM ORDER_ALL_WHERE,
    "SELECT " ORDER_COLUMNS ORDER_FROM ORDER_ALL_WHERE
    " ORDER BY o.id DESC LIMIT ?4 OFFSET ?5",
    pay_order_row, sizeof(struct feat_pay_order), FEAT_PAY_LIST_MAX,
    "pay: the app's orders"
};


enum feat_error
feat_pay_order_all(sqlite3 *db, struct feat_arena *a, const char *app,
    int status, long long offset, long long limit, long long *total,
    struct feat_pay_order **items, size_t *n)
{
    enum feat_error   e;
    struct feat_rows  rows;

    e = feat_db_rows(db, a, &pay_orders_all, offset, limit, 1, &rows, "sdi",
                     app, status, (sqlite3_int64) feat_now());

    *items = pay_page(&rows, total, n);

    return e;
}


/* The order's columns, then the stored payment fields of the detail. */
#define ORDER_DETAIL_COLS(X, _)                                              \
    X(struct feat_pay_order_detail, INT, end_type,                           \
      "coalesce(o.end_type, -1)") _                                          \
    X(struct feat_pay_order_detail, TEXT, prepay_id, "o.prepay_id") _        \
    X(struct feat_pay_order_detail, TEXT, transaction_id,                    \
      "o.transaction_id") _                                                  \
    X(struct feat_pay_order_detail, TEXT, notify, "o.notify") _              \
    X(struct feat_pay_order_detail, TIME, updated_at, "o.updated_at")

static const struct feat_db_col  pay_order_detail_cols[] = {
    ORDER_DETAIL_COLS(FEAT_COL_MAP, )
};

static void
pay_order_detail_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_pay_order_detail  *d = item;

    pay_order_row(a, st, &d->order);
    feat_db_read(a, st, (int) FEAT_NELEMS(pay_order_cols),
                 pay_order_detail_cols, FEAT_NELEMS(pay_order_detail_cols),
                 d);
}


#define TXN_COLS(X, _)                                                       \
    X(struct feat_pay_txn, INT64, id, "id") _                                \
    X(struct feat_pay_txn, INT, provider, "provider") _                      \
    X(struct feat_pay_txn, TEXT, transaction_id, "transaction_id") _         \
    X(struct feat_pay_txn, INT64, amount_fen, "amount_fen") _                \
    X(struct feat_pay_txn, TEXT, raw, "raw") _                               \
    X(struct feat_pay_txn, TIME, created_at, "created_at")

static const struct feat_db_col  pay_txn_cols[] = {
    TXN_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(pay_txn_row, pay_txn_cols)

/* An order's transactions: a handful at most (a second payment of one
 * order is a refund to make), never counted nor capped. */
static const struct feat_db_list  pay_txns = {
    NULL,
    "SELECT " TXN_COLS(FEAT_COL_SQL, ", ") " FROM pay_transaction"
    " WHERE order_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
    pay_txn_row, sizeof(struct feat_pay_txn), 0, "pay: an order's payments"
};


enum feat_error
feat_pay_order_detail(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_pay_order_detail *out,
    struct feat_pay_txn **txns, size_t *ntxns)
{
    sqlite3_stmt      *st;
    enum feat_error    e;
    struct feat_rows   rows;

    *txns = NULL;
    *ntxns = 0;

    st = feat_db_query(db, "SELECT " ORDER_COLUMNS ", "
                       ORDER_DETAIL_COLS(FEAT_COL_SQL, ", ") ORDER_FROM
                       " WHERE o.id = ?1 AND o.app_id = ?2", "is", id, app);

    e = feat_db_row(db, a, st, pay_order_detail_row, out, "pay: order %lld",
                    (long long) id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_db_rows(db, a, &pay_txns, 0, INT64_MAX, 0, &rows, "i", id);

    *txns = rows.items;
    *ntxns = rows.n;

    return e;
}


void
feat_pay_sweep(sqlite3 *db, time_t now)
{
    int  n;

    if (feat_db_exec(db,
                     "UPDATE pay_order SET status = 200,"
                     " closed_at = expires_at, updated_at = ?1"
                     " WHERE status = 0 AND expires_at <= ?1",
                     "i", (sqlite3_int64) now)
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "pay: the sweep of expired orders failed");
        return;
    }

    n = sqlite3_changes(db);

    /* their attempts ended at the gateways with them (time_expire) */
    if (feat_db_exec(db,
                     "UPDATE pay_attempt SET closed_at = ?1"
                     " WHERE closed_at IS NULL AND order_id IN"
                     " (SELECT id FROM pay_order WHERE status != 0)",
                     "i", (sqlite3_int64) now)
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "pay: the sweep of expired attempts failed");
    }

    if (n > 0) {
        feat_log(LOG_INFO, 0, "pay: %d expired orders closed", n);
    }
}
