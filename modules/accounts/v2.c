/*
 * v2.c: the v2 dialect's account endpoints (seeds/004) and the module.
 *
 * POST /api/auth/send_code, check_code, register, access_token,
 * refresh_token and destroy_token.  Each handler reads its fields through
 * its route's declared rows (feat_in_field), calls the domain
 * (accounts.h) and renders the outcome with feat_reply or feat_fail; the
 * rules live in the domain, so the v1 and feat dialects get the same
 * behaviour.  The file also holds the module's
 * route table, its authenticate hook (auth.c) and its periodic sweep.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers, for its handler and for the OpenAPI document.  The password
 * rows give its length in code points; feat_password_ok says the same.
 */
#define V2_PURPOSE                                                            \
    { "purpose", FEAT_FT_STR, 0, 0, 16, NULL,                                 \
      "register, login or delete (absent: register for an account not yet "  \
      "registered, else login)", NULL }
#define V2_CODE(flags)                                                        \
    { "code", FEAT_FT_STR, flags, 0, FEAT_CODE_MAX, NULL,                     \
      "the verification code sent to the account (login: instead of the "    \
      "password)", NULL }
#define V2_PASSWORD(flags)                                                    \
    { "password", FEAT_FT_STR, flags, FEAT_PASSWORD_MIN, FEAT_PASSWORD_MAX,   \
      NULL, "the password", NULL }

enum { IN_AREA, IN_ACCOUNT };

static const struct feat_field  account_in[] = {
    [IN_AREA] = FEAT_ACCOUNTS_IN_AREA,
    [IN_ACCOUNT] = FEAT_ACCOUNTS_IN_ACCOUNT,
    FEAT_NULL_FIELD
};

static const struct feat_field  send_code_in[] = {
    FEAT_ACCOUNTS_IN_AREA, FEAT_ACCOUNTS_IN_ACCOUNT, V2_PURPOSE,
    FEAT_NULL_FIELD
};

static const struct feat_field  check_code_in[] = {
    FEAT_ACCOUNTS_IN_AREA, FEAT_ACCOUNTS_IN_ACCOUNT, V2_CODE(FEAT_REQUIRED),
    V2_PURPOSE,
    FEAT_NULL_FIELD
};

static const struct feat_field  register_in[] = {
    FEAT_ACCOUNTS_IN_AREA, FEAT_ACCOUNTS_IN_ACCOUNT, V2_CODE(FEAT_REQUIRED),
    V2_PASSWORD(FEAT_REQUIRED),
    FEAT_NULL_FIELD
};

static const struct feat_field  login_in[] = {
    FEAT_ACCOUNTS_IN_AREA, FEAT_ACCOUNTS_IN_ACCOUNT, V2_PASSWORD(0),
    V2_CODE(0),
    FEAT_NULL_FIELD
};

static const struct feat_field  refresh_in[] = {
    FEAT_ACCOUNTS_IN_REFRESH,
    FEAT_NULL_FIELD
};

/* the rows the shared readers below go by */
static const struct feat_field  purpose_in = V2_PURPOSE;
static const struct feat_field  code_in = V2_CODE(FEAT_REQUIRED);
static const struct feat_field  login_code_in = V2_CODE(0);
static const struct feat_field  password_in[] = {
    V2_PASSWORD(0), V2_PASSWORD(FEAT_REQUIRED)
};

static const struct feat_field  tokens_out[] = {
    { "access_token", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the session's access token (Authorization: Token <t>)", NULL },
    { "refresh_token", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "its refresh token (POST /api/auth/refresh_token)", NULL },
    { "expires_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL,
      "when the access token expires", NULL },
    { "expires_in", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,
      "its lifetime in seconds", NULL },
    FEAT_NULL_FIELD
};


/* Fails with the account error naming the field the client filled in. */
static int
fail_account(struct feat_req *r)
{
    r->bad_field = "account";
    r->bad_reason = "invalid phone number or email";
    return feat_fail(r, FEAT_E_BAD_ACCOUNT, "invalid account");
}


/* v1, v2 and feat read an account alike (accounts.h). */
int
feat_accounts_in_account(struct feat_req *r, struct feat_account *acct)
{
    const char  *area, *account;

    area = NULL;
    account = NULL;

    if (feat_in_field(r, &account_in[IN_AREA], &area) == FEAT_ERROR
        || feat_in_field(r, &account_in[IN_ACCOUNT], &account) != FEAT_OK)
    {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (feat_account_parse(r->arena, area, account, acct) != FEAT_E_NONE) {
        fail_account(r);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The account and the required "code" sent for it (check_code, register):
 * FEAT_OK, or FEAT_ERROR once the failure has been answered.
 */
static int
in_account_code(struct feat_req *r, struct feat_account *acct,
    const char **code)
{
    if (feat_accounts_in_account(r, acct) != FEAT_OK) {
        return FEAT_ERROR;
    }

    if (feat_in_field(r, &code_in, code) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The optional "purpose", else the default for the account: FEAT_OK, or
 * FEAT_ERROR once the failure has been answered.
 */
static int
in_purpose(struct feat_req *r, const struct feat_account *acct,
    const char **purpose)
{
    int              rc;
    enum feat_error  e;

    rc = feat_in_field(r, &purpose_in, purpose);
    if (rc == FEAT_ERROR) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (rc == FEAT_OK) {
        if (!feat_purpose_valid(*purpose)) {
            feat_fail_bad(r, "purpose", "must be register, login or delete");
            return FEAT_ERROR;
        }
        return FEAT_OK;
    }

    e = feat_code_default_purpose(feat_db(), r->app->id, acct, purpose);
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "purpose lookup failed");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* A password within limits, required or not: FEAT_OK, FEAT_DECLINED when
 * absent and optional, FEAT_ERROR once the failure has been answered. */
static int
in_password(struct feat_req *r, const char **password, int required)
{
    int  rc;

    rc = feat_in_field(r, &password_in[required != 0], password);
    if (rc == FEAT_ERROR) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (rc == FEAT_OK && !feat_password_ok(*password)) {
        feat_fail_bad(r, "password", "too short");
        return FEAT_ERROR;
    }

    return rc;
}


/* The seed's token answer. */
static int
reply_tokens(struct feat_req *r, const struct feat_tokens *t)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "access_token", t->access);
    cJSON_AddStringToObject(o, "refresh_token", t->refresh);
    cJSON_AddStringToObject(o, "expires_at", feat_time(r, t->access_expires));
    cJSON_AddNumberToObject(o, "expires_in", (double) t->access_ttl);

    /* credentials: no cache may keep them (RFC 6749 section 5.1) */
    feat_reply_header(r, "Cache-Control", "no-store");

    return feat_reply(r, o);
}


static int
v2_send_code(struct feat_req *r)
{
    const char           *purpose;
    enum feat_error       e;
    struct feat_account   acct;

    if (feat_accounts_in_account(r, &acct) != FEAT_OK
        || in_purpose(r, &acct, &purpose) != FEAT_OK)
    {
        return FEAT_OK;
    }

    e = feat_code_send(feat_db(), r->arena, r->app->id, &acct, purpose,
                       r->remote_addr, NULL);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "code for %s not sent", purpose);
    }

    return feat_reply(r, NULL);
}


static int
v2_check_code(struct feat_req *r)
{
    const char           *purpose, *code;
    enum feat_error       e;
    struct feat_account   acct;

    if (in_account_code(r, &acct, &code) != FEAT_OK) {
        return FEAT_OK;
    }

    if (in_purpose(r, &acct, &purpose) != FEAT_OK) {
        return FEAT_OK;
    }

    /* Checking does not use the code up: register or login will. */
    e = feat_code_check(feat_db(), r->app->id, &acct, purpose, code, 0);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "code check for %s", purpose);
    }

    return feat_reply(r, NULL);
}


static int
v2_register(struct feat_req *r)
{
    const char           *code, *password;
    enum feat_error       e;
    struct feat_tokens    t;
    struct feat_account   acct;

    if (in_account_code(r, &acct, &code) != FEAT_OK) {
        return FEAT_OK;
    }

    if (in_password(r, &password, 1) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_account_register(feat_db(), r->app->id, &acct, code, password,
                              feat_accounts_scopes(r->app->id), &t);
    if (e != FEAT_E_NONE) {
        e = feat_code_ip_probe(feat_db(), r->app->id, r->remote_addr, e);
        feat_accounts_retry_after(r, e);
        return feat_fail(r, e, "register refused");
    }

    return reply_tokens(r, &t);
}


static int
v2_login(struct feat_req *r)
{
    int                   rc;
    const char           *password, *code;
    enum feat_error       e;
    struct feat_tokens    t;
    struct feat_account   acct;

    if (feat_accounts_in_account(r, &acct) != FEAT_OK) {
        return FEAT_OK;
    }

    rc = in_password(r, &password, 0);
    if (rc == FEAT_ERROR) {
        return FEAT_OK;
    }

    if (rc == FEAT_OK) {
        /* With both, the password wins: it is what the seed shows. */
        e = feat_account_login_password(feat_db(), r->app->id, &acct,
                                        password, r->remote_addr,
                                        feat_accounts_scopes(r->app->id),
                                        &t);

    } else {
        /* Our extension: a login code instead of the password. */
        rc = feat_in_field(r, &login_code_in, &code);
        if (rc == FEAT_ERROR) {
            return feat_fail_field(r);
        }

        if (rc == FEAT_DECLINED) {
            return feat_fail_bad(r, "password", "is required");
        }

        e = feat_account_login_code(feat_db(), r->app->id, &acct, code,
                                    feat_accounts_scopes(r->app->id), &t);
        e = feat_code_ip_probe(feat_db(), r->app->id, r->remote_addr, e);
    }

    if (e != FEAT_E_NONE) {
        feat_accounts_retry_after(r, e);
        return feat_fail(r, e, "login refused");
    }

    return reply_tokens(r, &t);
}


/* v2 and feat refresh alike and answer each in its own form (accounts.h). */
int
feat_accounts_refresh(struct feat_req *r, struct feat_tokens *t)
{
    const char       *refresh;
    enum feat_error   e;

    refresh = NULL;

    if (feat_in_field(r, &refresh_in[0], &refresh) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    e = feat_session_rotate(feat_db(), r->app->id, 0, refresh, t);
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "refresh refused");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
v2_refresh(struct feat_req *r)
{
    struct feat_tokens  t;

    if (feat_accounts_refresh(r, &t) != FEAT_OK) {
        return FEAT_OK;
    }

    return reply_tokens(r, &t);
}


static int
v2_logout(struct feat_req *r)
{
    enum feat_error  e;

    e = feat_session_revoke(feat_db(), r->app->id, r->session_id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "session %lld not revoked",
                         (long long) r->session_id);
    }

    return feat_reply(r, NULL);
}


static void
accounts_sweep(sqlite3 *db, time_t now)
{
    feat_code_sweep(db, now);
    feat_session_sweep(db, now);
}


static const struct feat_schema  send_code_schema = {
    .summary = "Send a verification code to a phone number or an email",
    .request = send_code_in,
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  check_code_schema = {
    .summary = "Check a verification code without using it up",
    .request = check_code_in,
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  register_schema = {
    .summary = "Register with a code and a password; opens a session",
    .request = register_in,
    .answer = tokens_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  login_schema = {
    .summary = "Log in with the password (or a login code)",
    .request = login_in,
    .answer = tokens_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  refresh_schema = {
    .summary = "A new token pair for the refresh token (used up)",
    .request = refresh_in,
    .answer = tokens_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  logout_schema = {
    .summary = "End the caller's session",
    .shape = FEAT_ANSWER_EMPTY,
};


/* 0 is FEAT_PUBLIC, spelled short to keep each route on one line. */
static const struct feat_route  accounts_routes[] = {
    { FEAT_POST, "/api/auth/send_code",     FEAT_V2, v2_send_code,  0,
      &send_code_schema },
    { FEAT_POST, "/api/auth/check_code",    FEAT_V2, v2_check_code, 0,
      &check_code_schema },
    { FEAT_POST, "/api/auth/register",      FEAT_V2, v2_register,   FEAT_HASH,
      &register_schema },
    { FEAT_POST, "/api/auth/access_token",  FEAT_V2, v2_login,      FEAT_HASH,
      &login_schema },
    { FEAT_POST, "/api/auth/refresh_token", FEAT_V2, v2_refresh,    0,
      &refresh_schema },
    { FEAT_POST, "/api/auth/destroy_token", FEAT_V2, v2_logout,
      FEAT_SESSION | FEAT_SCOPE_NONE, &logout_schema },
    FEAT_NULL_ROUTE
};


FEAT_ACCOUNTS_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  accounts_conf[] = {
    FEAT_ACCOUNTS_CONF(FEAT_CONF_ENTRY)
    NULL
};


const struct feat_module  feat_accounts_module = {
    .name = "accounts",
    .routes = accounts_routes,
    .authenticate = feat_accounts_authenticate,
    .sweep = accounts_sweep,
    .conf = accounts_conf,
    .settings = feat_accounts_settings,
    .auth_flags = FEAT_SESSION | FEAT_JWT,
};
