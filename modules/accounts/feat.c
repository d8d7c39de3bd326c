/*
 * feat.c: the feat dialect's account endpoints (seeds/000-002, API.md
 * "feat API").
 *
 * Phone sign-up in three ordered steps: POST /api/auth/phone/vcode/ sends
 * a code, POST /api/auth/phone/verification/ checks it and answers a
 * registration permit (form_id register) or a session (form_id login),
 * POST /api/auth/register/ spends the permit and creates the account.
 * Also the deprecated POST /api/auth/login/ (RFC 9745 Deprecation and a
 * Link to its successor, /o/token/) and POST /api/auth/refresh/.  Users,
 * codes, lockouts and sessions are the accounts domain's (accounts.h), so
 * the rules are those of every dialect; only the permits are feat's own,
 * and their domain functions (no HTTP in them) open this file.
 *
 * The file ends with a module of its own that holds only the feat route
 * table and the permit sweep: the accounts module stays as it is.  The
 * routes declare their fields (feat.h, struct feat_field), which the
 * handlers read through and the OpenAPI document shows.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define PERMIT_LEN       40      /* base62 characters: 238 bits */
#define PERMIT_MAX       128     /* longest permit a client may present */
#define PERMIT_TTL       1800    /* seconds: 30 minutes */
#define PHONE_MAX        32
#define FORM_ID_MAX      16
#define HASH_MAX         256
#define DAY              86400

/*
 * POST /api/auth/login/ was deprecated on 2024-01-01T00:00:00Z: the RFC 9745
 * Deprecation header carries this instant as "@<unix time>".
 */
#define LOGIN_DEPRECATED  "@1704067200"


/* ---- permits: domain ----------------------------------------------------- */

/*
 * Checks code (purpose "register") for acct and, in the same transaction,
 * spends it and files a new permit for (app, acct).  The account must not
 * be registered.  Answers FEAT_E_NONE with the permit token in
 * token[PERMIT_LEN + 1], FEAT_E_REGISTERED, FEAT_E_BAD_CODE or
 * FEAT_E_INTERNAL.
 */
static enum feat_error
permit_issue(sqlite3 *db, const char *app, const struct feat_account *acct,
    const char *code, char token[PERMIT_LEN + 1])
{
    char             hash[65];
    time_t           now;
    enum feat_error  e;

    e = feat_account_register_begin(db, app, acct, code);
    if (e != FEAT_E_NONE) {
        return e;
    }

    feat_random_base62(token, PERMIT_LEN);
    feat_sha256_hex(token, hash);
    now = feat_now();

    if (feat_db_exec(db,
            "INSERT INTO permits (app_id, account, token_hash, created_at,"
            " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            "sssii", app, acct->key, hash, (sqlite3_int64) now,
            (sqlite3_int64) (now + PERMIT_TTL)) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

done:

    return feat_db_end(db, e);
}


/*
 * Registers acct with password and an optional nickname (NULL: none),
 * spending permit: the permit, the user and its first session (scope) are
 * one transaction.  Answers FEAT_E_NONE with *t, FEAT_E_REGISTERED,
 * FEAT_E_PERMIT (unknown, expired, used, or another app's or phone's),
 * FEAT_E_BUSY (no hashing slot: the permit stays unspent) or
 * FEAT_E_INTERNAL.
 */
static enum feat_error
permit_register(sqlite3 *db, const char *app, const struct feat_account *acct,
    const char *permit, const char *password, const char *nickname,
    const char *scope, struct feat_tokens *t)
{
    int              rc;
    char             phash[65], hash[HASH_MAX];
    time_t           now;
    sqlite3_int64    id;
    enum feat_error  e;

    /*
     * Cheap refusals first (scrypt is the slow part), the permit before
     * the phone: a used permit answers invalid_permit_token even when
     * its phone has registered since (issue 12), so an old permit tells
     * nothing of the phone.
     */
    feat_sha256_hex(permit, phash);
    now = feat_now();

    rc = feat_db_int(db, &id,
            "SELECT id FROM permits WHERE token_hash = ?1 AND app_id = ?2"
            " AND account = ?3 AND used_at IS NULL AND expires_at > ?4",
            "sssi", phash, app, acct->key, (sqlite3_int64) now);
    if (rc != FEAT_OK) {
        return rc == FEAT_DECLINED ? FEAT_E_PERMIT : FEAT_E_INTERNAL;
    }

    e = feat_user_absent_hash(db, app, acct, password, hash, sizeof(hash));
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /* spent here, under the write lock: two racing requests, one user */
    if (feat_db_exec(db,
            "UPDATE permits SET used_at = ?1 WHERE token_hash = ?2"
            " AND app_id = ?3 AND account = ?4 AND used_at IS NULL"
            " AND expires_at > ?1",
            "isss", (sqlite3_int64) now, phash, app, acct->key) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    if (sqlite3_changes(db) != 1) {
        e = FEAT_E_PERMIT;
        goto done;
    }

    e = feat_user_create(db, app, acct, hash, &id);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    if (nickname != NULL
        && feat_db_exec(db,
               "UPDATE users SET nickname = ?1 WHERE id = ?2 AND app_id = ?3",
               "sis", nickname, id, app) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    e = feat_session_create(db, app, id, 0, NULL, scope, t);

done:

    return feat_db_end(db, e);
}


/* Deletes permits a day after they expired (jobs process). */
static void
permit_sweep(sqlite3 *db, time_t now)
{
    if (feat_db_exec(db, "DELETE FROM permits WHERE expires_at < ?1", "i",
                     (sqlite3_int64) (now - DAY)) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "permits: sweep failed");
    }
}


/* ---- input --------------------------------------------------------------- */

#define IN_PHONE                                                              \
    { "phone", FEAT_FT_STR, FEAT_REQUIRED, 0, PHONE_MAX, "phone",             \
      "the phone number (no email: feat accounts are phones)", NULL }
#define IN_FORM_ID                                                            \
    { "form_id", FEAT_FT_STR, FEAT_REQUIRED, 0, FORM_ID_MAX, NULL,            \
      "what the code is for: register or login (vcode/ also delete)", NULL }
#define IN_PASSWORD                                                           \
    { "password", FEAT_FT_STR, FEAT_REQUIRED, FEAT_PASSWORD_MIN,              \
      FEAT_PASSWORD_MAX, NULL, "the password", NULL }

enum { IN_AREA, IN_NUMBER };

static const struct feat_field  phone_in[] = {
    [IN_AREA] = FEAT_ACCOUNTS_IN_AREA,
    [IN_NUMBER] = IN_PHONE,
    FEAT_NULL_FIELD
};

#define IN_VCODE                                                              \
    { "vcode", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_CODE_MAX, NULL,            \
      "the code sent to the phone", NULL }
/* absent or empty is the seed's invalid_permit_token, not a field error */
#define IN_PERMIT                                                             \
    { "permit_token", FEAT_FT_STR, 0, 0, PERMIT_MAX, NULL,                    \
      "the permit of phone/verification/: absent or empty is "                \
      "invalid_permit_token", NULL }
#define IN_NICKNAME                                                           \
    { "nickname", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_NICKNAME_MAX, NULL,  \
      "a nickname", NULL }

static const struct feat_field  form_id_in = IN_FORM_ID;
static const struct feat_field  password_in = IN_PASSWORD;
static const struct feat_field  vcode_in = IN_VCODE;
static const struct feat_field  permit_in = IN_PERMIT;
static const struct feat_field  nickname_in = IN_NICKNAME;

static const struct feat_field  vcode_route_in[] = {
    FEAT_ACCOUNTS_IN_AREA, IN_PHONE, IN_FORM_ID,
    FEAT_NULL_FIELD
};

static const struct feat_field  verification_in[] = {
    FEAT_ACCOUNTS_IN_AREA, IN_PHONE, IN_VCODE, IN_FORM_ID,
    FEAT_NULL_FIELD
};

static const struct feat_field  register_in[] = {
    FEAT_ACCOUNTS_IN_AREA, IN_PHONE, IN_PASSWORD, IN_PERMIT, IN_NICKNAME,
    FEAT_NULL_FIELD
};

static const struct feat_field  login_in[] = {
    FEAT_ACCOUNTS_IN_AREA, IN_PHONE, IN_PASSWORD,
    FEAT_NULL_FIELD
};

static const struct feat_field  refresh_in[] = {
    FEAT_ACCOUNTS_IN_REFRESH,
    FEAT_NULL_FIELD
};

#define SESSION_OUT(always)                                                   \
    { "key", FEAT_FT_STR, always, 0, 0, NULL,                                 \
      "the access token (Authorization: Token <key>)", NULL },                \
    { "uid", FEAT_FT_ID, always, 0, 0, NULL, "the user's id", NULL },         \
    { "refresh_token", FEAT_FT_STR, always, 0, 0, NULL,                       \
      "the refresh token (POST /api/auth/refresh/)", NULL },                  \
    { "expires_in", FEAT_FT_INT, always, 0, 0, NULL,                          \
      "the access token's lifetime in seconds", NULL }

static const struct feat_field  session_out[] = {
    SESSION_OUT(FEAT_REQUIRED),
    FEAT_NULL_FIELD
};

static const struct feat_field  verification_out[] = {
    { "permit_token", FEAT_FT_STR, 0, 0, 0, NULL,
      "form_id register: the permit for POST /api/auth/register/ "
      "(30 minutes)", NULL },
    SESSION_OUT(0),
    FEAT_NULL_FIELD
};

/*
 * Reads "phone" (and the optional "area", default 86) as a phone account:
 * FEAT_OK, or FEAT_ERROR once the failure has been answered.
 */
static int
in_phone(struct feat_req *r, struct feat_account *acct)
{
    const char  *area, *phone;

    area = NULL;
    phone = NULL;

    if (feat_in_field(r, &phone_in[IN_AREA], &area) == FEAT_ERROR
        || feat_in_field(r, &phone_in[IN_NUMBER], &phone) != FEAT_OK)
    {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    /* feat accounts are phones only: an '@' is refused here */
    if (strchr(phone, '@') != NULL
        || feat_account_parse(r->arena, area, phone, acct) != FEAT_E_NONE)
    {
        feat_fail_bad(r, "phone", "invalid phone number");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* "form_id": register or login.  FEAT_OK or FEAT_ERROR (answered). */
static int
in_form_id(struct feat_req *r, const char **form_id)
{
    if (feat_in_field(r, &form_id_in, form_id) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (!feat_purpose_valid(*form_id)) {
        feat_fail_bad(r, "form_id", "must be register, login or delete");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* A password within limits: FEAT_OK or FEAT_ERROR (answered). */
static int
in_password(struct feat_req *r, const char **password)
{
    if (feat_in_field(r, &password_in, password) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (!feat_password_ok(*password)) {
        feat_fail_bad(r, "password", "too short");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* ---- answers ------------------------------------------------------------- */

/*
 * feat_fail, with Retry-After on a 429: for a lockout the lockout window,
 * for code sends the resend interval (the soonest a send may succeed), for
 * a login refused for want of a hashing slot one second.
 */
static int
fail(struct feat_req *r, enum feat_error e, const char *what)
{
    long long  wait;

    feat_accounts_retry_after(r, e);

    if (e == FEAT_E_LOCKED || e == FEAT_E_TOO_FREQUENT) {
        wait = feat_conf_int(e == FEAT_E_LOCKED
                             ? FEAT_CONF_LOGIN_WINDOW
                             : FEAT_CONF_CODE_RESEND_INTERVAL);
        feat_reply_header(r, "Retry-After",
                          feat_arena_sprintf(r->arena, "%lld",
                                             wait > 0 ? wait : 1));
    }

    return feat_fail(r, e, "%s refused", what);
}


/* The session answer {"key","uid","refresh_token","expires_in"}. */
static int
reply_session(struct feat_req *r, const struct feat_tokens *t)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", t->access);
    cJSON_AddNumberToObject(o, "uid", (double) t->user_id);
    cJSON_AddStringToObject(o, "refresh_token", t->refresh);
    cJSON_AddNumberToObject(o, "expires_in", (double) t->access_ttl);

    feat_reply_header(r, "Cache-Control", "no-store");

    return feat_reply(r, o);
}


/* ---- handlers ------------------------------------------------------------ */

static int
feat_phone_vcode(struct feat_req *r)
{
    const char           *form_id;
    sqlite3_int64         id;
    enum feat_error       e;
    struct feat_account   acct;

    if (in_phone(r, &acct) != FEAT_OK || in_form_id(r, &form_id) != FEAT_OK) {
        return FEAT_OK;
    }

    e = feat_user_lookup_id(feat_db(), r->app->id, &acct, &id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "user lookup failed");
    }

    e = FEAT_E_NONE;
    if (strcmp(form_id, FEAT_PURPOSE_REGISTER) == 0 && id != 0) {
        e = FEAT_E_REGISTERED;
    }

    /* a deletion's code goes to an account that exists, as a login's */
    if (strcmp(form_id, FEAT_PURPOSE_REGISTER) != 0 && id == 0) {
        e = FEAT_E_NOT_REGISTERED;
    }

    if (e != FEAT_E_NONE) {
        return fail(r, feat_code_ip_probe(feat_db(), r->app->id,
                                          r->remote_addr, e), "code send");
    }

    e = feat_code_send(feat_db(), r->arena, r->app->id, &acct, form_id,
                       r->remote_addr, NULL);
    if (e != FEAT_E_NONE) {
        return fail(r, e, "code send");
    }

    return feat_reply(r, NULL);
}


static int
feat_phone_verification(struct feat_req *r)
{
    char                  permit[PERMIT_LEN + 1];
    cJSON                *o;
    const char           *form_id, *vcode;
    enum feat_error       e;
    struct feat_tokens    t;
    struct feat_account   acct;

    if (in_phone(r, &acct) != FEAT_OK) {
        return FEAT_OK;
    }

    vcode = NULL;

    if (feat_in_field(r, &vcode_in, &vcode) != FEAT_OK) {
        return feat_fail_field(r);
    }

    if (in_form_id(r, &form_id) != FEAT_OK) {
        return FEAT_OK;
    }

    /* a deletion's code is spent by the deletion itself */
    if (strcmp(form_id, FEAT_PURPOSE_DELETE) == 0) {
        return feat_fail_bad(r, "form_id", "must be register or login");
    }

    if (strcmp(form_id, FEAT_PURPOSE_REGISTER) == 0) {
        e = permit_issue(feat_db(), r->app->id, &acct, vcode, permit);
        e = feat_code_ip_probe(feat_db(), r->app->id, r->remote_addr, e);
        if (e == FEAT_E_BAD_CODE) {
            return feat_fail_at(r, FEAT_E_BAD_CODE, "vcode");
        }
        if (e != FEAT_E_NONE) {
            return fail(r, e, "permit");
        }

        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "permit_token", permit);
        feat_reply_header(r, "Cache-Control", "no-store");
        return feat_reply(r, o);
    }

    e = feat_account_login_code(feat_db(), r->app->id, &acct, vcode,
                                feat_accounts_scopes(r->app->id), &t);
    e = feat_code_ip_probe(feat_db(), r->app->id, r->remote_addr, e);
    if (e == FEAT_E_BAD_CODE) {
        return feat_fail_at(r, FEAT_E_BAD_CODE, "vcode");
    }
    if (e != FEAT_E_NONE) {
        return fail(r, e, "code login");
    }

    return reply_session(r, &t);
}


static int
feat_register(struct feat_req *r)
{
    int                   rc;
    const char           *password, *permit, *nickname;
    enum feat_error       e;
    struct feat_tokens    t;
    struct feat_account   acct;

    if (in_phone(r, &acct) != FEAT_OK || in_password(r, &password) != FEAT_OK)
    {
        return FEAT_OK;
    }

    rc = feat_in_field(r, &permit_in, &permit);
    if (rc == FEAT_ERROR) {
        return feat_fail_field(r);
    }

    /* missing is one of the seed's invalid_permit_token cases */
    if (rc == FEAT_DECLINED || permit[0] == '\0') {
        return feat_fail(r, FEAT_E_PERMIT, "no permit token");
    }

    nickname = NULL;
    if (feat_in_field(r, &nickname_in, &nickname) == FEAT_ERROR) {
        return feat_fail_field(r);
    }

    e = permit_register(feat_db(), r->app->id, &acct, permit, password,
                        nickname, feat_accounts_scopes(r->app->id), &t);
    if (e != FEAT_E_NONE) {
        return fail(r, feat_code_ip_probe(feat_db(), r->app->id,
                                          r->remote_addr, e), "register");
    }

    r->status = 201;
    return reply_session(r, &t);
}


static int
feat_login(struct feat_req *r)
{
    const char           *password, *origin;
    enum feat_error       e;
    struct feat_tokens    t;
    struct feat_account   acct;

    /* RFC 9745 and RFC 8594's successor link, on every answer */
    /* the successor is an OAuth2 token endpoint: TLS only (RFC 6749 3.2) */
    origin = feat_req_origin(r);
    if (strncmp(origin, "http://", 7) == 0) {
        origin = feat_arena_sprintf(r->arena, "https://%s", origin + 7);
    }

    feat_reply_header(r, "Deprecation", LOGIN_DEPRECATED);
    feat_reply_header(r, "Link",
                      feat_arena_sprintf(r->arena,
                          "<%s/o/token/>; rel=\"successor-version\"",
                          origin));

    if (in_phone(r, &acct) != FEAT_OK || in_password(r, &password) != FEAT_OK)
    {
        return FEAT_OK;
    }

    e = feat_account_login_password(feat_db(), r->app->id, &acct, password,
                                    r->remote_addr,
                                    feat_accounts_scopes(r->app->id), &t);
    if (e != FEAT_E_NONE) {
        return fail(r, e, "login");
    }

    return reply_session(r, &t);
}


static int
feat_refresh(struct feat_req *r)
{
    struct feat_tokens  t;

    if (feat_accounts_refresh(r, &t) != FEAT_OK) {
        return FEAT_OK;
    }

    return reply_session(r, &t);
}


static const struct feat_schema  vcode_schema = {
    .summary = "Send a code to a phone (sign-up step 1, or a login code)",
    .request = vcode_route_in,
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  verification_schema = {
    .summary = "Check the code: a registration permit, or a session",
    .request = verification_in,
    .answer = verification_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  register_schema = {
    .summary = "Spend the permit: the account and its first session",
    .request = register_in,
    .answer = session_out,
    .shape = FEAT_ANSWER_OBJECT,
    .status = 201,
};

static const struct feat_schema  login_schema = {
    .summary = "Log in with the password (deprecated: use /o/token/)",
    .request = login_in,
    .answer = session_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  refresh_schema = {
    .summary = "A new session for the refresh token (used up)",
    .request = refresh_in,
    .answer = session_out,
    .shape = FEAT_ANSWER_OBJECT,
};


/* 0 is FEAT_PUBLIC, spelled short to keep each route on one line. */
static const struct feat_route  accounts_feat_routes[] = {
    { FEAT_POST, "/api/auth/phone/vcode/", FEAT_FEAT, feat_phone_vcode, 0,
      &vcode_schema },
    { FEAT_POST, "/api/auth/phone/verification/", FEAT_FEAT,
      feat_phone_verification, 0, &verification_schema },
    { FEAT_POST, "/api/auth/register/", FEAT_FEAT, feat_register, FEAT_HASH,
      &register_schema },
    { FEAT_POST, "/api/auth/login/", FEAT_FEAT, feat_login, FEAT_HASH,
      &login_schema },
    { FEAT_POST, "/api/auth/refresh/", FEAT_FEAT, feat_refresh, 0,
      &refresh_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_accounts_feat_module = {
    .name = "accounts-feat",
    .routes = accounts_feat_routes,
    .sweep = permit_sweep,
};
