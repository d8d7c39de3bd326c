/*
 * internal.h: what the payments module's files share and nobody else
 * uses: WeChat Pay API v2's parameters, signatures and calls (wxpay.c),
 * Alipay's trade API (alitrade.c), the readers of what both send
 * (parse.c), the notifies with the orderquery fallback (notify.c), and
 * paying an order (feat.c, feat_wx.c, feat_ali.c).
 */

#ifndef FEAT_PAY_INTERNAL_H
#define FEAT_PAY_INTERNAL_H

#include "feat.h"
#include "pay/pay.h"

#define FEAT_WX_PARAMS_MAX  64       /* fields of one XML message */
#define FEAT_WX_ANSWER_MAX  65536    /* bytes of a gateway's answer */

/* An app's WeChat merchant as its settings say, for one wx_app_type. */
struct feat_wx_merchant {
    const char  *appid;
    const char  *mch_id;
    const char  *key;        /* the API key: signs both ways */
    int          hmac;       /* sign type HMAC-SHA256, else MD5 */
    const char  *gateway;    /* no trailing slash needed */
};

/* A message's parameters, WeChat's or Alipay's: kv[0..n-1], names
 * unique. */
struct feat_wx_params {
    struct feat_kv  kv[FEAT_WX_PARAMS_MAX];
    size_t          n;
};

/*
 * The merchant of app for wx_app_type ("official_account",
 * "feat_ios_app"): FEAT_E_NONE, or FEAT_E_PAY_UNAVAILABLE (logged) when
 * the app lacks weixin.mch_id, weixin.key or the app id of that type, or
 * its gateway is not a safe URL.
 */
enum feat_error feat_wx_merchant(const char *app, const char *wx_app_type,
    struct feat_wx_merchant *m);

/* Alipay's app of an app as its settings say (alipay.*: the module
 * modules/alipay declares them; their defaults are the config file's). */
struct feat_ali_merchant {
    const char  *app;        /* ours: whose settings hold the keys */
    const char  *app_id;     /* Alipay's app id */
    const char  *gateway;    /* ".../gateway.do" */
};

/* Adds name=value (both outlive p); a full p drops it (logged). */
void feat_wx_add(struct feat_wx_params *p, const char *name,
    const char *value);
/* The value of name, or NULL. */
const char *feat_wx_get(const struct feat_wx_params *p, const char *name);

/*
 * API v2's signature of p: the parameters but "sign" with a non-empty
 * value, sorted by name (bytes), joined "k=v&k=v", then "&key=" key;
 * MD5 or HMAC-SHA256 (keyed with key) in upper-case hex, in the arena.
 */
const char *feat_wx_sign(struct feat_arena *a,
    const struct feat_wx_params *p, const char *key, int hmac);
/* 1 when p's "sign" is its signature under key (constant time). */
int feat_wx_verify(struct feat_arena *a, const struct feat_wx_params *p,
    const char *key, int hmac);

/* "<xml><k><![CDATA[v]]></k>...</xml>" of p, in the arena. */
char *feat_wx_xml(struct feat_arena *a, const struct feat_wx_params *p);
/*
 * Parses a flat API v2 message: an optional <?xml ...?> prolog, then
 * <xml> holding elements of text or CDATA only (entities &lt; &gt; &amp;
 * &quot; &apos; decoded), names of [A-Za-z0-9_], each once.  No DOCTYPE,
 * comment, attribute or nesting.  FEAT_OK with p, or FEAT_ERROR.
 */
int feat_wx_parse(struct feat_arena *a, const char *s, size_t len,
    struct feat_wx_params *p);
/*
 * Parses an Alipay notify (application/x-www-form-urlencoded) into p,
 * values decoded: FEAT_OK, or FEAT_ERROR for an empty body, a name empty,
 * not of [A-Za-z0-9_] or given twice, a value holding NUL or not UTF-8,
 * or more than FEAT_WX_PARAMS_MAX pairs.
 */
int feat_ali_form_parse(struct feat_arena *a, const char *s, size_t len,
    struct feat_wx_params *p);

/*
 * POSTs p (signed here) to the merchant's gateway path ("/pay/
 * unifiedorder") and checks the answer: HTTP 200, XML, return_code
 * SUCCESS, a valid signature, the merchant's own mch_id and appid, and
 * result_code SUCCESS.  FEAT_E_NONE with *ans and, unless raw is NULL,
 * *raw the answer's text (in the arena); FEAT_E_WRONG_STATE (logged) for
 * a verified answer of result_code FAIL, whose err_code *ans holds
 * (ORDERPAID, ORDERCLOSED, ORDERNOTEXIST, OUT_TRADE_NO_USED...); else
 * FEAT_E_PAY_GATEWAY, logged with why.
 */
enum feat_error feat_wx_call(struct feat_arena *a,
    const struct feat_wx_merchant *m, const char *path,
    struct feat_wx_params *p, struct feat_wx_params *ans, const char **raw);

/*
 * Alipay (alitrade.c).  feat_ali_merchant: FEAT_E_NONE, or
 * FEAT_E_PAY_UNAVAILABLE (logged) when app lacks alipay.app_id, its
 * private key or Alipay's public key, or the gateway is not a safe URL.
 */
enum feat_error feat_ali_merchant(const char *app,
    struct feat_ali_merchant *m);
/*
 * The signed common parameters of method (app_id, method, charset
 * utf-8, sign_type RSA2, timestamp in China's time, version 1.0,
 * notify_url unless NULL, biz_content) into p, sorted by name, with
 * "sign" last (the order of the docs' order strings): RSA2 over
 * the non-empty parameters but sign, sorted by name, "k=v&k=v" with raw
 * values.  FEAT_E_NONE, or FEAT_E_PAY_UNAVAILABLE (logged) when the
 * private key does not sign.
 */
enum feat_error feat_ali_request(struct feat_arena *a,
    const struct feat_ali_merchant *m, const char *method, const char *biz,
    const char *notify_url, struct feat_wx_params *p);
/* p as "k=v&k=v", each value percent-encoded (RFC 3986 unreserved
 * kept), in p's order, in the arena. */
char *feat_ali_encode(struct feat_arena *a, const struct feat_wx_params *p);
/*
 * One call of method at the gateway with biz_content biz: POSTs the
 * signed request, then believes the answer only when the exact text of
 * its "<method>_response" (dots as '_'), found once, verifies with
 * Alipay's public key and says code 10000.  FEAT_E_NONE with *resp (that
 * text parsed, owned by the arena) and *raw (the text); FEAT_E_NOT_FOUND
 * for a signed ACQ.TRADE_NOT_EXIST; FEAT_E_PAY_GATEWAY otherwise, logged
 * with why.
 */
enum feat_error feat_ali_call(struct feat_arena *a,
    const struct feat_ali_merchant *m, const char *method, const char *biz,
    const char *notify_url, cJSON **resp, const char **raw);
/* 1 when the notify p is signed RSA2 by Alipay's key: its parameters but
 * sign and sign_type, sorted, "k=v&k=v" with the decoded values. */
int feat_ali_verify_notify(struct feat_arena *a,
    const struct feat_ali_merchant *m, const struct feat_wx_params *p);
/* The JSON text of biz (a biz_content), in the arena. */
const char *feat_ali_biz(struct feat_arena *a, cJSON *biz);
/* fen as yuan with two decimals ("12.05"), in the arena. */
const char *feat_ali_amount(struct feat_arena *a, sqlite3_int64 fen);
/*
 * t in China's time (UTC+8, whatever the config's zone), in the arena:
 * both gateways' times are Beijing's.  FEAT_ALI_TIME is Alipay's
 * "yyyy-MM-dd HH:mm:ss", FEAT_WX_TIME WeChat's yyyyMMddHHmmss.
 */
#define FEAT_ALI_TIME  0
#define FEAT_WX_TIME   1
const char *feat_pay_cn_time(struct feat_arena *a, time_t t, int form);

/*
 * The notifies' and the orderquery's end (notify.c): records a payment
 * of order o that provider's gateway vouched for (a signed notify or
 * query answer whose merchant, order and amount were checked): PAID once
 * with its transaction row.  FEAT_E_NONE or FEAT_E_INTERNAL (logged).
 */
enum feat_error feat_pay_settle(const struct feat_pay_order *o,
    int provider, const char *txn, const char *raw, const char *via);
/*
 * The orderquery fallback: when o (read now) is UNPAID, its pay was
 * started and its last query is a minute old, asks each gateway it was
 * started at whether it was paid, and settles it as a notify would.
 * 1 when o became PAID (the caller reads it again), else 0; a gateway's
 * failure is logged and changes nothing.
 */
int feat_pay_query(struct feat_arena *a, const struct feat_pay_order *o);

/*
 * Where an attempt stands at its gateway (notify.c): asks (the close
 * asks closeorder / alipay.trade.close, then the query when the close
 * did not close it) and settles o as paid when the gateway says so.
 */
#define FEAT_PAY_AT_ERROR   -1   /* unreachable, or an answer refused */
#define FEAT_PAY_AT_OPEN     0   /* may still be paid */
#define FEAT_PAY_AT_CLOSED   1   /* cannot be paid (never made, closed) */
#define FEAT_PAY_AT_PAID     2   /* paid: o is settled PAID */
#define FEAT_PAY_AT_DEFERRED 3   /* unpaid; its close is owed (close_due) */

/*
 * WeChat's pay/closeorder takes an order only 5 minutes after it was made
 * (its docs: "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟");
 * counted from the attempt's row, made just before the unifiedorder that
 * made the order there, with half a minute for that call and the clocks.
 */
#define FEAT_PAY_WX_CLOSE_WAIT  330

/*
 * Closes attempt pp of o at its gateway: one of FEAT_PAY_AT_*, never
 * OPEN (a close that leaves it payable is an ERROR).  A WeChat attempt
 * younger than FEAT_PAY_WX_CLOSE_WAIT is asked pay/orderquery instead:
 * PAID settles o; NOTPAY owes its close (stored close_due) and answers
 * DEFERRED: the caller may store it closed and make another, and the jobs
 * process closes it when due (feat_pay_close_due).
 */
int feat_pay_attempt_close(struct feat_arena *a,
    const struct feat_pay_order *o, const struct feat_pay_prepay *pp);

/*
 * The closes owed to a gateway (closedue.c, sql/0200).
 * feat_pay_attempt_owe stores that attempt's close is due at due (0: no
 * close owed any more): FEAT_OK or FEAT_ERROR (logged).  The caller
 * stores the attempt closed (feat_pay_attempt_new); only then is it
 * asked.  feat_pay_close_due, in the jobs process, asks the due ones
 * (closeorder, then the query that settles a payment of one, which a
 * second payment makes a pay.double_payment); a failure is asked again a
 * minute later, until an hour after the order's expiry.
 */
int feat_pay_attempt_owe(sqlite3 *db, sqlite3_int64 attempt, time_t due);
/* Up to max attempts stored closed whose close is due at now, oldest due
 * first, as struct feat_pay_prepay rows (pay.c's attempt reader). */
enum feat_error feat_pay_attempts_due(sqlite3 *db, struct feat_arena *a,
    time_t now, long long max, struct feat_rows *due);
void feat_pay_close_due(sqlite3 *db, time_t now);

/*
 * Paying an order, POST /api/pay/order/pay/ (feat.c reads the body and
 * picks the attempt; feat_wx.c pays with WeChat, feat_ali.c with Alipay).
 */

/* A prepay is reused this long: WeChat keeps a prepay_id two hours (an
 * H5 mweb_url less: feat_wx.c); a little less, for the payer's time. */
#define FEAT_PAY_PREPAY_TTL  6900

/* What the pay call asked for (the body, read by feat.c). */
struct feat_pay_in {
    sqlite3_int64   order_id;
    long long       method;       /* FEAT_PAY_WEIXIN or FEAT_PAY_ALIPAY */
    long long       end;          /* FEAT_PAY_END_*, one the method takes */
    const char     *wx_app_type;  /* "official_account" or "feat_ios_app" */
    const char     *open_id;      /* NULL: none */
};

/* feat_fail() of e naming order id and r's user: the handler's result. */
int feat_pay_fail(struct feat_req *r, enum feat_error e, sqlite3_int64 id);
/* 1 when the attempt a is for b's provider, end type and key. */
int feat_pay_attempt_same(const struct feat_pay_prepay *a,
    const struct feat_pay_prepay *b);
/*
 * The attempt of o the pay call wants (pp: provider, end type, key,
 * provider app): the stored open one when it has the same parameters,
 * else a new one once the open one is closed at its gateway.  FEAT_OK
 * with pp->attempt and pp->out_trade_no; FEAT_ERROR when r was answered,
 * *rc the handler's result.
 */
int feat_pay_attempt_pick(struct feat_req *r, const struct feat_pay_order *o,
    const struct feat_pay_prepay *stored, struct feat_pay_prepay *pp,
    int *rc);
/*
 * Pays o (payable, its open attempt stored) as in asks, with WeChat or
 * with Alipay, and answers r: the handler's result.  Nothing is stored
 * unless the gateway's signed answer is good.
 */
int feat_pay_wx(struct feat_req *r, const struct feat_pay_in *in,
    const struct feat_pay_order *o, const struct feat_pay_prepay *stored);
int feat_pay_ali(struct feat_req *r, const struct feat_pay_in *in,
    const struct feat_pay_order *o, const struct feat_pay_prepay *stored);

/* The handlers of the notifies (notify.c). */
int feat_pay_notify_weixin(struct feat_req *r);
int feat_pay_notify_alipay(struct feat_req *r);

#endif /* FEAT_PAY_INTERNAL_H */
