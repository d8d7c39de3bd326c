/*
 * feat.c: the OAuth2 endpoints (django-oauth-toolkit paths) and the
 * oauth2 module.
 *
 * POST /o/token/ (RFC 6749: grants password, refresh_token and
 * client_credentials), POST /o/revoke_token/ (RFC 7009) and POST
 * /o/introspect/ (RFC 7662).  Parameters come as a form or a JSON object;
 * the client authenticates with HTTP Basic or client_id/client_secret in
 * the body, never both.  The routes are the oauth2 dialect's, so failures
 * are RFC 6749 §5.2 bodies {"error","error_description"} with the seed's
 * statuses (seeds/002; fcgi/protocol/dialect.c renders them), which is
 * why these routes call the runtime's body parser themselves
 * (FEAT_RAW_BODY): a malformed body is an invalid_request too, not the
 * dialect's field error.  The parameters are declared rows (feat.h,
 * struct feat_field) that param() reads through and the OpenAPI document
 * shows.
 */

#include "config.h"

#include <string.h>
#include <strings.h>

#include "feat.h"
#include "oauth2/oauth2.h"

#define GRANT_TYPE_MAX   64
#define BASIC_MAX        512     /* bytes of an Authorization: Basic value */
#define PASSWORD_MAX     (FEAT_PASSWORD_MAX * 4)


/* ---- declared parameters ------------------------------------------------- */

/*
 * Every row allows "" (RFC 6749 §3.1: an empty value is an omitted one),
 * so param() reads a required one as optional and answers its absence
 * itself; FEAT_REQUIRED tells the document.  Which grant needs which
 * parameter is in the descriptions.
 */
#define P_ALLOW  FEAT_ALLOW_EMPTY
#define P_NEEDED (FEAT_REQUIRED | FEAT_ALLOW_EMPTY)

enum {
    P_GRANT_TYPE, P_CLIENT_ID, P_CLIENT_SECRET, P_SCOPE, P_USERNAME,
    P_PASSWORD, P_DEVICE_ID, P_REFRESH_TOKEN
};

/* client_id, client_secret: in this order */
#define P_CLIENT_ROWS                                                         \
    { "client_id", FEAT_FT_STR, P_ALLOW, 0, FEAT_OAUTH2_CREDENTIAL_MAX, NULL, \
      "the client's id, unless sent with HTTP Basic", NULL },                 \
    { "client_secret", FEAT_FT_STR, P_ALLOW, 0, FEAT_OAUTH2_CREDENTIAL_MAX,   \
      NULL, "the client's secret, unless sent with HTTP Basic", NULL }

static const struct feat_field  token_in[] = {
    [P_GRANT_TYPE] =
    { "grant_type", FEAT_FT_STR, P_NEEDED, 0, GRANT_TYPE_MAX, NULL,
      "password, refresh_token or client_credentials", NULL },
    P_CLIENT_ROWS,                      /* P_CLIENT_ID, P_CLIENT_SECRET */
    [P_SCOPE] =
    { "scope", FEAT_FT_STR, P_ALLOW, 0, FEAT_OAUTH2_SCOPE_MAX, NULL,
      "space-separated scopes within the client's (absent: the client's, "
      "or the original grant's)", NULL },
    [P_USERNAME] =
    { "username", FEAT_FT_STR, P_ALLOW, 0, FEAT_ACCOUNT_MAX + 1, NULL,
      "grant password: the account (a phone number or an email)", NULL },
    [P_PASSWORD] =
    { "password", FEAT_FT_STR, P_ALLOW, 0, FEAT_PASSWORD_MAX, NULL,
      "grant password: the password", NULL },
    [P_DEVICE_ID] =
    { "device_id", FEAT_FT_STR, P_ALLOW, 0, FEAT_OAUTH2_DEVICE_MAX, NULL,
      "grant password: the device's id (required)", NULL },
    [P_REFRESH_TOKEN] =
    { "refresh_token", FEAT_FT_STR, P_ALLOW, 0, FEAT_TOKEN_MAX, NULL,
      "grant refresh_token: the refresh token (required)", NULL },
    FEAT_NULL_FIELD
};

enum { T_CLIENT_ID, T_CLIENT_SECRET, T_TOKEN };

static const struct feat_field  token_param_in[] = {
    P_CLIENT_ROWS,                      /* T_CLIENT_ID, T_CLIENT_SECRET */
    { "token", FEAT_FT_STR, P_NEEDED, 0, FEAT_TOKEN_MAX + 1, NULL,
      "an access or refresh token of the client", NULL },
    FEAT_NULL_FIELD
};

/* client_id and client_secret of every route (the same rows) */
static const struct feat_field  *const  client_in = token_in;

static const struct feat_field  token_out[] = {
    { "access_token", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the access token (Authorization: Bearer <t>)", NULL },
    { "token_type", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "Bearer", NULL },
    { "expires_in", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,
      "its lifetime in seconds", NULL },
    { "refresh_token", FEAT_FT_STR, 0, 0, 0, NULL,
      "its refresh token (not for client_credentials)", NULL },
    { "scope", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the scopes granted", NULL },
    FEAT_NULL_FIELD
};

static const struct feat_field  introspect_out[] = {
    { "active", FEAT_FT_BOOL, FEAT_REQUIRED, 0, 0, NULL,
      "whether the token is live (the rest only when it is)", NULL },
    { "scope", FEAT_FT_STR, 0, 0, 0, NULL, "its scopes", NULL },
    { "client_id", FEAT_FT_STR, 0, 0, 0, NULL, "its client", NULL },
    { "username", FEAT_FT_STR, 0, 0, 0, NULL, "its user, if any", NULL },
    { "exp", FEAT_FT_INT, 0, 0, 0, NULL, "when it expires (unix time)",
      NULL },
    { "token_type", FEAT_FT_STR, 0, 0, 0, NULL, "access or refresh", NULL },
    FEAT_NULL_FIELD
};


/* ---- answers ------------------------------------------------------------- */

static void
no_store(struct feat_req *r)
{
    feat_reply_header(r, "Cache-Control", "no-store");
    feat_reply_header(r, "Pragma", "no-cache");
}


/* An RFC 6749 §5.2 error, answered by the oauth2 dialect with desc as its
 * error_description (NULL: the table's text); a server error's desc is
 * only logged.  Answers FEAT_OK. */
static int
oauth_fail(struct feat_req *r, enum feat_oauth2_error e, const char *desc)
{
    if (e == FEAT_OAUTH2_SERVER_ERROR) {
        return feat_fail(r, FEAT_E_INTERNAL, "oauth2: %s",
                         desc != NULL ? desc : "server error");
    }

    return feat_fail_text(r, feat_oauth2_error(e), desc);
}


/* ---- input --------------------------------------------------------------- */

/*
 * Parses the body (a form or a JSON object) through the runtime's parser
 * into r->form or r->json: FEAT_OK, or FEAT_ERROR once an invalid_request
 * has been answered.  The query string must be empty: RFC 6749 keeps
 * credentials out of URLs.
 */
static int
in_body(struct feat_req *r)
{
    if (r->nargs > 0) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   "parameters belong in the body, not the URL");
        return FEAT_ERROR;
    }

    switch (feat_req_body(r)) {

    case FEAT_OK:
        if (r->json == NULL || cJSON_IsObject(r->json)) {
            return FEAT_OK;
        }

        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   "body: must be a JSON object");
        return FEAT_ERROR;

    case FEAT_DECLINED:
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   "the body must be a form or a JSON object");
        return FEAT_ERROR;

    default:
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   feat_arena_sprintf(r->arena, "%s: %s", r->bad_field,
                                      r->bad_reason));
        return FEAT_ERROR;
    }
}


/*
 * A string parameter: FEAT_OK with *out, FEAT_DECLINED when absent or
 * empty (RFC 6749 §3.1: an empty value is an omitted one), FEAT_ERROR once
 * an invalid_request has been answered (a repeated or malformed one).
 */
static int
param(struct feat_req *r, const struct feat_field *f, const char **out)
{
    int                 rc;
    size_t              i, seen;
    const char         *name;
    struct feat_field   row;

    name = f->name;

    seen = 0;
    for (i = 0; i < r->nform; i++) {
        if (strcmp(r->form[i].name, name) == 0) {
            seen++;
        }
    }

    if (seen > 1) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   feat_arena_sprintf(r->arena, "%s is repeated", name));
        return FEAT_ERROR;
    }

    /* a required one's absence is answered below, in RFC 6749's words */
    row = *f;
    row.flags &= ~(unsigned) FEAT_REQUIRED;

    rc = feat_in_field(r, &row, out);
    if (rc == FEAT_ERROR) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   feat_arena_sprintf(r->arena, "%s: %s", name,
                                      r->bad_reason != NULL ? r->bad_reason
                                                            : "invalid"));
        return FEAT_ERROR;
    }

    if (rc == FEAT_DECLINED || (*out)[0] == '\0') {
        return FEAT_DECLINED;
    }

    return FEAT_OK;
}


/* A required parameter: FEAT_OK, or FEAT_ERROR once answered. */
static int
param_required(struct feat_req *r, const struct feat_field *f,
    const char **out)
{
    int  rc;

    rc = param(r, f, out);
    if (rc == FEAT_DECLINED) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                   feat_arena_sprintf(r->arena, "%s is required", f->name));
        return FEAT_ERROR;
    }

    return rc;
}


/*
 * The id and secret of an "Authorization: Basic" header (RFC 6749 §2.3.1:
 * each form-urlencoded, then base64 of "id:secret").  FEAT_OK,
 * FEAT_DECLINED when the header is not Basic, FEAT_ERROR when it is a
 * malformed one.
 */
static int
basic_credentials(struct feat_req *r, const char **id, const char **secret)
{
    char           *s, *colon;
    long            n;
    size_t          len;
    const char     *h;
    unsigned char   buf[BASIC_MAX];

    h = feat_req_header(r, "Authorization");
    if (h == NULL) {
        return FEAT_DECLINED;
    }

    while (*h == ' ') {
        h++;
    }

    if (strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\0')) {
        return FEAT_DECLINED;
    }

    h += 5;
    while (*h == ' ') {
        h++;
    }

    len = strlen(h);
    while (len > 0 && h[len - 1] == ' ') {
        len--;
    }

    if (len == 0 || len >= BASIC_MAX) {
        return FEAT_ERROR;
    }

    n = feat_base64_decode(h, len, buf, sizeof(buf), 0);
    if (n <= 0 || memchr(buf, '\0', (size_t) n) != NULL) {
        return FEAT_ERROR;
    }

    s = feat_arena_strndup(r->arena, (const char *) buf, (size_t) n);
    colon = strchr(s, ':');
    if (colon == NULL) {
        return FEAT_ERROR;
    }

    *colon = '\0';
    s[feat_url_decode(s, strlen(s))] = '\0';
    colon++;
    colon[feat_url_decode(colon, strlen(colon))] = '\0';

    *id = s;
    *secret = colon;
    return FEAT_OK;
}


/*
 * Authenticates the client: FEAT_OK with *c, or FEAT_ERROR once the
 * failure has been answered (invalid_client, or invalid_request for two
 * mechanisms at once).
 */
static int
client_auth(struct feat_req *r, struct feat_oauth2_client *c)
{
    int                     rc, brc;
    const char             *id, *secret, *bid, *bsecret, *desc;
    enum feat_oauth2_error  e;

    id = NULL;
    secret = NULL;
    bid = NULL;
    bsecret = NULL;

    brc = basic_credentials(r, &bid, &bsecret);
    if (brc == FEAT_ERROR) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_CLIENT,
                   "malformed Basic credentials");
        return FEAT_ERROR;
    }

    rc = param(r, &client_in[P_CLIENT_ID], &id);
    if (rc == FEAT_ERROR) {
        return FEAT_ERROR;
    }
    if (rc == FEAT_DECLINED) {
        id = NULL;
    }

    rc = param(r, &client_in[P_CLIENT_SECRET], &secret);
    if (rc == FEAT_ERROR) {
        return FEAT_ERROR;
    }
    if (rc == FEAT_DECLINED) {
        secret = NULL;
    }

    if (brc == FEAT_OK) {
        if (secret != NULL || (id != NULL && strcmp(id, bid) != 0)) {
            oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                       "more than one client authentication");
            return FEAT_ERROR;
        }
        id = bid;
        secret = bsecret;
    }

    if (id == NULL || secret == NULL) {
        oauth_fail(r, FEAT_OAUTH2_INVALID_CLIENT,
                   "client authentication is required");
        return FEAT_ERROR;
    }

    e = feat_oauth2_authenticate(feat_db(), r->arena, r->app->id, id, secret,
                                 r->remote_addr, c, &desc);
    if (e != FEAT_OAUTH2_OK) {
        oauth_fail(r, e, e == FEAT_OAUTH2_INVALID_CLIENT ? desc : NULL);
        return FEAT_ERROR;
    }

    r->client_id = c->id;
    return FEAT_OK;
}


/* ---- handlers ------------------------------------------------------------ */

static int
reply_token(struct feat_req *r, const struct feat_tokens *t,
    const char *scope, int with_refresh)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "access_token", t->access);
    cJSON_AddStringToObject(o, "token_type", "Bearer");
    cJSON_AddNumberToObject(o, "expires_in", (double) t->access_ttl);
    if (with_refresh) {
        cJSON_AddStringToObject(o, "refresh_token", t->refresh);
    }
    cJSON_AddStringToObject(o, "scope", scope);

    no_store(r);
    return feat_reply_body(r, 200, o);
}


static int
token_password(struct feat_req *r, const struct feat_oauth2_client *c,
    const char *scope)
{
    const char              *username, *password, *device_id, *desc;
    struct feat_tokens       t;
    enum feat_oauth2_error   e;

    if (param_required(r, &token_in[P_USERNAME], &username) != FEAT_OK
        || param_required(r, &token_in[P_PASSWORD], &password) != FEAT_OK)
    {
        return FEAT_OK;
    }

    switch (param(r, &token_in[P_DEVICE_ID], &device_id)) {
    case FEAT_OK:
        break;
    case FEAT_DECLINED:
        /* the seed's own example */
        return oauth_fail(r, FEAT_OAUTH2_INVALID_REQUEST,
                          "device_id is required");
    default:
        return FEAT_OK;
    }

    e = feat_oauth2_grant_password(feat_db(), r->arena, r->app->id, c,
                                   username, password, device_id,
                                   r->remote_addr, scope, &t, &desc);
    if (e != FEAT_OAUTH2_OK) {
        if (desc != NULL && strcmp(desc, FEAT_OAUTH2_BUSY_DESC) == 0) {
            feat_reply_header(r, "Retry-After", "1");
        }
        return oauth_fail(r, e, desc);
    }

    return reply_token(r, &t, scope, 1);
}


static int
token_refresh(struct feat_req *r, const struct feat_oauth2_client *c,
    const char *requested)
{
    const char              *refresh, *scope;
    struct feat_tokens       t;
    enum feat_oauth2_error   e;

    if (param_required(r, &token_in[P_REFRESH_TOKEN], &refresh) != FEAT_OK)
    {
        return FEAT_OK;
    }

    e = feat_oauth2_grant_refresh(feat_db(), r->arena, r->app->id, c,
                                  refresh, requested, &t, &scope);
    if (e != FEAT_OAUTH2_OK) {
        return oauth_fail(r, e, e == FEAT_OAUTH2_INVALID_GRANT
                                ? "invalid refresh token"
                                : e == FEAT_OAUTH2_INVALID_SCOPE
                                  ? "scope beyond the original grant" : NULL);
    }

    return reply_token(r, &t, scope, 1);
}


static int
o_token(struct feat_req *r)
{
    int                         rc;
    const char                 *grant, *requested, *scope;
    struct feat_tokens          t;
    enum feat_oauth2_error      e;
    struct feat_oauth2_client   c;

    if (in_body(r) != FEAT_OK) {
        return FEAT_OK;
    }

    if (param_required(r, &token_in[P_GRANT_TYPE], &grant) != FEAT_OK) {
        return FEAT_OK;
    }

    if (!feat_list_has(FEAT_OAUTH2_GRANTS, grant)) {
        return oauth_fail(r, FEAT_OAUTH2_UNSUPPORTED_GRANT_TYPE,
                          "grant_type is not supported");
    }

    if (client_auth(r, &c) != FEAT_OK) {
        return FEAT_OK;
    }

    if (!feat_list_has(c.grants, grant)) {
        return oauth_fail(r, FEAT_OAUTH2_UNAUTHORIZED_CLIENT,
                          "grant_type not allowed for this client");
    }

    rc = param(r, &token_in[P_SCOPE], &requested);
    if (rc == FEAT_ERROR) {
        return FEAT_OK;
    }
    if (rc == FEAT_DECLINED) {
        requested = NULL;
    }

    if (strcmp(grant, "refresh_token") == 0) {
        return token_refresh(r, &c, requested);
    }

    e = feat_oauth2_scope_for(r->arena, &c, requested, &scope);
    if (e != FEAT_OAUTH2_OK) {
        return oauth_fail(r, e, "scope beyond the client's scopes");
    }

    if (strcmp(grant, "password") == 0) {
        return token_password(r, &c, scope);
    }

    e = feat_oauth2_grant_client(feat_db(), r->app->id, &c, scope, &t);
    if (e != FEAT_OAUTH2_OK) {
        return oauth_fail(r, e, NULL);
    }

    /* RFC 6749 §4.4.3: no refresh token for client credentials */
    return reply_token(r, &t, scope, 0);
}


static int
o_revoke(struct feat_req *r)
{
    const char                 *token;
    enum feat_error             e;
    struct feat_oauth2_client   c;

    if (in_body(r) != FEAT_OK || client_auth(r, &c) != FEAT_OK
        || param_required(r, &token_param_in[T_TOKEN], &token) != FEAT_OK)
    {
        return FEAT_OK;
    }

    /* RFC 7009 §2.2: unknown or foreign tokens answer 200 all the same */
    e = feat_oauth2_revoke(feat_db(), r->app->id, &c, token);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "revocation failed");
    }

    no_store(r);
    return feat_reply_empty(r, 200);
}


static int
o_introspect(struct feat_req *r)
{
    cJSON                          *o;
    const char                     *token;
    enum feat_error                 e;
    struct feat_oauth2_client       c;
    struct feat_oauth2_token_info   info;

    if (in_body(r) != FEAT_OK || client_auth(r, &c) != FEAT_OK
        || param_required(r, &token_param_in[T_TOKEN], &token) != FEAT_OK)
    {
        return FEAT_OK;
    }

    e = feat_oauth2_introspect(feat_db(), r->arena, r->app->id, &c, token,
                               &info);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "introspection failed");
    }

    o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "active", info.active);

    if (info.active) {
        cJSON_AddStringToObject(o, "scope", info.scope);
        cJSON_AddStringToObject(o, "client_id", info.client_id);
        if (info.username != NULL) {
            cJSON_AddStringToObject(o, "username", info.username);
        }
        cJSON_AddNumberToObject(o, "exp", (double) info.exp);
        cJSON_AddStringToObject(o, "token_type", info.token_type);
    }

    no_store(r);
    return feat_reply_body(r, 200, o);
}


static const struct feat_schema  token_schema = {
    .summary = "A token (RFC 6749): grants password, refresh_token, "
               "client_credentials",
    .request = token_in, .answer = token_out, .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  revoke_schema = {
    .summary = "Revoke a token (RFC 7009): 200 without a body, known token "
               "or not",
    .request = token_param_in, .shape = FEAT_ANSWER_RAW,
};

static const struct feat_schema  introspect_schema = {
    .summary = "What a token is (RFC 7662)",
    .request = token_param_in, .answer = introspect_out,
    .shape = FEAT_ANSWER_OBJECT,
};


#define O_FLAGS  FEAT_RAW_BODY

static const struct feat_route  oauth2_routes[] = {
    { FEAT_POST, "/o/token/",   FEAT_OAUTH2, o_token, O_FLAGS | FEAT_HASH,
      &token_schema },
    { FEAT_POST, "/o/revoke_token/", FEAT_OAUTH2, o_revoke,     O_FLAGS,
      &revoke_schema },
    { FEAT_POST, "/o/introspect/",   FEAT_OAUTH2, o_introspect, O_FLAGS,
      &introspect_schema },
    FEAT_NULL_ROUTE
};


/* Other paths under /o/ are feat's (API.md "Routing"). */
static const struct feat_prefix  oauth2_prefixes[] = {
    { "/o/", FEAT_FEAT },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_oauth2_module = {
    .name = "oauth2",
    .routes = oauth2_routes,
    .prefixes = oauth2_prefixes,
};
