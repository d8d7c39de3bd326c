/*
 * v1.c: the v1 dialect's account endpoints (seeds/003, 2018).
 *
 * GET /api/get_token (password or verification code; a code signs an
 * unknown account up), POST /api/token/check, POST /check/register,
 * POST /api/user/open and GET /api/get_token_by_open (third-party
 * bindings), PUT /api/reset_token, GET /api/get_verify_code,
 * PUT /api/user/reset_password and GET /sds_check_token.  The users, codes
 * and passwords are the v2 ones (accounts.h), so one account works in both
 * dialects; only the credential differs: v1 hands out stateless HS256 JWTs
 * (auth.c) instead of sessions.  /sds_check_token is a server-to-server
 * check for an outside platform: it answers only the addresses listed in
 * sds.allow_from, in the seed's own {"code":"1000","msg",...} form.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define OPEN_LOGIN_BUCKET  "open_login_ip"
#define SDS_BUCKET         "sds_ip"
#define SDS_WINDOW         60
#define HOUR               3600
#define RECENT_AUTH        600      /* reset_password.recent_auth window */

/* The config options of the v1 routes alone (see feat.h). */
#define FEAT_ACCOUNTS_V1_CONF(X)                                              \
    X(EXPOSE_CODES, "expose_codes", BOOL, "off",                              \
      "v1 get_verify_code answers the code (development only)")               \
    X(OPEN_LOGIN_IP_LIMIT, "open_login.ip_limit", INT, "30",                  \
      "v1 get_token_by_open calls per client address an hour")                \
    X(RESET_PASSWORD_RECENT_AUTH, "reset_password.recent_auth", BOOL, "off",  \
      "v1 reset_password needs a JWT issued in the last 10 minutes")          \
    X(SDS_ALLOW_FROM, "sds.allow_from", STR, "127.0.0.0/8 ::1",               \
      "addresses (CIDR list) /sds_check_token answers")                       \
    X(SDS_IP_LIMIT, "sds.ip_limit", INT, "600",                               \
      "/sds_check_token calls per client address a minute")

FEAT_ACCOUNTS_V1_CONF(FEAT_CONF_DECLARE)
FEAT_ACCOUNTS_V1_CONF(FEAT_CONF_DEFINE)


/* ---- declared fields ----------------------------------------------------- */

/*
 * What each route reads and answers (feat.h, struct feat_field), for its
 * handler and for the OpenAPI document.  A password's length is in code
 * points, as feat_password_ok counts it.  A JWT field absent or empty is
 * the seed's 10021 "missing token", not a field error: its row is
 * optional.
 */
#define V1_PASSWORD(name, flags, doc)                                         \
    { name, FEAT_FT_STR, flags, FEAT_PASSWORD_MIN, FEAT_PASSWORD_MAX, NULL,   \
      doc, NULL }
#define V1_JWT(name, doc)                                                     \
    { name, FEAT_FT_STR, 0, 0, 0, NULL,                                       \
      doc " (absent or empty: 10021)", NULL }

enum { IN_OPEN_ID, IN_OPEN_TYPE };
enum { IN_AREA, IN_ACCOUNT, IN_PASSWORD, IN_VERIFY_CODE };

static const struct feat_field  get_token_in[] = {
    [IN_AREA] = FEAT_ACCOUNTS_IN_AREA,
    [IN_ACCOUNT] = FEAT_ACCOUNTS_IN_ACCOUNT,
    [IN_PASSWORD] =
    V1_PASSWORD("password", 0, "the password (or verify_code)"),
    [IN_VERIFY_CODE] =
    { "verify_code", FEAT_FT_STR, 0, 0, FEAT_CODE_MAX, NULL,
      "a code of get_verify_code instead of the password: an unknown "
      "account is registered", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  account_only_in[] = {
    FEAT_ACCOUNTS_IN_AREA, FEAT_ACCOUNTS_IN_ACCOUNT,
    FEAT_NULL_FIELD
};

static const struct feat_field  token_in[] = {
    V1_JWT("token", "the access JWT to check"),
    FEAT_NULL_FIELD
};

static const struct feat_field  refresh_in[] = {
    V1_JWT("refresh_token", "the refresh JWT"),
    FEAT_NULL_FIELD
};

static const struct feat_field  reset_password_in[] = {
    V1_PASSWORD("user_password", FEAT_REQUIRED, "the new password"),
    FEAT_NULL_FIELD
};

static const struct feat_field  open_in[] = {
    [IN_OPEN_ID] =
    { "open_id", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_OPEN_ID_MAX, NULL,
      "the id the third party gave the user", NULL },
    [IN_OPEN_TYPE] =
    { "open_type", FEAT_FT_INT, FEAT_REQUIRED,
      FEAT_OPEN_TYPE_MIN, FEAT_OPEN_TYPE_MAX, NULL,
      "1 QQ, 2 WeChat, 3 Weibo, 4 Taobao", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  sds_in[] = {
    { "token", FEAT_FT_STR, FEAT_QUERY, 0, 0, NULL,
      "a v1 access JWT or a v2/feat session token", NULL },
    FEAT_NULL_FIELD
};

#define V1_TOKENS_OUT                                                         \
    { "token_expire_in", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,              \
      "the access JWT's lifetime in seconds", NULL },                         \
    { "token", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,                        \
      "the access JWT (Authorization: <jwt>)", NULL },                        \
    { "refresh_token_expire_in", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,      \
      "the refresh JWT's lifetime in seconds", NULL },                        \
    { "refresh_token", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,                \
      "the refresh JWT (PUT /api/reset_token)", NULL }

static const struct feat_field  get_token_out[] = {
    V1_TOKENS_OUT,
    { "permission", FEAT_FT_INT, FEAT_REQUIRED, 0, FEAT_ROLE_MAX, NULL,
      "the user's role", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  tokens_out[] = {
    V1_TOKENS_OUT,
    FEAT_NULL_FIELD
};

static const struct feat_field  verify_code_out[] = {
    { "verify_code", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the code with expose_codes on (development), else \"\"", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  reset_password_out[] = {
    { "message", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "\"reset_password success\"", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  open_binding_out[] = {
    { "open_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "as sent", NULL },
    { "open_type", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL, "as sent", NULL },
    { "app_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "the app", NULL },
    { "user_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the caller", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  open_out[] = {
    { "data", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL, "the binding",
      open_binding_out },
    FEAT_NULL_FIELD
};


/* ---- input --------------------------------------------------------------- */

/* A password field within limits (its row f): FEAT_OK, FEAT_DECLINED when
 * absent and optional, FEAT_ERROR once the failure has been answered. */
static int
in_password(struct feat_req *r, const struct feat_field *f,
    const char **password)
{
    int  rc;

    rc = feat_in_field(r, f, password);
    if (rc == FEAT_ERROR) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (rc == FEAT_OK && !feat_password_ok(*password)) {
        feat_fail_bad(r, f->name, "too short");
        return FEAT_ERROR;
    }

    return rc;
}


/*
 * A JWT field (its row f): FEAT_OK with *tok, or FEAT_ERROR once answered
 * (absent: the seed's 10021 "missing token"; not a string: a field error).
 */
static int
in_jwt(struct feat_req *r, const struct feat_field *f, const char **tok)
{
    int  rc;

    rc = feat_in_field(r, f, tok);
    if (rc == FEAT_ERROR) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (rc == FEAT_DECLINED || (*tok)[0] == '\0') {
        feat_fail(r, FEAT_E_NO_TOKEN, "no %s", f->name);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* "open_id" and "open_type" (1..4, a number or a string of one): FEAT_OK,
 * or FEAT_ERROR once answered. */
static int
in_open(struct feat_req *r, const char **open_id, int *open_type)
{
    long long  t;

    if (feat_in_field(r, &open_in[IN_OPEN_ID], open_id) != FEAT_OK
        || feat_in_field(r, &open_in[IN_OPEN_TYPE], &t) != FEAT_OK)
    {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    *open_type = (int) t;
    return FEAT_OK;
}


/* The seed's token answer; the role as "permission" where the seed shows
 * it (get_token), not where it does not (permission < 0). */
static int
reply_tokens(struct feat_req *r, const struct feat_v1_tokens *t,
    int permission)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "token_expire_in", FEAT_V1_ACCESS_TTL);
    cJSON_AddStringToObject(o, "token", t->access);
    cJSON_AddNumberToObject(o, "refresh_token_expire_in",
                            FEAT_V1_REFRESH_TTL);
    cJSON_AddStringToObject(o, "refresh_token", t->refresh);
    if (permission >= 0) {
        cJSON_AddNumberToObject(o, "permission", permission);
    }

    /* credentials: no cache may keep them (RFC 6749 section 5.1) */
    feat_reply_header(r, "Cache-Control", "no-store");

    return feat_reply(r, o);
}


/* Signs a pair for u and answers it. */
static int
issue_tokens(struct feat_req *r, const struct feat_user *u, int permission)
{
    struct feat_v1_tokens  t;

    if (feat_v1_tokens_issue(r->arena, r->app->id, u, &t) != FEAT_E_NONE) {
        return feat_fail(r, FEAT_E_INTERNAL, "jwt for user %lld not signed",
                         (long long) u->id);
    }

    return reply_tokens(r, &t, permission);
}


/* ---- get_token ----------------------------------------------------------- */

/*
 * Code login as v1 has it: a known account uses its "login" code, an
 * unknown one its "register" code and is created (without a password)
 * in the same transaction that consumes the code.  FEAT_E_NONE with *u,
 * FEAT_E_BAD_CODE, FEAT_E_DISABLED or FEAT_E_INTERNAL.
 */
static enum feat_error
v1_code_login(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_account *acct, const char *code, struct feat_user *u)
{
    int              known;
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_user_find(db, a, app, acct, u);
    if (e != FEAT_E_NONE && e != FEAT_E_NOT_REGISTERED) {
        goto done;
    }
    known = (e == FEAT_E_NONE);

    e = feat_code_check_locked(db, app, acct,
                               known ? FEAT_PURPOSE_LOGIN
                                     : FEAT_PURPOSE_REGISTER, code, 1);
    if (e == FEAT_E_BAD_CODE) {
        /* keep the counted attempt */
        if (feat_db_commit(db) != FEAT_OK) {
            e = FEAT_E_INTERNAL;
            goto done;
        }
        return e;
    }

    if (e != FEAT_E_NONE) {
        goto done;
    }

    if (known) {
        /* Rolled back below, so the code stays usable. */
        if (!u->is_active) {
            e = FEAT_E_DISABLED;
            goto done;
        }

        if (feat_audit(db, app, u->id, "login", "s", "method", "code")
            != FEAT_OK)
        {
            e = FEAT_E_INTERNAL;
            goto done;
        }

    } else {
        e = feat_user_create(db, app, acct, "", &id);
        if (e == FEAT_E_NONE) {
            e = feat_user_get(db, a, app, id, u);
        }
        if (e != FEAT_E_NONE) {
            goto done;
        }
    }

done:

    return feat_db_end(db, e);
}


/*
 * Password login.  The accounts domain holds the lockout, disabled-user
 * and re-hash rules in one place; v1 runs those checks and issues JWTs,
 * so no session is opened.
 */
static enum feat_error
v1_password_login(struct feat_req *r, const struct feat_account *acct,
    const char *password, struct feat_user *u)
{
    sqlite3_int64    id;
    enum feat_error  e;

    e = feat_account_check_password(feat_db(), r->app->id, acct, password,
                                    r->remote_addr, &id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* nothing else is stored: the JWTs are the login */
    if (feat_audit(feat_db(), r->app->id, id, "login", "s", "method",
                   "password") != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return feat_user_get(feat_db(), r->arena, r->app->id, id, u);
}


static int
v1_get_token(struct feat_req *r)
{
    int                   rc;
    const char           *password, *code;
    enum feat_error       e;
    struct feat_user      u;
    struct feat_account   acct;

    if (feat_accounts_in_account(r, &acct) != FEAT_OK) {
        return FEAT_OK;
    }

    rc = in_password(r, &get_token_in[IN_PASSWORD], &password);
    if (rc == FEAT_ERROR) {
        return FEAT_OK;
    }

    if (rc == FEAT_OK) {
        /* With both, the password wins, as in v2. */
        e = v1_password_login(r, &acct, password, &u);

    } else {
        rc = feat_in_field(r, &get_token_in[IN_VERIFY_CODE], &code);
        if (rc == FEAT_ERROR) {
            return feat_fail_field(r);
        }

        if (rc == FEAT_DECLINED) {
            return feat_fail_bad(r, "password",
                                 "password or verify_code is required");
        }

        e = v1_code_login(feat_db(), r->arena, r->app->id, &acct, code, &u);
    }

    if (e != FEAT_E_NONE) {
        feat_accounts_retry_after(r, e);
        return feat_fail(r, e, "v1 login refused");
    }

    return issue_tokens(r, &u, u.role);
}


/* ---- tokens -------------------------------------------------------------- */

static int
v1_token_check(struct feat_req *r)
{
    const char        *tok;
    enum feat_error    e;
    struct feat_user   u;

    if (in_jwt(r, &token_in[0], &tok) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_v1_token_check(feat_db(), r->arena, r->app->id, tok,
                            FEAT_V1_ACCESS, &u, NULL);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "token check");
    }

    return feat_reply(r, NULL);
}


static int
v1_reset_token(struct feat_req *r)
{
    const char        *tok;
    enum feat_error    e;
    struct feat_user   u;

    if (in_jwt(r, &refresh_in[0], &tok) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_v1_token_check(feat_db(), r->arena, r->app->id, tok,
                            FEAT_V1_REFRESH, &u, NULL);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "refresh refused");
    }

    return issue_tokens(r, &u, -1);
}


/* ---- registration check, codes, password --------------------------------- */

static int
v1_check_register(struct feat_req *r)
{
    int                   rc;
    sqlite3_int64         id;
    enum feat_error       e;
    struct feat_account   acct;

    if (feat_accounts_in_account(r, &acct) != FEAT_OK) {
        return FEAT_OK;
    }

    /*
     * The seed tells registered accounts apart on purpose; asking costs
     * the same allowance per address as sending a code, so the check is
     * no cheaper a way to enumerate accounts than send_code.
     */
    if (r->remote_addr[0] != '\0') {
        rc = feat_rate_hit(feat_db(), r->app->id, FEAT_CODE_IP_BUCKET,
                           r->remote_addr,
                           (int) feat_conf_int(FEAT_CONF_CODE_IP_HOURLY_LIMIT),
                           HOUR, NULL);
        if (rc == FEAT_BUSY) {
            return feat_fail(r, FEAT_E_TOO_FREQUENT, "check/register from %s",
                             r->remote_addr);
        }
        if (rc != FEAT_OK) {
            return feat_fail(r, FEAT_E_INTERNAL, "rate check failed");
        }
    }

    e = feat_user_lookup_id(feat_db(), r->app->id, &acct, &id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user lookup");
    }

    if (id != 0) {
        return feat_fail(r, FEAT_E_REGISTERED, "account registered");
    }

    return feat_reply(r, NULL);
}


static int
v1_get_verify_code(struct feat_req *r)
{
    char                  code[FEAT_CODE_LEN + 1];
    cJSON                *o;
    const char           *purpose;
    enum feat_error       e;
    struct feat_account   acct;

    if (feat_accounts_in_account(r, &acct) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_code_default_purpose(feat_db(), r->app->id, &acct, &purpose);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "purpose lookup failed");
    }

    code[0] = '\0';
    e = feat_code_send(feat_db(), r->arena, r->app->id, &acct, purpose,
                       r->remote_addr, code);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "code for %s not sent", purpose);
    }

    /* The seed shows the code; only a development install answers it. */
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "verify_code",
                            feat_conf_bool(FEAT_CONF_EXPOSE_CODES) ? code : "");

    return feat_reply(r, o);
}


static int
v1_reset_password(struct feat_req *r)
{
    time_t            issued;
    const char       *password;
    enum feat_error   e;
    struct feat_user  u;

    if (in_password(r, &reset_password_in[0], &password) != FEAT_OK) {
        return FEAT_OK;
    }

    if (feat_conf_bool(FEAT_CONF_RESET_PASSWORD_RECENT_AUTH)) {
        /* authenticate checked the token; this reads when it was issued */
        e = feat_v1_token_check(feat_db(), r->arena, r->app->id, r->token,
                                FEAT_V1_ACCESS, &u, &issued);
        if (e != FEAT_E_NONE) {
            return feat_fail(r, e, "token check");
        }

        if (feat_now() - issued > RECENT_AUTH) {
            return feat_fail(r, FEAT_E_FORBIDDEN,
                             "reset_password needs a recent login");
        }
    }

    /* Ends every session and, by the stamp, every JWT issued before. */
    e = feat_user_set_password(feat_db(), r->app->id, r->user_id, password,
                               0);
    if (e != FEAT_E_NONE) {
        feat_accounts_retry_after(r, e);
        return feat_fail(r, e, "password of user %lld not set",
                         (long long) r->user_id);
    }

    return feat_reply(r, cJSON_CreateString("reset_password success"));
}


/* ---- third-party bindings ------------------------------------------------ */

static int
v1_user_open(struct feat_req *r)
{
    int               open_type;
    cJSON            *o, *d;
    const char       *open_id;
    enum feat_error   e;

    if (in_open(r, &open_id, &open_type) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_open_bind(feat_db(), r->app->id, r->user_id, open_type, open_id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "open binding %d refused", open_type);
    }

    o = cJSON_CreateObject();
    d = cJSON_AddObjectToObject(o, "data");
    cJSON_AddStringToObject(d, "open_id", open_id);
    cJSON_AddNumberToObject(d, "open_type", open_type);
    cJSON_AddStringToObject(d, "app_id", r->app->id);
    cJSON_AddNumberToObject(d, "user_id", (double) r->user_id);

    return feat_reply(r, o);
}


static int
v1_get_token_by_open(struct feat_req *r)
{
    int                rc, open_type;
    const char        *open_id;
    sqlite3_int64      id;
    enum feat_error    e;
    struct feat_user   u;

    /* An open_id is no secret: only apps that chose this may use it. */
    if (!feat_setting_bool(r->app->id, FEAT_ACCOUNTS_OPEN_LOGIN)) {
        return feat_fail(r, FEAT_E_FORBIDDEN, "open_login is off in app");
    }

    if (in_open(r, &open_id, &open_type) != FEAT_OK) {
        return FEAT_OK;
    }

    if (r->remote_addr[0] != '\0') {
        rc = feat_rate_hit(feat_db(), r->app->id, OPEN_LOGIN_BUCKET,
                           r->remote_addr,
                           (int) feat_conf_int(FEAT_CONF_OPEN_LOGIN_IP_LIMIT),
                           HOUR, NULL);
        if (rc == FEAT_BUSY) {
            return feat_fail(r, FEAT_E_TOO_FREQUENT, "open login from %s",
                             r->remote_addr);
        }
        if (rc != FEAT_OK) {
            return feat_fail(r, FEAT_E_INTERNAL, "rate check failed");
        }
    }

    e = feat_open_find(feat_db(), r->app->id, open_type, open_id, &id);
    if (e == FEAT_E_NONE) {
        e = feat_user_get(feat_db(), r->arena, r->app->id, id, &u);
    }
    if (e == FEAT_E_NONE && !u.is_active) {
        e = FEAT_E_DISABLED;
    }

    if (e == FEAT_E_NONE
        && feat_audit(feat_db(), r->app->id, u.id, "login", "sd", "method",
                      "open", "open_type", open_type) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "open login %d", open_type);
    }

    return issue_tokens(r, &u, -1);
}


/* ---- /sds_check_token ---------------------------------------------------- */

/* The seed's answer form of /sds_check_token, success or not. */
static int
sds_reply(struct feat_req *r, int status, const char *code, const char *msg,
    cJSON *data)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "msg", msg);
    cJSON_AddStringToObject(o, "description", "");
    cJSON_AddItemToObject(o, "data",
                          data != NULL ? data : cJSON_CreateObject());

    return feat_reply_body(r, status, o);
}


/* An error in the sds form: "1001" for a refused token, else the v1 code
 * of e as a string; the status and the message from v1's table. */
static int
sds_fail(struct feat_req *r, enum feat_error e, const char *code,
    const char *why)
{
    const struct feat_dialect_error  *row;

    row = feat_error_row(r, e);
    feat_log(feat_error_info(e)->level, 0, "sds: %s: %s",
             feat_error_info(e)->name, why);

    if (code == NULL) {
        code = feat_arena_sprintf(r->arena, "%d", row->num);
    }

    return sds_reply(r, row->status, code, feat_error_text(r, e), NULL);
}


/* The user behind a session token of r's app: FEAT_E_NONE with *u. */
static enum feat_error
sds_session_user(struct feat_req *r, const char *tok, struct feat_user *u)
{
    size_t                i, n;
    enum feat_error       e;
    struct feat_session   s;

    n = strlen(tok);
    if (n > FEAT_TOKEN_MAX) {
        return FEAT_E_BAD_TOKEN;
    }

    for (i = 0; i < n; i++) {
        if (!((tok[i] >= '0' && tok[i] <= '9')
              || (tok[i] >= 'A' && tok[i] <= 'Z')
              || (tok[i] >= 'a' && tok[i] <= 'z')))
        {
            return FEAT_E_BAD_TOKEN;
        }
    }

    e = feat_session_lookup(feat_db(), r->arena, r->app->id, tok, &s);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* A client_credentials token stands for no user. */
    if (s.user_id == 0) {
        return FEAT_E_BAD_TOKEN;
    }

    e = feat_user_get(feat_db(), r->arena, r->app->id, s.user_id, u);
    return e == FEAT_E_NOT_FOUND ? FEAT_E_BAD_TOKEN : e;
}


static int
v1_sds_check_token(struct feat_req *r)
{
    int                rc;
    cJSON             *d;
    const char        *tok, *bad;
    enum feat_error    e;
    struct feat_user   u;

    rc = feat_addr_in_list(feat_conf_str(FEAT_CONF_SDS_ALLOW_FROM),
                          r->remote_addr, &bad);
    if (rc < 0) {
        feat_log(LOG_ERR, 0, "sds.allow_from: bad entry at \"%.64s\"", bad);
    }
    if (rc != 1) {
        return sds_fail(r, FEAT_E_FORBIDDEN, NULL, r->remote_addr);
    }

    rc = feat_rate_hit(feat_db(), r->app->id, SDS_BUCKET, r->remote_addr,
                       (int) feat_conf_int(FEAT_CONF_SDS_IP_LIMIT), SDS_WINDOW,
                       NULL);
    if (rc == FEAT_BUSY) {
        return sds_fail(r, FEAT_E_TOO_FREQUENT, NULL, r->remote_addr);
    }
    if (rc != FEAT_OK) {
        return sds_fail(r, FEAT_E_INTERNAL, NULL, "rate check failed");
    }

    tok = NULL;
    rc = feat_in_field(r, &sds_in[0], &tok);
    if (rc != FEAT_OK || tok[0] == '\0') {
        return sds_fail(r, FEAT_E_NO_TOKEN, "1001", "no token");
    }

    /* A JWT has dots; a session token is base62 only. */
    if (strchr(tok, '.') != NULL) {
        e = feat_v1_token_check(feat_db(), r->arena, r->app->id, tok,
                                FEAT_V1_ACCESS, &u, NULL);
    } else {
        e = sds_session_user(r, tok, &u);
    }

    if (e != FEAT_E_NONE) {
        return sds_fail(r, e, e == FEAT_E_INTERNAL ? NULL : "1001",
                        "token refused");
    }

    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "userId", (double) u.id);
    cJSON_AddStringToObject(d, "userNick",
                            u.nickname[0] != '\0' ? u.nickname : u.username);

    return sds_reply(r, 200, "1000", "成功", d);
}


/* Refuses to start with an allow list that does not parse. */
static int
accounts_v1_init_master(void)
{
    const char  *bad;

    if (feat_addr_in_list(feat_conf_str(FEAT_CONF_SDS_ALLOW_FROM),
                         "127.0.0.1", &bad) < 0)
    {
        feat_log(LOG_EMERG, 0, "sds.allow_from: bad entry at \"%.64s\"",
                 bad);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static const struct feat_schema  get_token_schema = {
    .summary = "Log in with the password or a code: a JWT pair",
    .request = get_token_in, .answer = get_token_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  token_check_schema = {
    .summary = "Whether an access JWT is valid",
    .request = token_in, .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  check_register_schema = {
    .summary = "Whether an account is free to register (10022 if not)",
    .request = account_only_in, .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  user_open_schema = {
    .summary = "Bind a third party's open id to the caller",
    .request = open_in, .answer = open_out, .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  by_open_schema = {
    .summary = "Log in by a bound open id (the app's open_login setting)",
    .request = open_in, .answer = tokens_out, .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  reset_token_schema = {
    .summary = "A new JWT pair for the refresh JWT",
    .request = refresh_in, .answer = tokens_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  verify_code_schema = {
    .summary = "Send a code to a phone number or an email",
    .request = account_only_in, .answer = verify_code_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  reset_password_schema = {
    .summary = "Set the caller's password; ends its sessions and JWTs",
    .request = reset_password_in, .answer = reset_password_out,
    .shape = FEAT_ANSWER_VALUE,
};

static const struct feat_schema  sds_schema = {
    .summary = "The user behind a token, for the SDS service (its own "
               "form: {code, msg, description, data})",
    .request = sds_in, .shape = FEAT_ANSWER_RAW,
};


/* 0 is FEAT_PUBLIC, spelled short to keep each route on one line. */
static const struct feat_route  accounts_v1_routes[] = {
    { FEAT_GET,  "/api/get_token",           FEAT_V1, v1_get_token, FEAT_HASH,
      &get_token_schema },
    { FEAT_POST, "/api/token/check",         FEAT_V1, v1_token_check,       0,
      &token_check_schema },
    { FEAT_POST, "/check/register",          FEAT_V1, v1_check_register,    0,
      &check_register_schema },
    { FEAT_POST, "/api/user/open",           FEAT_V1, v1_user_open,  FEAT_JWT,
      &user_open_schema },
    { FEAT_GET,  "/api/get_token_by_open",   FEAT_V1, v1_get_token_by_open, 0,
      &by_open_schema },
    { FEAT_PUT,  "/api/reset_token",         FEAT_V1, v1_reset_token,       0,
      &reset_token_schema },
    { FEAT_GET,  "/api/get_verify_code",     FEAT_V1, v1_get_verify_code,   0,
      &verify_code_schema },
    { FEAT_PUT, "/api/user/reset_password", FEAT_V1,
      v1_reset_password, FEAT_JWT | FEAT_HASH, &reset_password_schema },
    { FEAT_GET,  "/sds_check_token",         FEAT_V1, v1_sds_check_token,   0,
      &sds_schema },
    FEAT_NULL_ROUTE
};


static const struct feat_conf_option *const  accounts_v1_conf[] = {
    FEAT_ACCOUNTS_V1_CONF(FEAT_CONF_ENTRY)
    NULL
};


/* Routes only: the accounts module's authenticate hook serves v1 too. */
static const struct feat_prefix  accounts_v1_prefixes[] = {
    { "/api/get_",        FEAT_V1 },
    { "/api/reset_token", FEAT_V1 },
    { "/api/token/",      FEAT_V1 },
    { "/api/user/",       FEAT_V1 },
    { "/check/",          FEAT_V1 },
    { "/sds_check_token", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_accounts_v1_module = {
    .name = "accounts-v1",
    .routes = accounts_v1_routes,
    .init_master = accounts_v1_init_master,
    .prefixes = accounts_v1_prefixes,
    .conf = accounts_v1_conf,
};
