/*
 * app.c: which tenant a request belongs to.
 *
 * nginx names the app in the location block (fastcgi_param FEAT_APP_ID);
 * only when the config allows it (app_header = on) may the client pick one
 * with X-App-Id; otherwise the request belongs to the default app "".  The
 * id must be a row of the apps table.  The process's settings cache
 * (settings.c) answers that without a query once the app has been seen,
 * and holds the app's per-app settings, which handlers read with
 * feat_setting_str() and friends.
 */

#include "config.h"

#include <string.h>

#include "runtime.h"

#define FEAT_APP_ID_MAX  64


enum feat_error
feat_app_resolve(struct feat_req *r)
{
    int               rc;
    sqlite3          *db;
    const char       *id, *param;
    struct feat_app  *app;

    id = (r->envp != NULL) ? feat_req_header(r, "X-App-Id") : NULL;
    if (!feat_conf_bool(FEAT_CONF_APP_HEADER)) {
        id = NULL;
    }

    /* the server's word wins over the client's */
    param = feat_req_cgi(r, FEAT_CGI_APP_ID);
    if (param != NULL && param[0] != '\0') {
        id = param;
    }

    if (id == NULL) {
        id = "";
    }

    if (strlen(id) > FEAT_APP_ID_MAX) {
        /* logged and shown cut: the id came from a client */
        app = feat_arena_calloc(r->arena, sizeof(struct feat_app));
        app->id = feat_arena_strndup(r->arena, id, FEAT_APP_ID_MAX);
        r->app = app;
        return FEAT_E_UNKNOWN_APP;
    }

    db = feat_db();
    if (db == NULL) {
        feat_log(LOG_ALERT, 0, "no database connection");
        rc = FEAT_ERROR;

    } else {
        /* no query at all unless a second passed or the app is new here */
        feat_settings_refresh(db);

        rc = feat_settings_app(db, id, &r->app);
        if (rc == FEAT_OK) {
            return FEAT_E_NONE;
        }
    }

    /* r->app is never NULL: the error answer and the log name it */
    app = feat_arena_calloc(r->arena, sizeof(struct feat_app));
    app->id = feat_arena_strdup(r->arena, id);
    r->app = app;

    return rc == FEAT_DECLINED ? FEAT_E_UNKNOWN_APP : FEAT_E_INTERNAL;
}


enum feat_error
feat_app_select(struct feat_req *r, const char *id)
{
    int                     rc;
    sqlite3                *db;
    const struct feat_app  *app;

    if (id == NULL || strlen(id) > FEAT_APP_ID_MAX) {
        return FEAT_E_UNKNOWN_APP;
    }

    db = feat_db();
    if (db == NULL) {
        feat_log(LOG_ALERT, 0, "no database connection");
        return FEAT_E_INTERNAL;
    }

    rc = feat_settings_app(db, id, &app);
    if (rc == FEAT_DECLINED) {
        return FEAT_E_UNKNOWN_APP;
    }
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    r->app = app;

    return FEAT_E_NONE;
}
