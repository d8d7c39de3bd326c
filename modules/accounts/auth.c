/*
 * auth.c: the credential check the runtime runs before a handler.
 *
 * The accounts module owns credentials, so its authenticate hook is the
 * one the worker calls for routes flagged FEAT_SESSION or FEAT_JWT.  Which
 * forms of the Authorization header a route takes is its dialect's say
 * (struct feat_dialect's auth: v2 and feat "Token <t>" or "Bearer <t>",
 * the scheme in any case; v1 "<jwt>" or "Bearer <jwt>").  A session route
 * looks the token's SHA-256 up among the live sessions of the request's
 * app with one indexed read and no write, and fills r->user_id,
 * r->session_id, r->client_id, r->scope and r->token, and checks the
 * scope the route and method need, in every dialect.
 *
 * A JWT route (FEAT_JWT, v1) takes
 * an HS256 access JWT under the app's own key whose user exists, is
 * active and has not changed the password since the token was issued.
 * The same file signs and checks those JWTs for the v1 handlers.
 */

#include "config.h"

#include <string.h>
#include <strings.h>

#include "feat.h"
#include "accounts/accounts.h"


static int
is_base62(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
           || (c >= 'a' && c <= 'z');
}


/*
 * The token of an Authorization value: FEAT_E_NONE with *tok (in the
 * arena), FEAT_E_NO_TOKEN when the header holds no credential of ours, or
 * FEAT_E_BAD_TOKEN when it holds a malformed one.
 */
static enum feat_error
auth_token(struct feat_req *r, const char *h, const char **tok)
{
    size_t       slen, n, i;
    unsigned     schemes;
    const char  *p;

    schemes = feat_dialect(r->dialect)->auth;

    if (h == NULL) {
        return FEAT_E_NO_TOKEN;
    }

    while (*h == ' ' || *h == '\t') {
        h++;
    }

    for (p = h; *p != '\0' && *p != ' ' && *p != '\t'; p++) {
        /* the scheme */
    }

    slen = p - h;
    if (slen == 0) {
        return FEAT_E_NO_TOKEN;
    }

    /* Another scheme (Basic...) carries no credential we know. */
    if (!((slen == 5 && strncasecmp(h, "Token", 5) == 0
           && (schemes & FEAT_AUTH_TOKEN))
          || (slen == 6 && strncasecmp(h, "Bearer", 6) == 0
              && (schemes & FEAT_AUTH_BEARER))))
    {
        return FEAT_E_NO_TOKEN;
    }

    while (*p == ' ' || *p == '\t') {
        p++;
    }

    n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
        n--;
    }

    if (n == 0) {
        return FEAT_E_NO_TOKEN;
    }

    if (n > FEAT_TOKEN_MAX) {
        return FEAT_E_BAD_TOKEN;
    }

    for (i = 0; i < n; i++) {
        if (!is_base62((unsigned char) p[i])) {
            return FEAT_E_BAD_TOKEN;
        }
    }

    *tok = feat_arena_strndup(r->arena, p, n);
    return FEAT_E_NONE;
}


const char *
feat_list_next(const char **p, size_t *n)
{
    const char  *w;

    for (w = *p; *w == ' '; w++) {
        /* void */
    }

    if (*w == '\0') {
        *p = w;
        return NULL;
    }

    *n = strcspn(w, " ");
    *p = w + *n;

    return w;
}


int
feat_list_has(const char *list, const char *name)
{
    size_t       n, len;
    const char  *p, *w;

    len = strlen(name);
    p = list;

    while ((w = feat_list_next(&p, &n)) != NULL) {
        if (n == len && memcmp(w, name, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * API.md "Scopes", on every route a session token is taken on (v2 and
 * feat alike; issue 12, finding 1): read for GET and HEAD, write for the
 * other methods, except where the route asks for pay_trade_order, which
 * is then the one scope needed (the seed's), or for none (revoking one's
 * own token).  Sessions opened by logins carry the app's
 * accounts.default_scopes, so only OAuth2 tokens granted less are ever
 * refused; the refusal is FEAT_E_SCOPE in the route's dialect.
 */
static enum feat_error
auth_scope(struct feat_req *r, unsigned flags)
{
    const char  *scope;

    if (flags & FEAT_SCOPE_NONE) {
        return FEAT_E_NONE;
    }

    scope = r->scope != NULL ? r->scope : "";

    if (flags & FEAT_SCOPE_PAY) {
        return feat_list_has(scope, "pay_trade_order") ? FEAT_E_NONE
                                                   : FEAT_E_SCOPE;
    }

    if (!feat_list_has(scope, r->method == FEAT_GET
                          || (r->method_name != NULL
                              && strcmp(r->method_name, "HEAD") == 0)
                          ? "read" : "write"))
    {
        return FEAT_E_SCOPE;
    }

    return FEAT_E_NONE;
}


/* ---- v1 JWTs ------------------------------------------------------------- */

/*
 * Signs one JWT of type for user_id expiring at exp.  The payload's keys
 * and their order are the seed's: {"token_type","user_id","token_time"}.
 */
static enum feat_error
jwt_sign(struct feat_arena *a, const unsigned char key[32], const char *type,
    sqlite3_int64 user_id, time_t exp, const char **out)
{
    int     rc;
    cJSON  *p;

    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "token_type", type);
    cJSON_AddNumberToObject(p, "user_id", (double) user_id);
    cJSON_AddNumberToObject(p, "token_time", (double) exp);

    rc = feat_jwt_sign(a, key, 32, p, out);
    cJSON_Delete(p);

    return rc == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


enum feat_error
feat_v1_tokens_issue(struct feat_arena *a, const char *app,
    const struct feat_user *u, struct feat_v1_tokens *t)
{
    time_t           now;
    enum feat_error  e;
    unsigned char    key[32];

    /*
     * A JWT carries no issue time of its own, and password changes are
     * stamped in whole seconds: a token issued in the second of a change
     * could not be told from one issued just before it.  Issuing it one
     * second later keeps "issued after the change" exact.
     */
    now = feat_now();
    if (u->password_changed_at >= now) {
        now = u->password_changed_at + 1;
    }

    feat_jwt_app_key(app, key);

    e = jwt_sign(a, key, FEAT_V1_ACCESS, u->id, now + FEAT_V1_ACCESS_TTL,
                 &t->access);
    if (e == FEAT_E_NONE) {
        e = jwt_sign(a, key, FEAT_V1_REFRESH, u->id,
                     now + FEAT_V1_REFRESH_TTL, &t->refresh);
    }

    feat_cleanse(key, sizeof(key));
    t->issued = now;

    return e;
}


/* A JSON number that is an integer in [min, max]: 1, else 0. */
static int
jwt_int(const cJSON *j, double min, double max, double *out)
{
    double  d;

    if (!cJSON_IsNumber(j)) {
        return 0;
    }

    d = j->valuedouble;
    if (!(d >= min && d <= max) || (double) (long long) d != d) {
        return 0;
    }

    *out = d;
    return 1;
}


enum feat_error
feat_v1_token_check(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *token, const char *type, struct feat_user *u,
    time_t *issued)
{
    int              rc;
    long             ttl;
    double           uid, exp;
    cJSON           *p, *tt;
    time_t           iat;
    enum feat_error  e;
    unsigned char    key[32];

    feat_jwt_app_key(app, key);
    rc = feat_jwt_verify(a, key, sizeof(key), token, &p);
    feat_cleanse(key, sizeof(key));

    if (rc != FEAT_OK) {
        return FEAT_E_BAD_TOKEN;
    }

    /* Signed by us, but still checked as strictly as any input. */
    tt = cJSON_GetObjectItemCaseSensitive(p, "token_type");
    if (!cJSON_IsString(tt) || strcmp(tt->valuestring, type) != 0
        || !jwt_int(cJSON_GetObjectItemCaseSensitive(p, "user_id"), 1,
                    9007199254740991.0, &uid)
        || !jwt_int(cJSON_GetObjectItemCaseSensitive(p, "token_time"), 0,
                    9007199254740991.0, &exp))
    {
        /* a refresh token used as an access token lands here, and back */
        return FEAT_E_BAD_TOKEN;
    }

    if ((time_t) exp < feat_now()) {
        return FEAT_E_TOKEN_EXPIRED;
    }

    e = feat_user_get(db, a, app, (sqlite3_int64) uid, u);
    if (e == FEAT_E_NOT_FOUND) {
        return FEAT_E_BAD_TOKEN;
    }

    if (e != FEAT_E_NONE) {
        return e;
    }

    ttl = strcmp(type, FEAT_V1_REFRESH) == 0 ? FEAT_V1_REFRESH_TTL
                                             : FEAT_V1_ACCESS_TTL;
    iat = (time_t) exp - ttl;

    /* Disabled users and tokens from before a password change: revoked. */
    if (!u->is_active || iat <= u->password_changed_at) {
        return FEAT_E_BAD_TOKEN;
    }

    if (issued != NULL) {
        *issued = iat;
    }

    return FEAT_E_NONE;
}


/*
 * The v1 credential: "Authorization: <jwt>" or "Bearer <jwt>", as the
 * dialect allows.  Session tokens are refused: they hold no dots, so they
 * never verify as a JWT.
 */
static enum feat_error
auth_jwt(struct feat_req *r)
{
    size_t            n;
    unsigned          schemes;
    const char       *h, *tok;
    enum feat_error   e;
    struct feat_user  u;

    schemes = feat_dialect(r->dialect)->auth;

    h = feat_req_header(r, "Authorization");
    if (h == NULL) {
        return FEAT_E_NO_TOKEN;
    }

    while (*h == ' ' || *h == '\t') {
        h++;
    }

    if (strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\t')
        && (schemes & FEAT_AUTH_BEARER))
    {
        h += 7;
        while (*h == ' ' || *h == '\t') {
            h++;
        }

    } else if (!(schemes & FEAT_AUTH_BARE)) {
        return FEAT_E_NO_TOKEN;
    }

    n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t')) {
        n--;
    }

    /* "Bearer" and nothing after it is no credential either */
    if (n == 0 || (n == 6 && strncasecmp(h, "Bearer", 6) == 0)) {
        return FEAT_E_NO_TOKEN;
    }

    if (n > FEAT_JWT_MAX) {
        return FEAT_E_BAD_TOKEN;
    }

    tok = feat_arena_strndup(r->arena, h, n);

    e = feat_v1_token_check(feat_db(), r->arena, r->app->id, tok,
                            FEAT_V1_ACCESS, &u, NULL);
    if (e != FEAT_E_NONE) {
        return e;
    }

    r->user_id = u.id;
    r->session_id = 0;
    r->token = tok;

    return FEAT_E_NONE;
}


void
feat_accounts_retry_after(struct feat_req *r, enum feat_error e)
{
    /* A slot frees within one hash, well under a second at sane costs. */
    if (e == FEAT_E_BUSY) {
        feat_reply_header(r, "Retry-After", "1");
    }
}


enum feat_error
feat_accounts_authenticate(struct feat_req *r, unsigned flags)
{
    const char           *tok;
    enum feat_error       e;
    struct feat_user     *u;
    struct feat_session   s;

    if (flags & FEAT_JWT) {
        return auth_jwt(r);
    }

    if (!(flags & FEAT_SESSION)) {
        return FEAT_E_NONE;
    }

    e = auth_token(r, feat_req_header(r, "Authorization"), &tok);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (flags & FEAT_USER_ROW) {
        /* the handler's user read, done by the session's statement */
        u = feat_arena_alloc(r->arena, sizeof(struct feat_user));
        e = feat_session_lookup_user(feat_db(), r->arena, r->app->id, tok,
                                     &s, u);
        if (e == FEAT_E_NONE && u->id != 0) {
            r->user_row = u;
        }

    } else {
        e = feat_session_lookup(feat_db(), r->arena, r->app->id, tok, &s);
    }
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* A client_credentials token has no user: user routes refuse it. */
    if (s.user_id == 0 && (flags & FEAT_USER)) {
        return FEAT_E_FORBIDDEN;
    }

    r->user_id = s.user_id;
    r->session_id = s.id;
    r->client_id = s.client_id;
    r->scope = s.scope;
    r->token = tok;

    return auth_scope(r, flags);
}
