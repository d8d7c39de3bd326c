/*
 * oauth2.h: the OAuth2 provider's domain (feat dialect, /o/ endpoints).
 *
 * Clients belong to an app (table oauth2_client, sql/0030_oauth2.sql):
 * a random public client_id, a secret kept only as its SHA-256, a name,
 * the grants it may use and the scopes it may ask for.  Tokens are
 * ordinary sessions of the accounts module (accounts.h) carrying the
 * client's row id and the granted scope, so they are valid wherever a
 * session token is.  Functions here know nothing of HTTP: the token
 * endpoint's outcomes are enum feat_oauth2_error (RFC 6749 §5.2), the
 * rest enum feat_error like every other domain.  Every query filters by
 * the app id given.
 */

#ifndef FEAT_OAUTH2_H
#define FEAT_OAUTH2_H

#include "feat.h"
#include "accounts/accounts.h"

#define FEAT_OAUTH2_CLIENT_ID_LEN   32    /* base62 */
#define FEAT_OAUTH2_SECRET_LEN      48    /* base62: 285 bits */
#define FEAT_OAUTH2_CREDENTIAL_MAX  128   /* longest id or secret accepted */
#define FEAT_OAUTH2_NAME_MAX        128   /* code points */
#define FEAT_OAUTH2_SCOPE_MAX       512   /* bytes of a scope list */
#define FEAT_OAUTH2_SCOPE_COUNT     16    /* scopes in a list */
#define FEAT_OAUTH2_SCOPE_TOKEN_MAX 64    /* bytes of one scope */
#define FEAT_OAUTH2_DEVICE_MAX      128   /* code points of a device_id */

#define FEAT_OAUTH2_GRANTS  "password refresh_token client_credentials"

/* The token endpoint's outcomes: the seed's list (RFC 6749 §5.2). */
enum feat_oauth2_error {
    FEAT_OAUTH2_OK = 0,
    FEAT_OAUTH2_INVALID_REQUEST,
    FEAT_OAUTH2_INVALID_CLIENT,
    FEAT_OAUTH2_INVALID_GRANT,
    FEAT_OAUTH2_UNAUTHORIZED_CLIENT,
    FEAT_OAUTH2_UNSUPPORTED_GRANT_TYPE,
    FEAT_OAUTH2_INVALID_SCOPE,
    FEAT_OAUTH2_SERVER_ERROR
};

/* The error of the vocabulary that e is (FEAT_E_NONE for FEAT_OAUTH2_OK);
 * the oauth2 dialect answers it with e's RFC 6749 code and status. */
enum feat_error feat_oauth2_error(enum feat_oauth2_error e);

/*
 * The error_description of a password grant refused because no password
 * hashing slot was free (the accounts' FEAT_E_BUSY): invalid_grant, as the
 * lockout is, and the token endpoint adds Retry-After.
 */
#define FEAT_OAUTH2_BUSY_DESC  "too many logins at once, retry shortly"

/* A client row; strings live in the arena given to the loader. */
struct feat_oauth2_client {
    sqlite3_int64  id;
    const char    *app_id;
    const char    *client_id;
    const char    *name;
    const char    *grants;      /* space-separated */
    const char    *scopes;      /* space-separated */
    time_t         created_at;
    time_t         updated_at;
};


/* ---- lists of names (read with accounts.h's feat_list_next, _has) ----- */

/*
 * 1 if s is a scope list: RFC 6749 §3.3 scope tokens separated by spaces,
 * within FEAT_OAUTH2_SCOPE_* limits (may be empty when allow_empty).
 */
int feat_oauth2_scope_valid(const char *s, int allow_empty);
/* 1 if s is a non-empty list of grants of FEAT_OAUTH2_GRANTS. */
int feat_oauth2_grants_valid(const char *s);
/*
 * Normalizes list s (valid) in the arena: single spaces, duplicates
 * dropped, first occurrence order.  Never NULL.
 */
const char *feat_oauth2_list_normalize(struct feat_arena *a, const char *s);


/* ---- clients ------------------------------------------------------------- */

/*
 * Adds a client to app with valid grants and scopes lists.  Answers
 * FEAT_E_NONE with the new client_id and the secret (shown once, never
 * stored), FEAT_E_UNKNOWN_APP, FEAT_E_BAD_FIELD (a list is invalid) or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_oauth2_client_add(sqlite3 *db, const char *app,
    const char *name, const char *grants, const char *scopes,
    char client_id[FEAT_OAUTH2_CLIENT_ID_LEN + 1],
    char secret[FEAT_OAUTH2_SECRET_LEN + 1]);

/* A new secret for a client of app: FEAT_E_NONE, FEAT_E_NOT_FOUND or
 * FEAT_E_INTERNAL.  The old secret stops working at once. */
enum feat_error feat_oauth2_client_rotate(sqlite3 *db, const char *app,
    const char *client_id, char secret[FEAT_OAUTH2_SECRET_LEN + 1]);

/* Removes a client of app and revokes every session issued to it, in one
 * transaction: FEAT_E_NONE, FEAT_E_NOT_FOUND or FEAT_E_INTERNAL. */
enum feat_error feat_oauth2_client_remove(sqlite3 *db, const char *app,
    const char *client_id);

/* The client of app by its client_id: FEAT_E_NONE, FEAT_E_NOT_FOUND or
 * FEAT_E_INTERNAL. */
enum feat_error feat_oauth2_client_get(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *client_id, struct feat_oauth2_client *c);

/*
 * Client authentication from client address ip: client_id and secret of a
 * client of app, the secret compared in constant time, an unknown client
 * against a dummy with the same work.  Wrong secrets are limited as wrong
 * passwords are (accounts' lockout.c): login.max_failures per client id,
 * and the address's limits shared with the logins.  FEAT_OAUTH2_OK with
 * *c filled, FEAT_OAUTH2_INVALID_CLIENT with *desc (static text: failed,
 * or FEAT_OAUTH2_LOCKED_DESC), or FEAT_OAUTH2_SERVER_ERROR.
 */
#define FEAT_OAUTH2_LOCKED_DESC  "too many failed client authentications, " \
                                 "retry later"
enum feat_oauth2_error feat_oauth2_authenticate(sqlite3 *db,
    struct feat_arena *a, const char *app, const char *client_id,
    const char *secret, const char *ip, struct feat_oauth2_client *c,
    const char **desc);


/* ---- grants -------------------------------------------------------------- */

/*
 * The scope a token of c gets for the requested list (NULL or "": all of
 * the client's scopes): FEAT_OAUTH2_OK with *scope (arena, normalized), or
 * FEAT_OAUTH2_INVALID_SCOPE when it is malformed or asks beyond them.
 */
enum feat_oauth2_error feat_oauth2_scope_for(struct feat_arena *a,
    const struct feat_oauth2_client *c, const char *requested,
    const char **scope);

/*
 * The password grant: username is a phone (area 86), "+<area><phone>" or
 * an email; the accounts login with its lockout runs, then the new session
 * gets c and device_id and the previous live session of (c, user,
 * device_id) is revoked.  Answers FEAT_OAUTH2_OK with *t,
 * FEAT_OAUTH2_INVALID_GRANT with *desc (static text: wrong credentials,
 * "too many attempts", disabled, FEAT_OAUTH2_BUSY_DESC) or
 * FEAT_OAUTH2_SERVER_ERROR.
 */
enum feat_oauth2_error feat_oauth2_grant_password(sqlite3 *db,
    struct feat_arena *a, const char *app, const struct feat_oauth2_client *c,
    const char *username, const char *password, const char *device_id,
    const char *ip, const char *scope, struct feat_tokens *t,
    const char **desc);

/*
 * The refresh_token grant: rotates a session issued to c (accounts'
 * rotation: grace window and reuse detection).  requested (NULL: keep)
 * may narrow the session's scope, never widen it.  Answers FEAT_OAUTH2_OK
 * with *t and *scope (arena), FEAT_OAUTH2_INVALID_GRANT (unknown, expired,
 * revoked, reused, or another client's token), FEAT_OAUTH2_INVALID_SCOPE,
 * or FEAT_OAUTH2_SERVER_ERROR.
 */
enum feat_oauth2_error feat_oauth2_grant_refresh(sqlite3 *db,
    struct feat_arena *a, const char *app, const struct feat_oauth2_client *c,
    const char *refresh, const char *requested, struct feat_tokens *t,
    const char **scope);

/* The client_credentials grant: a session without a user.
 * FEAT_OAUTH2_OK with *t, or FEAT_OAUTH2_SERVER_ERROR. */
enum feat_oauth2_error feat_oauth2_grant_client(sqlite3 *db, const char *app,
    const struct feat_oauth2_client *c, const char *scope,
    struct feat_tokens *t);


/* ---- revocation and introspection ---------------------------------------- */

/*
 * RFC 7009: revokes the session whose access or refresh token is token,
 * if it was issued to c; anything else changes nothing.  FEAT_E_NONE or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_oauth2_revoke(sqlite3 *db, const char *app,
    const struct feat_oauth2_client *c, const char *token);

/* What RFC 7662 tells about a token. */
struct feat_oauth2_token_info {
    int          active;
    const char  *scope;
    const char  *client_id;
    const char  *username;     /* NULL for a client token */
    const char  *token_type;   /* "Bearer" or "refresh_token" */
    time_t       exp;
};

/*
 * RFC 7662: active only for a live access or refresh token of app issued
 * to c (its user active).  FEAT_E_NONE with *info (strings in the arena),
 * or FEAT_E_INTERNAL.
 */
enum feat_error feat_oauth2_introspect(sqlite3 *db, struct feat_arena *a,
    const char *app, const struct feat_oauth2_client *c, const char *token,
    struct feat_oauth2_token_info *info);

extern const struct feat_module  feat_oauth2_module;

#endif /* FEAT_OAUTH2_H */
