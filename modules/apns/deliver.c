/*
 * deliver.c: the APNs delivery channel ("apns" outbox rows; the provider
 * the jobs process calls through feat_apns_module's push).
 *
 * One POST /3/device/<token> per row over HTTP/2 (the jobs process sends
 * many rows at once as streams of one kept connection) to apns.url, or
 * apns.sandbox_url for a
 * token registered with sandbox, with token-based authentication: an
 * ES256 JWT (iss apns.team_id, kid apns.key_id, signed with the .p8 key
 * apns.key) made once and reused for up to FEAT_APNS_JWT_TTL seconds,
 * under Apple's hour, per app; a 403 ExpiredProviderToken makes a fresh
 * one (once for all the rows that heard it) and the row is sent again at
 * once.  feat_apns_prepare builds a row's request, feat_apns_judge reads
 * its answer.  Headers: apns-topic
 * (apns.topic, the bundle id), apns-push-type alert, apns-id (the row's
 * request_id: every attempt of a row carries the same, so APNs drops a
 * repeat), apns-expiration (the row's creation plus push.ttl).
 *
 * Answers: 200 delivered; 410 (Unregistered) and 400 BadDeviceToken: the
 * token is dead (the outbox deletes it); 429, 5xx, a 403 even with a
 * fresh JWT, and transport failures are transient; every other answer is
 * permanent.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "apns/apns.h"

#define FEAT_APNS_JWT_TTL   3000      /* s a JWT is reused (Apple: 3600) */
#define FEAT_APNS_JWTS      16        /* apps whose JWT is kept */
#define FEAT_APNS_TIMEOUT   10000     /* ms */
#define FEAT_APNS_MAX       4096      /* bytes of an answer */


/* A JWT made for an app with its team and key ids. */
struct feat_apns_jwt {
    char    *app;
    char    *team_id;
    char    *key_id;
    char    *jwt;
    time_t   made;
};

static struct feat_apns_jwt  feat_apns_jwts[FEAT_APNS_JWTS];


int
feat_apns_ready(const char *app)
{
    size_t       len;
    const char  *key;

    return feat_setting_str(app, "apns.team_id")[0] != '\0'
           && feat_setting_str(app, "apns.key_id")[0] != '\0'
           && feat_setting_str(app, "apns.topic")[0] != '\0'
           && feat_setting_get(app, "apns.key", &key, &len) == FEAT_OK;
}


static void
feat_apns_jwt_forget(struct feat_apns_jwt *j)
{
    free(j->app);
    free(j->team_id);
    free(j->key_id);
    free(j->jwt);
    memset(j, 0, sizeof(*j));
}


/*
 * The app's JWT, made again when it is too old, the ids changed, or it is
 * refused (the one APNs called expired: several rows in flight may hear
 * it, and only the first makes a new one, as Apple frowns on frequent
 * refreshes); NULL (logged) when it cannot be made.
 */
static const char *
feat_apns_jwt(struct feat_arena *a, const char *app, const char *refused)
{
    size_t                 i, len;
    time_t                 now;
    const char            *team, *kid, *key, *jwt;
    struct feat_apns_jwt  *j, *free_slot, *oldest;

    now = feat_now();
    team = feat_setting_str(app, "apns.team_id");
    kid = feat_setting_str(app, "apns.key_id");

    free_slot = NULL;
    oldest = &feat_apns_jwts[0];

    for (i = 0; i < FEAT_APNS_JWTS; i++) {
        j = &feat_apns_jwts[i];

        if (j->app == NULL) {
            free_slot = free_slot != NULL ? free_slot : j;
            continue;
        }

        if (j->made < oldest->made) {
            oldest = j;
        }

        if (strcmp(j->app, app) != 0) {
            continue;
        }

        if ((refused == NULL || strcmp(j->jwt, refused) != 0)
            && strcmp(j->team_id, team) == 0
            && strcmp(j->key_id, kid) == 0
            && now - j->made < FEAT_APNS_JWT_TTL && now >= j->made)
        {
            return j->jwt;
        }

        feat_apns_jwt_forget(j);
        free_slot = j;
    }

    if (feat_setting_get(app, "apns.key", &key, &len) != FEAT_OK
        || feat_jwt_es256(a, key, len, kid, team, now, &jwt) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "apns: no JWT for app \"%s\"", app);
        return NULL;
    }

    j = free_slot != NULL ? free_slot : oldest;
    if (j->app != NULL) {
        feat_apns_jwt_forget(j);
    }

    j->app = strdup(app);
    j->team_id = strdup(team);
    j->key_id = strdup(kid);
    j->jwt = strdup(jwt);
    j->made = now;

    if (j->app == NULL || j->team_id == NULL || j->key_id == NULL
        || j->jwt == NULL)
    {
        feat_apns_jwt_forget(j);
        return jwt;
    }

    return j->jwt;
}


/* APNs' "reason" in an error answer, or "". */
static const char *
feat_apns_reason(struct feat_arena *a, const struct feat_http_resp *resp)
{
    cJSON       *o, *r;
    const char  *s;

    s = "";
    o = cJSON_ParseWithLength(resp->body, resp->len);
    r = cJSON_GetObjectItemCaseSensitive(o, "reason");

    if (cJSON_IsString(r)) {
        s = feat_arena_strdup(a, r->valuestring);
    }

    cJSON_Delete(o);
    return s;
}


int
feat_apns_prepare(struct feat_push_send *s)
{
    char                          *json;
    cJSON                         *o, *aps, *alert;
    const char                    *base, *jwt, **headers;
    struct feat_arena             *a;
    const struct feat_outbox_row  *row;

    a = s->a;
    row = s->row;

    jwt = feat_apns_jwt(a, row->app_id, s->again ? s->cred : NULL);
    if (jwt == NULL) {
        snprintf(s->err, sizeof(s->err),
                 "apns: cannot sign a JWT with apns.key");
        return FEAT_SEND_FAIL;
    }

    /* the JWT as sent: judge tells a refusal of it from a newer one's */
    s->cred = feat_arena_strdup(a, jwt);

    o = cJSON_CreateObject();
    aps = cJSON_AddObjectToObject(o, "aps");
    alert = cJSON_AddObjectToObject(aps, "alert");
    cJSON_AddStringToObject(alert, "title", row->title);
    cJSON_AddStringToObject(alert, "body", row->body);
    json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);

    if (json == NULL) {
        snprintf(s->err, sizeof(s->err), "apns: out of memory");
        return FEAT_SEND_RETRY;
    }

    s->req.body = feat_arena_strdup(a, json);
    s->req.len = strlen(json);
    cJSON_free(json);

    base = feat_setting_str(row->app_id, row->sandbox ? "apns.sandbox_url"
                                                      : "apns.url");

    headers = feat_arena_alloc(a, 7 * sizeof(*headers));
    headers[0] = feat_arena_sprintf(a, "authorization: bearer %s", s->cred);
    headers[1] = feat_arena_sprintf(a, "apns-topic: %s",
                     feat_setting_str(row->app_id, "apns.topic"));
    headers[2] = "apns-push-type: alert";
    headers[3] = feat_arena_sprintf(a, "apns-id: %s", row->request_id);
    headers[4] = feat_arena_sprintf(a, "apns-expiration: %lld",
                     (long long) row->created_at
                     + feat_setting_int(row->app_id, "push.ttl"));
    headers[5] = "content-type: application/json";
    headers[6] = NULL;

    s->req.method = "POST";
    s->req.url = feat_arena_sprintf(a, "%s/3/device/%s", base, row->token);
    s->req.headers = headers;
    s->req.timeout_ms = FEAT_APNS_TIMEOUT;
    s->req.max = FEAT_APNS_MAX;
    s->req.h2 = 1;
    s->req.ca_file = feat_setting_str(row->app_id, "apns.ca_file");

    return FEAT_SEND_START;
}


int
feat_apns_judge(struct feat_push_send *s)
{
    long         status;
    const char  *reason;

    status = s->resp.status;

    if (status == 0) {
        snprintf(s->err, sizeof(s->err), "apns: no answer");
        return FEAT_SEND_RETRY;
    }

    if (status == 200) {
        return FEAT_SEND_OK;
    }

    reason = feat_apns_reason(s->a, &s->resp);
    snprintf(s->err, sizeof(s->err), "apns: %ld %s", status, reason);

    /* a JWT Apple holds too old: a fresh one, and the row again at once,
     * once (a 403 with the fresh one is retried later) */
    if (status == 403 && strcmp(reason, "ExpiredProviderToken") == 0
        && !s->again)
    {
        return FEAT_SEND_AGAIN;
    }

    if (status == 410
        || (status == 400 && strcmp(reason, "BadDeviceToken") == 0))
    {
        return FEAT_SEND_GONE;
    }

    if (status == 429 || status >= 500 || status == 403) {
        return FEAT_SEND_RETRY;
    }

    return FEAT_SEND_FAIL;
}
