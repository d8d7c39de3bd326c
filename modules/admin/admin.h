/*
 * admin.h: the console's API (issue 13; featcgi-api(7) "ADMIN API"), the
 * "admin" dialect under /admin/api/.
 *
 * Managers (sql/0003, sql/0150) sign in with a login, a password (scrypt,
 * as users') and, when they have one, a TOTP code (RFC 6238); the session
 * is a cookie whose token is stored hashed, with a CSRF token that every
 * state-changing call sends back.  The module's authenticate hook checks
 * both for the routes flagged FEAT_MANAGER, fills r->manager_id and points
 * r->user_row at the struct feat_admin_session below, and for a route
 * under "/admin/api/apps/{app}/" makes that app the request's when the
 * manager may see it (else 404).  Every state-changing call records
 * "admin.<object>.<verb>" in the audit log through feat_admin_audit, in
 * the transaction of its change.
 *
 * The console's content (FAQ, notices, feedback, pushes, projects,
 * orders) is served by the modules that own it, each with its admin
 * dialect's routes in its own folder (modules/faq/admin.c, ...); what
 * those handlers share with this module's is the runtime's
 * (fcgi/protocol/admin.c, feat.h "the console's handlers").  This header
 * serves the admin module itself and featctl's manager commands.
 *
 * Each file of the module keeps its own route table (admin_<x>_routes);
 * admin.c gathers them into the module's one table.
 */

#ifndef FEAT_ADMIN_H
#define FEAT_ADMIN_H

#include "feat.h"

#define FEAT_ADMIN_LOGIN_MIN     3
#define FEAT_ADMIN_LOGIN_MAX     64
#define FEAT_ADMIN_TOKEN_LEN     43      /* base62: 256 bits */
#define FEAT_ADMIN_COOKIE        "feat_admin"
/* the default app's id is "": paths name it by this segment, which no
 * app id can be (featctl app add takes [a-z0-9_-] only) */
#define FEAT_ADMIN_DEFAULT_APP   "~"

/* The module's config options. */
#define FEAT_ADMIN_CONF(X)                                                    \
    X(ADMIN_IDLE_TIMEOUT, "admin.idle_timeout", INT, "1800",                  \
      "seconds a console session lives without a call")                       \
    X(ADMIN_SESSION_MAX, "admin.session_max", INT, "43200",                   \
      "seconds a console session lives at most")

FEAT_ADMIN_CONF(FEAT_CONF_DECLARE)


/* ---- managers (managers.c) ----------------------------------------------- */

struct feat_admin_manager {
    sqlite3_int64   id;
    const char     *app_id;
    const char     *name;
    const char     *login;       /* "" when it has none */
    int             totp;        /* 1: a TOTP secret is set */
    int             disabled;
    int             all_apps;
    time_t          created_at;
};

/* The signed-in manager's session, r->user_row of a FEAT_MANAGER route. */
struct feat_admin_session {
    sqlite3_int64               id;
    const char                 *csrf;
    time_t                      created_at;
    time_t                      last_seen;
    struct feat_admin_manager   m;
};

/* 1 if s is a login: FEAT_ADMIN_LOGIN_MIN..MAX of [a-z0-9._-], else 0. */
int feat_admin_login_ok(const char *s);

/* Manager id (any app): FEAT_E_NONE with *m, FEAT_E_NOT_FOUND or
 * FEAT_E_INTERNAL. */
enum feat_error feat_admin_manager_get(sqlite3 *db, struct feat_arena *a,
    sqlite3_int64 id, struct feat_admin_manager *m);

/*
 * Gives manager id a login and says whether it sees every app.
 * FEAT_E_NONE, FEAT_E_BAD_FIELD (not a login), FEAT_E_REGISTERED (the
 * login is another manager's), FEAT_E_NOT_FOUND or FEAT_E_INTERNAL.
 */
enum feat_error feat_admin_manager_set_login(sqlite3 *db, sqlite3_int64 id,
    const char *login, int all_apps);
/*
 * Sets the password of manager id (hashed here, feat_password_ok's rule)
 * and ends its sessions.  FEAT_E_NONE, FEAT_E_BAD_FIELD, FEAT_E_NOT_FOUND,
 * FEAT_E_BUSY (no hashing slot) or FEAT_E_INTERNAL.
 */
enum feat_error feat_admin_manager_set_password(sqlite3 *db,
    sqlite3_int64 id, const char *password);
/* Turns manager id's sign-in off (its sessions end) or on again:
 * FEAT_E_NONE, FEAT_E_NOT_FOUND or FEAT_E_INTERNAL. */
enum feat_error feat_admin_manager_set_disabled(sqlite3 *db,
    sqlite3_int64 id, int disabled);
/*
 * A new TOTP secret for manager id (20 random bytes, stored sealed):
 * FEAT_E_NONE with *uri the otpauth:// URI to show once (in a), or
 * FEAT_E_NOT_FOUND (no such manager, or it has no login) or
 * FEAT_E_INTERNAL.  feat_admin_totp_off removes it: FEAT_E_NONE,
 * FEAT_E_NOT_FOUND or FEAT_E_INTERNAL.
 */
enum feat_error feat_admin_totp_new(sqlite3 *db, struct feat_arena *a,
    sqlite3_int64 id, const char **uri);
enum feat_error feat_admin_totp_off(sqlite3 *db, sqlite3_int64 id);

/*
 * RFC 4226 HOTP / RFC 6238 TOTP: the digits-digit code (6..8) of key at
 * counter step (time / 30 for TOTP).
 */
unsigned long feat_admin_hotp(const unsigned char *key, size_t klen,
    uint64_t step, int digits);
/*
 * Checks code (6 digits) against manager id's secret at now, ±1 step,
 * accepting only a step after the last one accepted: FEAT_OK with *step
 * (the caller stores it with feat_admin_totp_claim), FEAT_DECLINED (wrong,
 * or replayed), FEAT_ERROR (logged: the secret does not open).
 */
int feat_admin_totp_check(sqlite3 *db, sqlite3_int64 id, const char *code,
    time_t now, int64_t *step);
/* Stores step as manager id's last, inside the caller's transaction:
 * FEAT_OK; FEAT_DECLINED when a racing sign-in took it (or a later one)
 * first; FEAT_ERROR. */
int feat_admin_totp_claim(sqlite3 *db, sqlite3_int64 id, int64_t step);


/* ---- the request side (auth.c) ------------------------------------------- */

/* The authenticate hook (struct feat_module's) for FEAT_MANAGER. */
enum feat_error feat_admin_authenticate(struct feat_req *r, unsigned flags);
/* The signed-in manager's session of r (a FEAT_MANAGER route's), never
 * NULL there. */
const struct feat_admin_session *feat_admin_session(struct feat_req *r);
/* The path segment of app id in "/admin/api/apps/{app}/" (static or
 * app itself). */
const char *feat_admin_app_segment(const char *app);
/* 1 if the manager of s may see app, else 0. */
int feat_admin_sees(const struct feat_admin_manager *m, const char *app);

/* The manager as the API shows it: {"id","login","name","app_id"|null}. */
cJSON *feat_admin_manager_json(const struct feat_admin_manager *m);


/* ---- the route tables, gathered by admin.c ------------------------------- */

extern const struct feat_route  admin_session_routes[];   /* session.c */
extern const struct feat_route  admin_users_routes[];     /* users.c */
extern const struct feat_route  admin_settings_routes[];  /* settings.c */
extern const struct feat_route  admin_audit_routes[];     /* audit.c */

/* The jobs process's sweep: expired sessions (session.c). */
void feat_admin_sweep(sqlite3 *db, time_t now);

extern const struct feat_module  feat_admin_module;

#endif /* FEAT_ADMIN_H */
