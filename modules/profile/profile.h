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

/* A dialect's object of the user row, a new cJSON tree. */
typedef cJSON *(*feat_profile_object_pt)(struct feat_req *r,
    const struct feat_user *u);

/*
 * The handler of a profile change in any dialect: reads it from r's body
 * through the table in (rows as above): nickname, avatar, birthday, the
 * place (strings, "" clears; the city when city is set, else the address)
 * and gender (0..2), each optional.  Every field is checked before
 * anything is stored, so one bad field changes nothing; a bad one is
 * named by the table's name.  The change and the read-back are one
 * transaction, and the answer is object's of the row as it is now, or
 * the error.
 */
int feat_profile_change(struct feat_req *r, const struct feat_field *in,
    int city, feat_profile_object_pt object);

/* Answers the caller's user object (feat_reply) or the error. */
int feat_profile_reply(struct feat_req *r);

/* v2's and feat's change (feat_profile_change): the user object. */
int feat_profile_update(struct feat_req *r);

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

/* The schemas of the reading and the change, alike in v2 and feat (a
 * deletion's differ: feat answers 204). */
extern const struct feat_schema  feat_profile_info_schema;
extern const struct feat_schema  feat_profile_update_schema;

#endif /* FEAT_PROFILE_H */
