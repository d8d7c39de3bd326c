/*
 * internal.h: what the payments module's files share and nobody else
 * uses: WeChat Pay API v2's parameters, signatures and XML (wxpay.c).
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

/* A message's parameters: kv[0..n-1], names unique. */
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
 * POSTs p (signed here) to the merchant's gateway path ("/pay/
 * unifiedorder") and checks the answer: HTTP 200, XML, return_code
 * SUCCESS, a valid signature, the merchant's own mch_id and appid, and
 * result_code SUCCESS.  FEAT_E_NONE with *ans, else FEAT_E_PAY_GATEWAY,
 * logged with why.
 */
enum feat_error feat_wx_call(struct feat_arena *a,
    const struct feat_wx_merchant *m, const char *path,
    struct feat_wx_params *p, struct feat_wx_params *ans);

#endif /* FEAT_PAY_INTERNAL_H */
