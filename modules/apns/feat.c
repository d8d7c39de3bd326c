/*
 * apns/feat.c: the feat dialect's APNs device tokens (API.md "APNs device
 * tokens", seeds/000): PUT or POST /api/user/apns-device-token/
 * {device_token, sandbox?} stores the caller's token (moving it from any
 * other user of the app) and answers it; DELETE with {device_token} in the
 * body or as ?device_token= (many HTTP clients send no DELETE body)
 * removes one of the caller's, 204, and a token the caller does not hold
 * answers 404.
 */

#include "config.h"

#include "feat.h"
#include "apns/apns.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers; the handlers read their input through these rows and the
 * OpenAPI document is made from them.
 */
enum { APNS_IN_TOKEN, APNS_IN_SANDBOX };

static const struct feat_field  apns_put_in[] = {
    /* the row's max is generous: feat_apns_token_norm holds the token to
     * even-length hex of FEAT_APNS_TOKEN_MIN to FEAT_APNS_TOKEN_MAX
     * digits, with its own reasons, and lowercases it */
    [APNS_IN_TOKEN] =
    { "device_token", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_APNS_TOKEN_MAX + 1, "hex",
      "the device's APNs token: an even number of hex digits, 64 to 200" },
    [APNS_IN_SANDBOX] =
    { "sandbox", FEAT_FT_BOOL, 0, 0, 0, NULL,
      "a development build's token (APNs' sandbox host); default false" },
    FEAT_NULL_FIELD
};

static const struct feat_field  apns_delete_in[] = {
    [APNS_IN_TOKEN] =
    { "device_token", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_APNS_TOKEN_MAX + 1, "hex",
      "one of the caller's tokens; in the body or as ?device_token=" },
    FEAT_NULL_FIELD
};

static const struct feat_field  apns_out[] = {
    { "device_token", FEAT_FT_STR, FEAT_REQUIRED,
      FEAT_APNS_TOKEN_MIN, FEAT_APNS_TOKEN_MAX, "hex",
      "the token, lowercased" },
    { "sandbox", FEAT_FT_BOOL, FEAT_REQUIRED, 0, 0, NULL,
      "a development build's token" },
    { "created_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "stored" },
    { "updated_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL,
      "last stored" },
    FEAT_NULL_FIELD
};


/* The device_token field of the route's rows (in), normalized into out:
 * FEAT_OK or FEAT_ERROR with r->bad_field set. */
static int
apns_in_token(struct feat_req *r, const struct feat_field *in, char *out)
{
    const char  *s, *reason;

    /* the row's limit is generous: the length proper is checked below */
    if (feat_in_field(r, &in[APNS_IN_TOKEN], &s) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (feat_apns_token_norm(s, out, &reason) != FEAT_OK) {
        r->bad_field = "device_token";
        r->bad_reason = reason;
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
feat_apns_token_put(struct feat_req *r)
{
    int                      sandbox;
    char                     token[FEAT_APNS_TOKEN_MAX + 1];
    cJSON                   *o;
    enum feat_error          e;
    struct feat_apns_device  d;

    if (apns_in_token(r, apns_put_in, token) != FEAT_OK) {
        return feat_fail_field(r);
    }

    sandbox = 0;
    if (feat_in_field(r, &apns_put_in[APNS_IN_SANDBOX], &sandbox)
        == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    e = feat_apns_put(feat_db(), r->arena, r->app->id, r->user_id, token,
                      sandbox, &d);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "apns token of user %lld not stored",
                         (long long) r->user_id);
    }

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_token", d.token);
    cJSON_AddBoolToObject(o, "sandbox", d.sandbox);
    cJSON_AddStringToObject(o, "created_at", feat_time(r, d.created_at));
    cJSON_AddStringToObject(o, "updated_at", feat_time(r, d.updated_at));

    return feat_reply(r, o);
}


static int
feat_apns_token_delete(struct feat_req *r)
{
    char             token[FEAT_APNS_TOKEN_MAX + 1];
    enum feat_error  e;

    if (apns_in_token(r, apns_delete_in, token) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_apns_remove(feat_db(), r->app->id, r->user_id, token);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "apns token not held by user %lld",
                         (long long) r->user_id);
    }

    return feat_reply_empty(r, 204);
}


static const struct feat_schema  apns_put_schema = {
    .summary = "Store the caller's APNs device token (moving it from any "
               "other user of the app)",
    .request = apns_put_in,
    .answer = apns_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  apns_delete_schema = {
    .summary = "Remove one of the caller's APNs device tokens (204)",
    .request = apns_delete_in,
    .shape = FEAT_ANSWER_EMPTY,
};


static const struct feat_route  apns_routes[] = {
    { FEAT_PUT, "/api/user/apns-device-token/", FEAT_FEAT,
      feat_apns_token_put, FEAT_USER_SESSION, &apns_put_schema },
    /* the seed calls it create/update: POST is the same upsert */
    { FEAT_POST, "/api/user/apns-device-token/", FEAT_FEAT,
      feat_apns_token_put, FEAT_USER_SESSION, &apns_put_schema },
    { FEAT_DELETE, "/api/user/apns-device-token/", FEAT_FEAT,
      feat_apns_token_delete, FEAT_USER_SESSION, &apns_delete_schema },
    FEAT_NULL_ROUTE
};


/* Delivery's credentials and hosts, per app (deliver.c reads them). */
static const struct feat_setting  apns_settings[] = {
    { "apns.team_id", FEAT_SETTING_STR, 0, NULL, NULL, 0, 32, NULL,
      "Apple developer team id (the JWT's iss)", NULL },
    { "apns.key_id", FEAT_SETTING_STR, 0, NULL, NULL, 0, 32, NULL,
      "id of the APNs auth key (the JWT's kid)", NULL },
    { "apns.key", FEAT_SETTING_PEM, FEAT_SETTING_SECRET, NULL, NULL, 0, 0,
      NULL, "the APNs auth key, the .p8 file's PEM text", NULL },
    { "apns.topic", FEAT_SETTING_STR, 0, NULL, NULL, 0, 255, NULL,
      "apns-topic: the app's bundle id", NULL },
    { "apns.url", FEAT_SETTING_URL, 0, "https://api.push.apple.com", NULL,
      0, 0, NULL, "APNs production host (http:// speaks h2c)", NULL },
    { "apns.sandbox_url", FEAT_SETTING_URL, 0,
      "https://api.sandbox.push.apple.com", NULL, 0, 0, NULL,
      "APNs host of sandbox tokens (http:// speaks h2c)", NULL },
    { "apns.ca_file", FEAT_SETTING_STR, 0, NULL, NULL, 0, 1024, NULL,
      "CA file trusted for the APNs hosts (default: the system's)", NULL },
    FEAT_NULL_SETTING
};

static const struct feat_push_provider  apns_push = {
    "apns", feat_apns_ready, feat_apns_prepare, feat_apns_judge
};


const struct feat_module  feat_apns_module = {
    .name = "apns",
    .routes = apns_routes,
    .settings = apns_settings,
    .push = &apns_push,
};
