/*
 * ctl_user.c: featctl's "user" commands over the users table of
 * sql/0002_accounts.sql: list, show, disable, enable and role.
 *
 * Users are named by their numeric id, which is unique across apps, so no
 * command needs an app to find one.  Disabling is two things done in one
 * transaction: is_active = 0 (the server refuses logins and every token of
 * an inactive user) and revoked_at on every live session, so that enabling
 * the user again later does not bring the old tokens back to life.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_USER_LIMIT     100            /* default rows of "user list" */
#define CTL_ROLE_MAX       9


static int ctl_user_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_show(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_disable(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_enable(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_role(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_user_open(struct feat_ctl *ctl, int argc, char **argv,
    sqlite3_int64 *id, sqlite3 **db);
static int ctl_user_done(struct feat_ctl *ctl, sqlite3_int64 id,
    const char *what, cJSON *res);


const struct feat_ctl_command  feat_ctl_user_commands[] = {
    { "user", "list", ctl_user_list, "[--app ID] [--limit N]",
      "list users by id, of one app or of all (default limit 100)" },
    { "user", "show", ctl_user_show, "ID",
      "show one user's row and how many live sessions it has" },
    { "user", "disable", ctl_user_disable, "ID",
      "refuse the user's logins and revoke every session it holds" },
    { "user", "enable", ctl_user_enable, "ID",
      "let a disabled user log in again (old sessions stay revoked)" },
    { "user", "role", ctl_user_role, "ID N",
      "set the user's role, 0 (user) to 9" },
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
    sqlite3_int64                        n;
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

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* an unknown app is more likely a typo than an app without users */
    if (app != NULL) {
        rc = feat_db_int(db, &n, "SELECT 1 FROM apps WHERE id = ?", "s", app);
        if (rc == FEAT_DECLINED) {
            return feat_ctl_fail("no app \"%s\"", app);
        }
        if (rc != FEAT_OK) {
            return feat_ctl_fail("looking up app \"%s\" failed", app);
        }
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
    int             rc;
    cJSON          *obj;
    sqlite3        *db;
    sqlite3_stmt   *st;
    sqlite3_int64   id, sessions;

    rc = ctl_user_open(ctl, argc, argv, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    rc = feat_db_int(db, &sessions,
             "SELECT count(*) FROM sessions WHERE user_id = ? "
             "AND revoked_at IS NULL AND refresh_expires > ?",
             "ii", id, (sqlite3_int64) feat_now());
    if (rc != FEAT_OK) {
        return feat_ctl_fail("counting sessions failed");
    }

    st = feat_db_query(db,
             "SELECT id, app_id, username, area, phone, email, openid, role, "
             "is_active, nickname, avatar, gender, birthday, address, city, "
             "password <> '', password_changed_at, created_at, updated_at "
             "FROM users WHERE id = ?", "i", id);
    if (st == NULL) {
        return feat_ctl_fail("reading user %lld failed", (long long) id);
    }

    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        feat_db_done(st);
        if (rc == SQLITE_DONE) {
            return feat_ctl_fail("no user %lld", (long long) id);
        }
        return feat_ctl_fail("reading user %lld failed: %s", (long long) id,
                             sqlite3_errmsg(db));
    }

    /* the password hash itself is never printed */
    obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "id", (double) sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(obj, "app_id", feat_db_col_text(ctl->arena, st, 1));
    cJSON_AddStringToObject(obj, "username",
                            feat_db_col_text(ctl->arena, st, 2));
    cJSON_AddStringToObject(obj, "area", feat_db_col_text(ctl->arena, st, 3));
    cJSON_AddStringToObject(obj, "phone", feat_db_col_text(ctl->arena, st, 4));
    cJSON_AddStringToObject(obj, "email", feat_db_col_text(ctl->arena, st, 5));
    cJSON_AddStringToObject(obj, "openid", feat_db_col_text(ctl->arena, st, 6));
    cJSON_AddNumberToObject(obj, "role", sqlite3_column_int(st, 7));
    cJSON_AddBoolToObject(obj, "is_active", sqlite3_column_int(st, 8) != 0);
    cJSON_AddStringToObject(obj, "nickname",
                            feat_db_col_text(ctl->arena, st, 9));
    cJSON_AddStringToObject(obj, "avatar",
                            feat_db_col_text(ctl->arena, st, 10));
    cJSON_AddNumberToObject(obj, "gender", sqlite3_column_int(st, 11));
    cJSON_AddStringToObject(obj, "birthday",
                            feat_db_col_text(ctl->arena, st, 12));
    cJSON_AddStringToObject(obj, "address",
                            feat_db_col_text(ctl->arena, st, 13));
    cJSON_AddStringToObject(obj, "city", feat_db_col_text(ctl->arena, st, 14));
    cJSON_AddBoolToObject(obj, "has_password",
                          sqlite3_column_int(st, 15) != 0);
    cJSON_AddNumberToObject(obj, "live_sessions", (double) sessions);
    cJSON_AddStringToObject(obj, "password_changed_at",
                            feat_ctl_time(ctl, sqlite3_column_int64(st, 16)));
    cJSON_AddStringToObject(obj, "created_at",
                            feat_ctl_time(ctl, sqlite3_column_int64(st, 17)));
    cJSON_AddStringToObject(obj, "updated_at",
                            feat_ctl_time(ctl, sqlite3_column_int64(st, 18)));

    feat_db_done(st);

    feat_ctl_print_object(ctl, obj);

    return FEAT_CTL_OK;
}


static int
ctl_user_disable(struct feat_ctl *ctl, int argc, char **argv)
{
    int             rc, revoked;
    char            msg[128];
    cJSON          *res;
    sqlite3        *db;
    sqlite3_int64   id, now;

    rc = ctl_user_open(ctl, argc, argv, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    now = feat_now();

    /* one transaction: no window where the user is off but a session
     * minted a moment before still works, or the reverse */
    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("the database is busy");
    }

    if (feat_db_exec(db, "UPDATE users SET is_active = 0, updated_at = ? "
                     "WHERE id = ?", "ii", now, id) != FEAT_OK)
    {
        goto failed;
    }

    if (sqlite3_changes(db) == 0) {
        feat_db_rollback(db);
        return feat_ctl_fail("no user %lld", (long long) id);
    }

    if (feat_db_exec(db, "UPDATE sessions SET revoked_at = ? "
                     "WHERE user_id = ? AND revoked_at IS NULL", "ii",
                     now, id) != FEAT_OK)
    {
        goto failed;
    }

    revoked = sqlite3_changes(db);

    if (feat_db_commit(db) != FEAT_OK) {
        goto failed;
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "is_active", 0);
    cJSON_AddNumberToObject(res, "sessions_revoked", revoked);

    snprintf(msg, sizeof(msg), "user %lld disabled, %d session%s revoked",
             (long long) id, revoked, revoked == 1 ? "" : "s");
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;

failed:

    feat_db_rollback(db);
    return feat_ctl_fail("disabling user %lld failed", (long long) id);
}


static int
ctl_user_enable(struct feat_ctl *ctl, int argc, char **argv)
{
    int             rc;
    cJSON          *res;
    sqlite3        *db;
    sqlite3_int64   id;

    rc = ctl_user_open(ctl, argc, argv, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (feat_db_exec(db, "UPDATE users SET is_active = 1, updated_at = ? "
                     "WHERE id = ?", "ii", (sqlite3_int64) feat_now(), id)
        != FEAT_OK)
    {
        return feat_ctl_fail("enabling user %lld failed", (long long) id);
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "is_active", 1);

    return ctl_user_done(ctl, id, "enabled", res);
}


static int
ctl_user_role(struct feat_ctl *ctl, int argc, char **argv)
{
    cJSON          *res;
    sqlite3        *db;
    long long       role;
    const char     *pos[2];
    sqlite3_int64   id;

    if (feat_ctl_args(ctl, argc, argv, NULL, pos, 2) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_id(pos[0], &id) != FEAT_OK) {
        return feat_ctl_fail("bad user id \"%s\"", pos[0]);
    }

    if (feat_ctl_int(pos[1], 0, CTL_ROLE_MAX, &role) != FEAT_OK) {
        return feat_ctl_fail("bad role \"%s\": 0 to %d", pos[1],
                             CTL_ROLE_MAX);
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (feat_db_exec(db, "UPDATE users SET role = ?, updated_at = ? "
                     "WHERE id = ?", "dii", (int) role,
                     (sqlite3_int64) feat_now(), id)
        != FEAT_OK)
    {
        return feat_ctl_fail("setting the role of user %lld failed",
                             (long long) id);
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddNumberToObject(res, "role", (double) role);

    return ctl_user_done(ctl, id,
                         feat_arena_sprintf(ctl->arena, "now has role %lld",
                                            role),
                         res);
}


/*
 * Starts a "user VERB ID" command: the line, the id ("bad user id"
 * otherwise) and the database.  FEAT_CTL_OK, or the exit status to
 * answer after printing why.
 */
static int
ctl_user_open(struct feat_ctl *ctl, int argc, char **argv,
    sqlite3_int64 *id, sqlite3 **db)
{
    const char  *arg;

    if (feat_ctl_args(ctl, argc, argv, NULL, &arg, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_id(arg, id) != FEAT_OK) {
        return feat_ctl_fail("bad user id \"%s\"", arg);
    }

    *db = feat_ctl_db(ctl, 1);
    if (*db == NULL) {
        return FEAT_CTL_FAIL;
    }

    return FEAT_CTL_OK;
}


/*
 * Ends a single-UPDATE command: "no user" when the UPDATE matched no row,
 * else prints res ("user ID <what>" for people).  Takes ownership of res.
 */
static int
ctl_user_done(struct feat_ctl *ctl, sqlite3_int64 id, const char *what,
    cJSON *res)
{
    char  msg[128];

    if (sqlite3_changes(feat_db()) == 0) {
        cJSON_Delete(res);
        return feat_ctl_fail("no user %lld", (long long) id);
    }

    snprintf(msg, sizeof(msg), "user %lld %s", (long long) id, what);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}
