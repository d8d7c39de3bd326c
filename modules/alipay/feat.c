/*
 * alipay/feat.c: the feat dialect's Alipay binding (API.md "Alipay
 * binding", seeds/001): POST /api/user/profile/alipay-binding/ {auth_code}
 * exchanges the code at the gateway and binds the Alipay account to the
 * caller (201); GET answers {"alipay_user_id","created_at"} or 404;
 * DELETE removes it (204).
 *
 * Outcomes of the exchange: a code the gateway refuses as invalid,
 * expired or used is the client's to fix, 400 invalid on auth_code; a
 * gateway that cannot be reached, is not configured, or answers anything
 * whose signature does not verify (forged, tampered with, or unsigned) is
 * not, 503 delivery_failed: the code may well be good, and the client may
 * retry with a new one later.  An Alipay account bound to another user of
 * the app is 409 already_bound.
 */

#include "config.h"

#include "feat.h"
#include "alipay/alipay.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers; the handler reads its input through these rows and the
 * OpenAPI document is made from them.
 */
enum { ALIPAY_IN_CODE };

static const struct feat_field  alipay_create_in[] = {
    [ALIPAY_IN_CODE] =
    { "auth_code", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_ALIPAY_CODE_MAX, NULL,
      "the auth code the Alipay SDK gave the app" },
    FEAT_NULL_FIELD
};

static const struct feat_field  alipay_binding_out[] = {
    { "alipay_user_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the Alipay account's user_id (or open_id)" },
    { "created_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "bound" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  alipay_create_schema = {
    .summary = "Bind the caller's Alipay account by an auth code (201)",
    .request = alipay_create_in,
    .answer = alipay_binding_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  alipay_get_schema = {
    .summary = "The caller's Alipay binding",
    .answer = alipay_binding_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  alipay_delete_schema = {
    .summary = "Remove the caller's Alipay binding (204)",
    .shape = FEAT_ANSWER_EMPTY,
};


static cJSON *
binding_object(struct feat_req *r, const struct feat_alipay_binding *b)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "alipay_user_id", b->alipay_user_id);
    cJSON_AddStringToObject(o, "created_at", feat_time(r, b->created_at));

    return o;
}


static int
feat_alipay_binding_create(struct feat_req *r)
{
    const char                 *code, *id;
    enum feat_error             e;
    struct feat_alipay_binding  b;

    if (feat_in_field(r, &alipay_create_in[ALIPAY_IN_CODE], &code)
        != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    e = feat_alipay_exchange(r->arena, r->app->id, code, &id);

    if (e == FEAT_E_BAD_FIELD) {
        return feat_fail_bad(r, "auth_code",
                             "refused by Alipay: invalid, expired or used");
    }

    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "alipay code exchange for user %lld",
                         (long long) r->user_id);
    }

    e = feat_alipay_bind(feat_db(), r->arena, r->app->id, r->user_id, id, &b);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "alipay account %s for user %lld", id,
                         (long long) r->user_id);
    }

    r->status = 201;

    return feat_reply(r, binding_object(r, &b));
}


static int
feat_alipay_binding_get(struct feat_req *r)
{
    enum feat_error             e;
    struct feat_alipay_binding  b;

    e = feat_alipay_get(feat_db(), r->arena, r->app->id, r->user_id, &b);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "alipay binding of user %lld",
                         (long long) r->user_id);
    }

    return feat_reply(r, binding_object(r, &b));
}


static int
feat_alipay_binding_delete(struct feat_req *r)
{
    enum feat_error  e;

    e = feat_alipay_unbind(feat_db(), r->app->id, r->user_id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "alipay binding of user %lld",
                         (long long) r->user_id);
    }

    return feat_reply_empty(r, 204);
}


static const struct feat_route  alipay_routes[] = {
    { FEAT_POST, "/api/user/profile/alipay-binding/", FEAT_FEAT,
      feat_alipay_binding_create, FEAT_USER_SESSION,
      &alipay_create_schema },
    { FEAT_GET, "/api/user/profile/alipay-binding/", FEAT_FEAT,
      feat_alipay_binding_get, FEAT_USER_SESSION,
      &alipay_get_schema },
    { FEAT_DELETE, "/api/user/profile/alipay-binding/", FEAT_FEAT,
      feat_alipay_binding_delete, FEAT_USER_SESSION,
      &alipay_delete_schema },
    FEAT_NULL_ROUTE
};


FEAT_ALIPAY_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  alipay_conf[] = {
    FEAT_ALIPAY_CONF(FEAT_CONF_ENTRY)
    NULL
};


const struct feat_module  feat_alipay_module = {
    .name = "alipay",
    .routes = alipay_routes,
    .conf = alipay_conf,
    .settings = feat_alipay_settings,
};
