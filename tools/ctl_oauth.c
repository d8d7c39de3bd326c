/*
 * ctl_oauth.c: featctl's "oauth-client" commands: adding, listing and
 * removing the OAuth2 clients of an app and rotating their secrets.
 *
 * A client's secret exists in plain text only in the output of "add" and
 * "rotate-secret": the database keeps its SHA-256 (modules/oauth2), so a
 * lost secret is replaced, never recovered.  Removing a client revokes
 * every token issued to it.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "oauth2/oauth2.h"

#define CTL_DEFAULT_GRANTS  "password refresh_token"
#define CTL_DEFAULT_SCOPES  "read write"


static int ctl_oauth_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_oauth_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_oauth_rm(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_oauth_rotate(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_oauth_client(struct feat_ctl *ctl, int argc, char **argv,
    const char **app, const char **client_id, sqlite3 **db);


const struct feat_ctl_command  feat_ctl_oauth_commands[] = {
    { "oauth-client", "add", ctl_oauth_add,
      "NAME [--app ID] [--grants \"password refresh_token\"] "
      "[--scopes \"read write\"]",
      "add an OAuth2 client; prints its client_id and secret (shown once)" },
    { "oauth-client", "list", ctl_oauth_list, "[--app ID]",
      "list OAuth2 clients (all apps unless --app)" },
    { "oauth-client", "rm", ctl_oauth_rm, "CLIENT_ID [--app ID]",
      "remove a client and revoke its tokens" },
    { "oauth-client", "rotate-secret", ctl_oauth_rotate,
      "CLIENT_ID [--app ID]",
      "give a client a new secret (printed once; the old one stops working)" },
    FEAT_CTL_NULL_COMMAND
};


/* A name of at most FEAT_OAUTH2_NAME_MAX code points, no control chars. */
static int
ctl_oauth_name_valid(const char *name)
{
    long         len;
    const char  *p;

    len = feat_utf8_len(name, strlen(name));
    if (len < 1 || len > FEAT_OAUTH2_NAME_MAX) {
        return 0;
    }

    for (p = name; *p != '\0'; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static int
ctl_oauth_add(struct feat_ctl *ctl, int argc, char **argv)
{
    char                        client_id[FEAT_OAUTH2_CLIENT_ID_LEN + 1];
    char                        secret[FEAT_OAUTH2_SECRET_LEN + 1];
    char                        msg[512];
    cJSON                      *res;
    sqlite3                    *db;
    const char                 *name, *app, *grants, *scopes;
    enum feat_error             e;
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, &app },
        { "grants", 1, &grants },
        { "scopes", 1, &scopes },
        { NULL, 0, NULL }
    };

    app = "";
    grants = CTL_DEFAULT_GRANTS;
    scopes = CTL_DEFAULT_SCOPES;

    if (feat_ctl_args(ctl, argc, argv, opts, &name, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (!ctl_oauth_name_valid(name)) {
        return feat_ctl_fail("bad client name: 1 to %d characters, no "
                             "control characters", FEAT_OAUTH2_NAME_MAX);
    }

    if (!feat_oauth2_grants_valid(grants)) {
        return feat_ctl_fail("bad --grants \"%s\": a list of %s", grants,
                             FEAT_OAUTH2_GRANTS);
    }

    if (!feat_oauth2_scope_valid(scopes, 0)) {
        return feat_ctl_fail("bad --scopes \"%s\": 1 to %d scopes of "
                             "printable ASCII without '\"' and '\\'",
                             scopes, FEAT_OAUTH2_SCOPE_COUNT);
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    e = feat_oauth2_client_add(db, app, name, grants, scopes, client_id,
                               secret);
    if (e == FEAT_E_UNKNOWN_APP) {
        return feat_ctl_fail("no app \"%s\" (see featctl app list)", app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_fail("adding client \"%s\" failed", name);
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app", app);
    cJSON_AddStringToObject(res, "name", name);
    cJSON_AddStringToObject(res, "client_id", client_id);
    cJSON_AddStringToObject(res, "client_secret", secret);
    cJSON_AddStringToObject(res, "grants",
                            feat_oauth2_list_normalize(ctl->arena, grants));
    cJSON_AddStringToObject(res, "scopes",
                            feat_oauth2_list_normalize(ctl->arena, scopes));

    snprintf(msg, sizeof(msg),
             "client_id: %s\nclient_secret: %s\n"
             "(the secret is shown only now: store it)", client_id, secret);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_oauth_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    cJSON                               *rows, *row;
    sqlite3                             *db;
    sqlite3_stmt                        *st;
    const char                          *app;
    const struct feat_ctl_opt            opts[] = {
        { "app", 1, &app },
        { NULL, 0, NULL }
    };
    static const struct feat_ctl_column  cols[] = {
        { "app", "APP", FEAT_CTL_EMPTY_APP },
        { "client_id", "CLIENT_ID", NULL },
        { "name", "NAME", NULL },
        { "grants", "GRANTS", NULL },
        { "scopes", "SCOPES", NULL },
        { "tokens", "TOKENS", NULL },
        { "created_at", "CREATED", NULL },
    };

    app = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* ?1 NULL lists every app; tokens counts live sessions */
    st = feat_db_query(db,
             "SELECT app_id, client_id, name, grants, scopes, created_at,"
             " (SELECT count(*) FROM sessions s WHERE s.client_id = c.id"
             " AND s.app_id = c.app_id AND s.revoked_at IS NULL"
             " AND s.refresh_expires > ?2)"
             " FROM oauth2_client c WHERE ?1 IS NULL OR app_id = ?1"
             " ORDER BY app_id, created_at, id",
             "si", app, (sqlite3_int64) feat_now());
    if (st == NULL) {
        return feat_ctl_fail("listing clients failed");
    }

    rows = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "app",
                                feat_db_col_text(ctl->arena, st, 0));
        cJSON_AddStringToObject(row, "client_id",
                                feat_db_col_text(ctl->arena, st, 1));
        cJSON_AddStringToObject(row, "name",
                                feat_db_col_text(ctl->arena, st, 2));
        cJSON_AddStringToObject(row, "grants",
                                feat_db_col_text(ctl->arena, st, 3));
        cJSON_AddStringToObject(row, "scopes",
                                feat_db_col_text(ctl->arena, st, 4));
        cJSON_AddNumberToObject(row, "tokens",
                                (double) sqlite3_column_int64(st, 6));
        cJSON_AddStringToObject(row, "created_at",
                                feat_ctl_time(ctl,
                                              sqlite3_column_int64(st, 5)));
        cJSON_AddItemToArray(rows, row);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(rows);
        return feat_ctl_fail("listing clients failed: %s",
                             sqlite3_errmsg(db));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


/*
 * Says why a call on client_id of app failed, doing what ("removing
 * client"); answers the exit status.
 */
static int
ctl_oauth_failed(enum feat_error e, const char *app, const char *client_id,
    const char *doing)
{
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no client \"%s\" in app \"%s\"", client_id,
                             app);
    }

    return feat_ctl_fail("%s \"%s\" failed", doing, client_id);
}


static int
ctl_oauth_rm(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         rc;
    char                        msg[256];
    cJSON                      *res;
    sqlite3                    *db;
    const char                 *client_id, *app;
    enum feat_error             e;

    rc = ctl_oauth_client(ctl, argc, argv, &app, &client_id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_oauth2_client_remove(db, app, client_id);
    if (e != FEAT_E_NONE) {
        return ctl_oauth_failed(e, app, client_id, "removing client");
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app", app);
    cJSON_AddStringToObject(res, "client_id", client_id);
    cJSON_AddBoolToObject(res, "removed", 1);

    snprintf(msg, sizeof(msg), "client %s removed, its tokens revoked",
             client_id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_oauth_rotate(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         rc;
    char                        secret[FEAT_OAUTH2_SECRET_LEN + 1];
    char                        msg[256];
    cJSON                      *res;
    sqlite3                    *db;
    const char                 *client_id, *app;
    enum feat_error             e;

    rc = ctl_oauth_client(ctl, argc, argv, &app, &client_id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_oauth2_client_rotate(db, app, client_id, secret);
    if (e != FEAT_E_NONE) {
        return ctl_oauth_failed(e, app, client_id, "rotating the secret of");
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app", app);
    cJSON_AddStringToObject(res, "client_id", client_id);
    cJSON_AddStringToObject(res, "client_secret", secret);

    snprintf(msg, sizeof(msg),
             "client_secret: %s\n(the secret is shown only now: store it)",
             secret);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/*
 * Starts "oauth VERB CLIENT_ID [--app ID]": the line, then the database.
 * FEAT_CTL_OK with *app ("" by default), *client_id and *db set, or the
 * exit status to answer after printing why.
 */
static int
ctl_oauth_client(struct feat_ctl *ctl, int argc, char **argv,
    const char **app, const char **client_id, sqlite3 **db)
{
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, app },
        { NULL, 0, NULL }
    };

    *app = "";

    if (feat_ctl_args(ctl, argc, argv, opts, client_id, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    *db = feat_ctl_db(ctl, 1);
    if (*db == NULL) {
        return FEAT_CTL_FAIL;
    }

    return FEAT_CTL_OK;
}
