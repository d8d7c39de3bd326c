/*
 * alitrade.c: Alipay's open platform trade API as the payments module
 * speaks it (internal.h): the app's Alipay app from its settings, the
 * RSA2-signed common parameters every method shares, one call to the
 * gateway with every check of its answer, and the check of a notify's
 * signature.
 *
 * RSA2 is SHA256withRSA (PKCS #1 v1.5) with keys of at least 2048 bits:
 * a request is signed over its non-empty parameters but "sign", sorted by
 * name and joined "k=v&k=v" with the raw values; a notify is verified the
 * same way without "sign" and "sign_type".  An answer is a JSON object
 * whose "<method>_response" value is signed as the exact text it has in
 * the body, so that text is found once, verified byte for byte, and only
 * then parsed: nothing unsigned can sit beside it.  The finder is the
 * twin of modules/alipay/gateway.c's (a module includes no other
 * module's code).  The keys are the runtime's to use
 * (feat_rsa_sha256_sign_pem, _verify_pem); the app id, keys and gateway
 * are the app's alipay.* settings, which modules/alipay declares.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"


#define ALI_ANSWER_MAX    (64 * 1024)
#define ALI_SIGN_MAX      2048       /* base64 characters */
#define ALI_RSA_MIN_BITS  2048       /* RSA2 */


enum feat_error
feat_ali_merchant(const char *app, struct feat_ali_merchant *m)
{
    size_t       len;
    const char  *pem;

    m->app = app;
    m->app_id = feat_setting_str(app, "alipay.app_id");
    m->gateway = feat_setting_str(app, "alipay.gateway");

    if (m->app_id[0] == '\0'
        || feat_setting_get(app, "alipay.private_key", &pem, &len) != FEAT_OK
        || feat_setting_get(app, "alipay.public_key", &pem, &len) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "pay: app \"%s\" has no Alipay app"
                 " (alipay.app_id, alipay.private_key, alipay.public_key)",
                 app);
        return FEAT_E_PAY_UNAVAILABLE;
    }

    if (m->gateway[0] == '\0' || !feat_url_safe(m->gateway)) {
        feat_log(LOG_ERR, 0, "pay: app \"%s\": alipay.gateway is not an"
                 " https:// URL", app);
        return FEAT_E_PAY_UNAVAILABLE;
    }

    return FEAT_E_NONE;
}


const char *
feat_ali_amount(struct feat_arena *a, sqlite3_int64 fen)
{
    return feat_arena_sprintf(a, "%lld.%02lld", (long long) (fen / 100),
                              (long long) (fen % 100));
}


const char *
feat_pay_cn_time(struct feat_arena *a, time_t t, int form)
{
    char       buf[32];
    struct tm  tm;

    t += 8 * 3600;
    gmtime_r(&t, &tm);

    strftime(buf, sizeof(buf), form == FEAT_WX_TIME ? "%Y%m%d%H%M%S"
                                                    : "%Y-%m-%d %H:%M:%S", &tm);

    return feat_arena_strdup(a, buf);
}


const char *
feat_ali_biz(struct feat_arena *a, cJSON *biz)
{
    char        *text;
    const char  *out;

    text = cJSON_PrintUnformatted(biz);
    if (text == NULL) {
        feat_log(LOG_ALERT, 0, "pay: cJSON_PrintUnformatted failed");
        return "{}";
    }

    out = feat_arena_strdup(a, text);
    cJSON_free(text);

    return out;
}


static int
ali_by_name(const void *x, const void *y)
{
    const struct feat_kv  *a = *(const struct feat_kv *const *) x;
    const struct feat_kv  *b = *(const struct feat_kv *const *) y;

    return strcmp(a->name, b->name);
}


static int
ali_kv_by_name(const void *x, const void *y)
{
    return strcmp(((const struct feat_kv *) x)->name,
                  ((const struct feat_kv *) y)->name);
}


/* The text RSA2 signs: p's non-empty parameters but sign (and sign_type
 * when notify), sorted by name, "k=v&k=v", in the arena. */
static char *
ali_sign_text(struct feat_arena *a, const struct feat_wx_params *p,
    int notify)
{
    char                  *text, *t;
    size_t                 i, n, len;
    const struct feat_kv  *sorted[FEAT_WX_PARAMS_MAX];

    n = 0;
    len = 1;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->kv[i].name, "sign") == 0
            || (notify && strcmp(p->kv[i].name, "sign_type") == 0)
            || p->kv[i].value[0] == '\0')
        {
            continue;
        }
        sorted[n++] = &p->kv[i];
        len += strlen(p->kv[i].name) + 1 + strlen(p->kv[i].value) + 1;
    }

    qsort(sorted, n, sizeof(sorted[0]), ali_by_name);

    text = feat_arena_alloc(a, len);
    t = text;
    *t = '\0';

    for (i = 0; i < n; i++) {
        if (i > 0) {
            *t++ = '&';
        }
        t = stpcpy(t, sorted[i]->name);
        *t++ = '=';
        t = stpcpy(t, sorted[i]->value);
    }

    return text;
}


/* base64(SHA256withRSA(text)) with the app's private key, or NULL. */
static const char *
ali_sign(struct feat_arena *a, const struct feat_ali_merchant *m,
    const char *text)
{
    char           *b64;
    size_t          siglen, cap, len;
    const char     *pem;
    unsigned char  *sig;

    if (feat_setting_get(m->app, "alipay.private_key", &pem, &len)
            != FEAT_OK
        || feat_rsa_sha256_sign_pem(a, pem, len, ALI_RSA_MIN_BITS, text,
                                    strlen(text), &sig, &siglen)
           != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "pay: app \"%s\": alipay.private_key does not"
                 " sign", m->app);
        return NULL;
    }

    cap = siglen * 4 / 3 + 8;
    b64 = feat_arena_alloc(a, cap);
    if (feat_base64_encode(sig, siglen, b64, cap, 0) < 0) {
        return NULL;
    }

    return b64;
}


/* 1 if sign (base64) is Alipay's SHA256withRSA over text[0..n). */
static int
ali_verify(struct feat_arena *a, const struct feat_ali_merchant *m,
    const char *text, size_t n, const char *sign)
{
    long            siglen;
    size_t          len, plen;
    const char     *pem;
    unsigned char  *sig;

    len = strlen(sign);
    if (len == 0 || len > ALI_SIGN_MAX) {
        return 0;
    }

    sig = feat_arena_alloc(a, len);
    siglen = feat_base64_decode(sign, len, sig, len, 0);
    if (siglen <= 0) {
        return 0;
    }

    if (feat_setting_get(m->app, "alipay.public_key", &pem, &plen)
        != FEAT_OK)
    {
        return 0;
    }

    return feat_rsa_sha256_verify_pem(pem, plen, ALI_RSA_MIN_BITS, text, n,
                                      sig, (size_t) siglen)
           == FEAT_OK;
}


int
feat_ali_verify_notify(struct feat_arena *a,
    const struct feat_ali_merchant *m, const struct feat_wx_params *p)
{
    const char  *sign, *text;

    sign = feat_wx_get(p, "sign");
    if (sign == NULL) {
        return 0;
    }

    text = ali_sign_text(a, p, 1);

    return ali_verify(a, m, text, strlen(text), sign);
}


enum feat_error
feat_ali_request(struct feat_arena *a, const struct feat_ali_merchant *m,
    const char *method, const char *biz, const char *notify_url,
    struct feat_wx_params *p)
{
    const char  *sign;

    p->n = 0;
    feat_wx_add(p, "app_id", m->app_id);
    feat_wx_add(p, "method", method);
    feat_wx_add(p, "charset", "utf-8");
    feat_wx_add(p, "sign_type", "RSA2");
    feat_wx_add(p, "timestamp",
                feat_pay_cn_time(a, feat_now(), FEAT_ALI_TIME));
    feat_wx_add(p, "version", "1.0");
    if (notify_url != NULL) {
        feat_wx_add(p, "notify_url", notify_url);
    }
    feat_wx_add(p, "biz_content", biz);

    /* sorted by name, sign last, as the docs' order strings stand */
    qsort(p->kv, p->n, sizeof(p->kv[0]), ali_kv_by_name);

    sign = ali_sign(a, m, ali_sign_text(a, p, 0));
    if (sign == NULL) {
        return FEAT_E_PAY_UNAVAILABLE;
    }

    feat_wx_add(p, "sign", sign);

    return FEAT_E_NONE;
}


char *
feat_ali_encode(struct feat_arena *a, const struct feat_wx_params *p)
{
    static const char  hex[] = "0123456789ABCDEF";
    char              *out, *o;
    size_t             i, len;
    const char        *v;
    unsigned char      c;

    len = 1;
    for (i = 0; i < p->n; i++) {
        len += strlen(p->kv[i].name) + 2 + 3 * strlen(p->kv[i].value);
    }

    out = feat_arena_alloc(a, len);
    o = out;

    for (i = 0; i < p->n; i++) {
        if (i > 0) {
            *o++ = '&';
        }
        o = stpcpy(o, p->kv[i].name);
        *o++ = '=';

        for (v = p->kv[i].value; *v != '\0'; v++) {
            c = (unsigned char) *v;

            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '-' || c == '.'
                || c == '_' || c == '~')
            {
                *o++ = (char) c;
                continue;
            }

            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        }
    }

    *o = '\0';

    return out;
}


/* ---- an answer ----------------------------------------------------------- */

static const char *
ali_str(cJSON *o, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}


enum feat_error
feat_ali_call(struct feat_arena *a, const struct feat_ali_merchant *m,
    const char *method, const char *biz, const char *notify_url,
    cJSON **resp, const char **raw)
{
    char                   *key, *k;
    size_t                  rlen;
    cJSON                  *answer, *r;
    const char             *body, *text, *code, *sub, *sign;
    enum feat_error         e;
    struct feat_wx_params   p;
    struct feat_http_resp   res;
    static const char *const  headers[] = {
        "Content-Type: application/x-www-form-urlencoded;charset=utf-8",
        "Accept: application/json",
        NULL
    };

    e = feat_ali_request(a, m, method, biz, notify_url, &p);
    if (e != FEAT_E_NONE) {
        return e;
    }

    body = feat_ali_encode(a, &p);

    if (feat_http_request(a, "POST", m->gateway, headers, body, strlen(body),
                          feat_conf_int(FEAT_CONF_ALIPAY_TRADE_TIMEOUT),
                          ALI_ANSWER_MAX, &res)
        != FEAT_OK)
    {
        return FEAT_E_PAY_GATEWAY;
    }

    if (res.status != 200) {
        feat_log(LOG_WARNING, 0, "pay: Alipay %s answered HTTP %ld", method,
                 res.status);
        return FEAT_E_PAY_GATEWAY;
    }

    answer = feat_arena_json(a, cJSON_ParseWithLength(res.body, res.len));
    if (!cJSON_IsObject(answer)) {
        feat_log(LOG_WARNING, 0, "pay: Alipay %s: the answer is not a JSON"
                 " object", method);
        return FEAT_E_PAY_GATEWAY;
    }

    key = feat_arena_sprintf(a, "%s_response", method);
    for (k = key; *k != '\0'; k++) {
        if (*k == '.') {
            *k = '_';
        }
    }

    text = NULL;
    rlen = 0;
    if (feat_json_raw_member(res.body, res.len, key, &text, &rlen)
        != FEAT_OK)
    {
        r = cJSON_GetObjectItemCaseSensitive(answer, "error_response");
        feat_log(LOG_WARNING, 0, "pay: Alipay %s: the answer holds no single"
                 " %s (error %s %s)", method, key,
                 cJSON_IsObject(r) && ali_str(r, "code") ? ali_str(r, "code")
                                                         : "-",
                 cJSON_IsObject(r) && ali_str(r, "sub_code")
                 ? ali_str(r, "sub_code") : "-");
        return FEAT_E_PAY_GATEWAY;
    }

    sign = ali_str(answer, "sign");
    if (sign == NULL || !ali_verify(a, m, text, rlen, sign)) {
        feat_log(LOG_WARNING, 0, "pay: Alipay %s: the answer's signature is"
                 " %s", method, sign != NULL ? "wrong" : "missing");
        return FEAT_E_PAY_GATEWAY;
    }

    /* everything is read from the very text that was verified */
    r = feat_arena_json(a, cJSON_ParseWithLength(text, rlen));
    if (!cJSON_IsObject(r)) {
        return FEAT_E_PAY_GATEWAY;
    }

    code = ali_str(r, "code");
    if (code == NULL || strcmp(code, "10000") != 0) {
        sub = ali_str(r, "sub_code");
        if (sub != NULL && strcmp(sub, "ACQ.TRADE_NOT_EXIST") == 0) {
            return FEAT_E_NOT_FOUND;
        }
        feat_log(LOG_WARNING, 0, "pay: Alipay %s: code %s %s: %s", method,
                 code != NULL ? code : "(none)", sub != NULL ? sub : "",
                 ali_str(r, "sub_msg") != NULL ? ali_str(r, "sub_msg")
                                               : "");
        return FEAT_E_PAY_GATEWAY;
    }

    *resp = r;
    *raw = feat_arena_strndup(a, text, rlen);

    return FEAT_E_NONE;
}
