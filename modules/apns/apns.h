/*
 * apns.h: Apple push device tokens (sql/0041_apns.sql).
 *
 * A device token is what iOS hands an app install for Apple's push
 * service.  One token belongs to one user of an app at a time: storing it
 * for another user moves it, since the device changed hands (a logout and
 * a login as someone else).  A user may hold several.  Functions take
 * plain arguments and a connection, never a request, and answer
 * FEAT_E_NONE, FEAT_E_NOT_FOUND, FEAT_E_BAD_FIELD or FEAT_E_INTERNAL
 * (logged).
 */

#ifndef FEAT_APNS_H
#define FEAT_APNS_H

#include "feat.h"

#define FEAT_APNS_TOKEN_MIN  64     /* hex characters */
#define FEAT_APNS_TOKEN_MAX  200

/* Per user, a bound on the rows a list answers. */
#define FEAT_APNS_LIST_MAX   100

struct feat_apns_device {
    sqlite3_int64   id;
    sqlite3_int64   user_id;
    const char     *token;         /* lower-case hex */
    int             sandbox;
    time_t          created_at;
    time_t          updated_at;
};

/*
 * Normalizes a token as a client sends it into out (at least
 * FEAT_APNS_TOKEN_MAX + 1 bytes): an even number of hex digits, 64 to 200
 * of them, lower-cased.  FEAT_OK, or FEAT_ERROR with *reason (static).
 */
int feat_apns_token_norm(const char *in, char *out, const char **reason);

/*
 * Stores token (normalized) for user_id of app: a new row, or the row of
 * that token moved to user_id with sandbox updated.  *out gets the row
 * (strings in a).  FEAT_E_NONE or FEAT_E_INTERNAL.
 */
enum feat_error feat_apns_put(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char *token, int sandbox,
    struct feat_apns_device *out);

/* Removes token (normalized) if user_id holds it: FEAT_E_NONE, or
 * FEAT_E_NOT_FOUND when no such token is the user's. */
enum feat_error feat_apns_remove(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, const char *token);

/* The tokens of user_id, newest first, at most FEAT_APNS_LIST_MAX; *items
 * is an arena array (NULL when *n is 0).  For the push delivery. */
enum feat_error feat_apns_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, struct feat_apns_device **items,
    size_t *n);

/* The module (modules/apns/feat.c): /api/user/apns-device-token/. */
extern const struct feat_module  feat_apns_module;

/* The delivery channel (deliver.c): the app has team id, key id, key and
 * topic; one outbox row sent (struct feat_push_provider). */
int feat_apns_ready(const char *app);
int feat_apns_prepare(struct feat_push_send *s);
int feat_apns_judge(struct feat_push_send *s);

#endif /* FEAT_APNS_H */
