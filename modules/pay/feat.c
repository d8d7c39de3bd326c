/*
 * pay/feat.c: the feat dialect's payments (issue 10): the app's products
 * under /api/pay/product/ and the caller's orders under /api/pay/order/.
 * Every route needs a user's session.
 *
 * A product answers {id, name, description, price_fen}; an order {id,
 * out_trade_no, subject, amount_fen, status, status_display, pay_method,
 * created_at, paid_at, expires_at}.  The domain (pay.c) decides; this
 * file reads the fields and renders the objects.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"


static cJSON *
pay_time(struct feat_req *r, time_t t)
{
    return t != 0 ? cJSON_CreateString(feat_time(r, t)) : cJSON_CreateNull();
}


static cJSON *
pay_product_object(const struct feat_pay_product *p)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "description", p->description);
    cJSON_AddNumberToObject(o, "price_fen", (double) p->price_fen);

    return o;
}


static cJSON *
pay_order_object(struct feat_req *r, const struct feat_pay_order *o)
{
    cJSON  *j;

    j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double) o->id);
    cJSON_AddStringToObject(j, "out_trade_no", o->out_trade_no);
    cJSON_AddStringToObject(j, "subject", o->subject);
    cJSON_AddNumberToObject(j, "amount_fen", (double) o->amount_fen);
    cJSON_AddNumberToObject(j, "status", o->status);
    cJSON_AddStringToObject(j, "status_display",
                            feat_pay_status_name(o->status));
    cJSON_AddItemToObject(j, "pay_method",
                          o->has_pay_method
                          ? cJSON_CreateNumber(o->pay_method)
                          : cJSON_CreateNull());
    cJSON_AddItemToObject(j, "created_at", pay_time(r, o->created_at));
    cJSON_AddItemToObject(j, "paid_at", pay_time(r, o->paid_at));
    cJSON_AddItemToObject(j, "expires_at", pay_time(r, o->expires_at));

    return j;
}


static int
pay_fail(struct feat_req *r, enum feat_error e, sqlite3_int64 id)
{
    return feat_fail(r, e, "pay order %lld, user %lld", (long long) id,
                     (long long) r->user_id);
}


static int
pay_products(struct feat_req *r)
{
    size_t                    i, n;
    cJSON                    *items;
    long long                 total;
    enum feat_error           e;
    struct feat_page          pg;
    struct feat_pay_product  *list;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_pay_product_list(feat_db(), r->arena, r->app->id, 0, pg.offset,
                              pg.size, &total, &list, &n);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, 0);
    }

    items = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, pay_product_object(&list[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, items));
}


/*
 * POST /api/pay/order/: {product_id, quantity (1..99, default 1)} or
 * {project_id}, exactly one of the two; never an amount.
 */
static int
pay_order_create(struct feat_req *r)
{
    int                     has_product, has_project;
    long long               product, quantity, project;
    const char             *bad;
    enum feat_error         e;
    struct feat_pay_order   o;

    product = 0;
    project = 0;
    quantity = 1;

    switch (feat_in_int(r, "product_id", &product, 1, INT64_MAX, 0)) {
    case FEAT_ERROR:
        return feat_fail_field(r);
    case FEAT_OK:
        has_product = 1;
        break;
    default:
        has_product = 0;
    }

    switch (feat_in_int(r, "project_id", &project, 1, INT64_MAX, 0)) {
    case FEAT_ERROR:
        return feat_fail_field(r);
    case FEAT_OK:
        has_project = 1;
        break;
    default:
        has_project = 0;
    }

    if (has_product == has_project) {
        return feat_fail_bad(r, has_product ? "project_id" : "product_id",
                             "exactly one of product_id and project_id");
    }

    if (has_product
        && feat_in_int(r, "quantity", &quantity, 1, FEAT_PAY_QUANTITY_MAX, 0)
           == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    if (has_project && feat_in_int(r, "quantity", &quantity, 1, 1, 0)
                       == FEAT_ERROR)
    {
        return feat_fail_bad(r, "quantity", "1 for a project");
    }

    bad = NULL;
    e = feat_pay_order_create(feat_db(), r->arena, r->app->id, r->user_id,
                              product, quantity, project,
                              feat_setting_int(r->app->id, FEAT_PAY_TTL_KEY),
                              &o, &bad);
    if (e == FEAT_E_BAD_FIELD && bad != NULL) {
        return feat_fail_bad(r, bad, strcmp(bad, "product_id") == 0
                             ? "an active product of the app"
                             : "a COMPLETED service project of yours");
    }
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, 0);
    }

    r->status = 201;

    return feat_reply(r, pay_order_object(r, &o));
}


static int
pay_order_list(struct feat_req *r)
{
    size_t                  i, n;
    cJSON                  *items;
    long long               total;
    enum feat_error         e;
    struct feat_page        pg;
    struct feat_pay_order  *list;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_pay_order_list(feat_db(), r->arena, r->app->id, r->user_id,
                            pg.offset, pg.size, &total, &list, &n);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, 0);
    }

    items = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, pay_order_object(r, &list[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, items));
}


static int
pay_order_get(struct feat_req *r)
{
    sqlite3_int64          id;
    enum feat_error        e;
    struct feat_pay_order  o;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad order id");
    }

    e = feat_pay_order_get(feat_db(), r->arena, r->app->id, r->user_id, id,
                           &o);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, id);
    }

    return feat_reply(r, pay_order_object(r, &o));
}


static void
pay_sweep(sqlite3 *db, time_t now)
{
    feat_pay_sweep(db, now);
}


static const struct feat_route  pay_routes[] = {
    { FEAT_GET, "/api/pay/product/", FEAT_FEAT,
      pay_products, FEAT_USER_SESSION },
    { FEAT_GET, "/api/pay/order/", FEAT_FEAT,
      pay_order_list, FEAT_USER_SESSION },
    { FEAT_POST, "/api/pay/order/", FEAT_FEAT,
      pay_order_create, FEAT_USER_SESSION },
    { FEAT_GET, "/api/pay/order/{id}/", FEAT_FEAT,
      pay_order_get, FEAT_USER_SESSION },
    FEAT_NULL_ROUTE
};


static const struct feat_setting  pay_settings[] = {
    { FEAT_PAY_TTL_KEY, FEAT_SETTING_INT, 0, "7200", NULL, 60, 2592000,
      NULL, "seconds an unpaid order stays payable", NULL },
    FEAT_NULL_SETTING
};


const struct feat_module  feat_pay_module = {
    .name = "pay",
    .routes = pay_routes,
    .sweep = pay_sweep,
    .settings = pay_settings,
};
