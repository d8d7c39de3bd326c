/*
 * pay/feat_wx.c: paying an order with WeChat Pay, feat.c's POST
 * /api/pay/order/pay/ for pay_method 200.  The attempt's
 * pay/unifiedorder (wxpay.c) carries the body, expiry and trade type of
 * the end type; the answer is the seed's form of that end type: NATIVE's
 * code_url and H5's mweb_url, APP's parameters signed for the SDK, and
 * JSAPI's at the top level.  A stored prepay is answered again while
 * WeChat keeps it (a JSAPI one for the same openid only: its key holds
 * it).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"

/* An mweb_url lives five minutes at WeChat: a little less, for the
 * payer's time (a prepay_id's is FEAT_PAY_PREPAY_TTL). */
#define PAY_MWEB_TTL     240
#define PAY_BODY_MAX     127      /* bytes of WeChat's body field */


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
pay_wx_answer(struct feat_req *r, const struct feat_pay_in *in,
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
pay_wx_prepay(struct feat_req *r, const struct feat_pay_in *in,
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
    feat_wx_add(&p, "time_expire", feat_pay_cn_time(r->arena, o->expires_at,
                                             FEAT_WX_TIME));
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


int
feat_pay_wx(struct feat_req *r, const struct feat_pay_in *in,
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
        return feat_pay_fail(r, e, o->id);
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
        && feat_pay_attempt_same(stored, &pp)
        && now < stored->at + (in->end == FEAT_PAY_END_H5
                               ? PAY_MWEB_TTL : FEAT_PAY_PREPAY_TTL))
    {
        return pay_wx_answer(r, in, &m, stored);
    }

    if (feat_pay_attempt_pick(r, o, stored, &pp, &rc) != FEAT_OK) {
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
        return feat_pay_fail(r, e, o->id);
    }

    return pay_wx_answer(r, in, &m, &pp);
}
