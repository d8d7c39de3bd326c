/*
 * orders.c: the console's orders (featcgi-api(7) "ADMIN API"): the app's
 * orders by status as it is now (an UNPAID one past its expires_at is
 * closed), newest first, and one order with its stored payment fields and
 * its transactions, each with the notify (or query answer) as it came.
 * Read only: the console changes no order.
 */

#include "config.h"

#include "feat.h"
#include "pay/pay.h"
#include "admin/admin.h"


/* The list's status filter: the first row is the default. */
static const struct feat_admin_status  order_statuses[] = {
    { "all", -1 },
    { "unpaid", FEAT_PAY_UNPAID },
    { "paid", FEAT_PAY_PAID },
    { "closed", FEAT_PAY_CLOSED },
    { NULL, 0 }
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
order_object(struct feat_req *r, const struct feat_pay_order *o)
{
    cJSON  *j;

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


static int
order_list(struct feat_req *r)
{
    int                     status;
    cJSON                  *list;
    size_t                  i, n;
    long long               total;
    struct feat_page        pg;
    struct feat_pay_order  *items;
    enum feat_error         e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    if (feat_admin_status_arg(r, order_statuses, &status) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_pay_order_all(feat_db(), r->arena, r->app->id, status,
                           pg.offset, pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: order list");
    }

    list = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, order_object(r, &items[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


static int
order_get(struct feat_req *r)
{
    cJSON                         *o, *list, *t;
    size_t                         i, n;
    sqlite3_int64                  id;
    struct feat_pay_txn           *txns;
    enum feat_error                e;
    struct feat_pay_order_detail   d;

    if (feat_admin_path_id(r, "order", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_pay_order_detail(feat_db(), r->arena, r->app->id, id, &d,
                              &txns, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: order %lld", (long long) id);
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

    return feat_reply(r, o);
}


const struct feat_route  admin_order_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "orders", FEAT_ADMIN, order_list,
      FEAT_MANAGER },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "orders/{id}", FEAT_ADMIN, order_get,
      FEAT_MANAGER },
    FEAT_NULL_ROUTE
};
