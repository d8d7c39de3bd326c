/*
 * profile/v1.c: the v1 dialect's user information (seeds/003).
 *
 * GET /api/user/message answers the caller's user row under the seed's
 * v1 names, and PUT changes it.  The row is the one v2's personal/info
 * serves (accounts.h), mapped as API.md says: user_name is the nickname,
 * or the account while the nickname is empty (the seed lists it twice, it
 * is answered once); user_sex is the gender (0 female, 1 male, 2 unknown);
 * user_city the city; user_permission the role; user_message_id the user
 * id.  A PUT validates every field it carries before the one UPDATE runs,
 * so one bad field changes nothing; omitted fields stay and "" clears one.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "profile/profile.h"


/* The seed's user_name: the nickname, else the account. */
static const char *
user_name(const struct feat_user *u)
{
    return u->nickname[0] != '\0' ? u->nickname : u->username;
}


/* GET's object, in the seed's field order. */
static cJSON *
message_object(struct feat_req *r, const struct feat_user *u)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "user_avatar", u->avatar);
    cJSON_AddNumberToObject(o, "user_permission", u->role);
    cJSON_AddNumberToObject(o, "user_message_id", (double) u->id);
    cJSON_AddStringToObject(o, "created_at", feat_time(r, u->created_at));
    cJSON_AddStringToObject(o, "updated_at", feat_time(r, u->updated_at));
    cJSON_AddStringToObject(o, "user_telephone", u->phone);
    cJSON_AddNumberToObject(o, "user_id", (double) u->id);
    cJSON_AddStringToObject(o, "user_name", user_name(u));
    cJSON_AddStringToObject(o, "user_email", u->email);
    cJSON_AddNumberToObject(o, "user_sex", u->gender);
    cJSON_AddStringToObject(o, "user_birthday", u->birthday);
    cJSON_AddStringToObject(o, "user_city", u->city);

    return o;
}


/* PUT's answer: the fields the seed shows after a change. */
static cJSON *
changed_object(struct feat_req *r, const struct feat_user *u)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "created_at", feat_time(r, u->created_at));
    cJSON_AddStringToObject(o, "updated_at", feat_time(r, u->updated_at));
    cJSON_AddNumberToObject(o, "user_id", (double) u->id);
    cJSON_AddStringToObject(o, "user_avatar", u->avatar);
    cJSON_AddNumberToObject(o, "user_sex", u->gender);
    cJSON_AddStringToObject(o, "user_birthday", u->birthday);
    cJSON_AddStringToObject(o, "user_city", u->city);
    cJSON_AddStringToObject(o, "user_name", user_name(u));

    return o;
}


static int
v1_message_get(struct feat_req *r)
{
    enum feat_error   e;
    struct feat_user  u;

    e = feat_user_get(feat_db(), r->arena, r->app->id, r->user_id, &u);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld", (long long) r->user_id);
    }

    return feat_reply(r, message_object(r, &u));
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
v1_message_put(struct feat_req *r)
{
    int                         rc;
    long long                   sex;
    enum feat_error             e;
    struct feat_user            u;
    struct feat_profile_update  p;

    memset(&p, 0, sizeof(p));
    p.gender = -1;

    if (in_opt_str(r, "user_name", &p.nickname, FEAT_NICKNAME_MAX) != FEAT_OK
        || in_opt_str(r, "user_avatar", &p.avatar, FEAT_AVATAR_MAX) != FEAT_OK
        || in_opt_str(r, "user_birthday", &p.birthday, FEAT_BIRTHDAY_MAX)
           != FEAT_OK
        || in_opt_str(r, "user_city", &p.city, FEAT_CITY_MAX) != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    rc = feat_in_int(r, "user_sex", &sex, 0, FEAT_GENDER_MAX, 0);
    if (rc == FEAT_ERROR) {
        return feat_fail_field(r);
    }

    if (rc == FEAT_OK) {
        p.gender = (int) sex;
    }

    /* "" clears the birthday; anything else must be a real date. */
    if (p.birthday != NULL && !feat_user_birthday_ok(p.birthday)) {
        return feat_fail_bad(r, "user_birthday", "must be a date (YYYY-MM-DD)");
    }

    e = feat_profile_apply(r, &p, &u);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld not updated",
                         (long long) r->user_id);
    }

    return feat_reply(r, changed_object(r, &u));
}


static const struct feat_route  profile_v1_routes[] = {
    { FEAT_GET, "/api/user/message", FEAT_V1, v1_message_get, FEAT_JWT },
    { FEAT_PUT, "/api/user/message", FEAT_V1, v1_message_put, FEAT_JWT },
    FEAT_NULL_ROUTE
};


static const struct feat_prefix  profile_v1_prefixes[] = {
    { "/api/user/", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_profile_v1_module = {
    .name = "profile-v1",
    .routes = profile_v1_routes,
    .prefixes = profile_v1_prefixes,
};
