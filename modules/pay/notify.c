/*
 * notify.c: how an order learns it was paid (internal.h): WeChat's
 * notify (POST /api/pay/notify/weixin/, XML), Alipay's (POST
 * /api/pay/notify/alipay/, a form), and the orderquery fallback that asks
 * the gateways (pay/orderquery, alipay.trade.query) when a reader finds
 * an order UNPAID whose pay was started, so a lost notify still ends
 * PAID.
 *
 * A notify has no session and no scope: its signature under the app of
 * the order it names is the only authentication.  Then the merchant or
 * Alipay app id, the result and the exact amount.  A query's answer is
 * believed under the same checks, signed as it is.  Both end in
 * feat_pay_settle: the order PAID once, with its one transaction row
 * (pay_order_paid's transaction and the table's unique provider and
 * transaction id make racing duplicates one), paid_at and the raw
 * message kept.  A replay is acknowledged and changes nothing; anything
 * refused changes nothing, is logged with why and answered with the
 * provider's failure form.  A failure of ours (the database) answers an
 * HTTP 500, so the provider sends the notify again.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"


#define PAY_TXN_MAX   64        /* bytes of a provider's transaction id */
#define PAY_XML_TYPE  "text/xml; charset=utf-8"
#define PAY_TEXT_TYPE "text/plain; charset=utf-8"


enum feat_error
feat_pay_settle(const struct feat_pay_order *o, int provider,
    const char *txn, const char *raw, const char *via)
{
    int              first;
    enum feat_error  e;

    e = feat_pay_order_paid(feat_db(), o->id, provider, txn, o->amount_fen,
                            raw, &first);
    if (e != FEAT_E_NONE) {
        feat_log(LOG_ERR, 0, "pay: the %s of order %lld not stored", via,
                 (long long) o->id);
        return FEAT_E_INTERNAL;
    }

    if (first) {
        feat_log(LOG_INFO, 0, "pay: order %lld PAID by %s transaction %s"
                 " (%s)", (long long) o->id,
                 provider == FEAT_PAY_WEIXIN ? "WeChat" : "Alipay", txn, via);
    }

    return FEAT_E_NONE;
}


/* 1 when txn is a transaction id to store. */
static int
pay_txn_ok(const char *txn)
{
    return txn != NULL && txn[0] != '\0' && strlen(txn) <= PAY_TXN_MAX;
}


/*
 * Alipay's yuan ("12.05", "12.5", "12") as fen: FEAT_OK, or FEAT_ERROR
 * for anything else (a sign, an exponent, a third decimal).
 */
static int
pay_ali_fen(const char *s, sqlite3_int64 *fen)
{
    int            dec;
    sqlite3_int64  v;

    v = 0;
    if (s == NULL || *s < '0' || *s > '9') {
        return FEAT_ERROR;
    }

    for ( ; *s >= '0' && *s <= '9'; s++) {
        if (v > FEAT_PAY_PRICE_MAX * FEAT_PAY_QUANTITY_MAX) {
            return FEAT_ERROR;
        }
        v = v * 10 + (*s - '0');
    }

    v *= 100;

    if (*s == '.') {
        s++;
        for (dec = 0; dec < 2 && *s >= '0' && *s <= '9'; dec++, s++) {
            v += (*s - '0') * (dec == 0 ? 10 : 1);
        }
        if (dec == 0) {
            return FEAT_ERROR;
        }
    }

    if (*s != '\0') {
        return FEAT_ERROR;
    }

    *fen = v;

    return FEAT_OK;
}


/* ---- WeChat's notify ----------------------------------------------------- */

static int
pay_wx_notify_answer(struct feat_req *r, int status, const char *code,
    const char *msg)
{
    return feat_reply_text(r, status, PAY_XML_TYPE,
                           feat_arena_sprintf(r->arena,
                               "<xml><return_code><![CDATA[%s]]>"
                               "</return_code><return_msg><![CDATA[%s]]>"
                               "</return_msg></xml>", code, msg));
}


/* A refused notify: logged with why, answered WeChat's failure form. */
static int
pay_wx_notify_refuse(struct feat_req *r, const char *why, const char *no)
{
    feat_log(LOG_WARNING, 0, "pay: WeChat notify refused: %s (out_trade_no"
             " %s, from %s)", why, no != NULL ? no : "-",
             r->remote_addr != NULL ? r->remote_addr : "-");

    return pay_wx_notify_answer(r, 200, "FAIL", why);
}


/* 1 when appid is one of the WeChat app ids of app. */
static int
pay_wx_appid_known(const char *app, const char *appid)
{
    int          i;
    const char  *v;

    for (i = 0; appid != NULL && i < 2; i++) {
        v = feat_setting_str(app, i == 0 ? "weixin.appid.official_account"
                                         : "weixin.appid.feat_ios_app");
        if (v[0] != '\0' && strcmp(v, appid) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * The merchant of app for its WeChat appid: the wx_app_type whose app id
 * it is, else (appid NULL) the first the app has.  FEAT_E_NONE or
 * FEAT_E_PAY_UNAVAILABLE.
 */
static enum feat_error
pay_wx_merchant_of(const char *app, const char *appid,
    struct feat_wx_merchant *m)
{
    int                       i;
    static const char *const  types[] = { "official_account",
                                          "feat_ios_app" };

    for (i = 0; i < 2; i++) {
        if (feat_wx_merchant(app, types[i], m) == FEAT_E_NONE
            && (appid == NULL || strcmp(m->appid, appid) == 0))
        {
            return FEAT_E_NONE;
        }
    }

    return FEAT_E_PAY_UNAVAILABLE;
}


/*
 * POST /api/pay/notify/weixin/: WeChat's payment result.  The signature
 * under the merchant of the order's app is the only authentication; then
 * the merchant, the app id, the result and the exact amount.
 */
int
feat_pay_notify_weixin(struct feat_req *r)
{
    const char               *no, *v, *txn, *fee;
    enum feat_error           e;
    struct feat_pay_order     o;
    struct feat_wx_params     p;
    struct feat_wx_merchant   m;

    if (r->body == NULL
        || feat_wx_parse(r->arena, r->body, r->body_len, &p) != FEAT_OK)
    {
        return pay_wx_notify_refuse(r, "not an API v2 XML message", NULL);
    }

    v = feat_wx_get(&p, "return_code");
    no = feat_wx_get(&p, "out_trade_no");

    if (v == NULL || strcmp(v, "SUCCESS") != 0) {
        return pay_wx_notify_refuse(r, "return_code is not SUCCESS", no);
    }

    e = no != NULL ? feat_pay_order_by_no(feat_db(), r->arena, no, &o)
                   : FEAT_E_NOT_FOUND;
    if (e == FEAT_E_NOT_FOUND) {
        return pay_wx_notify_refuse(r, "no such order", no);
    }
    if (e != FEAT_E_NONE) {
        /* ours, not the notify's: WeChat sends it again */
        return pay_wx_notify_answer(r, 500, "FAIL", "try again");
    }

    /* the merchant of the order's app: its mch_id, key and sign type */
    if (pay_wx_merchant_of(o.app_id, NULL, &m) != FEAT_E_NONE) {
        return pay_wx_notify_refuse(r, "the order's app has no merchant",
                                    no);
    }

    if (!feat_wx_verify(r->arena, &p, m.key, m.hmac)) {
        return pay_wx_notify_refuse(r, "bad signature", no);
    }

    v = feat_wx_get(&p, "mch_id");
    if (v == NULL || strcmp(v, m.mch_id) != 0) {
        return pay_wx_notify_refuse(r, "another merchant", no);
    }

    if (!pay_wx_appid_known(o.app_id, feat_wx_get(&p, "appid"))) {
        return pay_wx_notify_refuse(r, "an app id not the app's", no);
    }

    v = feat_wx_get(&p, "result_code");
    if (v == NULL || strcmp(v, "SUCCESS") != 0) {
        /* a failed payment: nothing to record, the order stays payable */
        feat_log(LOG_INFO, 0, "pay: WeChat notify of a failed payment of"
                 " order %lld", (long long) o.id);
        return pay_wx_notify_answer(r, 200, "SUCCESS", "OK");
    }

    fee = feat_wx_get(&p, "total_fee");
    if (fee == NULL
        || strcmp(fee, feat_arena_sprintf(r->arena, "%lld",
                                          (long long) o.amount_fen)) != 0)
    {
        return pay_wx_notify_refuse(r, "wrong amount", no);
    }

    txn = feat_wx_get(&p, "transaction_id");
    if (!pay_txn_ok(txn)) {
        return pay_wx_notify_refuse(r, "no transaction_id", no);
    }

    if (feat_pay_settle(&o, FEAT_PAY_WEIXIN, txn, r->body, "WeChat notify")
        != FEAT_E_NONE)
    {
        return pay_wx_notify_answer(r, 500, "FAIL", "try again");
    }

    return pay_wx_notify_answer(r, 200, "SUCCESS", "OK");
}


/* ---- Alipay's notify ----------------------------------------------------- */

/* A refused notify: logged with why, answered Alipay's "failure". */
static int
pay_ali_notify_refuse(struct feat_req *r, const char *why, const char *no)
{
    feat_log(LOG_WARNING, 0, "pay: Alipay notify refused: %s (out_trade_no"
             " %s, from %s)", why, no != NULL ? no : "-",
             r->remote_addr != NULL ? r->remote_addr : "-");

    return feat_reply_text(r, 200, PAY_TEXT_TYPE, "failure");
}


/* 1 when status is one of a paid trade. */
static int
pay_ali_paid(const char *status)
{
    return status != NULL && (strcmp(status, "TRADE_SUCCESS") == 0
                              || strcmp(status, "TRADE_FINISHED") == 0);
}


/*
 * POST /api/pay/notify/alipay/: Alipay's asynchronous notify, a form
 * signed RSA2 by Alipay over its parameters but sign and sign_type.
 * Checked: the signature with the public key of the order's app, the
 * app_id, the trade status, the exact total_amount and a trade_no.
 */
int
feat_pay_notify_alipay(struct feat_req *r)
{
    const char                *no, *v, *txn;
    sqlite3_int64              fen;
    enum feat_error            e;
    struct feat_pay_order      o;
    struct feat_wx_params      p;
    struct feat_ali_merchant   m;

    if (r->body == NULL
        || feat_ali_form_parse(r->arena, r->body, r->body_len, &p)
           != FEAT_OK)
    {
        return pay_ali_notify_refuse(r, "not a notify form", NULL);
    }

    no = feat_wx_get(&p, "out_trade_no");

    e = no != NULL ? feat_pay_order_by_no(feat_db(), r->arena, no, &o)
                   : FEAT_E_NOT_FOUND;
    if (e == FEAT_E_NOT_FOUND) {
        return pay_ali_notify_refuse(r, "no such order", no);
    }
    if (e != FEAT_E_NONE) {
        return feat_reply_text(r, 500, PAY_TEXT_TYPE, "failure");
    }

    if (feat_ali_merchant(o.app_id, &m) != FEAT_E_NONE) {
        return pay_ali_notify_refuse(r, "the order's app has no Alipay app",
                                     no);
    }

    v = feat_wx_get(&p, "sign_type");
    if ((v != NULL && strcmp(v, "RSA2") != 0)
        || !feat_ali_verify_notify(r->arena, &m, &p))
    {
        return pay_ali_notify_refuse(r, "bad signature", no);
    }

    v = feat_wx_get(&p, "app_id");
    if (v == NULL || strcmp(v, m.app_id) != 0) {
        return pay_ali_notify_refuse(r, "an app_id not the app's", no);
    }

    v = feat_wx_get(&p, "trade_status");
    if (!pay_ali_paid(v)) {
        /* WAIT_BUYER_PAY, TRADE_CLOSED: nothing to record */
        feat_log(LOG_INFO, 0, "pay: Alipay notify of order %lld: %s",
                 (long long) o.id, v != NULL ? v : "(no trade_status)");
        return feat_reply_text(r, 200, PAY_TEXT_TYPE, "success");
    }

    if (pay_ali_fen(feat_wx_get(&p, "total_amount"), &fen) != FEAT_OK
        || fen != o.amount_fen)
    {
        return pay_ali_notify_refuse(r, "wrong amount", no);
    }

    txn = feat_wx_get(&p, "trade_no");
    if (!pay_txn_ok(txn)) {
        return pay_ali_notify_refuse(r, "no trade_no", no);
    }

    if (feat_pay_settle(&o, FEAT_PAY_ALIPAY, txn, r->body, "Alipay notify")
        != FEAT_E_NONE)
    {
        return feat_reply_text(r, 500, PAY_TEXT_TYPE, "failure");
    }

    return feat_reply_text(r, 200, PAY_TEXT_TYPE, "success");
}


/* ---- the orderquery fallback --------------------------------------------- */

/*
 * pay/orderquery of o's attempt no at the merchant of appid: PAY_AT_PAID
 * when it settled PAID, CLOSED for a trade CLOSED, REVOKED, PAYERROR or
 * that does not exist, OPEN for NOTPAY or USERPAYING, else ERROR.
 */
static int
pay_wx_query(struct feat_arena *a, const struct feat_pay_order *o,
    const char *appid, const char *no)
{
    char                     nonce[33];
    const char              *v, *raw, *txn;
    enum feat_error          e;
    struct feat_wx_params    p, ans;
    struct feat_wx_merchant  m;

    if (pay_wx_merchant_of(o->app_id, appid, &m) != FEAT_E_NONE) {
        feat_log(LOG_WARNING, 0, "pay: no orderquery of order %lld: app"
                 " \"%s\" no longer has WeChat appid %s", (long long) o->id,
                 o->app_id, appid);
        return FEAT_PAY_AT_ERROR;
    }

    feat_random_base62(nonce, 32);
    nonce[32] = '\0';

    p.n = 0;
    feat_wx_add(&p, "appid", m.appid);
    feat_wx_add(&p, "mch_id", m.mch_id);
    feat_wx_add(&p, "out_trade_no", no);
    feat_wx_add(&p, "nonce_str", nonce);

    e = feat_wx_call(a, &m, "/pay/orderquery", &p, &ans, &raw);
    if (e == FEAT_E_WRONG_STATE) {
        v = feat_wx_get(&ans, "err_code");
        return v != NULL && strcmp(v, "ORDERNOTEXIST") == 0
               ? FEAT_PAY_AT_CLOSED : FEAT_PAY_AT_ERROR;
    }
    if (e != FEAT_E_NONE) {
        return FEAT_PAY_AT_ERROR;
    }

    v = feat_wx_get(&ans, "trade_state");
    if (v == NULL) {
        return FEAT_PAY_AT_ERROR;
    }
    if (strcmp(v, "CLOSED") == 0 || strcmp(v, "REVOKED") == 0
        || strcmp(v, "PAYERROR") == 0)
    {
        return FEAT_PAY_AT_CLOSED;
    }
    if (strcmp(v, "SUCCESS") != 0) {
        /* NOTPAY; USERPAYING is being paid, REFUND was paid: never a
         * state to leave behind for another attempt */
        return strcmp(v, "NOTPAY") == 0 ? FEAT_PAY_AT_OPEN
                                        : FEAT_PAY_AT_ERROR;
    }

    v = feat_wx_get(&ans, "out_trade_no");
    txn = feat_wx_get(&ans, "transaction_id");
    if (v == NULL || strcmp(v, no) != 0 || !pay_txn_ok(txn)) {
        feat_log(LOG_WARNING, 0, "pay: WeChat orderquery of order %lld: a"
                 " paid answer for another order or without"
                 " transaction_id", (long long) o->id);
        return FEAT_PAY_AT_ERROR;
    }

    v = feat_wx_get(&ans, "total_fee");
    if (v == NULL
        || strcmp(v, feat_arena_sprintf(a, "%lld",
                                        (long long) o->amount_fen)) != 0)
    {
        feat_log(LOG_WARNING, 0, "pay: WeChat orderquery of order %lld:"
                 " paid %s, not the order's %lld", (long long) o->id,
                 v != NULL ? v : "(none)", (long long) o->amount_fen);
        return FEAT_PAY_AT_ERROR;
    }

    return feat_pay_settle(o, FEAT_PAY_WEIXIN, txn, raw, "WeChat orderquery")
           == FEAT_E_NONE ? FEAT_PAY_AT_PAID : FEAT_PAY_AT_ERROR;
}


/*
 * alipay.trade.query of o's attempt no: PAY_AT_PAID when it settled
 * PAID, CLOSED for TRADE_CLOSED or a trade that does not exist (the payer
 * never opened it), OPEN for WAIT_BUYER_PAY, else ERROR.
 */
static int
pay_ali_query(struct feat_arena *a, const struct feat_pay_order *o,
    const char *app_id, const char *no)
{
    cJSON                     *resp, *biz, *v;
    const char                *raw, *txn, *ano;
    sqlite3_int64              fen;
    enum feat_error            e;
    struct feat_ali_merchant   m;

    if (feat_ali_merchant(o->app_id, &m) != FEAT_E_NONE
        || strcmp(m.app_id, app_id) != 0)
    {
        feat_log(LOG_WARNING, 0, "pay: no alipay.trade.query of order %lld:"
                 " app \"%s\" no longer has Alipay app %s",
                 (long long) o->id, o->app_id, app_id);
        return FEAT_PAY_AT_ERROR;
    }

    biz = feat_arena_json(a, cJSON_CreateObject());
    cJSON_AddStringToObject(biz, "out_trade_no", no);

    e = feat_ali_call(a, &m, "alipay.trade.query",
                      feat_ali_biz(a, biz), NULL, &resp, &raw);
    if (e == FEAT_E_NOT_FOUND) {
        /* ACQ.TRADE_NOT_EXIST: the payer never opened it */
        return FEAT_PAY_AT_CLOSED;
    }
    if (e != FEAT_E_NONE) {
        return FEAT_PAY_AT_ERROR;
    }

    v = cJSON_GetObjectItemCaseSensitive(resp, "trade_status");
    if (!cJSON_IsString(v)) {
        return FEAT_PAY_AT_ERROR;
    }
    if (strcmp(v->valuestring, "TRADE_CLOSED") == 0) {
        return FEAT_PAY_AT_CLOSED;
    }
    if (!pay_ali_paid(v->valuestring)) {
        return FEAT_PAY_AT_OPEN;
    }

    v = cJSON_GetObjectItemCaseSensitive(resp, "out_trade_no");
    ano = cJSON_IsString(v) ? v->valuestring : NULL;
    v = cJSON_GetObjectItemCaseSensitive(resp, "trade_no");
    txn = cJSON_IsString(v) ? v->valuestring : NULL;
    if (ano == NULL || strcmp(ano, no) != 0 || !pay_txn_ok(txn)) {
        feat_log(LOG_WARNING, 0, "pay: alipay.trade.query of order %lld: a"
                 " paid answer for another order or without trade_no",
                 (long long) o->id);
        return FEAT_PAY_AT_ERROR;
    }

    v = cJSON_GetObjectItemCaseSensitive(resp, "total_amount");
    if (!cJSON_IsString(v) || pay_ali_fen(v->valuestring, &fen) != FEAT_OK
        || fen != o->amount_fen)
    {
        feat_log(LOG_WARNING, 0, "pay: alipay.trade.query of order %lld:"
                 " paid %s, not the order's %lld fen", (long long) o->id,
                 cJSON_IsString(v) ? v->valuestring : "(none)",
                 (long long) o->amount_fen);
        return FEAT_PAY_AT_ERROR;
    }

    return feat_pay_settle(o, FEAT_PAY_ALIPAY, txn, raw,
                           "alipay.trade.query")
           == FEAT_E_NONE ? FEAT_PAY_AT_PAID : FEAT_PAY_AT_ERROR;
}


/* The query of attempt pp of o at its provider. */
static int
pay_attempt_query(struct feat_arena *a, const struct feat_pay_order *o,
    const struct feat_pay_prepay *pp)
{
    return pp->pay_method == FEAT_PAY_WEIXIN
           ? pay_wx_query(a, o, pp->provider_app, pp->out_trade_no)
           : pay_ali_query(a, o, pp->provider_app, pp->out_trade_no);
}


int
feat_pay_attempt_close(struct feat_arena *a, const struct feat_pay_order *o,
    const struct feat_pay_prepay *pp)
{
    int                        st;
    char                       nonce[33];
    cJSON                     *resp, *biz;
    const char                *v, *raw;
    enum feat_error            e;
    struct feat_wx_params      p, ans;
    struct feat_wx_merchant    m;
    struct feat_ali_merchant   am;

    if (pp->pay_method == FEAT_PAY_WEIXIN
        && feat_now() < pp->made + FEAT_PAY_WX_CLOSE_WAIT)
    {
        /* too young for closeorder: whether it was paid decides */
        st = pay_attempt_query(a, o, pp);
        if (st != FEAT_PAY_AT_OPEN) {
            return st;
        }

        if (feat_pay_attempt_owe(feat_db(), pp->attempt,
                                 pp->made + FEAT_PAY_WX_CLOSE_WAIT)
            != FEAT_OK)
        {
            return FEAT_PAY_AT_ERROR;
        }

        feat_log(LOG_INFO, 0, "pay: order %lld: WeChat attempt %s is unpaid"
                 " and too young to close; its close is due in %lld s",
                 (long long) o->id, pp->out_trade_no,
                 (long long) (pp->made + FEAT_PAY_WX_CLOSE_WAIT
                              - feat_now()));
        return FEAT_PAY_AT_DEFERRED;
    }

    if (pp->pay_method == FEAT_PAY_WEIXIN) {
        if (pay_wx_merchant_of(o->app_id, pp->provider_app, &m)
            != FEAT_E_NONE)
        {
            feat_log(LOG_WARNING, 0, "pay: no closeorder of %s: app \"%s\""
                     " no longer has WeChat appid %s", pp->out_trade_no,
                     o->app_id, pp->provider_app);
            return FEAT_PAY_AT_ERROR;
        }

        feat_random_base62(nonce, 32);
        nonce[32] = '\0';

        p.n = 0;
        feat_wx_add(&p, "appid", m.appid);
        feat_wx_add(&p, "mch_id", m.mch_id);
        feat_wx_add(&p, "out_trade_no", pp->out_trade_no);
        feat_wx_add(&p, "nonce_str", nonce);

        e = feat_wx_call(a, &m, "/pay/closeorder", &p, &ans, &raw);
        if (e == FEAT_E_NONE) {
            return FEAT_PAY_AT_CLOSED;
        }
        if (e != FEAT_E_WRONG_STATE) {
            return FEAT_PAY_AT_ERROR;
        }

        v = feat_wx_get(&ans, "err_code");
        if (v != NULL && strcmp(v, "ORDERCLOSED") == 0) {
            return FEAT_PAY_AT_CLOSED;
        }

        /* ORDERPAID (or another refusal): the query says how and by
         * which transaction */

    } else {
        if (feat_ali_merchant(o->app_id, &am) != FEAT_E_NONE
            || strcmp(am.app_id, pp->provider_app) != 0)
        {
            feat_log(LOG_WARNING, 0, "pay: no alipay.trade.close of %s: app"
                     " \"%s\" no longer has Alipay app %s",
                     pp->out_trade_no, o->app_id, pp->provider_app);
            return FEAT_PAY_AT_ERROR;
        }

        biz = feat_arena_json(a, cJSON_CreateObject());
        cJSON_AddStringToObject(biz, "out_trade_no", pp->out_trade_no);

        e = feat_ali_call(a, &am, "alipay.trade.close",
                          feat_ali_biz(a, biz), NULL, &resp, &raw);
        if (e == FEAT_E_NONE || e == FEAT_E_NOT_FOUND) {
            /* closed, or never opened by the payer */
            return FEAT_PAY_AT_CLOSED;
        }

        /* ACQ.TRADE_STATUS_ERROR (paid, or closed already), or no
         * answer: the query tells */
    }

    st = pay_attempt_query(a, o, pp);

    return st == FEAT_PAY_AT_OPEN ? FEAT_PAY_AT_ERROR : st;
}


int
feat_pay_query(struct feat_arena *a, const struct feat_pay_order *o)
{
    struct feat_pay_prepay  pp;

    if (o->status != FEAT_PAY_UNPAID || !o->has_pay_method) {
        return 0;
    }

    if (feat_pay_order_claim_query(feat_db(), a, o->id, feat_now(), &pp)
        != FEAT_E_NONE)
    {
        return 0;
    }

    return pay_attempt_query(a, o, &pp) == FEAT_PAY_AT_PAID;
}
