/*
 * alipay.h: Alipay accounts bound to users (sql/0042_alipay.sql) and the
 * code exchange that proves one (alipay.system.oauth.token).
 *
 * The client gets an auth code from the Alipay app; featcgi exchanges it
 * at the gateway (the app's setting alipay.gateway) in a request signed RSA2
 * (SHA256withRSA) with the app's private key, and believes the answer
 * only when its signature verifies with Alipay's public key.  The Alipay
 * user_id it answers (or open_id, for apps that get those) is then bound
 * to the caller: one per user, and one user per Alipay account in an
 * app.  Functions take plain arguments, never a request, and answer
 * FEAT_E_NONE or the error a caller reports.
 */

#ifndef FEAT_ALIPAY_H
#define FEAT_ALIPAY_H

#include "feat.h"

#define FEAT_ALIPAY_CODE_MAX  128   /* longest auth code accepted */
#define FEAT_ALIPAY_ID_MAX    64    /* longest Alipay user id stored */

struct feat_alipay_binding {
    sqlite3_int64   user_id;
    const char     *alipay_user_id;
    time_t          created_at;
    time_t          updated_at;
};

/*
 * Exchanges an auth code at the gateway for the Alipay user id (*id, in
 * a), with app's Alipay settings (alipay.app_id, alipay.private_key,
 * alipay.public_key, alipay.gateway).  FEAT_E_NONE; FEAT_E_BAD_FIELD when the gateway refused the code
 * itself (invalid, expired or used: the client needs a new one);
 * FEAT_E_UPSTREAM when the gateway is not configured, unreachable, or its
 * answer is malformed, unsigned or not signed by Alipay's key (logged).
 */
enum feat_error feat_alipay_exchange(struct feat_arena *a, const char *app,
    const char *code, const char **id);

/*
 * Binds Alipay account id to user_id of app, replacing the user's
 * previous binding.  *out gets the binding (strings in a).  FEAT_E_NONE,
 * FEAT_E_BOUND when another user of the app holds id, FEAT_E_INTERNAL.
 */
enum feat_error feat_alipay_bind(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char *id,
    struct feat_alipay_binding *out);

/* The binding of user_id into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_alipay_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, struct feat_alipay_binding *out);

/* Removes the binding of user_id: FEAT_E_NONE, FEAT_E_NOT_FOUND. */
enum feat_error feat_alipay_unbind(sqlite3 *db, const char *app,
    sqlite3_int64 user_id);

/* The module's config options (see feat.h; defined in feat.c). */
#define FEAT_ALIPAY_CONF(X)                                                   \
    X(ALIPAY_APP_ID, "alipay.app_id", STR, "", "Alipay open platform app id") \
    X(ALIPAY_GATEWAY, "alipay.gateway",                                       \
      STR, "https://openapi.alipay.com/gateway.do",                           \
      "Alipay gateway URL (https; plain http to loopback only)")              \
    X(ALIPAY_PRIVATE_KEY_FILE, "alipay.private_key_file", PATH, "",           \
      "PEM RSA private key that signs Alipay requests")                       \
    X(ALIPAY_PUBLIC_KEY_FILE, "alipay.public_key_file", PATH, "",             \
      "PEM Alipay public key that verifies its answers")                      \
    X(ALIPAY_TIMEOUT, "alipay.timeout", INT, "10000",                         \
      "Alipay gateway timeout (ms)")

FEAT_ALIPAY_CONF(FEAT_CONF_DECLARE)

/* The app's settings the exchange reads (alipay.c). */
extern const struct feat_setting  feat_alipay_settings[];

/* The module (modules/alipay/feat.c):
 * /api/user/profile/alipay-binding/. */
extern const struct feat_module  feat_alipay_module;

#endif /* FEAT_ALIPAY_H */
