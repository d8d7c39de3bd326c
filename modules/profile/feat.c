/*
 * profile/feat.c: the feat dialect's profile (API.md "Profile"):
 * GET /api/user/profile/ answers the v2 personal/info object with feat
 * times, PATCH /api/user/profile/ changes nickname, avatar, gender,
 * birthday and address under the v2 rules (omitted fields unchanged, ""
 * clears one, one bad field changes nothing), and DELETE deletes the
 * caller's account (issue 12).  They share profile.c with
 * the v2 handlers.  It is a module of its own because a module holds one
 * route table and profile/v2.c owns the v2 one.
 */

#include "config.h"

#include "feat.h"
#include "profile/profile.h"


static const struct feat_schema  delete_schema = {
    .summary = "Delete the caller's account, proven by password or code",
    .request = feat_profile_delete_in, .shape = FEAT_ANSWER_EMPTY,
    .status = 204,
};


/* The handlers are profile.c's, shared with the v2 dialect. */
static const struct feat_route  profile_feat_routes[] = {
    { FEAT_GET, "/api/user/profile/", FEAT_FEAT,
      feat_profile_reply, FEAT_USER_SESSION | FEAT_USER_ROW,
      &feat_profile_info_schema },
    { FEAT_PATCH, "/api/user/profile/", FEAT_FEAT,
      feat_profile_update, FEAT_USER_SESSION, &feat_profile_update_schema },
    /*
     * No FEAT_HASH, though a password proof hashes: nginx picks the pool
     * by path, and the profile's reads share this one.  A deletion is
     * rare, and its hash still takes a slot under the install's cap (or
     * is refused as busy), so the reads stay in the main pool.
     */
    { FEAT_DELETE, "/api/user/profile/", FEAT_FEAT,
      feat_profile_delete, FEAT_USER_SESSION, &delete_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_profile_feat_module = {
    .name = "profile-feat",
    .routes = profile_feat_routes,
};
