/*
 * auth.c: the console's credential check, the admin module's authenticate
 * hook, which the runtime calls for the routes flagged FEAT_MANAGER.
 *
 * The credential is the cookie feat_admin (HttpOnly, Secure,
 * SameSite=Strict, Path=/admin/): its token's SHA-256 is looked up among
 * the sessions of managers that may sign in, with the manager in the same
 * read.  A session ends admin.idle_timeout seconds after its last call
 * and admin.session_max seconds after the sign-in, whichever comes first;
 * an ended one is deleted when it is met (the jobs process sweeps the
 * rest).  Every method but GET must send the session's CSRF token back in
 * X-CSRF-Token (compared in constant time): a page of another site can
 * make the browser send the cookie, never read the token.  Then a route
 * under "/admin/api/apps/{app}/" gets that app as r->app when the manager
 * may see it ("~" names the default app, whose id "" cannot be a path
 * segment); otherwise, and for an app that does not exist, it is not
 * found, so a manager learns nothing of other tenants.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "feat.h"
#include "admin/admin.h"

#define SESSION_COLS                                                          \
    "s.id, s.csrf, s.created_at, s.last_seen, m.id, m.app_id, m.name,"       \
    " ifnull(m.login, ''), m.totp_secret != '', m.disabled, m.all_apps,"     \
    " m.created_at"


/* The token of the feat_admin cookie in a Cookie header, or NULL. */
static const char *
admin_cookie(struct feat_req *r)
{
    size_t       n, name;
    const char  *h, *p, *v;

    h = feat_req_header(r, "Cookie");
    if (h == NULL) {
        return NULL;
    }

    name = sizeof(FEAT_ADMIN_COOKIE) - 1;

    for (p = h; *p != '\0'; p += strcspn(p, ";"), p += (*p == ';')) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }

        if (strncmp(p, FEAT_ADMIN_COOKIE, name) != 0 || p[name] != '=') {
            continue;
        }

        v = p + name + 1;
        n = strcspn(v, "; \t");
        if (n != FEAT_ADMIN_TOKEN_LEN
            || strspn(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "abcdefghijklmnopqrstuvwxyz") < n)
        {
            return NULL;
        }

        return feat_arena_strndup(r->arena, v, n);
    }

    return NULL;
}


static void
session_read(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_admin_session  *s = item;

    s->id = sqlite3_column_int64(st, 0);
    s->csrf = feat_db_col_text(a, st, 1);
    s->created_at = (time_t) sqlite3_column_int64(st, 2);
    s->last_seen = (time_t) sqlite3_column_int64(st, 3);
    s->m.id = sqlite3_column_int64(st, 4);
    s->m.app_id = feat_db_col_text(a, st, 5);
    s->m.name = feat_db_col_text(a, st, 6);
    s->m.login = feat_db_col_text(a, st, 7);
    s->m.totp = sqlite3_column_int(st, 8) != 0;
    s->m.disabled = sqlite3_column_int(st, 9) != 0;
    s->m.all_apps = sqlite3_column_int(st, 10) != 0;
    s->m.created_at = (time_t) sqlite3_column_int64(st, 11);
}


const char *
feat_admin_app_segment(const char *app)
{
    return app[0] == '\0' ? FEAT_ADMIN_DEFAULT_APP : app;
}


int
feat_admin_sees(const struct feat_admin_manager *m, const char *app)
{
    return m->all_apps || strcmp(m->app_id, app) == 0;
}


const struct feat_admin_session *
feat_admin_session(struct feat_req *r)
{
    return r->manager_id != 0 ? r->user_row : NULL;
}


/* The session of token, live: FEAT_E_NONE with *s, FEAT_E_BAD_TOKEN
 * (none, ended, or its manager may no longer sign in), FEAT_E_INTERNAL. */
static enum feat_error
admin_session_find(struct feat_req *r, const char *token,
    struct feat_admin_session *s)
{
    sqlite3          *db;
    time_t            now;
    enum feat_error   e;
    char              hash[65];

    db = feat_db();
    feat_sha256_hex(token, hash);

    e = feat_db_row(db, r->arena,
            feat_db_query(db, "SELECT " SESSION_COLS
                          " FROM admin_sessions s JOIN managers m"
                          " ON m.id = s.manager_id"
                          " WHERE s.token_hash = ?1 AND m.disabled = 0"
                          " AND m.login IS NOT NULL", "s", hash),
            session_read, s, "admin session");
    if (e == FEAT_E_NOT_FOUND) {
        return FEAT_E_BAD_TOKEN;
    }
    if (e != FEAT_E_NONE) {
        return e;
    }

    now = feat_now();

    if (now - s->last_seen >= feat_conf_int(FEAT_CONF_ADMIN_IDLE_TIMEOUT)
        || now - s->created_at >= feat_conf_int(FEAT_CONF_ADMIN_SESSION_MAX))
    {
        /* best-effort: the sweep takes it otherwise */
        if (feat_db_exec(db, "DELETE FROM admin_sessions WHERE id = ?1", "i",
                         s->id) != FEAT_OK)
        {
            feat_log(LOG_WARNING, 0, "ended admin session not deleted");
        }
        return FEAT_E_TOKEN_EXPIRED;
    }

    /* the idle clock starts again; at most one write a second */
    if (now > s->last_seen
        && feat_db_exec(db, "UPDATE admin_sessions SET last_seen = ?2"
                        " WHERE id = ?1 AND last_seen < ?2", "ii", s->id,
                        (sqlite3_int64) now) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }
    s->last_seen = now;

    return FEAT_E_NONE;
}


enum feat_error
feat_admin_authenticate(struct feat_req *r, unsigned flags)
{
    size_t                      n;
    const char                 *token, *csrf, *app;
    enum feat_error             e;
    struct feat_admin_session  *s;

    if (!(flags & FEAT_MANAGER)) {
        return FEAT_E_NONE;
    }

    token = admin_cookie(r);
    if (token == NULL) {
        return FEAT_E_NO_TOKEN;
    }

    s = feat_arena_calloc(r->arena, sizeof(struct feat_admin_session));

    e = admin_session_find(r, token, s);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (r->method != FEAT_GET) {
        csrf = feat_req_header(r, "X-CSRF-Token");
        if (csrf == NULL || strlen(csrf) != strlen(s->csrf)
            || !feat_ct_streq(csrf, s->csrf))
        {
            return FEAT_E_CSRF;
        }
    }

    r->manager_id = s->m.id;
    r->user_row = s;

    n = sizeof(FEAT_ADMIN_APP_PREFIX) - 1;

    if (r->route != NULL
        && strncmp(r->route->pattern, FEAT_ADMIN_APP_PREFIX, n) == 0)
    {
        app = feat_req_param(r, "app");
        if (app != NULL && strcmp(app, FEAT_ADMIN_DEFAULT_APP) == 0) {
            app = "";
        }
        if (app == NULL || !feat_admin_sees(&s->m, app)) {
            return FEAT_E_NOT_FOUND;
        }

        e = feat_app_select(r, app);
        return e == FEAT_E_UNKNOWN_APP ? FEAT_E_NOT_FOUND : e;
    }

    /* elsewhere the manager's own app: where its events are recorded */
    e = feat_app_select(r, s->m.app_id);
    return e == FEAT_E_UNKNOWN_APP ? FEAT_E_NONE : e;
}


cJSON *
feat_admin_manager_json(const struct feat_admin_manager *m)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) m->id);
    cJSON_AddStringToObject(o, "login", m->login);
    cJSON_AddStringToObject(o, "name", m->name);
    if (m->all_apps) {
        cJSON_AddNullToObject(o, "app_id");
    } else {
        cJSON_AddStringToObject(o, "app_id", m->app_id);
    }

    return o;
}
