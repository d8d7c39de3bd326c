/*
 * ctl_user.c: featctl's "user" commands over the users table of
 * sql/0002_accounts.sql: list, show, disable, enable, role, and the
 * user's rights: delete and export (modules/accounts/erase.c).
 *
 * A user is named by its numeric id within an app (--app, "" by default),
 * as every other featctl command names its rows: the work is done by the
 * accounts module's functions, the same the handlers call, and each of
 * them filters by the app, so a command can never reach into another
 * tenant.  Disabling is two things done in one transaction
 * (feat_user_set_active): is_active = 0 (the server refuses logins and
 * every token of an inactive user) and revoked_at on every live session,
 * so that enabling the user again later does not bring the old tokens
 * back to life.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "accounts/accounts.h"

#define CTL_USER_LIMIT     100            /* default rows of "user list" */


static int ctl_user_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_show(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_disable(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_enable(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_role(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_delete(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_export(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_failed(enum feat_error e, sqlite3_int64 id,
    const char *app, const char *what);


const struct feat_ctl_command  feat_ctl_user_commands[] = {
    { "user", "list", ctl_user_list, "[--app ID] [--limit N]",
      "list users by id, of one app or of all (default limit 100)" },
    { "user", "show", ctl_user_show, "ID [--app ID]",
      "show one user's row and how many live sessions it has" },
    { "user", "disable", ctl_user_disable, "ID [--app ID]",
      "refuse the user's logins and revoke every session it holds" },
    { "user", "enable", ctl_user_enable, "ID [--app ID]",
      "let a disabled user log in again (old sessions stay revoked)" },
    { "user", "role", ctl_user_role, "ID N [--app ID]",
      "set the user's role, 0 (user) to 9" },
    { "user", "delete", ctl_user_delete, "ID [--app ID]",
      "delete the account: erase its data, keep its feedback anonymous" },
    { "user", "export", ctl_user_export, "ID [--app ID]",
      "print all that is stored about the user as one JSON document" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_user_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    long long                            limit;
    cJSON                               *rows, *row;
    sqlite3                             *db;
    const char                          *app, *limit_opt;
    sqlite3_stmt                        *st;
    const struct feat_ctl_opt            opts[] = {
        { "app", 1, &app },
        { "limit", 1, &limit_opt },
        { NULL, 0, NULL }
    };
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "app_id", "APP", FEAT_CTL_EMPTY_APP },
        { "username", "USERNAME", NULL },
        { "role", "ROLE", NULL },
        { "is_active", "ACTIVE", NULL },
        { "nickname", "NICKNAME", NULL },
        { "created_at", "CREATED", NULL },
    };

    app = NULL;
    limit_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    limit = CTL_USER_LIMIT;
    if (limit_opt != NULL
        && feat_ctl_int(limit_opt, 1, FEAT_CTL_MAX_LIMIT, &limit) != FEAT_OK)
    {
        return feat_ctl_fail("bad --limit \"%s\": 1 to %d", limit_opt,
                             FEAT_CTL_MAX_LIMIT);
    }

    /* an unknown app is more likely a typo than an app without users */
    db = (app != NULL) ? feat_ctl_app_db(ctl, app) : feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    st = feat_db_query(db,
             "SELECT id, app_id, username, role, is_active, nickname, "
             "created_at FROM users WHERE ?1 IS NULL OR app_id = ?1 "
             "ORDER BY id LIMIT ?2", "si", app, (sqlite3_int64) limit);
    if (st == NULL) {
        return feat_ctl_fail("listing users failed");
    }

    rows = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "id",
                                (double) sqlite3_column_int64(st, 0));
        cJSON_AddStringToObject(row, "app_id",
                                feat_db_col_text(ctl->arena, st, 1));
        cJSON_AddStringToObject(row, "username",
                                feat_db_col_text(ctl->arena, st, 2));
        cJSON_AddNumberToObject(row, "role", sqlite3_column_int(st, 3));
        cJSON_AddBoolToObject(row, "is_active",
                              sqlite3_column_int(st, 4) != 0);
        cJSON_AddStringToObject(row, "nickname",
                                feat_db_col_text(ctl->arena, st, 5));
        cJSON_AddStringToObject(row, "created_at",
            feat_ctl_time(ctl, sqlite3_column_int64(st, 6)));
        cJSON_AddItemToArray(rows, row);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(rows);
        return feat_ctl_fail("listing users failed: %s", sqlite3_errmsg(db));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


static int
ctl_user_show(struct feat_ctl *ctl, int argc, char **argv)
{
    int                rc;
    cJSON             *obj;
    sqlite3           *db;
    long long          sessions;
    const char        *app;
    sqlite3_int64      id, deleted;
    enum feat_error    e;
    struct feat_user   u;

    rc = feat_ctl_app_item(ctl, argc, argv, "user", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_user_get(db, ctl->arena, app, id, &u);
    if (e == FEAT_E_NONE) {
        e = feat_session_count_live(db, app, id, &sessions);
    }
    if (e == FEAT_E_NONE
        && feat_db_int(db, &deleted,
               "SELECT COALESCE(deleted_at, 0) FROM users"
               " WHERE id = ?1 AND app_id = ?2", "is", id, app) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }
    if (e != FEAT_E_NONE) {
        return ctl_user_failed(e, id, app, "reading");
    }

    /* the password hash itself is never printed */
    obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "id", (double) u.id);
    cJSON_AddStringToObject(obj, "app_id", u.app_id);
    cJSON_AddStringToObject(obj, "username", u.username);
    cJSON_AddStringToObject(obj, "area", u.area);
    cJSON_AddStringToObject(obj, "phone", u.phone);
    cJSON_AddStringToObject(obj, "email", u.email);
    cJSON_AddStringToObject(obj, "openid", u.openid);
    cJSON_AddNumberToObject(obj, "role", u.role);
    cJSON_AddBoolToObject(obj, "is_active", u.is_active != 0);
    cJSON_AddStringToObject(obj, "nickname", u.nickname);
    cJSON_AddStringToObject(obj, "avatar", u.avatar);
    cJSON_AddNumberToObject(obj, "gender", u.gender);
    cJSON_AddStringToObject(obj, "birthday", u.birthday);
    cJSON_AddStringToObject(obj, "address", u.address);
    cJSON_AddStringToObject(obj, "city", u.city);
    cJSON_AddBoolToObject(obj, "has_password", u.password[0] != '\0');
    cJSON_AddNumberToObject(obj, "live_sessions", (double) sessions);
    cJSON_AddStringToObject(obj, "password_changed_at",
                            feat_ctl_time(ctl, u.password_changed_at));
    cJSON_AddStringToObject(obj, "created_at",
                            feat_ctl_time(ctl, u.created_at));
    cJSON_AddStringToObject(obj, "updated_at",
                            feat_ctl_time(ctl, u.updated_at));
    /* a deleted account's tombstone: "" while the user exists */
    cJSON_AddStringToObject(obj, "deleted_at", feat_ctl_time(ctl, deleted));

    feat_ctl_print_object(ctl, obj);

    return FEAT_CTL_OK;
}


/*
 * The start of a command that changes user ID, "user VERB ID [--app ID]":
 * feat_ctl_app_item's, and the audit record names the user.
 */
static int
ctl_user_target(struct feat_ctl *ctl, int argc, char **argv,
    const char **app, sqlite3_int64 *id, sqlite3 **db)
{
    int  rc;

    rc = feat_ctl_app_item(ctl, argc, argv, "user", app, id, db);
    if (rc == FEAT_CTL_OK) {
        ctl->audit_user = *id;
    }

    return rc;
}


/* Prints what a change of user id answers: res (taken) with --json, else
 * the line "user <id> <done>".  Answers FEAT_CTL_OK. */
static int
ctl_user_done(struct feat_ctl *ctl, cJSON *res, sqlite3_int64 id,
    const char *done)
{
    char  msg[128];

    snprintf(msg, sizeof(msg), "user %lld %s", (long long) id, done);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/*
 * "user disable" and "user enable": the one domain call that sets
 * is_active, which on disable also revokes the user's sessions (their
 * number is part of the answer).
 */
static int
ctl_user_set_active(struct feat_ctl *ctl, int argc, char **argv, int active)
{
    int               rc, revoked;
    cJSON            *res;
    sqlite3          *db;
    const char       *app;
    sqlite3_int64     id;
    enum feat_error   e;

    rc = ctl_user_target(ctl, argc, argv, &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    revoked = 0;
    e = feat_user_set_active(db, app, id, active, active ? NULL : &revoked);
    if (e != FEAT_E_NONE) {
        return ctl_user_failed(e, id, app, active ? "enabling" : "disabling");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "is_active", active);

    if (active) {
        return ctl_user_done(ctl, res, id, "enabled");
    }

    cJSON_AddNumberToObject(res, "sessions_revoked", revoked);

    return ctl_user_done(ctl, res, id,
                         feat_arena_sprintf(ctl->arena, "disabled, %d"
                                            " session%s revoked", revoked,
                                            revoked == 1 ? "" : "s"));
}


static int
ctl_user_disable(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_user_set_active(ctl, argc, argv, 0);
}


static int
ctl_user_enable(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_user_set_active(ctl, argc, argv, 1);
}


static int
ctl_user_role(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         rc;
    cJSON                      *res;
    sqlite3                    *db;
    long long                   role;
    const char                 *pos[2], *app;
    sqlite3_int64               id;
    enum feat_error             e;
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, &app },
        { NULL, 0, NULL }
    };

    app = "";

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "user", pos, 2, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    /* the range is the domain's (FEAT_ROLE_MAX); this only reads a number */
    if (feat_ctl_int(pos[1], 0, FEAT_ROLE_MAX, &role) != FEAT_OK) {
        return feat_ctl_fail("bad role \"%s\": 0 to %d", pos[1],
                             FEAT_ROLE_MAX);
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    ctl->audit_user = id;
    e = feat_user_set_role(db, app, id, (int) role);
    if (e != FEAT_E_NONE) {
        return ctl_user_failed(e, id, app, "setting the role of");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddNumberToObject(res, "role", (double) role);

    return ctl_user_done(ctl, res, id,
                         feat_arena_sprintf(ctl->arena, "now has role %lld",
                                            role));
}


/*
 * "user delete": the accounts domain's one deletion (feat_user_delete),
 * the same the users' own requests run, without a proof: the operator
 * acts on the user's behalf (a request by mail, a court order).
 */
static int
ctl_user_delete(struct feat_ctl *ctl, int argc, char **argv)
{
    int               rc;
    cJSON            *res;
    sqlite3          *db;
    const char       *app;
    sqlite3_int64     id;
    enum feat_error   e;

    rc = ctl_user_target(ctl, argc, argv, &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_user_delete(db, ctl->arena, app, id, NULL, NULL, NULL);
    if (e != FEAT_E_NONE) {
        return ctl_user_failed(e, id, app, "deleting");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "deleted", 1);

    return ctl_user_done(ctl, res, id, "deleted");
}


/* "user export": one JSON document on stdout, --json or not (PIPL's right
 * of access: the user gets it as it is). */
static int
ctl_user_export(struct feat_ctl *ctl, int argc, char **argv)
{
    int               rc;
    char             *s;
    cJSON            *doc;
    sqlite3          *db;
    const char       *app;
    sqlite3_int64     id;
    enum feat_error   e;

    rc = feat_ctl_app_item(ctl, argc, argv, "user", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_user_export(db, ctl->arena, app, id, &doc);
    if (e != FEAT_E_NONE) {
        return ctl_user_failed(e, id, app, "exporting");
    }

    s = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (s == NULL) {
        return feat_ctl_fail("exporting user %lld: out of memory",
                             (long long) id);
    }

    puts(s);
    cJSON_free(s);

    return FEAT_CTL_OK;
}


/* Says why an accounts call failed; answers the exit status. */
static int
ctl_user_failed(enum feat_error e, sqlite3_int64 id, const char *app,
    const char *what)
{
    if (e == FEAT_E_NOT_FOUND) {
        return app[0] == '\0'
               ? feat_ctl_fail("no user %lld", (long long) id)
               : feat_ctl_fail("no user %lld in app \"%s\"", (long long) id,
                               app);
    }

    return feat_ctl_fail("%s user %lld failed", what, (long long) id);
}
