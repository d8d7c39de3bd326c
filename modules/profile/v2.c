/*
 * profile/v2.c: the v2 dialect's personal information (seeds/004).
 *
 * GET /api/personal/info answers the caller's user object exactly as the
 * seed shows it; PUT changes nickname, avatar, gender, birthday and
 * address.  Every field a PUT carries is validated before the one UPDATE
 * runs, so a request with one bad field changes nothing; omitted fields
 * stay as they are and "" clears one.  POST /api/personal/delete deletes
 * the caller's account (issue 12).  The object and the validation are
 * shared with the feat dialect (profile.c); the users table and its rules
 * belong to the accounts module (accounts.h).
 */

#include "config.h"

#include "feat.h"
#include "profile/profile.h"


static const struct feat_schema  delete_schema = {
    .summary = "Delete the caller's account, proven by password or code",
    .request = feat_profile_delete_in, .shape = FEAT_ANSWER_EMPTY,
};


/* The handlers are profile.c's, shared with the feat dialect. */
static const struct feat_route  profile_routes[] = {
    { FEAT_GET, "/api/personal/info", FEAT_V2, feat_profile_reply,
      FEAT_USER_SESSION | FEAT_USER_ROW, &feat_profile_info_schema },
    { FEAT_PUT, "/api/personal/info", FEAT_V2, feat_profile_update,
      FEAT_USER_SESSION, &feat_profile_update_schema },
    /* the proof may be a password: hashed in the hashing pool */
    { FEAT_POST, "/api/personal/delete", FEAT_V2, feat_profile_delete,
      FEAT_USER_SESSION | FEAT_HASH, &delete_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_profile_module = {
    .name = "profile",
    .routes = profile_routes,
};
