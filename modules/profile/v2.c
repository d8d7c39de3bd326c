/*
 * profile/v2.c: the v2 dialect's personal information (seeds/004).
 *
 * GET /api/personal/info answers the caller's user object exactly as the
 * seed shows it; PUT changes nickname, avatar, gender, birthday and
 * address.  Every field a PUT carries is validated before the one UPDATE
 * runs, so a request with one bad field changes nothing; omitted fields
 * stay as they are and "" clears one.  The users table and its rules
 * belong to the accounts module (accounts.h).
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define BIRTHDAY_MAX  10    /* "YYYY-MM-DD" */


/* The seed's user object, in the seed's field order. */
static cJSON *
user_object(struct feat_req *r, const struct feat_user *u)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) u->id);
    cJSON_AddStringToObject(o, "area", u->area);
    cJSON_AddStringToObject(o, "phone", u->phone);
    cJSON_AddStringToObject(o, "email", u->email);
    cJSON_AddStringToObject(o, "openid", u->openid);
    cJSON_AddNumberToObject(o, "role", u->role);
    cJSON_AddStringToObject(o, "username", u->username);
    cJSON_AddBoolToObject(o, "is_active", u->is_active);
    cJSON_AddStringToObject(o, "app_id", u->app_id);
    cJSON_AddStringToObject(o, "created_at", feat_time(r, u->created_at));
    cJSON_AddStringToObject(o, "updated_at", feat_time(r, u->updated_at));
    cJSON_AddStringToObject(o, "nickname", u->nickname);
    cJSON_AddStringToObject(o, "avatar", u->avatar);
    cJSON_AddNumberToObject(o, "gender", u->gender);
    cJSON_AddStringToObject(o, "birthday", u->birthday);
    cJSON_AddStringToObject(o, "address", u->address);

    return o;
}


/* Answers the caller's user object. */
static int
reply_user(struct feat_req *r)
{
    enum feat_error   e;
    struct feat_user  u;

    e = feat_user_get(feat_db(), r->arena, r->app->id, r->user_id, &u);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld", (long long) r->user_id);
    }

    return feat_reply(r, user_object(r, &u));
}


static int
v2_info_get(struct feat_req *r)
{
    return reply_user(r);
}


/* An optional string field: FEAT_OK with *out (NULL when absent), or
 * FEAT_ERROR with r->bad_field set. */
static int
in_opt_str(struct feat_req *r, const char *name, const char **out,
    size_t max)
{
    *out = NULL;

    return feat_in_str(r, name, out, max, FEAT_ALLOW_EMPTY) == FEAT_ERROR
           ? FEAT_ERROR : FEAT_OK;
}


static int
v2_info_put(struct feat_req *r)
{
    int                         rc;
    long long                   gender;
    enum feat_error             e;
    struct feat_profile_update  u;

    memset(&u, 0, sizeof(u));
    u.gender = -1;

    if (in_opt_str(r, "nickname", &u.nickname, FEAT_NICKNAME_MAX) != FEAT_OK
        || in_opt_str(r, "avatar", &u.avatar, FEAT_AVATAR_MAX) != FEAT_OK
        || in_opt_str(r, "birthday", &u.birthday, BIRTHDAY_MAX) != FEAT_OK
        || in_opt_str(r, "address", &u.address, FEAT_ADDRESS_MAX) != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    rc = feat_in_int(r, "gender", &gender, 0, 2, 0);
    if (rc == FEAT_ERROR) {
        return feat_fail_field(r);
    }

    if (rc == FEAT_OK) {
        u.gender = (int) gender;
    }

    /* "" clears the birthday; anything else must be a real date. */
    if (u.birthday != NULL && u.birthday[0] != '\0'
        && feat_parse_date(u.birthday) != FEAT_OK)
    {
        r->bad_field = "birthday";
        r->bad_reason = "must be a date (YYYY-MM-DD)";
        return feat_fail_field(r);
    }

    e = feat_user_update_profile(feat_db(), r->app->id, r->user_id, &u);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld not updated",
                         (long long) r->user_id);
    }

    return reply_user(r);
}


static const struct feat_route  profile_routes[] = {
    { FEAT_GET, "/api/personal/info", FEAT_V2, v2_info_get, FEAT_SESSION | FEAT_USER },
    { FEAT_PUT, "/api/personal/info", FEAT_V2, v2_info_put, FEAT_SESSION | FEAT_USER },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_profile_module = {
    "profile",
    profile_routes,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL
};
