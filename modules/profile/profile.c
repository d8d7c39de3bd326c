/*
 * profile.c: the profile handlers' shared half (profile.h): the seed's
 * user object and the validation of a profile change, used alike by the
 * v2 dialect (v2.c) and the feat dialect (feat.c), so the two can never
 * disagree on a limit or a field.  The fields are declared rows (feat.h,
 * struct feat_field) the handlers read through and the routes' schemas
 * (v2.c, feat.c) name for the OpenAPI document.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "profile/profile.h"


#define ALWAYS  FEAT_REQUIRED

const struct feat_field  feat_profile_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the user's id", NULL },
    { "area", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the phone number's calling code, or \"\"", NULL },
    { "phone", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the phone number, or \"\"",
      NULL },
    { "email", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the email, or \"\"", NULL },
    { "openid", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the user's open id",
      NULL },
    { "role", FEAT_FT_INT, ALWAYS, 0, FEAT_ROLE_MAX, NULL, "the role", NULL },
    { "username", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the account", NULL },
    { "is_active", FEAT_FT_BOOL, ALWAYS, 0, 0, NULL, "not disabled", NULL },
    { "app_id", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the app", NULL },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "registered", NULL },
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "last changed", NULL },
    { "nickname", FEAT_FT_STR, ALWAYS, 0, FEAT_NICKNAME_MAX, NULL,
      "the nickname", NULL },
    { "avatar", FEAT_FT_STR, ALWAYS, 0, FEAT_AVATAR_MAX, NULL,
      "the avatar's URL", NULL },
    { "gender", FEAT_FT_INT, ALWAYS, 0, FEAT_GENDER_MAX, NULL,
      "0 female, 1 male, 2 unknown", NULL },
    { "birthday", FEAT_FT_STR, ALWAYS, 0, FEAT_BIRTHDAY_MAX, NULL,
      "YYYY-MM-DD, or \"\"", NULL },
    { "address", FEAT_FT_STR, ALWAYS, 0, FEAT_ADDRESS_MAX, NULL,
      "the address", NULL },
    FEAT_NULL_FIELD
};

/* each optional, "" clears one */
const struct feat_field  feat_profile_update_in[] = {
    [FEAT_PROFILE_IN_NAME] =
    { "nickname", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_NICKNAME_MAX, NULL,
      "a new nickname", NULL },
    [FEAT_PROFILE_IN_AVATAR] =
    { "avatar", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_AVATAR_MAX, NULL,
      "a new avatar URL", NULL },
    [FEAT_PROFILE_IN_BIRTHDAY] =
    { "birthday", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_BIRTHDAY_MAX, NULL,
      "YYYY-MM-DD, a real date", NULL },
    [FEAT_PROFILE_IN_PLACE] =
    { "address", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_ADDRESS_MAX, NULL,
      "a new address", NULL },
    [FEAT_PROFILE_IN_GENDER] =
    { "gender", FEAT_FT_INT, 0, 0, FEAT_GENDER_MAX, NULL,
      "0 female, 1 male, 2 unknown", NULL },
    FEAT_NULL_FIELD
};

/* one of the two; with both the password is checked */
enum { IN_PASSWORD, IN_CODE };

const struct feat_field  feat_profile_delete_in[] = {
    [IN_PASSWORD] =
    { "password", FEAT_FT_STR, 0, 0, FEAT_PASSWORD_MAX, NULL,
      "the password (or code)", NULL },
    [IN_CODE] =
    { "code", FEAT_FT_STR, 0, 0, FEAT_CODE_MAX, NULL,
      "a code of purpose delete sent to the account", NULL },
    FEAT_NULL_FIELD
};

const struct feat_schema  feat_profile_info_schema = {
    .summary = "The caller's user object",
    .answer = feat_profile_out, .shape = FEAT_ANSWER_OBJECT,
};

const struct feat_schema  feat_profile_update_schema = {
    .summary = "Change the caller's profile (omitted: unchanged, \"\" "
               "clears; one bad field changes nothing)",
    .request = feat_profile_update_in, .answer = feat_profile_out,
    .shape = FEAT_ANSWER_OBJECT,
};


cJSON *
feat_profile_object(struct feat_req *r, const struct feat_user *u)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    feat_json_add_num(o, "id", (double) u->id);
    feat_json_add_str(o, "area", u->area);
    feat_json_add_str(o, "phone", u->phone);
    feat_json_add_str(o, "email", u->email);
    feat_json_add_str(o, "openid", u->openid);
    feat_json_add_num(o, "role", u->role);
    feat_json_add_str(o, "username", u->username);
    cJSON_AddBoolToObject(o, "is_active", u->is_active);
    feat_json_add_str(o, "app_id", u->app_id);
    feat_json_add_str(o, "created_at", feat_time(r, u->created_at));
    feat_json_add_str(o, "updated_at", feat_time(r, u->updated_at));
    feat_json_add_str(o, "nickname", u->nickname);
    feat_json_add_str(o, "avatar", u->avatar);
    feat_json_add_num(o, "gender", u->gender);
    feat_json_add_str(o, "birthday", u->birthday);
    feat_json_add_str(o, "address", u->address);

    return o;
}


int
feat_profile_reply(struct feat_req *r)
{
    enum feat_error   e;
    struct feat_user  u;

    e = feat_user_of(r, &u);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld", (long long) r->user_id);
    }

    return feat_reply(r, feat_profile_object(r, &u));
}


/* An optional string field: FEAT_OK with *out (NULL when absent), or
 * FEAT_ERROR with r->bad_field set. */
static int
profile_in_str(struct feat_req *r, const struct feat_field *in, int field,
    const char **out)
{
    *out = NULL;

    return feat_in_field(r, &in[field], out) == FEAT_ERROR
           ? FEAT_ERROR : FEAT_OK;
}


/* feat_profile_change's reading: FEAT_OK with *u filled (absent fields
 * NULL, gender -1), or FEAT_ERROR with r->bad_field and r->bad_reason. */
static int
profile_in_update(struct feat_req *r, const struct feat_field *in,
    int city, struct feat_profile_update *u)
{
    int          rc;
    long long    gender;
    const char  *place;

    memset(u, 0, sizeof(*u));
    u->gender = -1;

    if (profile_in_str(r, in, FEAT_PROFILE_IN_NAME, &u->nickname) != FEAT_OK
        || profile_in_str(r, in, FEAT_PROFILE_IN_AVATAR, &u->avatar)
           != FEAT_OK
        || profile_in_str(r, in, FEAT_PROFILE_IN_BIRTHDAY, &u->birthday)
           != FEAT_OK
        || profile_in_str(r, in, FEAT_PROFILE_IN_PLACE, &place) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (city) {
        u->city = place;

    } else {
        u->address = place;
    }

    rc = feat_in_field(r, &in[FEAT_PROFILE_IN_GENDER], &gender);
    if (rc == FEAT_ERROR) {
        return FEAT_ERROR;
    }

    if (rc == FEAT_OK) {
        u->gender = (int) gender;
    }

    /* "" clears the birthday; anything else must be a real date. */
    if (u->birthday != NULL && !feat_user_birthday_ok(u->birthday)) {
        r->bad_field = in[FEAT_PROFILE_IN_BIRTHDAY].name;
        r->bad_reason = "must be a date (YYYY-MM-DD)";
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Applies u to the caller's row and reads it back into *out (arena
 * strings), in one transaction, so an answer that fails leaves the row as
 * it was.  FEAT_E_NONE, FEAT_E_NOT_FOUND or FEAT_E_INTERNAL. */
static enum feat_error
profile_apply(struct feat_req *r, const struct feat_profile_update *u,
    struct feat_user *out)
{
    sqlite3          *db;
    enum feat_error   e;

    /*
     * The read-back belongs in the UPDATE's transaction: on its own, a
     * read that failed after the UPDATE committed answered 500 for a
     * change that was stored all the same.
     */
    db = feat_db();
    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_user_update_profile(db, r->app->id, r->user_id, u);
    if (e == FEAT_E_NONE) {
        e = feat_user_get(db, r->arena, r->app->id, r->user_id, out);
    }

    if (e != FEAT_E_NONE) {
        feat_db_rollback(db);
        return e;
    }

    /* a failed COMMIT rolls back itself */
    return feat_db_commit(db) == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


int
feat_profile_change(struct feat_req *r, const struct feat_field *in,
    int city, feat_profile_object_pt object)
{
    enum feat_error             e;
    struct feat_user            user;
    struct feat_profile_update  u;

    if (profile_in_update(r, in, city, &u) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = profile_apply(r, &u, &user);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user %lld not updated",
                         (long long) r->user_id);
    }

    return feat_reply(r, object(r, &user));
}


int
feat_profile_update(struct feat_req *r)
{
    return feat_profile_change(r, feat_profile_update_in, 0,
                               feat_profile_object);
}


/*
 * DELETE /api/user/profile/ (feat) and POST /api/personal/delete (v2):
 * the caller deletes its own account, proven by {"password"} or by
 * {"code"} (a "delete" code the dialect's send-code endpoint sent to the
 * account); with both, the password is checked, as v2's login does.
 * The work is the accounts domain's, the same as featctl user delete's.
 */
int
feat_profile_delete(struct feat_req *r)
{
    int               rcp, rcc;
    const char       *password, *code;
    enum feat_error   e;

    password = NULL;
    code = NULL;

    rcp = feat_in_field(r, &feat_profile_delete_in[IN_PASSWORD], &password);
    rcc = feat_in_field(r, &feat_profile_delete_in[IN_CODE], &code);
    if (rcp == FEAT_ERROR || rcc == FEAT_ERROR) {
        return feat_fail_field(r);
    }

    if (rcp != FEAT_OK && rcc != FEAT_OK) {
        return feat_fail_bad(r, "password", "password or code is required");
    }

    e = feat_user_delete(feat_db(), r->arena, r->app->id, r->user_id,
                         rcp == FEAT_OK ? password : NULL,
                         rcp == FEAT_OK ? NULL : code, r->remote_addr);

    switch (e) {
    case FEAT_E_NONE:
        return r->dialect == FEAT_FEAT ? feat_reply_empty(r, 204)
                                       : feat_reply(r, NULL);
    case FEAT_E_WRONG_PASSWORD:
        return feat_fail_at(r, e, "password");
    case FEAT_E_BAD_CODE:
        return feat_fail_at(r, e, "code");
    default:
        feat_accounts_retry_after(r, e);
        return feat_fail(r, e, "user %lld not deleted",
                         (long long) r->user_id);
    }
}
