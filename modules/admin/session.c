/*
 * session.c: signing in to the console and out, who one is, and the apps
 * one sees (featcgi-api(7) "ADMIN API").
 *
 * The sign-in is a login's: the attempt is reserved before any hash in
 * accounts' lockout (modules/accounts/lockout.c) on the login and on the
 * client's address, so a locked login answers 429 at no scrypt's cost; an
 * unknown login costs a dummy hash and answers what a wrong password
 * does, and it locks the same way.  A manager with a TOTP secret needs
 * its code too (after the password: a missing code is no failure, a wrong
 * or replayed one is).  A good sign-in stores a session (token hashed, a
 * CSRF token) and sets the cookie.  The route is FEAT_HASH: nginx sends
 * it to the hashing pool.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "admin/admin.h"

#define ADMIN_LOGIN_BUCKET   "login_fail_admin"
#define ADMIN_PASSWORD_MAX   1024
#define ADMIN_TOTP_MAX       16

/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers; the handlers read through them and the OpenAPI document is
 * made from them.  In an answer FEAT_REQUIRED says the member is always
 * there.
 */
enum { IN_LOGIN, IN_PASSWORD, IN_TOTP };

static const struct feat_field  signin_in[] = {
    [IN_LOGIN] =
    { "login", FEAT_FT_STR, FEAT_REQUIRED, 1, FEAT_ADMIN_LOGIN_MAX, NULL,
      "the manager's login" },
    [IN_PASSWORD] =
    { "password", FEAT_FT_STR, FEAT_REQUIRED, 1, ADMIN_PASSWORD_MAX,
      "password", "its password" },
    [IN_TOTP] =
    { "totp", FEAT_FT_STR, FEAT_ALLOW_EMPTY | FEAT_NULLABLE, 0,
      ADMIN_TOTP_MAX, NULL,
      "the current RFC 6238 code, for a manager with a TOTP secret" },
    FEAT_NULL_FIELD
};

static const struct feat_field  manager_out[] = {
    { "id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the manager's id" },
    { "login", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "its login" },
    { "name", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the name replies and pushes carry" },
    { "app_id", FEAT_FT_STR, FEAT_REQUIRED | FEAT_NULLABLE, 0, 0, NULL,
      "its app, or null for a manager of every app" },
    FEAT_NULL_FIELD
};

static const struct feat_field  session_out[] = {
    { "manager", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL,
      "who is signed in", manager_out },
    { "csrf", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE" },
    { "idle_timeout", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,
      "seconds without a call that end the session" },
    FEAT_NULL_FIELD
};

static const struct feat_field  app_out[] = {
    { "id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "the app's id" },
    { "name", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "its name" },
    { "path_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "what names it in /admin/api/apps/{app}/ (\"~\": the default app)" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  signin_schema = {
    .summary = "Sign in to the console: sets the session cookie",
    .request = signin_in,
    .answer = session_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  session_schema = {
    .summary = "Who is signed in, and the session's CSRF token",
    .answer = session_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  signout_schema = {
    .summary = "Sign out: the session ends, the cookie is cleared",
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  apps_schema = {
    .summary = "The apps the manager sees",
    .answer = app_out,
    .shape = FEAT_ANSWER_PAGE,
};


/* The manager a sign-in names, with what the check needs. */
struct admin_signin {
    struct feat_admin_manager  m;
    const char                *hash;    /* "" when none */
};


static void
signin_read(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct admin_signin  *s = item;

    s->m.id = sqlite3_column_int64(st, 0);
    s->m.app_id = feat_db_col_text(a, st, 1);
    s->m.name = feat_db_col_text(a, st, 2);
    s->m.login = feat_db_col_text(a, st, 3);
    s->m.totp = sqlite3_column_int(st, 4) != 0;
    s->m.disabled = sqlite3_column_int(st, 5) != 0;
    s->m.all_apps = sqlite3_column_int(st, 6) != 0;
    s->m.created_at = (time_t) sqlite3_column_int64(st, 7);
    s->hash = feat_db_col_text(a, st, 8);
}


/* The session's answer: {"manager","csrf","idle_timeout"}. */
static int
reply_session(struct feat_req *r, const struct feat_admin_manager *m,
    const char *csrf)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "manager", feat_admin_manager_json(m));
    cJSON_AddStringToObject(o, "csrf", csrf);
    cJSON_AddNumberToObject(o, "idle_timeout",
        (double) feat_conf_int(FEAT_CONF_ADMIN_IDLE_TIMEOUT));

    return feat_reply(r, o);
}


/* A refusal of the sign-in, with Retry-After on a lockout. */
static int
signin_fail(struct feat_req *r, enum feat_error e)
{
    long long  wait;

    if (e == FEAT_E_LOCKED) {
        wait = feat_conf_int(FEAT_CONF_LOGIN_WINDOW);
        feat_reply_header(r, "Retry-After",
                          feat_arena_sprintf(r->arena, "%lld",
                                             wait > 0 ? wait : 1));
    }

    return feat_fail(r, e, "console sign-in refused");
}


/* Records a refused sign-in (autocommit: nothing else is written). */
static void
signin_audit_fail(struct feat_req *r, const char *reason)
{
    if (feat_admin_audit(r, 0, "admin.session.fail", "s", "reason", reason)
        != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "failed sign-in not audited");
    }
}


/* Stores the new session and its record: FEAT_E_NONE with the tokens. */
static enum feat_error
signin_store(struct feat_req *r, const struct admin_signin *s, int64_t step,
    char token[FEAT_ADMIN_TOKEN_LEN + 1], char csrf[FEAT_ADMIN_TOKEN_LEN + 1])
{
    time_t           now;
    sqlite3         *db;
    enum feat_error  e;
    char             hash[65];

    db = feat_db();
    now = feat_now();

    feat_random_base62(token, FEAT_ADMIN_TOKEN_LEN);
    feat_random_base62(csrf, FEAT_ADMIN_TOKEN_LEN);
    feat_sha256_hex(token, hash);

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = FEAT_E_NONE;

    if (step > 0) {
        switch (feat_admin_totp_claim(db, s->m.id, step)) {
        case FEAT_OK:
            break;
        case FEAT_DECLINED:
            e = FEAT_E_TOTP;    /* a racing sign-in spent the code */
            goto done;
        default:
            e = FEAT_E_INTERNAL;
            goto done;
        }
    }

    if (feat_db_exec(db, "INSERT INTO admin_sessions (manager_id,"
                     " token_hash, csrf, created_at, last_seen, address)"
                     " VALUES (?1, ?2, ?3, ?4, ?4, ?5)", "issis", s->m.id,
                     hash, csrf, (sqlite3_int64) now,
                     r->remote_addr != NULL ? r->remote_addr : "")
        != FEAT_OK
        || feat_admin_audit(r, 0, "admin.session.create", "d", "totp",
                            step > 0) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

done:

    return feat_db_end(db, e);
}


/* POST /admin/api/session {"login","password","totp"?} */
static int
admin_session_create(struct feat_req *r)
{
    int                  rc, rehash;
    sqlite3             *db;
    int64_t              step;
    const char          *login, *password, *totp, *origin, *subject;
    enum feat_error      e;
    struct admin_signin  s;
    struct feat_attempt  at;
    char                 token[FEAT_ADMIN_TOKEN_LEN + 1];
    char                 csrf[FEAT_ADMIN_TOKEN_LEN + 1];

    /* a page of another origin never signs anyone in */
    origin = feat_req_header(r, "Origin");
    if (origin != NULL && strcmp(origin, feat_req_origin(r)) != 0) {
        return feat_fail(r, FEAT_E_FORBIDDEN, "sign-in from origin %s",
                         origin);
    }

    /* JSON only: a form post of another site never gets this far */
    if (r->json == NULL) {
        return feat_fail(r, FEAT_E_MEDIA_TYPE, "sign-in without JSON");
    }

    login = NULL;
    password = NULL;
    totp = NULL;

    if (feat_in_field(r, &signin_in[IN_LOGIN], &login) == FEAT_ERROR
        || feat_in_field(r, &signin_in[IN_PASSWORD], &password) == FEAT_ERROR
        || feat_in_field(r, &signin_in[IN_TOTP], &totp) == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    if (feat_password_busy()) {
        return signin_fail(r, FEAT_E_BUSY);
    }

    db = feat_db();
    subject = feat_arena_sprintf(r->arena, "manager:%s", login);

    /* reserved before the read and the hash; unknown logins lock too */
    e = feat_attempt_begin(db, "", ADMIN_LOGIN_BUCKET, login, subject,
                           r->remote_addr, &at);
    if (e != FEAT_E_NONE) {
        if (e == FEAT_E_LOCKED) {
            signin_audit_fail(r, "locked");
        }
        return signin_fail(r, e);
    }

    memset(&s, 0, sizeof(s));
    e = feat_db_row(db, r->arena,
            feat_db_query(db, "SELECT id, app_id, name, login,"
                          " totp_secret != '', disabled, all_apps,"
                          " created_at, password FROM managers"
                          " WHERE login = ?1", "s", login),
            signin_read, &s, "manager %s", login);
    if (e != FEAT_E_NONE && e != FEAT_E_NOT_FOUND) {
        feat_attempt_cancel(db, &at);
        return signin_fail(r, e);
    }

    rehash = 0;
    if (e == FEAT_E_NOT_FOUND || s.hash[0] == '\0') {
        /* what a wrong password costs, and its answer */
        rc = feat_password_verify_dummy(password);
        if (rc == FEAT_ERROR) {
            rc = FEAT_DECLINED;
        }
    } else {
        rc = feat_password_verify(password, s.hash, &rehash);
    }

    if (e == FEAT_E_NONE) {
        /* the manager's own app records its events */
        r->manager_id = s.m.id;
        (void) feat_app_select(r, s.m.app_id);
    }

    if (rc == FEAT_BUSY) {
        feat_attempt_cancel(db, &at);
        return signin_fail(r, FEAT_E_BUSY);
    }

    if (rc == FEAT_DECLINED) {
        e = feat_attempt_failed(db, &at, FEAT_E_WRONG_PASSWORD);
        signin_audit_fail(r, "password");
        return signin_fail(r, e);
    }

    if (rc != FEAT_OK) {
        feat_attempt_cancel(db, &at);
        feat_log(LOG_ERR, 0, "manager %lld: password hash is malformed",
                 (long long) s.m.id);
        return signin_fail(r, FEAT_E_INTERNAL);
    }

    /* told only to someone who knows the password */
    if (s.m.disabled) {
        feat_attempt_cancel(db, &at);
        signin_audit_fail(r, "disabled");
        return signin_fail(r, FEAT_E_DISABLED);
    }

    step = 0;
    if (s.m.totp) {
        if (totp == NULL || totp[0] == '\0') {
            /* the page's first step: asks for the code, fails nothing */
            feat_attempt_cancel(db, &at);
            return signin_fail(r, FEAT_E_TOTP);
        }

        rc = feat_admin_totp_check(db, s.m.id, totp, feat_now(), &step);
        if (rc == FEAT_DECLINED) {
            e = feat_attempt_failed(db, &at, FEAT_E_TOTP);
            signin_audit_fail(r, "totp");
            return signin_fail(r, e);
        }
        if (rc != FEAT_OK) {
            feat_attempt_cancel(db, &at);
            return signin_fail(r, FEAT_E_INTERNAL);
        }
    }

    e = signin_store(r, &s, step, token, csrf);
    if (e == FEAT_E_TOTP) {
        e = feat_attempt_failed(db, &at, FEAT_E_TOTP);
        signin_audit_fail(r, "totp");
        return signin_fail(r, e);
    }
    if (e != FEAT_E_NONE) {
        feat_attempt_cancel(db, &at);
        return signin_fail(r, e);
    }

    feat_attempt_succeeded(db, &at);

    feat_reply_header(r, "Set-Cookie",
        feat_arena_sprintf(r->arena, FEAT_ADMIN_COOKIE "=%s; Path=/admin/;"
                           " HttpOnly; Secure; SameSite=Strict", token));
    feat_cleanse(token, sizeof(token));

    return reply_session(r, &s.m, csrf);
}


/* GET /admin/api/session */
static int
admin_session_get(struct feat_req *r)
{
    const struct feat_admin_session  *s;

    s = feat_admin_session(r);

    return reply_session(r, &s->m, s->csrf);
}


/* DELETE /admin/api/session */
static int
admin_session_delete(struct feat_req *r)
{
    sqlite3                          *db;
    enum feat_error                   e;
    const struct feat_admin_session  *s;

    s = feat_admin_session(r);
    db = feat_db();

    if (feat_db_begin(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "sign-out");
    }

    e = FEAT_E_NONE;
    if (feat_db_exec(db, "DELETE FROM admin_sessions WHERE id = ?1", "i",
                     s->id) != FEAT_OK
        || feat_admin_audit(r, 0, "admin.session.delete", NULL) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = feat_db_end(db, e);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "sign-out");
    }

    feat_reply_header(r, "Set-Cookie",
                      FEAT_ADMIN_COOKIE "=; Path=/admin/; HttpOnly; Secure;"
                      " SameSite=Strict; Max-Age=0");

    return feat_reply_empty(r, 204);
}


/* One app a manager sees. */
struct admin_app {
    const char  *id;
    const char  *name;
};

#define APP_COLS(X, _)                                                        \
    X(struct admin_app, TEXT, id, "id") _                                     \
    X(struct admin_app, TEXT, name, "name")

static const struct feat_db_col  app_cols[] = {
    APP_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(app_read, app_cols)

/* ?1 every app, ?2 else the manager's own */
#define APPS_WHERE  " FROM apps WHERE ?1 OR id = ?2"

static const struct feat_db_list  app_list = {
    "SELECT count(*)" APPS_WHERE,
    "SELECT " APP_COLS(FEAT_COL_SQL, ", ") APPS_WHERE
    " ORDER BY id LIMIT ?3 OFFSET ?4",
    app_read, sizeof(struct admin_app), 0, "apps"
};


/* GET /admin/api/apps: a page of the apps the manager sees, by id */
static enum feat_error
apps_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    enum feat_error                   e;
    struct feat_rows                  rows;
    const struct feat_admin_session  *s;

    (void) status;
    s = feat_admin_session(r);

    e = feat_db_rows(feat_db(), r->arena, &app_list, pg->offset, pg->size,
                     1, &rows, "ds", s->m.all_apps, s->m.app_id);
    if (e == FEAT_E_NONE) {
        *total = rows.total;
        *items = rows.items;
        *n = rows.n;
    }

    return e;
}


static cJSON *
app_object(struct feat_req *r, const void *item)
{
    cJSON                   *o;
    const struct admin_app  *a;

    (void) r;
    a = item;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "path_id", feat_admin_app_segment(a->id));
    cJSON_AddStringToObject(o, "name", a->name);

    return o;
}


static const struct feat_admin_list  apps_list_op = {
    .what = "apps", .read = apps_read, .size = sizeof(struct admin_app),
    .object = app_object,
};


void
feat_admin_sweep(sqlite3 *db, time_t now)
{
    if (feat_db_exec(db, "DELETE FROM admin_sessions WHERE last_seen <= ?1"
                     " OR created_at <= ?2", "ii",
                     (sqlite3_int64) (now - feat_conf_int(
                         FEAT_CONF_ADMIN_IDLE_TIMEOUT)),
                     (sqlite3_int64) (now - feat_conf_int(
                         FEAT_CONF_ADMIN_SESSION_MAX))) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "ended admin sessions not swept");
    }
}


const struct feat_route  admin_session_routes[] = {
    { FEAT_POST, "/admin/api/session", FEAT_ADMIN, admin_session_create,
      FEAT_HASH, &signin_schema },
    { FEAT_GET, "/admin/api/session", FEAT_ADMIN, admin_session_get,
      FEAT_MANAGER, &session_schema },
    { FEAT_DELETE, "/admin/api/session", FEAT_ADMIN, admin_session_delete,
      FEAT_MANAGER, &signout_schema },
    { FEAT_GET, "/admin/api/apps", FEAT_ADMIN, feat_admin_list, FEAT_MANAGER,
      &apps_schema, &apps_list_op },
    FEAT_NULL_ROUTE
};
