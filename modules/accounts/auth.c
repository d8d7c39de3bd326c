/*
 * auth.c: the credential check the runtime runs before a handler.
 *
 * The accounts module owns credentials, so its authenticate hook is the
 * one the worker calls for routes flagged FEAT_SESSION or FEAT_JWT.  A
 * session route takes "Authorization: Token <t>" or "Bearer <t>" (the
 * scheme in any case), looks the token's SHA-256 up among the live
 * sessions of the request's app with one indexed read and no write, and
 * fills r->user_id, r->session_id, r->client_id, r->scope and r->token.
 * On feat routes it also checks the scope the method needs.
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
    const char  *p;

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
    if (!((slen == 5 && strncasecmp(h, "Token", 5) == 0)
          || (slen == 6 && strncasecmp(h, "Bearer", 6) == 0)))
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


/* 1 if the space-separated list scope holds name. */
static int
scope_has(const char *scope, const char *name)
{
    size_t       n, len;
    const char  *p;

    len = strlen(name);

    for (p = scope; *p != '\0'; p += n) {
        while (*p == ' ') {
            p++;
        }

        n = strcspn(p, " ");
        if (n == len && strncmp(p, name, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* API.md "Scopes": read for GET, write for changes, and pay_trade_order
 * where the route asks for it.  Checked on feat routes only. */
static enum feat_error
auth_scope(struct feat_req *r, unsigned flags)
{
    const char  *scope;

    if (!(r->dialect & FEAT_FEAT)) {
        return FEAT_E_NONE;
    }

    scope = r->scope != NULL ? r->scope : "";

    if (!scope_has(scope, r->method == FEAT_GET ? "read" : "write")) {
        return FEAT_E_SCOPE;
    }

    if ((flags & FEAT_SCOPE_PAY) && !scope_has(scope, "pay_trade_order")) {
        return FEAT_E_SCOPE;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_accounts_authenticate(struct feat_req *r, unsigned flags)
{
    const char           *tok;
    enum feat_error       e;
    struct feat_session   s;

    if (flags & FEAT_JWT) {
        /*
         * v1 access JWTs arrive with the v1 dialect in a later issue;
         * until then no JWT is valid.
         */
        return FEAT_E_BAD_TOKEN;
    }

    if (!(flags & FEAT_SESSION)) {
        return FEAT_E_NONE;
    }

    e = auth_token(r, feat_req_header(r, "Authorization"), &tok);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_session_lookup(feat_db(), r->arena, r->app->id, tok, &s);
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
