/*
 * wxpay.c: WeChat Pay API v2 as the payments module speaks it
 * (internal.h): the app's merchant from its settings, the MD5 or
 * HMAC-SHA256 signatures of its messages, and one signed call to the
 * gateway with every check of its answer.  The flat XML messages are
 * read and written by parse.c, where the fuzz targets link them.
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"


enum feat_error
feat_wx_merchant(const char *app, const char *wx_app_type,
    struct feat_wx_merchant *m)
{
    char  key[64];

    snprintf(key, sizeof(key), "weixin.appid.%s", wx_app_type);

    m->appid = feat_setting_str(app, key);
    m->mch_id = feat_setting_str(app, "weixin.mch_id");
    m->key = feat_setting_str(app, "weixin.key");
    m->hmac = strcmp(feat_setting_str(app, "weixin.sign_type"),
                     "HMAC-SHA256") == 0;
    m->gateway = feat_setting_str(app, "weixin.gateway");

    if (m->appid[0] == '\0' || m->mch_id[0] == '\0' || m->key[0] == '\0') {
        feat_log(LOG_WARNING, 0, "pay: app \"%s\" has no WeChat merchant"
                 " for %s (weixin.mch_id, weixin.key, %s)", app,
                 wx_app_type, key);
        return FEAT_E_PAY_UNAVAILABLE;
    }

    if (!feat_url_safe(m->gateway)) {
        feat_log(LOG_ERR, 0, "pay: app \"%s\": weixin.gateway is not an"
                 " https:// URL", app);
        return FEAT_E_PAY_UNAVAILABLE;
    }

    return FEAT_E_NONE;
}


static int
wx_by_name(const void *x, const void *y)
{
    const struct feat_kv  *a = *(const struct feat_kv *const *) x;
    const struct feat_kv  *b = *(const struct feat_kv *const *) y;

    return strcmp(a->name, b->name);
}


const char *
feat_wx_sign(struct feat_arena *a, const struct feat_wx_params *p,
    const char *key, int hmac)
{
    char                   *text, *t, *hex;
    size_t                  i, n, len;
    const struct feat_kv   *sorted[FEAT_WX_PARAMS_MAX];

    n = 0;
    len = strlen("key=") + strlen(key) + 1;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->kv[i].name, "sign") == 0 || p->kv[i].value[0] == '\0')
        {
            continue;
        }
        sorted[n++] = &p->kv[i];
        len += strlen(p->kv[i].name) + 1 + strlen(p->kv[i].value) + 1;
    }

    qsort(sorted, n, sizeof(sorted[0]), wx_by_name);

    text = feat_arena_alloc(a, len);
    t = text;

    for (i = 0; i < n; i++) {
        t = stpcpy(t, sorted[i]->name);
        *t++ = '=';
        t = stpcpy(t, sorted[i]->value);
        *t++ = '&';
    }

    t = stpcpy(t, "key=");
    stpcpy(t, key);

    hex = feat_arena_alloc(a, 65);

    if (hmac) {
        feat_hmac_sha256_hex(key, strlen(key), text, hex);
    } else {
        feat_md5_hex(text, hex);
    }

    feat_cleanse(text, len);

    for (t = hex; *t != '\0'; t++) {
        *t = (char) toupper((unsigned char) *t);
    }

    return hex;
}


int
feat_wx_verify(struct feat_arena *a, const struct feat_wx_params *p,
    const char *key, int hmac)
{
    const char  *sign;

    sign = feat_wx_get(p, "sign");
    if (sign == NULL || sign[0] == '\0') {
        return 0;
    }

    return feat_ct_streq(sign, feat_wx_sign(a, p, key, hmac));
}


/* ---- a call -------------------------------------------------------------- */

enum feat_error
feat_wx_call(struct feat_arena *a, const struct feat_wx_merchant *m,
    const char *path, struct feat_wx_params *p, struct feat_wx_params *ans,
    const char **raw)
{
    char                   *body;
    size_t                  n;
    const char             *url, *v, *rc, *des;
    struct feat_http_resp   res;
    static const char *const  headers[] = {
        "Content-Type: text/xml; charset=utf-8",
        NULL
    };

    if (m->hmac) {
        feat_wx_add(p, "sign_type", "HMAC-SHA256");
    }
    feat_wx_add(p, "sign", feat_wx_sign(a, p, m->key, m->hmac));

    body = feat_wx_xml(a, p);
    n = strlen(m->gateway);
    url = feat_arena_sprintf(a, "%s%s", m->gateway,
                             n > 0 && m->gateway[n - 1] == '/' ? path + 1
                                                               : path);

    if (feat_http_request(a, "POST", url, headers, body, strlen(body),
                          feat_conf_int(FEAT_CONF_WEIXIN_TIMEOUT),
                          FEAT_WX_ANSWER_MAX, &res)
        != FEAT_OK)
    {
        return FEAT_E_PAY_GATEWAY;
    }

    if (res.status != 200) {
        feat_log(LOG_WARNING, 0, "pay: WeChat %s answered HTTP %ld", path,
                 res.status);
        return FEAT_E_PAY_GATEWAY;
    }

    if (feat_wx_parse(a, res.body, res.len, ans) != FEAT_OK) {
        feat_log(LOG_WARNING, 0, "pay: WeChat %s: the answer is not API v2"
                 " XML", path);
        return FEAT_E_PAY_GATEWAY;
    }

    rc = feat_wx_get(ans, "return_code");
    if (rc == NULL || strcmp(rc, "SUCCESS") != 0) {
        v = feat_wx_get(ans, "return_msg");
        feat_log(LOG_WARNING, 0, "pay: WeChat %s: return_code %s: %s", path,
                 rc != NULL ? rc : "(none)", v != NULL ? v : "");
        return FEAT_E_PAY_GATEWAY;
    }

    if (!feat_wx_verify(a, ans, m->key, m->hmac)) {
        feat_log(LOG_WARNING, 0, "pay: WeChat %s: the answer's signature is"
                 " %s", path,
                 feat_wx_get(ans, "sign") != NULL ? "wrong" : "missing");
        return FEAT_E_PAY_GATEWAY;
    }

    v = feat_wx_get(ans, "mch_id");
    rc = feat_wx_get(ans, "appid");
    if (v == NULL || strcmp(v, m->mch_id) != 0 || rc == NULL
        || strcmp(rc, m->appid) != 0)
    {
        feat_log(LOG_WARNING, 0, "pay: WeChat %s: the answer is for another"
                 " merchant or app id", path);
        return FEAT_E_PAY_GATEWAY;
    }

    rc = feat_wx_get(ans, "result_code");
    if (rc == NULL || strcmp(rc, "SUCCESS") != 0) {
        v = feat_wx_get(ans, "err_code");
        des = feat_wx_get(ans, "err_code_des");
        feat_log(LOG_WARNING, 0, "pay: WeChat %s: result_code %s: %s %s",
                 path, rc != NULL ? rc : "(none)", v != NULL ? v : "",
                 des != NULL ? des : "");
        /* signed and ours: the caller may read its err_code */
        return FEAT_E_WRONG_STATE;
    }

    if (raw != NULL) {
        *raw = res.body;
    }

    return FEAT_E_NONE;
}
