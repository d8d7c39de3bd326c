/*
 * gateway.c: the Alipay open platform call alipay.system.oauth.token,
 * which turns a user's auth code into the user's Alipay id.
 *
 * The request is a form POST whose parameters (app_id, method, charset,
 * sign_type, timestamp, version, grant_type, code) are signed as Alipay's
 * "RSA2" asks: SHA256withRSA (PKCS #1 v1.5) over the parameters sorted by
 * name and joined as "k=v&k=v" with raw values, base64 in "sign".  The
 * answer is trusted only when the exact text of its
 * "alipay_system_oauth_token_response" value, byte for byte as it stands
 * in the body, verifies against its "sign" with Alipay's public key; the
 * id is then read from that same text, so nothing unsigned can slip in
 * beside it.  The signatures are the runtime's (feat_rsa_sha256_sign_pem
 * and _verify_pem).  The app id, keys and gateway are the app's settings
 * (featctl app set), whose defaults are the config file's alipay.* (the
 * key files' contents for the keys; alipay.c declares them).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "alipay/alipay.h"


#define ALIPAY_METHOD        "alipay.system.oauth.token"
#define ALIPAY_RESPONSE_KEY  "alipay_system_oauth_token_response"
#define ALIPAY_ANSWER_MAX    (64 * 1024)
#define ALIPAY_SIGN_MAX      2048       /* base64 characters */
#define ALIPAY_RSA_MIN_BITS  2048       /* RSA2 */
#define ALIPAY_NPARAMS       9

struct alipay_param {
    const char  *name;
    const char  *value;
};


static int
alipay_param_cmp(const void *a, const void *b)
{
    return strcmp(((const struct alipay_param *) a)->name,
                  ((const struct alipay_param *) b)->name);
}


/* s percent-encoded for a form body (RFC 3986 unreserved kept). */
static char *
alipay_urlenc(struct feat_arena *a, const char *s)
{
    static const char  hex[] = "0123456789ABCDEF";
    char              *out, *p;
    unsigned char      c;

    out = feat_arena_alloc(a, strlen(s) * 3 + 1);

    for (p = out; *s != '\0'; s++) {
        c = (unsigned char) *s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            *p++ = (char) c;

        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }

    *p = '\0';

    return out;
}


/* The PEM text of app's setting key into *pem and *len: FEAT_OK, or
 * FEAT_ERROR (logged) when the app has none and there is no default. */
static int
alipay_key(const char *app, const char *key, const char **pem, size_t *len)
{
    if (feat_setting_get(app, key, pem, len) != FEAT_OK) {
        feat_log(LOG_ERR, 0, "alipay: %s is not set", key);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* base64(SHA256withRSA(text)) with the app's private key, or NULL. */
static const char *
alipay_sign(struct feat_arena *a, const char *app, const char *text)
{
    char           *b64;
    size_t          siglen, cap, len;
    const char     *pem;
    unsigned char  *sig;

    if (alipay_key(app, "alipay.private_key", &pem, &len) != FEAT_OK
        || feat_rsa_sha256_sign_pem(a, pem, len, ALIPAY_RSA_MIN_BITS, text,
                                    strlen(text), &sig, &siglen)
           != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "alipay: signing the request failed");
        return NULL;
    }

    cap = siglen * 4 / 3 + 8;
    b64 = feat_arena_alloc(a, cap);
    if (feat_base64_encode(sig, siglen, b64, cap, 0) < 0) {
        return NULL;
    }

    return b64;
}


/* FEAT_OK if sign (base64) is Alipay's SHA256withRSA over text[0..n). */
static int
alipay_verify(struct feat_arena *a, const char *app, const char *text,
    size_t n, const char *sign)
{
    long            siglen;
    size_t          len, plen;
    const char     *pem;
    unsigned char  *sig;

    len = strlen(sign);
    if (len == 0 || len > ALIPAY_SIGN_MAX) {
        return FEAT_ERROR;
    }

    sig = feat_arena_alloc(a, len);
    siglen = feat_base64_decode(sign, len, sig, len, 0);
    if (siglen <= 0) {
        return FEAT_ERROR;
    }

    if (alipay_key(app, "alipay.public_key", &pem, &plen) != FEAT_OK) {
        return FEAT_ERROR;
    }

    return feat_rsa_sha256_verify_pem(pem, plen, ALIPAY_RSA_MIN_BITS, text,
                                      n, sig, (size_t) siglen)
           == FEAT_OK ? FEAT_OK : FEAT_ERROR;
}


/* The request body: the signed parameters, url-encoded, and the sign. */
static const char *
alipay_request(struct feat_arena *a, const char *app, const char *code)
{
    size_t               i, n;
    const char          *sign, *text, *body;
    struct alipay_param  p[ALIPAY_NPARAMS];

    n = 0;
    p[n].name = "app_id";
    p[n++].value = feat_setting_str(app, "alipay.app_id");
    p[n].name = "method";
    p[n++].value = ALIPAY_METHOD;
    p[n].name = "charset";
    p[n++].value = "utf-8";
    p[n].name = "sign_type";
    p[n++].value = "RSA2";
    /* Alipay reads it as Beijing time: the configured zone's rendering */
    p[n].name = "timestamp";
    p[n++].value = feat_time_v2(a, feat_now());
    p[n].name = "version";
    p[n++].value = "1.0";
    p[n].name = "grant_type";
    p[n++].value = "authorization_code";
    p[n].name = "code";
    p[n++].value = code;

    qsort(p, n, sizeof(p[0]), alipay_param_cmp);

    text = "";
    body = "";

    for (i = 0; i < n; i++) {
        text = feat_arena_sprintf(a, "%s%s%s=%s", text, i ? "&" : "",
                                  p[i].name, p[i].value);
        body = feat_arena_sprintf(a, "%s%s%s=%s", body, i ? "&" : "",
                                  p[i].name, alipay_urlenc(a, p[i].value));
    }

    sign = alipay_sign(a, app, text);
    if (sign == NULL) {
        return NULL;
    }

    return feat_arena_sprintf(a, "%s&sign=%s", body, alipay_urlenc(a, sign));
}


/* 1 if id is a plausible Alipay user id or open id to store. */
static int
alipay_id_ok(const char *id)
{
    size_t  n;

    n = strlen(id);

    return n > 0 && n <= FEAT_ALIPAY_ID_MAX
           && strspn(id, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}


/* Reads a refusal (error_response): the code's own fault or the
 * gateway's. */
static enum feat_error
alipay_refusal(cJSON *err)
{
    cJSON  *code, *sub;

    code = cJSON_GetObjectItemCaseSensitive(err, "code");
    sub = cJSON_GetObjectItemCaseSensitive(err, "sub_code");

    feat_log(LOG_WARNING, 0, "alipay: the gateway refused: %s %s",
             cJSON_IsString(code) ? code->valuestring : "?",
             cJSON_IsString(sub) ? sub->valuestring : "?");

    /* an invalid, expired or used code: only a new one helps */
    if (cJSON_IsString(sub)
        && strcmp(sub->valuestring, "isv.code-invalid") == 0)
    {
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_UPSTREAM;
}


enum feat_error
feat_alipay_exchange(struct feat_arena *a, const char *app,
    const char *code, const char **id)
{
    size_t                 rlen;
    const char            *url, *body, *raw;
    cJSON                 *answer, *resp, *sign, *err, *uid;
    struct feat_http_resp  res;
    static const char     *const headers[] = {
        "Content-Type: application/x-www-form-urlencoded;charset=utf-8",
        "Accept: application/json",
        NULL
    };

    raw = NULL;
    rlen = 0;

    url = feat_setting_str(app, "alipay.gateway");
    if (url[0] == '\0' || feat_setting_str(app, "alipay.app_id")[0] == '\0')
    {
        feat_log(LOG_ERR, 0, "alipay: alipay.gateway or alipay.app_id is"
                 " not set");
        return FEAT_E_UPSTREAM;
    }

    if (!feat_url_safe(url)) {
        feat_log(LOG_ERR, 0, "alipay: alipay.gateway must be an https://"
                 " URL (plain http only to 127.0.0.1 or localhost)");
        return FEAT_E_UPSTREAM;
    }

    body = alipay_request(a, app, code);
    if (body == NULL) {
        return FEAT_E_UPSTREAM;
    }

    if (feat_http_request(a, "POST", url, headers, body, strlen(body),
                          feat_conf_int(FEAT_CONF_ALIPAY_TIMEOUT),
                          ALIPAY_ANSWER_MAX, &res)
        != FEAT_OK)
    {
        return FEAT_E_UPSTREAM;
    }

    if (res.status != 200) {
        feat_log(LOG_WARNING, 0, "alipay: the gateway answered HTTP %ld",
                 res.status);
        return FEAT_E_UPSTREAM;
    }

    answer = cJSON_ParseWithLength(res.body, res.len);
    if (answer == NULL || !cJSON_IsObject(answer)) {
        cJSON_Delete(answer);
        feat_log(LOG_WARNING, 0, "alipay: the answer is not a JSON object");
        return FEAT_E_UPSTREAM;
    }

    feat_arena_json(a, answer);

    if (feat_json_raw_member(res.body, res.len, ALIPAY_RESPONSE_KEY, &raw,
                         &rlen)
        != FEAT_OK)
    {
        err = cJSON_GetObjectItemCaseSensitive(answer, "error_response");
        if (cJSON_IsObject(err)) {
            return alipay_refusal(err);
        }

        feat_log(LOG_WARNING, 0, "alipay: the answer holds no single "
                 ALIPAY_RESPONSE_KEY);
        return FEAT_E_UPSTREAM;
    }

    sign = cJSON_GetObjectItemCaseSensitive(answer, "sign");
    if (!cJSON_IsString(sign)
        || alipay_verify(a, app, raw, rlen, sign->valuestring) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "alipay: the answer's signature is %s",
                 cJSON_IsString(sign) ? "wrong" : "missing");
        return FEAT_E_UPSTREAM;
    }

    /* read the id from the very text that was verified */
    resp = feat_arena_json(a, cJSON_ParseWithLength(raw, rlen));
    if (!cJSON_IsObject(resp)) {
        return FEAT_E_UPSTREAM;
    }

    err = cJSON_GetObjectItemCaseSensitive(resp, "code");
    if (cJSON_IsString(err) && strcmp(err->valuestring, "10000") != 0) {
        return alipay_refusal(resp);
    }

    uid = cJSON_GetObjectItemCaseSensitive(resp, "user_id");
    if (!cJSON_IsString(uid) || uid->valuestring[0] == '\0') {
        uid = cJSON_GetObjectItemCaseSensitive(resp, "open_id");
    }

    if (!cJSON_IsString(uid) || !alipay_id_ok(uid->valuestring)) {
        feat_log(LOG_WARNING, 0, "alipay: the answer holds no usable"
                 " user_id or open_id");
        return FEAT_E_UPSTREAM;
    }

    *id = feat_arena_strdup(a, uid->valuestring);

    return FEAT_E_NONE;
}
