/*
 * pay.h: the payments module's domain (sql/0060_pay.sql): the products an
 * app sells (featctl product) and the orders its users place for them or
 * for a COMPLETED service project of theirs.  The handlers (feat.c) and
 * featctl (tools/ctl_product.c) go through these functions only.
 *
 * The client never names an amount: an order's amount_fen is the
 * product's price times the quantity, or the winning bid's price, read
 * in the transaction that stores the order.  An UNPAID order whose
 * expires_at has passed is CLOSED for every reader at once; the jobs
 * process stores it (feat_pay_sweep).
 */

#ifndef FEAT_PAY_H
#define FEAT_PAY_H

#include "feat.h"

#define FEAT_PAY_UNPAID   0
#define FEAT_PAY_PAID     100
#define FEAT_PAY_CLOSED   200

#define FEAT_PAY_NAME_MAX      100       /* code points */
#define FEAT_PAY_DESC_MAX      1000
#define FEAT_PAY_PRICE_MAX     10000000000LL
#define FEAT_PAY_QUANTITY_MAX  99
#define FEAT_PAY_LIST_MAX      100
#define FEAT_PAY_TTL_KEY       "pay.order_ttl"

struct feat_pay_product {
    sqlite3_int64   id;
    const char     *app_id;
    const char     *name;
    const char     *description;
    sqlite3_int64   price_fen;
    int             active;
    time_t          created_at;
    time_t          updated_at;
};

struct feat_pay_order {
    sqlite3_int64   id;
    const char     *app_id;
    sqlite3_int64   user_id;
    const char     *out_trade_no;
    const char     *subject;
    sqlite3_int64   amount_fen;
    sqlite3_int64   product_id;      /* 0: none */
    int             quantity;
    sqlite3_int64   project_id;      /* 0: none */
    int             status;          /* as it is now */
    int             stored_status;
    int             pay_method;
    int             has_pay_method;  /* pay_method is not NULL */
    time_t          created_at;
    time_t          expires_at;
    time_t          paid_at;
    time_t          closed_at;
};

/* The product fields of an add or an edit; NULL / has_price 0: not
 * given. */
struct feat_pay_product_fields {
    const char     *name;
    const char     *description;
    sqlite3_int64   price_fen;
    int             has_price;
};

/* Pay methods and end types (the seed's values). */
#define FEAT_PAY_UNIONPAY     0
#define FEAT_PAY_ALIPAY       100
#define FEAT_PAY_WEIXIN       200

#define FEAT_PAY_END_NATIVE   0
#define FEAT_PAY_END_APP      100
#define FEAT_PAY_END_JSAPI    200
#define FEAT_PAY_END_H5       300

/* An order's payment attempt (sql/0180_pay_attempt.sql): one provider,
 * end type and key, under its own out_trade_no, with the gateway's last
 * prepay, reused by a second pay call of the same method, end type and
 * key while it is valid.  provider_app is the provider's app id it was
 * made for (WeChat's appid, Alipay's app_id), which the close and the
 * orderquery ask with.  attempt 0: the order has no open attempt. */
struct feat_pay_prepay {
    sqlite3_int64   attempt;
    const char     *out_trade_no;
    int             pay_method;
    int             end_type;
    const char     *key;          /* app id [ "/" openid ] */
    const char     *prepay_id;    /* "" when there is none */
    const char     *pay_url;      /* code_url, mweb_url, qr_code or "" */
    const char     *provider_app; /* the provider's app id */
    time_t          at;
    time_t          made;         /* the attempt's number was made */
};

/* The minimum time between two orderqueries of one order. */
#define FEAT_PAY_QUERY_EVERY  60

#define FEAT_PAY_CONF(X)                                                      \
    X(WEIXIN_TIMEOUT, "weixin.timeout", INT, "10000",                         \
      "WeChat Pay gateway timeout (ms)")                                      \
    X(ALIPAY_TRADE_TIMEOUT, "alipay.trade_timeout", INT, "10000",             \
      "Alipay trade API (precreate, query) gateway timeout (ms)")

FEAT_PAY_CONF(FEAT_CONF_DECLARE)

/* The Chinese label of an order status, NULL for another value (static
 * storage). */
const char *feat_pay_status_name(int status);

/*
 * Products.  add: FEAT_E_NONE with *id; FEAT_E_BAD_FIELD with *bad the
 * field ("name", "description", "price_fen"); FEAT_E_UNKNOWN_APP;
 * FEAT_E_INTERNAL (logged).  edit changes the fields given (NOT_FOUND
 * for no product of app); remove hides it from new orders (active 0).
 * get reads one, active or not, into the arena a.
 */
enum feat_error feat_pay_product_add(sqlite3 *db, const char *app,
    const struct feat_pay_product_fields *f, sqlite3_int64 *id,
    const char **bad);
enum feat_error feat_pay_product_edit(sqlite3 *db, const char *app,
    sqlite3_int64 id, const struct feat_pay_product_fields *f,
    const char **bad);
enum feat_error feat_pay_product_remove(sqlite3 *db, const char *app,
    sqlite3_int64 id);
enum feat_error feat_pay_product_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_pay_product *out);
/* A page of the app's products, newest first (active only unless all),
 * arena array: FEAT_E_NONE or FEAT_E_INTERNAL. */
enum feat_error feat_pay_product_list(sqlite3 *db, struct feat_arena *a,
    const char *app, int all, long long offset, long long limit,
    long long *total, struct feat_pay_product **items, size_t *n);

/*
 * Makes an UNPAID order of user for quantity of the active product
 * product_id (project_id 0), or for user's COMPLETED service project
 * project_id (product_id 0), payable for ttl seconds.  FEAT_E_NONE with
 * *out; FEAT_E_BAD_FIELD with *bad "product_id" or "project_id" when
 * there is no such product or project of the caller's, or the project
 * is not COMPLETED; FEAT_E_WRONG_STATE when the project already has an
 * UNPAID or PAID order; FEAT_E_INTERNAL.
 */
enum feat_error feat_pay_order_create(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user, sqlite3_int64 product_id,
    long long quantity, sqlite3_int64 project_id, long long ttl,
    struct feat_pay_order *out, const char **bad);
/* User's order id of app as it is now: FEAT_E_NOT_FOUND for another
 * user's or app's. */
enum feat_error feat_pay_order_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user, sqlite3_int64 id,
    struct feat_pay_order *out);
/* A page of user's orders, newest first. */
enum feat_error feat_pay_order_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user, long long offset, long long limit,
    long long *total, struct feat_pay_order **items, size_t *n);

/*
 * User's order id, payable now (UNPAID, not expired): FEAT_E_NONE with
 * *out and its open attempt in *pp (pp->attempt 0 and empty strings when
 * it has none); FEAT_E_NOT_FOUND for another user's or app's;
 * FEAT_E_WRONG_STATE for a PAID, CLOSED or expired one.
 */
enum feat_error feat_pay_order_payable(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user, sqlite3_int64 id,
    struct feat_pay_order *out, struct feat_pay_prepay *pp);
/* Stores pp's prepay on its attempt pp->attempt and on the order (its
 * pay method) if it is still payable: FEAT_E_NONE, FEAT_E_WRONG_STATE, or
 * FEAT_E_INTERNAL. */
enum feat_error feat_pay_order_prepaid(sqlite3 *db, const char *app,
    sqlite3_int64 user, sqlite3_int64 id, const struct feat_pay_prepay *pp);
/*
 * Makes a new attempt of order o with pp's pay_method, end_type, key and
 * provider_app, in one transaction that first stores the close of the
 * attempt closed (0: none; its gateway closed it) and checks o is still
 * payable with no other open attempt.  Its number: the order's own for
 * the first attempt, else "<order's>_<n>".  FEAT_E_NONE with
 * pp->attempt and pp->out_trade_no (arena a); FEAT_E_WRONG_STATE when
 * the order is no longer payable or another call opened an attempt;
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_pay_attempt_new(sqlite3 *db, struct feat_arena *a,
    const struct feat_pay_order *o, sqlite3_int64 closed,
    struct feat_pay_prepay *pp);

/*
 * Claims the orderquery of order id at now: FEAT_E_NONE when it is
 * stored UNPAID, has an open attempt, and no query ran in the last
 * FEAT_PAY_QUERY_EVERY seconds (the claim is stored, so racing readers
 * get one), with that attempt in *pp; FEAT_E_NOT_FOUND when not;
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_pay_order_claim_query(sqlite3 *db, struct feat_arena *a,
    sqlite3_int64 id, time_t now, struct feat_pay_prepay *pp);

/*
 * The order of which one attempt's out_trade_no (or the order's own) is
 * no, of any app and user (a notify names it): FEAT_E_NONE or
 * FEAT_E_NOT_FOUND.
 */
enum feat_error feat_pay_order_by_no(sqlite3 *db, struct feat_arena *a,
    const char *no, struct feat_pay_order *out);
/*
 * Records provider's (FEAT_PAY_WEIXIN...) payment txn of amount for the
 * order id, raw the notify as it came, and marks the order PAID (from
 * UNPAID, or CLOSED: money taken is paid), in one transaction.
 * FEAT_E_NONE with *first 1 when this call did it, 0 when the order was
 * already PAID: a replay changes nothing; another payment (an attempt
 * paid after another one was) is recorded as its transaction row, logged
 * at LOG_WARNING and audited "pay.double_payment" with both transaction
 * ids, for a refund; FEAT_E_INTERNAL.
 */
enum feat_error feat_pay_order_paid(sqlite3 *db, sqlite3_int64 id,
    int provider, const char *txn, sqlite3_int64 amount, const char *raw,
    int *first);

/* ---- the administrator's view (the admin API) ------------------------- */

/* A payment a provider notified, as stored with its notify. */
struct feat_pay_txn {
    sqlite3_int64   id;
    int             provider;        /* FEAT_PAY_WEIXIN, FEAT_PAY_ALIPAY */
    const char     *transaction_id;
    sqlite3_int64   amount_fen;
    const char     *raw;             /* the notify (or query answer) */
    time_t          created_at;
};

/* An order with what the administrator also reads of it. */
struct feat_pay_order_detail {
    struct feat_pay_order  order;
    int                    end_type;      /* -1: none */
    const char            *prepay_id;     /* "" when none */
    const char            *transaction_id;/* "" until paid */
    const char            *notify;        /* the notify that paid it, "" */
    time_t                 updated_at;
};

/*
 * A page of every order of the app of status (as it is now: an UNPAID
 * order past its expires_at is CLOSED; -1: any), newest first.  *total
 * counts them all; *items (arena array) holds at most limit
 * (FEAT_PAY_LIST_MAX) from offset.  FEAT_E_NONE or FEAT_E_INTERNAL.
 */
enum feat_error feat_pay_order_all(sqlite3 *db, struct feat_arena *a,
    const char *app, int status, long long offset, long long limit,
    long long *total, struct feat_pay_order **items, size_t *n);
/* Order id of the app, whoever placed it, with its stored payment
 * fields, and its transactions oldest first (*txns arena array, NULL
 * when *ntxns is 0).  FEAT_E_NOT_FOUND for no such order of app. */
enum feat_error feat_pay_order_detail(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_pay_order_detail *out,
    struct feat_pay_txn **txns, size_t *ntxns);

/* The jobs process: stores the close of every UNPAID order past its
 * expires_at (closed_at = expires_at), and of its open attempt: the
 * gateways end those by themselves at the same time (WeChat's
 * time_expire, Alipay's time_expire / timeout_express were sent). */
void feat_pay_sweep(sqlite3 *db, time_t now);

#endif /* FEAT_PAY_H */
