/*
 * profile.h: what the profile handlers of every dialect share.
 *
 * The users row and its rules belong to the accounts module
 * (accounts.h); this is the profile's HTTP side that the v2 handler
 * (GET/PUT /api/personal/info) and the feat handler (GET/PATCH
 * /api/user/profile/) have in common: the user object the seed shows and
 * the reading and checking of a profile change.  Times in the object are
 * rendered in the request's dialect (feat_time), so one builder serves
 * both.
 */

#ifndef FEAT_PROFILE_H
#define FEAT_PROFILE_H

#include "feat.h"
#include "accounts/accounts.h"


/*
 * The user object of seeds/004 personal/info, in the seed's field order:
 * id, area, phone, email, openid, role, username, is_active, app_id,
 * created_at, updated_at, nickname, avatar, gender, birthday, address.
 * A new cJSON tree the caller hands to feat_reply (or frees).
 */
cJSON *feat_profile_object(struct feat_req *r, const struct feat_user *u);

/*
 * The rows of a dialect's table of a profile change's fields, whatever
 * their names: v2's and feat's feat_profile_update_in, v1's its own.
 * The place is the address (v2, feat) or the city (v1).
 */
enum {
    FEAT_PROFILE_IN_NAME,
    FEAT_PROFILE_IN_AVATAR,
    FEAT_PROFILE_IN_BIRTHDAY,
    FEAT_PROFILE_IN_PLACE,
    FEAT_PROFILE_IN_GENDER
};

/*
 * Reads a profile change from r's body through the table in (rows as
 * above): nickname, avatar, birthday, the place (strings, "" clears; into
 * u->city when city is set, else u->address) and gender (0..2), each
 * optional.  Every field is checked before anything is stored, so one bad
 * field changes nothing.  FEAT_OK with *u filled (absent fields NULL,
 * gender -1), or FEAT_ERROR with r->bad_field (the table's name of the
 * field) and r->bad_reason set.
 */
int feat_profile_in_update(struct feat_req *r, const struct feat_field *in,
    int city, struct feat_profile_update *u);

/* Answers the caller's user object (feat_reply) or the error. */
int feat_profile_reply(struct feat_req *r);

/* Applies the change in r's body and answers the user object as it is
 * now; a field error or a failed update answers the error instead. */
int feat_profile_update(struct feat_req *r);
/*
 * Applies u to the caller's row and reads it back into *out (arena
 * strings), in one transaction, so an answer that fails leaves the row as
 * it was.  FEAT_E_NONE, FEAT_E_NOT_FOUND or FEAT_E_INTERNAL.
 */
enum feat_error feat_profile_apply(struct feat_req *r,
    const struct feat_profile_update *u, struct feat_user *out);

/* Deletes the caller's account on the proof in r's body ("password" or
 * "code") and answers: 204 in feat, the empty success in v2, else the
 * error (feat_user_delete's). */
int feat_profile_delete(struct feat_req *r);

/*
 * The declared fields v2 and feat share (feat.h, struct feat_field): the
 * user object, a change's fields and a deletion's proof, which the
 * handlers above read through and the routes' schemas name.
 */
extern const struct feat_field  feat_profile_out[];
extern const struct feat_field  feat_profile_update_in[];
extern const struct feat_field  feat_profile_delete_in[];

#endif /* FEAT_PROFILE_H */
