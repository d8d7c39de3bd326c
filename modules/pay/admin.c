/*
 * admin.c: orders in the admin dialect, the console's (featcgi-api(7)
 * "ADMIN API"): the app's orders by status as it is now (an UNPAID one
 * past its expires_at is closed), newest first, and one order with its
 * stored payment fields and its transactions, each with the notify (or
 * query answer) as it came.  Read only: the console changes no order.
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include "feat.h"
#include "pay/pay.h"


/* The list's status filter: the first row is the default. */
static const struct feat_admin_status  order_statuses[] = {
    { "all", -1 },
    { "unpaid", FEAT_PAY_UNPAID },
    { "paid", FEAT_PAY_PAID },
    { "closed", FEAT_PAY_CLOSED },
    { NULL, 0 }
};


#define ALWAYS  FEAT_ADMIN_ALWAYS

static const struct feat_field  order_list_in[] = {
    { "status", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_ADMIN_STATUS_MAX, NULL,
      "all (the default), unpaid, paid or closed" },
    FEAT_NULL_FIELD
};

#define ORDER_OUT_COMMON                                                     \
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the order's id" },              \
    { "user_id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "who placed it" },          \
    { "out_trade_no", FEAT_FT_STR, ALWAYS, 0, 32, NULL,                      \
      "the number the providers know it by" },                               \
    { "subject", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "what it is for" },        \
    { "amount_fen", FEAT_FT_INT, ALWAYS, 1, INT64_MAX, NULL, "in fen" },     \
    { "product_id", FEAT_FT_ID, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,          \
      "the product, or null" },                                              \
    { "quantity", FEAT_FT_INT, ALWAYS, 1, FEAT_PAY_QUANTITY_MAX, NULL, "" }, \
    { "project_id", FEAT_FT_ID, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,          \
      "the service project, or null" },                                      \
    { "status", FEAT_FT_STR, ALWAYS, 0, 0, NULL,                             \
      "unpaid, paid or closed (as it is now)" },                             \
    { "status_code", FEAT_FT_INT, ALWAYS, FEAT_PAY_UNPAID, FEAT_PAY_CLOSED,  \
      NULL, "0, 100 or 200" },                                               \
    { "status_display", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "its name" },       \
    { "pay_method", FEAT_FT_STR, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,         \
      "weixin, alipay, or null before a pay" },                              \
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "" },                  \
    { "expires_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL,                        \
      "payable until" },                                                     \
    { "paid_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,           \
      "or null" },                                                           \
    { "closed_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,         \
      "or null" }

static const struct feat_field  order_out[] = {
    ORDER_OUT_COMMON,
    FEAT_NULL_FIELD
};

static const struct feat_field  order_txn_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the payment's id" },
    { "provider", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "weixin or alipay" },
    { "transaction_id", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the provider's" },
    { "amount_fen", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL, "paid" },
    { "notify", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the notify (or query answer) as it came" },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "recorded" },
    FEAT_NULL_FIELD
};

static const struct feat_field  order_detail_out[] = {
    ORDER_OUT_COMMON,
    { "end_type", FEAT_FT_INT, ALWAYS, -1, FEAT_PAY_END_H5, NULL,
      "the last pay's end type, -1 before a pay" },
    { "prepay_id", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "or \"\"" },
    { "transaction_id", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the paying transaction, or \"\"" },
    { "notify", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the notify that paid it as stored, or \"\"" },
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "" },
    { "transactions", FEAT_FT_ARRAY, ALWAYS, 0, 0, NULL, "oldest first",
      order_txn_out },
    FEAT_NULL_FIELD
};


static const char *
pay_method_name(int method)
{
    switch (method) {
    case FEAT_PAY_ALIPAY:
        return "alipay";
    case FEAT_PAY_WEIXIN:
        return "weixin";
    case FEAT_PAY_UNIONPAY:
        return "unionpay";
    }

    return "";
}


static cJSON *
order_object(struct feat_req *r, const void *item)
{
    cJSON                        *j;
    const struct feat_pay_order  *o;

    o = item;
    j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double) o->id);
    cJSON_AddNumberToObject(j, "user_id", (double) o->user_id);
    feat_json_add_str(j, "out_trade_no", o->out_trade_no);
    feat_json_add_str(j, "subject", o->subject);
    cJSON_AddNumberToObject(j, "amount_fen", (double) o->amount_fen);

    if (o->product_id != 0) {
        cJSON_AddNumberToObject(j, "product_id", (double) o->product_id);
    } else {
        cJSON_AddNullToObject(j, "product_id");
    }
    cJSON_AddNumberToObject(j, "quantity", o->quantity);
    if (o->project_id != 0) {
        cJSON_AddNumberToObject(j, "project_id", (double) o->project_id);
    } else {
        cJSON_AddNullToObject(j, "project_id");
    }

    feat_json_add_str(j, "status",
                      feat_admin_status_name(order_statuses, o->status));
    cJSON_AddNumberToObject(j, "status_code", o->status);
    feat_json_add_str(j, "status_display", feat_pay_status_name(o->status));

    if (o->has_pay_method) {
        feat_json_add_str(j, "pay_method", pay_method_name(o->pay_method));
    } else {
        cJSON_AddNullToObject(j, "pay_method");
    }

    feat_admin_json_time(r, j, "created_at", o->created_at);
    feat_admin_json_time(r, j, "expires_at", o->expires_at);
    feat_admin_json_time(r, j, "paid_at", o->paid_at);
    feat_admin_json_time(r, j, "closed_at", o->closed_at);

    return j;
}


static enum feat_error
order_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_pay_order  *list = NULL;
    enum feat_error         e;

    e = feat_pay_order_all(feat_db(), r->arena, r->app->id, status,
                           pg->offset, pg->size, total, &list, n);
    *items = list;

    return e;
}


static const struct feat_admin_list  order_list_op = {
    .what = "order", .status = &order_list_in[0], .statuses = order_statuses,
    .read = order_read, .size = sizeof(struct feat_pay_order),
    .object = order_object,
};


/* Order id with its payment fields and its transactions, into *out. */
static enum feat_error
order_detail_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    cJSON                         *o, *list, *t;
    size_t                         i, n;
    struct feat_pay_txn           *txns;
    enum feat_error                e;
    struct feat_pay_order_detail   d;

    e = feat_pay_order_detail(feat_db(), r->arena, r->app->id, id, &d,
                              &txns, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    o = order_object(r, &d.order);
    cJSON_AddNumberToObject(o, "end_type", d.end_type);
    feat_json_add_str(o, "prepay_id", d.prepay_id);
    feat_json_add_str(o, "transaction_id", d.transaction_id);
    /* the notify that paid it, as it came; "" while unpaid */
    feat_json_add_str(o, "notify", d.notify);
    feat_admin_json_time(r, o, "updated_at", d.updated_at);

    list = cJSON_AddArrayToObject(o, "transactions");
    for (i = 0; i < n; i++) {
        t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", (double) txns[i].id);
        feat_json_add_str(t, "provider", pay_method_name(txns[i].provider));
        feat_json_add_str(t, "transaction_id", txns[i].transaction_id);
        cJSON_AddNumberToObject(t, "amount_fen",
                                (double) txns[i].amount_fen);
        feat_json_add_str(t, "notify", txns[i].raw);
        feat_admin_json_time(r, t, "created_at", txns[i].created_at);
        cJSON_AddItemToArray(list, t);
    }

    *out = o;

    return FEAT_E_NONE;
}


static const struct feat_admin_op  order_get_op = {
    .what = "order", .answer = order_detail_object,
};


static const struct feat_schema  order_list_schema = {
    .summary = "The app's orders by status, newest first",
    .request = order_list_in,
    .answer = order_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  order_get_schema = {
    .summary = "One order with its payments and notifies as stored",
    .answer = order_detail_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  order_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "orders", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &order_list_schema, &order_list_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "orders/{id}", FEAT_ADMIN,
      feat_admin_show, FEAT_MANAGER, &order_get_schema, &order_get_op },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_pay_admin_module = {
    .name = "admin",
    .routes = order_admin_routes,
};
