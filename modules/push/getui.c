/*
 * getui.c: the Getui delivery channel ("getui" outbox rows: the client
 * ids v2 apps bind with /api/push/bind; the provider the jobs process
 * calls through feat_push_module's push).
 *
 * Getui's REST API v2: POST <getui.url>/<getui.app_id>/auth with
 * {"sign": sha256(app_key + timestamp + master_secret), "timestamp",
 * "appkey"} answers a token and its expire_time (ms); the token is kept
 * per app until a minute before it expires, or until Getui calls it
 * invalid (code 10001: a fresh one, and the row again at once).  Then
 * POST .../push/single/cid (header token) with {"request_id": the row's
 * request_id without its hyphens (Getui takes 10 to 32 characters, and
 * drops a request_id it has seen), "audience": {"cid": [cid]},
 * "push_message": {"notification": {"title", "body", "click_type":
 * "startapp"}}} (feat_getui_prepare; the jobs process sends many rows
 * at once over parallel kept connections, feat_getui_judge reads each
 * answer).  Code 0 is delivered; code 20001 (the cid is not
 * Getui's) switches the binding off; HTTP 429, 5xx and transport failures
 * retry; any other answer is permanent.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feat.h"
#include "push/push.h"

#define FEAT_GETUI_TOKENS    16
#define FEAT_GETUI_TIMEOUT   10000     /* ms */
#define FEAT_GETUI_MAX       8192      /* bytes of an answer */
#define FEAT_GETUI_CODE_TOKEN  10001   /* token invalid or expired */
#define FEAT_GETUI_CODE_CID    20001   /* cid invalid */


struct feat_getui_token {
    char       *app;
    char       *app_key;
    char       *token;
    long long   expires;    /* ms */
};

static struct feat_getui_token  feat_getui_tokens[FEAT_GETUI_TOKENS];


int
feat_getui_ready(const char *app)
{
    size_t       len;
    const char  *v;

    return feat_setting_str(app, "getui.app_id")[0] != '\0'
           && feat_setting_str(app, "getui.app_key")[0] != '\0'
           && feat_setting_get(app, "getui.master_secret", &v, &len)
              == FEAT_OK;
}


static long long
feat_getui_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void
feat_getui_forget(struct feat_getui_token *t)
{
    free(t->app);
    free(t->app_key);
    if (t->token != NULL) {
        feat_cleanse(t->token, strlen(t->token));
        free(t->token);
    }
    memset(t, 0, sizeof(*t));
}


/* POSTs JSON body to url with headers: the answer's JSON (the caller
 * deletes it) and *status, or NULL when there was no answer. */
static cJSON *
feat_getui_post(struct feat_arena *a, const char *url, const char *token,
    const char *body, long *status)
{
    const char             *headers[3];
    struct feat_http_resp   resp;

    headers[0] = "content-type: application/json;charset=utf-8";
    headers[1] = token != NULL ? feat_arena_sprintf(a, "token: %s", token)
                               : NULL;
    headers[2] = NULL;

    if (feat_http_request(a, "POST", url, headers, body, strlen(body),
                          FEAT_GETUI_TIMEOUT, FEAT_GETUI_MAX, &resp)
        != FEAT_OK)
    {
        *status = 0;
        return NULL;
    }

    *status = resp.status;
    return cJSON_ParseWithLength(resp.body, resp.len);
}


/* The app's token, asked again when it expires within a minute or it is
 * refused (the one Getui called invalid: of the rows that heard it, only
 * the first asks for a new one); NULL with err set when there is none. */
static const char *
feat_getui_token(struct feat_arena *a, const char *app, const char *refused,
    char *err, size_t errlen)
{
    char                      sum[65], *body;
    long                      status;
    size_t                    i, len;
    cJSON                    *o, *res, *data, *tok, *exp, *code;
    long long                 now;
    const char               *key, *secret, *base, *id;
    struct feat_getui_token  *t, *slot;

    now = feat_getui_ms();
    key = feat_setting_str(app, "getui.app_key");
    slot = &feat_getui_tokens[0];

    for (i = 0; i < FEAT_GETUI_TOKENS; i++) {
        t = &feat_getui_tokens[i];

        if (t->app == NULL) {
            slot = t;
            continue;
        }

        if (strcmp(t->app, app) != 0) {
            continue;
        }

        if ((refused == NULL || strcmp(t->token, refused) != 0)
            && strcmp(t->app_key, key) == 0
            && t->expires - 60000 > now)
        {
            return t->token;
        }

        feat_getui_forget(t);
        slot = t;
    }

    if (feat_setting_get(app, "getui.master_secret", &secret, &len)
        != FEAT_OK)
    {
        snprintf(err, errlen, "getui: no getui.master_secret");
        return NULL;
    }

    base = feat_setting_str(app, "getui.url");
    id = feat_setting_str(app, "getui.app_id");

    {
        char  ts[32];
        char *plain;

        snprintf(ts, sizeof(ts), "%lld", now);
        plain = feat_arena_sprintf(a, "%s%s%.*s", key, ts, (int) len,
                                   secret);
        feat_sha256_hex(plain, sum);
        feat_cleanse(plain, strlen(plain));

        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sign", sum);
        cJSON_AddStringToObject(o, "timestamp", ts);
        cJSON_AddStringToObject(o, "appkey", key);
        body = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }

    if (body == NULL) {
        snprintf(err, errlen, "getui: out of memory");
        return NULL;
    }

    res = feat_getui_post(a, feat_arena_sprintf(a, "%s/%s/auth", base, id),
                          NULL, body, &status);
    cJSON_free(body);

    code = cJSON_GetObjectItemCaseSensitive(res, "code");
    data = cJSON_GetObjectItemCaseSensitive(res, "data");
    tok = cJSON_GetObjectItemCaseSensitive(data, "token");
    exp = cJSON_GetObjectItemCaseSensitive(data, "expire_time");

    if (status != 200 || !cJSON_IsNumber(code) || code->valueint != 0
        || !cJSON_IsString(tok) || !cJSON_IsString(exp))
    {
        snprintf(err, errlen, "getui: auth refused (HTTP %ld, code %d)",
                 status, cJSON_IsNumber(code) ? code->valueint : -1);
        cJSON_Delete(res);
        return NULL;
    }

    if (slot->app != NULL) {
        feat_getui_forget(slot);
    }

    slot->app = strdup(app);
    slot->app_key = strdup(key);
    slot->token = strdup(tok->valuestring);
    slot->expires = strtoll(exp->valuestring, NULL, 10);
    cJSON_Delete(res);

    if (slot->app == NULL || slot->app_key == NULL || slot->token == NULL) {
        feat_getui_forget(slot);
        snprintf(err, errlen, "getui: out of memory");
        return NULL;
    }

    return slot->token;
}


int
feat_getui_prepare(struct feat_push_send *s)
{
    char                          *json, rid[40], *p;
    cJSON                         *o, *aud, *cids, *msg, *n;
    const char                    *token, *q, **headers;
    struct feat_arena             *a;
    const struct feat_outbox_row  *row;

    a = s->a;
    row = s->row;

    /* the app's token: asked for here, once, while the other rows' pushes
     * wait (rarely: it lives a day) */
    token = feat_getui_token(a, row->app_id, s->again ? s->cred : NULL,
                             s->err, sizeof(s->err));
    if (token == NULL) {
        return FEAT_SEND_RETRY;
    }

    s->cred = feat_arena_strdup(a, token);

    /* Getui takes a request_id of 10 to 32 characters: the UUID's hex */
    for (p = rid, q = row->request_id; *q != '\0' && p < rid + 32; q++) {
        if (*q != '-') {
            *p++ = *q;
        }
    }
    *p = '\0';

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", rid);
    aud = cJSON_AddObjectToObject(o, "audience");
    cids = cJSON_AddArrayToObject(aud, "cid");
    cJSON_AddItemToArray(cids, cJSON_CreateString(row->token));
    msg = cJSON_AddObjectToObject(o, "push_message");
    n = cJSON_AddObjectToObject(msg, "notification");
    cJSON_AddStringToObject(n, "title", row->title);
    cJSON_AddStringToObject(n, "body", row->body);
    cJSON_AddStringToObject(n, "click_type", "startapp");
    json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);

    if (json == NULL) {
        snprintf(s->err, sizeof(s->err), "getui: out of memory");
        return FEAT_SEND_RETRY;
    }

    s->req.body = feat_arena_strdup(a, json);
    s->req.len = strlen(json);
    cJSON_free(json);

    headers = feat_arena_alloc(a, 3 * sizeof(*headers));
    headers[0] = "content-type: application/json;charset=utf-8";
    headers[1] = feat_arena_sprintf(a, "token: %s", s->cred);
    headers[2] = NULL;

    s->req.method = "POST";
    s->req.url = feat_arena_sprintf(a, "%s/%s/push/single/cid",
                     feat_setting_str(row->app_id, "getui.url"),
                     feat_setting_str(row->app_id, "getui.app_id"));
    s->req.headers = headers;
    s->req.timeout_ms = FEAT_GETUI_TIMEOUT;
    s->req.max = FEAT_GETUI_MAX;

    return FEAT_SEND_START;
}


int
feat_getui_judge(struct feat_push_send *s)
{
    int     c;
    long    status;
    cJSON  *res, *code;

    status = s->resp.status;
    c = -1;

    if (status != 0) {
        res = cJSON_ParseWithLength(s->resp.body, s->resp.len);
        code = cJSON_GetObjectItemCaseSensitive(res, "code");
        c = cJSON_IsNumber(code) ? code->valueint : -1;
        cJSON_Delete(res);
    }

    if (status == 200 && c == 0) {
        return FEAT_SEND_OK;
    }

    snprintf(s->err, sizeof(s->err), "getui: HTTP %ld, code %d", status, c);

    /* the token Getui calls invalid: a fresh one, and the row again at
     * once, once */
    if (status == 200 && c == FEAT_GETUI_CODE_TOKEN && !s->again) {
        return FEAT_SEND_AGAIN;
    }

    if (status == 0 || status == 429 || status >= 500
        || (status == 200 && c == FEAT_GETUI_CODE_TOKEN))
    {
        return FEAT_SEND_RETRY;
    }

    return (status == 200 && c == FEAT_GETUI_CODE_CID) ? FEAT_SEND_GONE
                                                       : FEAT_SEND_FAIL;
}
