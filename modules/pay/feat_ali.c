/*
 * pay/feat_ali.c: paying an order with Alipay, feat.c's POST
 * /api/pay/order/pay/ for pay_method 100 (alitrade.c speaks the API).
 * APP answers the signed alipay.trade.app.pay order string and H5 the
 * signed alipay.trade.wap.pay URL, both made here for the payer's app or
 * browser to open; NATIVE asks the gateway for a precreate's QR code,
 * stored on the attempt and answered again while valid.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"


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
    case FEAT_PAY_END_H5:
        cJSON_AddStringToObject(biz, "product_code",
                                end == FEAT_PAY_END_APP ? "QUICK_MSECURITY_PAY"
                                                        : "QUICK_WAP_WAY");
        cJSON_AddStringToObject(biz, "time_expire",
                                feat_pay_cn_time(r->arena, o->expires_at,
                                                 FEAT_ALI_TIME));
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


int
feat_pay_ali(struct feat_req *r, const struct feat_pay_in *in,
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
        return feat_pay_fail(r, e, o->id);
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
        && stored->attempt != 0 && feat_pay_attempt_same(stored, &pp)
        && stored->pay_url[0] != '\0'
        && now < stored->at + FEAT_PAY_PREPAY_TTL)
    {
        field = "qr_code";
        value = stored->pay_url;
        goto answer;
    }

    if (feat_pay_attempt_pick(r, o, stored, &pp, &rc) != FEAT_OK) {
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
            return feat_pay_fail(r, e, o->id);
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
        return feat_pay_fail(r, e, o->id);
    }

answer:

    data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, field, value);

    return feat_reply(r, data);
}
