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
 * an order: WeChat Pay API v2's pay/unifiedorder (wxpay.c), answered in
 * the seed's four forms, the prepay stored on the order and reused by the
 * same call while WeChat keeps it (for JSAPI only for the same payer's
 * openid: another open_id gets a new unifiedorder, since a prepay_id is
 * bound to the openid it was made for); or Alipay (alitrade.c): the
 * signed alipay.trade.app.pay order string, a precreate's QR code
 * (reused while valid) or the signed alipay.trade.wap.pay URL.  The
 * checks come in the order their errors are cheapest and surest: the
 * body (400), the order (404, 409), the app's merchant (503), then the
 * gateway (502); nothing is stored unless the gateway's signed answer is
 * good.
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

/* A prepay is reused this long: WeChat keeps a prepay_id two hours, an
 * mweb_url five minutes; both a little less, for the payer's time. */
#define PAY_PREPAY_TTL   6900
#define PAY_MWEB_TTL     240
#define PAY_BODY_MAX     127      /* bytes of WeChat's body field */
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

    /* a lost notify: the gateway says whether it was paid */
    if (e == FEAT_E_NONE && feat_pay_query(r->arena, &o)) {
        e = feat_pay_order_get(feat_db(), r->arena, r->app->id, r->user_id,
                               id, &o);
    }

    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, id);
    }

    return feat_reply(r, pay_order_object(r, &o));
}


/* ---- paying -------------------------------------------------------------- */

struct pay_in {
    sqlite3_int64   order_id;
    long long       method;
    long long       end;
    const char     *wx_app_type;
    const char     *open_id;      /* NULL: none */
};


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
pay_in_extra(struct feat_req *r, struct pay_in *in)
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


/* The body field: the subject cut to WeChat's 127 bytes at a character. */
static const char *
pay_wx_body(struct feat_arena *a, const char *subject)
{
    size_t  n;

    n = strlen(subject);
    if (n <= PAY_BODY_MAX) {
        return subject;
    }

    n = PAY_BODY_MAX;
    while (n > 0 && ((unsigned char) subject[n] & 0xc0) == 0x80) {
        n--;
    }

    return feat_arena_strndup(a, subject, n);
}


/* WeChat's yyyyMMddHHmmss, in China's time whatever the config's zone. */
static const char *
pay_wx_time(struct feat_arena *a, time_t t)
{
    char       buf[16];
    struct tm  tm;

    t += 8 * 3600;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);

    return feat_arena_strdup(a, buf);
}


static const char *
pay_nonce(struct feat_arena *a)
{
    char  *s;

    s = feat_arena_alloc(a, 33);
    feat_random_base62(s, 32);

    return s;
}


/* The seed's answer of end type in->end for the prepay pp. */
static int
pay_wx_answer(struct feat_req *r, const struct pay_in *in,
    const struct feat_wx_merchant *m, const struct feat_pay_prepay *pp)
{
    cJSON                  *o;
    const char             *ts, *nonce, *pkg;
    time_t                  now;
    struct feat_wx_params   p;

    o = cJSON_CreateObject();
    now = feat_now();
    ts = feat_arena_sprintf(r->arena, "%lld", (long long) now);
    nonce = pay_nonce(r->arena);
    p.n = 0;

    switch (in->end) {

    case FEAT_PAY_END_NATIVE:
    case FEAT_PAY_END_H5:
        cJSON_AddStringToObject(o, "trade_type",
                                in->end == FEAT_PAY_END_NATIVE ? "NATIVE"
                                                               : "MWEB");
        cJSON_AddStringToObject(o, in->end == FEAT_PAY_END_NATIVE
                                   ? "code_url" : "mweb_url", pp->pay_url);
        cJSON_AddStringToObject(o, "prepay_id", pp->prepay_id);
        return feat_reply(r, o);

    case FEAT_PAY_END_APP:
        feat_wx_add(&p, "appid", m->appid);
        feat_wx_add(&p, "noncestr", nonce);
        feat_wx_add(&p, "package", "Sign=WXPay");
        feat_wx_add(&p, "partnerid", m->mch_id);
        feat_wx_add(&p, "prepayid", pp->prepay_id);
        feat_wx_add(&p, "timestamp", ts);
        cJSON_AddStringToObject(o, "package", "Sign=WXPay");
        cJSON_AddNumberToObject(o, "timestamp", (double) now);
        cJSON_AddStringToObject(o, "prepayid", pp->prepay_id);
        cJSON_AddStringToObject(o, "appid", m->appid);
        cJSON_AddStringToObject(o, "partnerid", m->mch_id);
        cJSON_AddStringToObject(o, "noncestr", nonce);
        cJSON_AddStringToObject(o, "sign",
                                feat_wx_sign(r->arena, &p, m->key, m->hmac));
        return feat_reply(r, o);
    }

    /* JSAPI: the seed's one answer at the top level */
    pkg = feat_arena_sprintf(r->arena, "prepay_id=%s", pp->prepay_id);
    feat_wx_add(&p, "appId", m->appid);
    feat_wx_add(&p, "timeStamp", ts);
    feat_wx_add(&p, "nonceStr", nonce);
    feat_wx_add(&p, "package", pkg);
    feat_wx_add(&p, "signType", m->hmac ? "HMAC-SHA256" : "MD5");
    cJSON_AddStringToObject(o, "appId", m->appid);
    cJSON_AddNumberToObject(o, "timeStamp", (double) now);
    cJSON_AddStringToObject(o, "nonceStr", nonce);
    cJSON_AddStringToObject(o, "package", pkg);
    cJSON_AddStringToObject(o, "signType", m->hmac ? "HMAC-SHA256" : "MD5");
    cJSON_AddStringToObject(o, "paySign",
                            feat_wx_sign(r->arena, &p, m->key, m->hmac));

    return feat_reply_body(r, 200, o);
}


/* pay/unifiedorder for order o under its attempt's number
 * pp->out_trade_no: FEAT_E_NONE with *pp's prepay filled. */
static enum feat_error
pay_wx_prepay(struct feat_req *r, const struct pay_in *in,
    const struct feat_wx_merchant *m, const struct feat_pay_order *o,
    struct feat_pay_prepay *pp)
{
    const char             *v;
    enum feat_error         e;
    struct feat_wx_params   p, ans;
    static const char *const  trade_types[] = {
        "NATIVE", "APP", "JSAPI", "MWEB"
    };

    p.n = 0;
    feat_wx_add(&p, "appid", m->appid);
    feat_wx_add(&p, "mch_id", m->mch_id);
    feat_wx_add(&p, "nonce_str", pay_nonce(r->arena));
    feat_wx_add(&p, "body", pay_wx_body(r->arena, o->subject));
    feat_wx_add(&p, "out_trade_no", pp->out_trade_no);
    feat_wx_add(&p, "total_fee",
                feat_arena_sprintf(r->arena, "%lld",
                                   (long long) o->amount_fen));
    feat_wx_add(&p, "spbill_create_ip",
                r->remote_addr != NULL ? r->remote_addr : "127.0.0.1");
    feat_wx_add(&p, "time_expire", pay_wx_time(r->arena, o->expires_at));
    feat_wx_add(&p, "notify_url",
                feat_arena_sprintf(r->arena, "%s/api/pay/notify/weixin/",
                                   feat_req_origin(r)));
    feat_wx_add(&p, "trade_type", trade_types[in->end / 100]);

    if (in->end == FEAT_PAY_END_NATIVE) {
        feat_wx_add(&p, "product_id",
                    feat_arena_sprintf(r->arena, "%lld",
                                       (long long) o->id));
    }
    if (in->end == FEAT_PAY_END_JSAPI) {
        feat_wx_add(&p, "openid", in->open_id);
    }
    if (in->end == FEAT_PAY_END_H5) {
        feat_wx_add(&p, "scene_info",
                    feat_arena_sprintf(r->arena, "{\"h5_info\":{\"type\":"
                                       "\"Wap\",\"wap_url\":\"%s\","
                                       "\"wap_name\":\"%s\"}}",
                                       feat_req_origin(r),
                                       r->app->id[0] != '\0' ? r->app->id
                                                              : "feat"));
    }

    e = feat_wx_call(r->arena, m, "/pay/unifiedorder", &p, &ans, NULL);
    if (e != FEAT_E_NONE) {
        return FEAT_E_PAY_GATEWAY;
    }

    pp->prepay_id = feat_wx_get(&ans, "prepay_id");
    v = feat_wx_get(&ans, in->end == FEAT_PAY_END_NATIVE ? "code_url"
                          : "mweb_url");
    pp->pay_url = v != NULL ? v : "";

    if (pp->prepay_id == NULL || pp->prepay_id[0] == '\0'
        || strlen(pp->prepay_id) > 128
        || ((in->end == FEAT_PAY_END_NATIVE || in->end == FEAT_PAY_END_H5)
            && pp->pay_url[0] == '\0'))
    {
        feat_log(LOG_WARNING, 0, "pay: WeChat pay/unifiedorder: no prepay_id"
                 " or %s in a successful answer",
                 in->end == FEAT_PAY_END_NATIVE ? "code_url" : "mweb_url");
        return FEAT_E_PAY_GATEWAY;
    }

    return FEAT_E_NONE;
}


/* ---- attempts ------------------------------------------------------------ */

/* 1 when the attempt a is for b's provider, end type and key. */
static int
pay_attempt_same(const struct feat_pay_prepay *a,
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
static int
pay_attempt(struct feat_req *r, const struct feat_pay_order *o,
    const struct feat_pay_prepay *stored, struct feat_pay_prepay *pp,
    int *rc)
{
    int              st;
    enum feat_error  e;

    if (stored->attempt != 0 && pay_attempt_same(stored, pp)) {
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

        if (st != FEAT_PAY_AT_CLOSED) {
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
        *rc = pay_fail(r, e, o->id);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* ---- Alipay -------------------------------------------------------------- */

/* Alipay's subject: the order's, without the characters its docs forbid
 * there ('/', '=', '&'). */
static const char *
pay_ali_subject(struct feat_arena *a, const char *subject)
{
    char  *s, *p;

    s = feat_arena_strdup(a, subject);
    for (p = s; *p != '\0'; p++) {
        if (*p == '/' || *p == '=' || *p == '&') {
            *p = ' ';
        }
    }

    return s;
}


/* The biz_content of order o's attempt no for method (end type end). */
static const char *
pay_ali_biz(struct feat_req *r, long long end, const struct feat_pay_order *o,
    const char *no)
{
    cJSON   *biz;
    time_t   left;

    biz = feat_arena_json(r->arena, cJSON_CreateObject());
    cJSON_AddStringToObject(biz, "out_trade_no", no);
    cJSON_AddStringToObject(biz, "total_amount",
                            feat_ali_amount(r->arena, o->amount_fen));
    cJSON_AddStringToObject(biz, "subject",
                            pay_ali_subject(r->arena, o->subject));

    switch (end) {

    case FEAT_PAY_END_APP:
        cJSON_AddStringToObject(biz, "product_code", "QUICK_MSECURITY_PAY");
        cJSON_AddStringToObject(biz, "time_expire",
                                feat_ali_time(r->arena, o->expires_at));
        break;

    case FEAT_PAY_END_H5:
        cJSON_AddStringToObject(biz, "product_code", "QUICK_WAP_WAY");
        cJSON_AddStringToObject(biz, "time_expire",
                                feat_ali_time(r->arena, o->expires_at));
        break;

    default:
        /* precreate takes a relative timeout, in whole minutes, rounded
         * down so the trade never outlives the order */
        left = (o->expires_at - feat_now()) / 60;
        cJSON_AddStringToObject(biz, "product_code", "FACE_TO_FACE_PAYMENT");
        cJSON_AddStringToObject(biz, "timeout_express",
                                feat_arena_sprintf(r->arena, "%lldm",
                                    (long long) (left > 1 ? left : 1)));
    }

    return feat_ali_biz(r->arena, biz);
}


/* alipay.trade.precreate of order o's attempt no: FEAT_E_NONE with *qr. */
static enum feat_error
pay_ali_precreate(struct feat_req *r, const struct feat_ali_merchant *m,
    const struct feat_pay_order *o, const char *no, const char *notify,
    const char **qr)
{
    cJSON            *resp, *v;
    const char       *raw;
    enum feat_error   e;

    e = feat_ali_call(r->arena, m, "alipay.trade.precreate",
                      pay_ali_biz(r, FEAT_PAY_END_NATIVE, o, no), notify,
                      &resp, &raw);
    if (e == FEAT_E_NOT_FOUND) {
        e = FEAT_E_PAY_GATEWAY;
    }
    if (e != FEAT_E_NONE) {
        return e;
    }

    v = cJSON_GetObjectItemCaseSensitive(resp, "out_trade_no");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, no) != 0)
    {
        feat_log(LOG_WARNING, 0, "pay: Alipay alipay.trade.precreate: the"
                 " answer is for another order");
        return FEAT_E_PAY_GATEWAY;
    }

    v = cJSON_GetObjectItemCaseSensitive(resp, "qr_code");
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0'
        || strlen(v->valuestring) > 512)
    {
        feat_log(LOG_WARNING, 0, "pay: Alipay alipay.trade.precreate: no"
                 " qr_code in a successful answer");
        return FEAT_E_PAY_GATEWAY;
    }

    *qr = v->valuestring;

    return FEAT_E_NONE;
}


static int
pay_ali(struct feat_req *r, const struct pay_in *in,
    const struct feat_pay_order *o, const struct feat_pay_prepay *stored)
{
    int                        rc;
    cJSON                     *data;
    time_t                     now;
    const char                *notify, *qr, *field, *value, *sep;
    enum feat_error            e;
    struct feat_wx_params      p;
    struct feat_pay_prepay     pp;
    struct feat_ali_merchant   m;

    e = feat_ali_merchant(r->app->id, &m);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, o->id);
    }

    now = feat_now();
    notify = feat_arena_sprintf(r->arena, "%s/api/pay/notify/alipay/",
                                feat_req_origin(r));

    memset(&pp, 0, sizeof(pp));
    pp.pay_method = (int) in->method;
    pp.end_type = (int) in->end;
    pp.key = m.app_id;
    pp.prepay_id = "";
    pp.pay_url = "";
    pp.provider_app = m.app_id;
    pp.at = now;

    if (in->end == FEAT_PAY_END_NATIVE
        && stored->attempt != 0 && pay_attempt_same(stored, &pp)
        && stored->pay_url[0] != '\0' && now < stored->at + PAY_PREPAY_TTL)
    {
        field = "qr_code";
        value = stored->pay_url;
        goto answer;
    }

    if (pay_attempt(r, o, stored, &pp, &rc) != FEAT_OK) {
        return rc;
    }

    if (in->end == FEAT_PAY_END_NATIVE) {
        field = "qr_code";

        e = pay_ali_precreate(r, &m, o, pp.out_trade_no, notify, &qr);
        if (e != FEAT_E_NONE) {
            return feat_fail(r, e, "Alipay alipay.trade.precreate of order"
                             " %lld (%s)", (long long) o->id,
                             pp.out_trade_no);
        }

        pp.pay_url = qr;
        value = qr;

    } else {
        /* signed here, opened by the payer's app or browser */
        e = feat_ali_request(r->arena, &m, in->end == FEAT_PAY_END_APP
                             ? "alipay.trade.app.pay"
                             : "alipay.trade.wap.pay",
                             pay_ali_biz(r, in->end, o, pp.out_trade_no),
                             notify, &p);
        if (e != FEAT_E_NONE) {
            return pay_fail(r, e, o->id);
        }

        if (in->end == FEAT_PAY_END_APP) {
            field = "order_string";
            value = feat_ali_encode(r->arena, &p);

        } else {
            field = "pay_url";
            sep = strchr(m.gateway, '?') != NULL ? "&" : "?";
            value = feat_arena_sprintf(r->arena, "%s%s%s", m.gateway, sep,
                                       feat_ali_encode(r->arena, &p));
        }
    }

    e = feat_pay_order_prepaid(feat_db(), r->app->id, r->user_id, o->id,
                               &pp);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, o->id);
    }

answer:

    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, field, value);

    return feat_reply(r, data);
}


/* ---- the route ----------------------------------------------------------- */

static int
pay_wx(struct feat_req *r, const struct pay_in *in,
    const struct feat_pay_order *o, const struct feat_pay_prepay *stored)
{
    int                       rc;
    time_t                    now;
    const char               *key;
    enum feat_error           e;
    struct feat_pay_prepay    pp;
    struct feat_wx_merchant   m;

    e = feat_wx_merchant(r->app->id, in->wx_app_type, &m);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, o->id);
    }

    /* a JSAPI prepay_id belongs to the openid it was made for */
    key = in->end == FEAT_PAY_END_JSAPI
          ? feat_arena_sprintf(r->arena, "%s/%s", m.appid, in->open_id)
          : m.appid;
    now = feat_now();

    memset(&pp, 0, sizeof(pp));
    pp.pay_method = (int) in->method;
    pp.end_type = (int) in->end;
    pp.key = key;
    pp.provider_app = m.appid;

    if (stored->attempt != 0 && stored->prepay_id[0] != '\0'
        && pay_attempt_same(stored, &pp)
        && now < stored->at + (in->end == FEAT_PAY_END_H5 ? PAY_MWEB_TTL
                                                          : PAY_PREPAY_TTL))
    {
        return pay_wx_answer(r, in, &m, stored);
    }

    if (pay_attempt(r, o, stored, &pp, &rc) != FEAT_OK) {
        return rc;
    }

    e = pay_wx_prepay(r, in, &m, o, &pp);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "WeChat pay/unifiedorder of order %lld"
                         " (%s)", (long long) o->id, pp.out_trade_no);
    }

    pp.at = now;

    e = feat_pay_order_prepaid(feat_db(), r->app->id, r->user_id, o->id,
                               &pp);
    if (e != FEAT_E_NONE) {
        return pay_fail(r, e, o->id);
    }

    return pay_wx_answer(r, in, &m, &pp);
}


static int
pay_order_pay(struct feat_req *r)
{
    int                       ok;
    long long                 id;
    enum feat_error           e;
    struct pay_in             in;
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
        return pay_fail(r, e, in.order_id);
    }

    return in.method == FEAT_PAY_WEIXIN ? pay_wx(r, &in, &o, &stored)
                                        : pay_ali(r, &in, &o, &stored);
}


static void
pay_sweep(sqlite3 *db, time_t now)
{
    feat_pay_sweep(db, now);
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
