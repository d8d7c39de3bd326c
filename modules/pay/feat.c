/*
 * pay/feat.c: the feat dialect's payments (issue 10): the app's products
 * under /api/pay/product/ and the caller's orders under /api/pay/order/.
 * Every route needs a user's session.
 *
 * A product answers {id, name, description, price_fen}; an order {id,
 * out_trade_no, subject, amount_fen, status, status_display, pay_method,
 * created_at, paid_at, expires_at}.  The domain (pay.c) decides; this
 * file reads the fields and renders the objects.
 *
 * POST /api/pay/order/pay/ (scope pay_trade_order alone) starts paying
 * an order: this file reads the body, checks the order and picks its
 * attempt; feat_wx.c pays with WeChat Pay API v2's pay/unifiedorder
 * (wxpay.c), answered in the seed's four forms, the prepay stored on the
 * order and reused by the same call while WeChat keeps it (for JSAPI only
 * for the same payer's openid: another open_id gets a new unifiedorder,
 * since a prepay_id is bound to the openid it was made for); feat_ali.c
 * with Alipay (alitrade.c): the signed alipay.trade.app.pay order string,
 * a precreate's QR code (reused while valid) or the signed
 * alipay.trade.wap.pay URL.  The checks come in the order their errors
 * are cheapest and surest: the body (400), the order (404, 409), the
 * app's merchant (503), then the gateway (502); nothing is stored unless
 * the gateway's signed answer is good.
 *
 * GET /api/pay/order/<id>/ of an UNPAID order whose pay was started asks
 * the gateways whether it was paid, at most once a minute (notify.c);
 * the list never waits on a gateway.  The notifies are notify.c's.
 */

#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"

#define PAY_OPENID_MAX   128


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers.  The handlers read their input through these rows and the
 * OpenAPI document is made from them.  In an answer FEAT_REQUIRED says
 * the member is always there, FEAT_NULLABLE that it may be null.
 */
#define PAY_ALWAYS    FEAT_REQUIRED
#define PAY_OR_NULL   (FEAT_REQUIRED | FEAT_NULLABLE)

/* pay_method and end_type are the seed's codes in hundreds; beyond the
 * ones known the answer is unsupported_pay_method, above this a 400. */
#define PAY_CODE_MAX      1000
#define PAY_EXTRA_MAX     4096     /* extra_params as a form's JSON text */

enum { PAY_CREATE_PRODUCT, PAY_CREATE_PROJECT, PAY_CREATE_QUANTITY };

static const struct feat_field  pay_order_create_in[] = {
    [PAY_CREATE_PRODUCT] =
    { "product_id", FEAT_FT_ID, 0, 0, 0, NULL,
      "an active product of the app (or project_id)" },
    [PAY_CREATE_PROJECT] =
    { "project_id", FEAT_FT_ID, 0, 0, 0, NULL,
      "a COMPLETED service project of the caller's (or product_id)" },
    /* a project's order takes only 1: the handler refuses the rest */
    [PAY_CREATE_QUANTITY] =
    { "quantity", FEAT_FT_INT, 0, 1, FEAT_PAY_QUANTITY_MAX, NULL,
      "how many of the product (default 1; 1 for a project)" },
    FEAT_NULL_FIELD
};

static const struct feat_field  pay_extra_in[] = {
    { "wx_app_type", FEAT_FT_STR, 0, 0, 0, NULL,
      "official_account (the default) or feat_ios_app" },
    { "open_id", FEAT_FT_STR, 0, 1, PAY_OPENID_MAX, NULL,
      "the payer's WeChat openid, [0-9A-Za-z_-]; required for JSAPI" },
    FEAT_NULL_FIELD
};

enum { PAY_IN_METHOD, PAY_IN_END, PAY_IN_ORDER, PAY_IN_EXTRA };

static const struct feat_field  pay_order_pay_in[] = {
    [PAY_IN_METHOD] =
    { "pay_method", FEAT_FT_INT, FEAT_REQUIRED, 0, PAY_CODE_MAX, NULL,
      "100 Alipay, 200 WeChat Pay" },
    [PAY_IN_END] =
    { "end_type", FEAT_FT_INT, FEAT_REQUIRED, 0, PAY_CODE_MAX, NULL,
      "0 NATIVE (QR code), 100 APP, 200 JSAPI (WeChat only), 300 H5" },
    [PAY_IN_ORDER] =
    { "order_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL,
      "the caller's UNPAID order" },
    /* read by pay_in_extra, not through the row: a JSON body's object,
     * or in a form the object's JSON text (at most PAY_EXTRA_MAX) */
    [PAY_IN_EXTRA] =
    { "extra_params", FEAT_FT_OBJ, FEAT_NULLABLE, 0, 0, NULL,
      "WeChat's options (a form: the object's JSON text)", pay_extra_in },
    FEAT_NULL_FIELD
};

static const struct feat_field  pay_product_out[] = {
    { "id", FEAT_FT_ID, PAY_ALWAYS, 0, 0, NULL, "the product's id" },
    { "name", FEAT_FT_STR, PAY_ALWAYS, 0, FEAT_PAY_NAME_MAX, NULL,
      "its name" },
    { "description", FEAT_FT_STR, PAY_ALWAYS, 0, FEAT_PAY_DESC_MAX, NULL,
      "what it is" },
    { "price_fen", FEAT_FT_INT, PAY_ALWAYS, 1, FEAT_PAY_PRICE_MAX, NULL,
      "its price in fen" },
    FEAT_NULL_FIELD
};

static const struct feat_field  pay_order_out[] = {
    { "id", FEAT_FT_ID, PAY_ALWAYS, 0, 0, NULL, "the order's id" },
    { "out_trade_no", FEAT_FT_STR, PAY_ALWAYS, 0, 0, NULL,
      "its number at the gateways" },
    { "subject", FEAT_FT_STR, PAY_ALWAYS, 0, 0, NULL, "what is bought" },
    { "amount_fen", FEAT_FT_INT, PAY_ALWAYS, 1, LLONG_MAX, NULL,
      "the amount in fen" },
    { "status", FEAT_FT_INT, PAY_ALWAYS, FEAT_PAY_UNPAID, FEAT_PAY_CLOSED,
      NULL, "0 unpaid, 100 paid, 200 closed" },
    { "status_display", FEAT_FT_STR, PAY_ALWAYS, 0, 0, NULL,
      "the status's name" },
    { "pay_method", FEAT_FT_INT, PAY_OR_NULL,
      FEAT_PAY_UNIONPAY, FEAT_PAY_WEIXIN, NULL,
      "how it was paid or is being paid (100 Alipay, 200 WeChat), or null" },
    { "created_at", FEAT_FT_TIME, PAY_ALWAYS, 0, 0, NULL, "created" },
    { "paid_at", FEAT_FT_TIME, PAY_OR_NULL, 0, 0, NULL, "paid, or null" },
    { "expires_at", FEAT_FT_TIME, PAY_ALWAYS, 0, 0, NULL,
      "no longer payable after" },
    FEAT_NULL_FIELD
};

/*
 * What paying answers depends on the method and end type: one object
 * whose members are those of its form (none always there).  WeChat's
 * JSAPI form is the seed's, at the top level without "data" (RAW).
 */
static const struct feat_field  pay_order_pay_out[] = {
    { "trade_type", FEAT_FT_STR, 0, 0, 0, NULL,
      "WeChat NATIVE or H5: \"NATIVE\" or \"MWEB\"" },
    { "code_url", FEAT_FT_STR, 0, 0, 0, "uri",
      "WeChat NATIVE: the URL to show as a QR code" },
    { "mweb_url", FEAT_FT_STR, 0, 0, 0, "uri",
      "WeChat H5: the page to open" },
    { "prepay_id", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat NATIVE or H5" },
    { "package", FEAT_FT_STR, 0, 0, 0, NULL,
      "WeChat APP: \"Sign=WXPay\"; JSAPI: \"prepay_id=...\"" },
    { "timestamp", FEAT_FT_INT, 0, 0, LLONG_MAX, NULL,
      "WeChat APP: unix seconds" },
    { "prepayid", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat APP" },
    { "appid", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat APP" },
    { "partnerid", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat APP: the mch_id" },
    { "noncestr", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat APP" },
    { "sign", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat APP: the signature" },
    { "appId", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat JSAPI (top level)" },
    { "timeStamp", FEAT_FT_INT, 0, 0, LLONG_MAX, NULL,
      "WeChat JSAPI: unix seconds" },
    { "nonceStr", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat JSAPI" },
    { "signType", FEAT_FT_STR, 0, 0, 0, NULL,
      "WeChat JSAPI: MD5 or HMAC-SHA256" },
    { "paySign", FEAT_FT_STR, 0, 0, 0, NULL, "WeChat JSAPI: the signature" },
    { "qr_code", FEAT_FT_STR, 0, 0, 0, "uri",
      "Alipay NATIVE: the precreate's QR code" },
    { "order_string", FEAT_FT_STR, 0, 0, 0, NULL,
      "Alipay APP: the signed alipay.trade.app.pay order string" },
    { "pay_url", FEAT_FT_STR, 0, 0, 0, "uri",
      "Alipay H5: the signed alipay.trade.wap.pay URL" },
    FEAT_NULL_FIELD
};


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


int
feat_pay_fail(struct feat_req *r, enum feat_error e, sqlite3_int64 id)
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
        return feat_pay_fail(r, e, 0);
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
    int                       has_product, has_project;
    long long                 product, quantity, project;
    const char               *bad;
    enum feat_error           e;
    struct feat_pay_order     o;
    const struct feat_field  *in;

    product = 0;
    project = 0;
    quantity = 1;

    in = pay_order_create_in;

    switch (feat_in_field(r, &in[PAY_CREATE_PRODUCT], &product)) {
    case FEAT_ERROR:
        return feat_fail_field(r);
    case FEAT_OK:
        has_product = 1;
        break;
    default:
        has_product = 0;
    }

    switch (feat_in_field(r, &in[PAY_CREATE_PROJECT], &project)) {
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
        && feat_in_field(r, &in[PAY_CREATE_QUANTITY], &quantity)
           == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    /* a project is bought once: any other quantity, even a malformed
     * one, is refused with the same reason */
    if (has_project
        && (feat_in_field(r, &in[PAY_CREATE_QUANTITY], &quantity)
            == FEAT_ERROR
            || quantity != 1))
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
        return feat_pay_fail(r, e, 0);
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
        return feat_pay_fail(r, e, 0);
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

    /* a lost notify: the gateway says whether it was paid */
    if (e == FEAT_E_NONE && feat_pay_query(r->arena, &o)) {
        e = feat_pay_order_get(feat_db(), r->arena, r->app->id, r->user_id,
                               id, &o);
    }

    if (e != FEAT_E_NONE) {
        return feat_pay_fail(r, e, id);
    }

    return feat_reply(r, pay_order_object(r, &o));
}


/* ---- paying -------------------------------------------------------------- */

static int
pay_openid_ok(const char *s)
{
    for ( ; *s != '\0'; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z')
              || (*s >= 'a' && *s <= 'z') || *s == '_' || *s == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/* extra_params: a JSON object (a JSON text in a form body); FEAT_OK or
 * FEAT_ERROR with r->bad_field set. */
static int
pay_in_extra(struct feat_req *r, struct feat_pay_in *in)
{
    cJSON                    *x, *v;
    const char               *text;
    const struct feat_field  *f;

    in->wx_app_type = "official_account";
    in->open_id = NULL;

    f = &pay_order_pay_in[PAY_IN_EXTRA];

    if (r->json != NULL) {
        x = cJSON_GetObjectItemCaseSensitive(r->json, f->name);
    } else {
        text = NULL;
        if (feat_in_str(r, f->name, &text, PAY_EXTRA_MAX, 0) == FEAT_ERROR) {
            return FEAT_ERROR;
        }
        x = text != NULL ? feat_arena_json(r->arena, cJSON_Parse(text))
                         : NULL;
        if (text != NULL && x == NULL) {
            goto bad;
        }
    }

    if (x == NULL || cJSON_IsNull(x)) {
        return FEAT_OK;
    }

    if (!cJSON_IsObject(x)) {
        goto bad;
    }

    v = cJSON_GetObjectItemCaseSensitive(x, "wx_app_type");
    if (v != NULL && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)
            || (strcmp(v->valuestring, "official_account") != 0
                && strcmp(v->valuestring, "feat_ios_app") != 0))
        {
            r->bad_field = "extra_params";
            r->bad_reason = "wx_app_type: official_account or feat_ios_app";
            return FEAT_ERROR;
        }
        in->wx_app_type = v->valuestring;
    }

    v = cJSON_GetObjectItemCaseSensitive(x, "open_id");
    if (v != NULL && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v) || v->valuestring[0] == '\0'
            || strlen(v->valuestring) > PAY_OPENID_MAX
            || !pay_openid_ok(v->valuestring))
        {
            r->bad_field = "extra_params";
            r->bad_reason = "open_id: 1 to 128 of [0-9A-Za-z_-]";
            return FEAT_ERROR;
        }
        in->open_id = v->valuestring;
    }

    return FEAT_OK;

bad:

    r->bad_field = "extra_params";
    r->bad_reason = "an object";

    return FEAT_ERROR;
}




/* ---- attempts ------------------------------------------------------------ */

/* 1 when the attempt a is for b's provider, end type and key. */
int
feat_pay_attempt_same(const struct feat_pay_prepay *a,
    const struct feat_pay_prepay *b)
{
    return a->pay_method == b->pay_method && a->end_type == b->end_type
           && strcmp(a->key, b->key) == 0;
}


/*
 * The attempt of o the pay call wants (pp: provider, end type, key,
 * provider app): the open one stored when it has the same parameters (its
 * number is sent again with them, as the gateways allow); else, after
 * the open one is closed at its gateway, a new attempt with a new
 * number, so one number never carries two sets of parameters and no two
 * attempts of one order are payable at once.  FEAT_OK with
 * pp->attempt and pp->out_trade_no; FEAT_ERROR when r was answered (*rc
 * the handler's result): the
 * close found the attempt paid (o is settled PAID, and the call answers
 * as for a PAID order), or the gateway did not close it (PAY_GATEWAY:
 * nothing stored), or the order changed meanwhile.
 */
int
feat_pay_attempt_pick(struct feat_req *r, const struct feat_pay_order *o,
    const struct feat_pay_prepay *stored, struct feat_pay_prepay *pp,
    int *rc)
{
    int              st;
    enum feat_error  e;

    if (stored->attempt != 0 && feat_pay_attempt_same(stored, pp)) {
        pp->attempt = stored->attempt;
        pp->out_trade_no = stored->out_trade_no;
        return FEAT_OK;
    }

    if (stored->attempt != 0) {
        st = feat_pay_attempt_close(r->arena, o, stored);

        if (st == FEAT_PAY_AT_PAID) {
            *rc = feat_fail(r, FEAT_E_WRONG_STATE, "order %lld was paid by"
                            " its attempt %s", (long long) o->id,
                            stored->out_trade_no);
            return FEAT_ERROR;
        }

        if (st != FEAT_PAY_AT_CLOSED && st != FEAT_PAY_AT_DEFERRED) {
            *rc = feat_fail(r, FEAT_E_PAY_GATEWAY, "the attempt %s of order"
                            " %lld not closed: no new attempt",
                            stored->out_trade_no, (long long) o->id);
            return FEAT_ERROR;
        }

        feat_log(LOG_INFO, 0, "pay: order %lld: attempt %s closed for"
                 " another", (long long) o->id, stored->out_trade_no);
    }

    e = feat_pay_attempt_new(feat_db(), r->arena, o, stored->attempt, pp);
    if (e != FEAT_E_NONE) {
        *rc = feat_pay_fail(r, e, o->id);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}




static int
pay_order_pay(struct feat_req *r)
{
    int                       ok;
    long long                 id;
    enum feat_error           e;
    struct feat_pay_in             in;
    struct feat_pay_order     o;
    struct feat_pay_prepay    stored;

    if (feat_in_field(r, &pay_order_pay_in[PAY_IN_METHOD], &in.method)
            == FEAT_ERROR
        || feat_in_field(r, &pay_order_pay_in[PAY_IN_END], &in.end)
            == FEAT_ERROR
        || feat_in_field(r, &pay_order_pay_in[PAY_IN_ORDER], &id)
            == FEAT_ERROR
        || pay_in_extra(r, &in) != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    in.order_id = id;

    switch (in.method) {
    case FEAT_PAY_WEIXIN:
        ok = in.end == FEAT_PAY_END_NATIVE || in.end == FEAT_PAY_END_APP
             || in.end == FEAT_PAY_END_JSAPI || in.end == FEAT_PAY_END_H5;
        break;
    case FEAT_PAY_ALIPAY:
        ok = in.end == FEAT_PAY_END_NATIVE || in.end == FEAT_PAY_END_APP
             || in.end == FEAT_PAY_END_H5;
        break;
    default:
        ok = 0;
    }

    if (!ok) {
        return feat_fail(r, FEAT_E_PAY_METHOD, "pay_method %lld, end_type"
                         " %lld", in.method, in.end);
    }

    if (in.method == FEAT_PAY_WEIXIN && in.end == FEAT_PAY_END_JSAPI
        && in.open_id == NULL)
    {
        return feat_fail_bad(r, "open_id",
                             "required for JSAPI (extra_params.open_id)");
    }

    e = feat_pay_order_payable(feat_db(), r->arena, r->app->id, r->user_id,
                               in.order_id, &o, &stored);
    if (e != FEAT_E_NONE) {
        return feat_pay_fail(r, e, in.order_id);
    }

    return in.method == FEAT_PAY_WEIXIN ? feat_pay_wx(r, &in, &o, &stored)
                                        : feat_pay_ali(r, &in, &o, &stored);
}


static void
pay_sweep(sqlite3 *db, time_t now)
{
    feat_pay_sweep(db, now);
    feat_pay_close_due(db, now);
}


static const struct feat_schema  pay_products_schema = {
    .summary = "The app's products on sale",
    .answer = pay_product_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  pay_order_list_schema = {
    .summary = "The caller's orders, newest first",
    .answer = pay_order_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  pay_order_create_schema = {
    .summary = "Order a product or a completed service project (201); "
               "the amount is the server's",
    .request = pay_order_create_in,
    .answer = pay_order_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  pay_order_get_schema = {
    .summary = "One of the caller's orders (an unpaid one asks the gateway "
               "at most once a minute)",
    .answer = pay_order_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  pay_order_pay_schema = {
    .summary = "Start paying an order with WeChat Pay or Alipay; scope "
               "pay_trade_order",
    .request = pay_order_pay_in,
    .answer = pay_order_pay_out,
    .shape = FEAT_ANSWER_OBJECT | FEAT_ANSWER_RAW,
};

static const struct feat_schema  pay_notify_weixin_schema = {
    .summary = "WeChat Pay's notify: its signed XML in, its XML "
               "<xml><return_code>SUCCESS or FAIL</return_code>... out",
    .shape = FEAT_ANSWER_RAW,
};

static const struct feat_schema  pay_notify_alipay_schema = {
    .summary = "Alipay's notify: its signed form in, the text success or "
               "failure out",
    .shape = FEAT_ANSWER_RAW,
};


static const struct feat_route  pay_routes[] = {
    { FEAT_GET, "/api/pay/product/", FEAT_FEAT,
      pay_products, FEAT_USER_SESSION,
      &pay_products_schema },
    { FEAT_GET, "/api/pay/order/", FEAT_FEAT,
      pay_order_list, FEAT_USER_SESSION,
      &pay_order_list_schema },
    { FEAT_POST, "/api/pay/order/", FEAT_FEAT,
      pay_order_create, FEAT_USER_SESSION,
      &pay_order_create_schema },
    { FEAT_GET, "/api/pay/order/{id}/", FEAT_FEAT,
      pay_order_get, FEAT_USER_SESSION,
      &pay_order_get_schema },
    { FEAT_POST, "/api/pay/order/pay/", FEAT_FEAT,
      pay_order_pay, FEAT_USER_SESSION | FEAT_SCOPE_PAY,
      &pay_order_pay_schema },
    { FEAT_POST, "/api/pay/notify/weixin/", FEAT_FEAT,
      feat_pay_notify_weixin, FEAT_PUBLIC | FEAT_RAW_BODY,
      &pay_notify_weixin_schema },
    { FEAT_POST, "/api/pay/notify/alipay/", FEAT_FEAT,
      feat_pay_notify_alipay, FEAT_PUBLIC | FEAT_RAW_BODY,
      &pay_notify_alipay_schema },
    FEAT_NULL_ROUTE
};


static const char *const  pay_sign_types[] = { "MD5", "HMAC-SHA256", NULL };

static const struct feat_setting  pay_settings[] = {
    { FEAT_PAY_TTL_KEY, FEAT_SETTING_INT, 0, "7200", NULL, 60, 2592000,
      NULL, "seconds an unpaid order stays payable", NULL },
    { "weixin.mch_id", FEAT_SETTING_STR, 0, NULL, NULL, 0, 32, NULL,
      "WeChat Pay merchant id (mch_id)", NULL },
    { "weixin.key", FEAT_SETTING_STR, FEAT_SETTING_SECRET, NULL, NULL, 0, 64,
      NULL, "WeChat Pay API v2 key that signs both ways", NULL },
    { "weixin.sign_type", FEAT_SETTING_ENUM, 0, "MD5", NULL, 0, 0,
      pay_sign_types, "WeChat Pay signature: MD5 or HMAC-SHA256", NULL },
    { "weixin.appid.official_account", FEAT_SETTING_STR, 0, NULL, NULL, 0,
      32, NULL, "WeChat app id of the official account (JSAPI, NATIVE, H5)",
      NULL },
    { "weixin.appid.feat_ios_app", FEAT_SETTING_STR, 0, NULL, NULL, 0, 32,
      NULL, "WeChat app id of the mobile app (APP)", NULL },
    { "weixin.gateway", FEAT_SETTING_URL, 0, "https://api.mch.weixin.qq.com",
      NULL, 0, 0, NULL, "WeChat Pay API v2 gateway", NULL },
    FEAT_NULL_SETTING
};


FEAT_PAY_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  pay_conf[] = {
    FEAT_PAY_CONF(FEAT_CONF_ENTRY)
    NULL
};


const struct feat_module  feat_pay_module = {
    .name = "pay",
    .routes = pay_routes,
    .conf = pay_conf,
    .sweep = pay_sweep,
    .settings = pay_settings,
};
