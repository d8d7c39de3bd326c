/*
 * app.c: which tenant a request belongs to.
 *
 * nginx names the app in the location block (fastcgi_param FEAT_APP_ID);
 * only when the config allows it (app_header = on) may the client pick one
 * with X-App-Id; otherwise the request belongs to the default app "".  The
 * id must be a row of the apps table, whose settings (open_login,
 * default_scopes) are copied into the arena for the handlers.
 */

#include "config.h"

#include <string.h>

#include <fcgiapp.h>

#include "runtime.h"

#define FEAT_APP_ID_MAX  64


enum feat_error
feat_app_resolve(struct feat_req *r)
{
    struct feat_app  *app;
    sqlite3_stmt     *st;
    const char       *id, *param;
    sqlite3          *db;
    int               rc;

    id = (r->envp != NULL) ? feat_req_header(r, "X-App-Id") : NULL;
    if (!feat_conf_bool(FEAT_CONF_APP_HEADER)) {
        id = NULL;
    }

    /* the server's word wins over the client's */
    param = (r->envp != NULL) ? FCGX_GetParam("FEAT_APP_ID", r->envp) : NULL;
    if (param != NULL && param[0] != '\0') {
        id = param;
    }

    if (id == NULL) {
        id = "";
    }

    app = feat_arena_calloc(r->arena, sizeof(struct feat_app));
    app->default_scopes = "read write";

    if (strlen(id) > FEAT_APP_ID_MAX) {
        /* logged and shown cut: the id came from a client */
        app->id = feat_arena_strndup(r->arena, id, FEAT_APP_ID_MAX);
        r->app = app;
        return FEAT_E_UNKNOWN_APP;
    }

    app->id = feat_arena_strdup(r->arena, id);
    r->app = app;

    db = feat_db();
    if (db == NULL) {
        feat_log(LOG_ALERT, 0, "no database connection");
        return FEAT_E_INTERNAL;
    }

    st = feat_db_query(db,
                       "SELECT open_login, default_scopes FROM apps"
                       " WHERE id = ?",
                       "s", app->id);
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        app->open_login = sqlite3_column_int(st, 0);
        app->default_scopes = feat_db_col_text(r->arena, st, 1);
    }

    feat_db_done(st);

    if (rc == SQLITE_ROW) {
        return FEAT_E_NONE;
    }

    if (rc == SQLITE_DONE) {
        return FEAT_E_UNKNOWN_APP;
    }

    feat_log(LOG_ERR, 0, "apps lookup failed: %s", sqlite3_errmsg(db));
    return FEAT_E_INTERNAL;
}
