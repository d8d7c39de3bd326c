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
 * The fields are declared rows (feat.h, struct feat_field) the handlers
 * read through and the OpenAPI document shows.
 */

#include "config.h"

#include "feat.h"
#include "accounts/accounts.h"
#include "profile/profile.h"


/* each optional, "" clears one; the rows as profile.h's change */
static const struct feat_field  message_in[] = {
    [FEAT_PROFILE_IN_NAME] =
    { "user_name", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_NICKNAME_MAX, NULL,
      "a new nickname", NULL },
    [FEAT_PROFILE_IN_AVATAR] =
    { "user_avatar", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_AVATAR_MAX, NULL,
      "a new avatar URL", NULL },
    [FEAT_PROFILE_IN_BIRTHDAY] =
    { "user_birthday", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_BIRTHDAY_MAX,
      NULL, "YYYY-MM-DD, a real date", NULL },
    [FEAT_PROFILE_IN_PLACE] =
    { "user_city", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_CITY_MAX, NULL,
      "a new city", NULL },
    [FEAT_PROFILE_IN_GENDER] =
    { "user_sex", FEAT_FT_INT, 0, 0, FEAT_GENDER_MAX, NULL,
      "0 female, 1 male, 2 unknown", NULL },
    FEAT_NULL_FIELD
};

#define V1_CHANGED_OUT                                                        \
    { "created_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "registered",    \
      NULL },                                                                 \
    { "updated_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "last changed",  \
      NULL },                                                                 \
    { "user_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the user's id",      \
      NULL },                                                                 \
    { "user_avatar", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_AVATAR_MAX, NULL,    \
      "the avatar's URL", NULL },                                             \
    { "user_sex", FEAT_FT_INT, FEAT_REQUIRED, 0, FEAT_GENDER_MAX, NULL,       \
      "0 female, 1 male, 2 unknown", NULL },                                  \
    { "user_birthday", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_BIRTHDAY_MAX,      \
      NULL, "YYYY-MM-DD, or \"\"", NULL },                                    \
    { "user_city", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_CITY_MAX, NULL,        \
      "the city", NULL },                                                     \
    { "user_name", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,                    \
      "the nickname, else the account", NULL }

static const struct feat_field  changed_out[] = {
    V1_CHANGED_OUT,
    FEAT_NULL_FIELD
};

static const struct feat_field  message_out[] = {
    V1_CHANGED_OUT,
    { "user_permission", FEAT_FT_INT, FEAT_REQUIRED, 0, FEAT_ROLE_MAX, NULL,
      "the role", NULL },
    { "user_message_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL,
      "the user's id again", NULL },
    { "user_telephone", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the phone number, or \"\"", NULL },
    { "user_email", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the email, or \"\"", NULL },
    FEAT_NULL_FIELD
};


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


/* v2's change under v1's names: the city in place of the address */
static int
v1_message_put(struct feat_req *r)
{
    return feat_profile_change(r, message_in, 1, changed_object);
}


static const struct feat_schema  message_get_schema = {
    .summary = "The caller's user information, under the seed's v1 names",
    .answer = message_out, .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  message_put_schema = {
    .summary = "Change it (omitted: unchanged, \"\" clears; one bad field "
               "changes nothing)",
    .request = message_in, .answer = changed_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_route  profile_v1_routes[] = {
    { FEAT_GET, "/api/user/message", FEAT_V1, v1_message_get, FEAT_JWT,
      &message_get_schema },
    { FEAT_PUT, "/api/user/message", FEAT_V1, v1_message_put, FEAT_JWT,
      &message_put_schema },
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
