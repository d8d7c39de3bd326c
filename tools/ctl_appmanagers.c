/*
 * ctl_appmanagers.c: the console's managers in an app's move (featctl
 * app export / import; ctl_appmove.c).
 *
 * A manager's password hash is scrypt, which needs no install secret: it
 * moves, as users' do.  Its TOTP secret does not: it is sealed under the
 * install's secret with the manager's id as associated data, and the
 * target has another secret and gives another id, so it could never open
 * there; carrying it opened under the passphrase would put a second
 * factor in a file, and the admin module's sealing key is its own.  So
 * export leaves it out and names those managers in meta
 * "managers_reenrol", and import stores them disabled, to sign in again
 * after "featctl manager totp" and "manager enable".  A manager of every
 * app belongs to the source install, not to the app: it moves as a name
 * only, so that a move gives no one the target's console.  A console
 * login is unique over an install: one the target has is refused before
 * anything is written, or with --skip-existing-logins imported without
 * it.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "ctl_appmove.h"


/*
 * The managers in arc carry no credential that does not hold elsewhere.
 * A TOTP secret is sealed under this install's secret and the manager's
 * id, both of which the target changes, so it is left out (never carried,
 * not even under the passphrase: a moved team re-enrols, and the archive
 * never holds a second factor in a form that opens); the ids of those
 * managers go in meta "managers_reenrol" so that the import keeps them
 * from signing in without it.  A manager of every app (all_apps) is the
 * source install's, not the app's: it comes as a name only (its replies
 * and pushes keep their author), without login, password or all_apps,
 * so no one gains the console of the target by the move.
 */
int
feat_ctl_move_export_managers(sqlite3 *db, cJSON *res)
{
    sqlite3_int64  reenrol, names;

    if (feat_ctl_move_exec(db, "INSERT INTO arc.meta (key, value)"
                           " SELECT 'managers_reenrol', json_group_array(id)"
                           " FROM (SELECT id FROM arc.managers"
                           " WHERE totp_secret != '' AND all_apps = 0"
                           " AND login IS NOT NULL ORDER BY id)", NULL)
        != FEAT_OK
        || feat_ctl_move_int(db, "SELECT json_array_length(value)"
                             " FROM arc.meta"
                             " WHERE key = 'managers_reenrol'", NULL,
                             &reenrol) != FEAT_OK
        || feat_ctl_move_exec(db, "UPDATE arc.managers SET login = NULL,"
                              " password = '', totp_secret = '',"
                              " totp_step = 0, all_apps = 0"
                              " WHERE all_apps != 0", NULL) != FEAT_OK)
    {
        return FEAT_ERROR;
    }
    names = sqlite3_changes(db);

    if (feat_ctl_move_exec(db, "UPDATE arc.managers SET totp_secret = '',"
                           " totp_step = 0 WHERE totp_secret != ''", NULL)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    cJSON_AddNumberToObject(res, "managers_totp_left_out", (double) reenrol);
    cJSON_AddNumberToObject(res, "managers_name_only", (double) names);

    return FEAT_OK;
}


/*
 * What each manager of the archive keeps, in temp.move_managers (made
 * again on every call, so the answer is the target's of the moment):
 * keep, its login, password and disabled switch, when it has a login
 * that this install does not, and it is not a manager of every app (a
 * newer featctl exports those as names only; an older one did not);
 * reenrol, when it had a TOTP secret, which never opens here (sealed
 * under the source's secret and the manager's old id): such a manager
 * comes disabled until "manager totp" and "manager enable".  A taken
 * login is refused, naming it, unless --skip-existing-logins, which
 * imports those managers without a login (their replies and pushes keep
 * their author).  FEAT_OK, or FEAT_ERROR after printing why.
 */
int
feat_ctl_move_managers_plan(struct feat_ctl *ctl, sqlite3 *db, int skip,
    int *made)
{
    int            ret, rc, n;
    char          *list;
    const char    *reenrol;
    sqlite3_int64  cols;
    sqlite3_stmt  *st;

    *made = 0;

    if (feat_ctl_move_int(db, "SELECT count(*) FROM pragma_table_info("
                          "'managers', 'arc') WHERE name IN ('login',"
                          " 'totp_secret', 'all_apps')", NULL, &cols)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }
    if (cols != 3) {
        return FEAT_OK;         /* from before managers had logins */
    }

    /* the list export made, if it is a newer featctl's archive */
    reenrol = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM arc.meta"
                           " WHERE key = 'managers_reenrol'", -1, &st, NULL)
        == SQLITE_OK)
    {
        if (sqlite3_step(st) == SQLITE_ROW
            && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        {
            reenrol = feat_arena_strdup(ctl->arena,
                          (const char *) sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }

    if (feat_ctl_move_exec(db, "DROP TABLE IF EXISTS temp.move_managers",
                           NULL) != FEAT_OK
        || feat_ctl_move_exec(db, "CREATE TEMP TABLE move_managers (id"
                              " INTEGER PRIMARY KEY, keep INTEGER NOT NULL,"
                              " reenrol INTEGER NOT NULL)", NULL) != FEAT_OK
        || feat_ctl_move_exec(db, "INSERT INTO temp.move_managers (id,"
                              " keep, reenrol) SELECT id, login IS NOT NULL"
                              " AND all_apps = 0 AND login NOT IN (SELECT"
                              " login FROM main.managers WHERE login IS NOT"
                              " NULL), totp_secret != '' OR id IN (SELECT"
                              " value FROM json_each(?1))"
                              " FROM arc.managers",
                              reenrol != NULL ? reenrol : "[]") != FEAT_OK)
    {
        return FEAT_ERROR;
    }
    *made = 1;

    if (skip) {
        return FEAT_OK;
    }

    if (sqlite3_prepare_v2(db, "SELECT a.login FROM arc.managers a"
                           " JOIN temp.move_managers k ON k.id = a.id"
                           " WHERE NOT k.keep AND a.login IS NOT NULL"
                           " AND a.all_apps = 0 ORDER BY a.login", -1, &st,
                           NULL) != SQLITE_OK)
    {
        feat_ctl_fail("reading the managers: %s", sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    list = NULL;
    n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        list = feat_arena_sprintf(ctl->arena, "%s%s\"%s\"",
                                  list != NULL ? list : "",
                                  list != NULL ? ", " : "",
                                  (const char *) sqlite3_column_text(st, 0));
        n++;
    }
    sqlite3_finalize(st);

    ret = FEAT_OK;
    if (rc != SQLITE_DONE) {
        feat_ctl_fail("reading the managers: %s", sqlite3_errmsg(db));
        ret = FEAT_ERROR;

    } else if (n > 0) {
        feat_ctl_fail("manager login%s %s exist%s in this install: nothing"
                      " imported; give --skip-existing-logins to import %s"
                      " without %s login", n == 1 ? "" : "s", list,
                      n == 1 ? "s" : "", n == 1 ? "that manager" : "those"
                      " managers", n == 1 ? "its" : "their");
        ret = FEAT_ERROR;
    }

    return ret;
}


/*
 * The value of managers' column c as imported, or NULL when it is the
 * archive's (see feat_ctl_move_managers_plan): K is whether the manager
 * keeps its login, R whether it must re-enrol its TOTP.
 */
const char *
feat_ctl_move_manager_expr(const char *c)
{
#define K "(SELECT keep FROM temp.move_managers k WHERE k.id = managers.id)"
#define R "(SELECT reenrol FROM temp.move_managers k"                        \
          " WHERE k.id = managers.id)"

    if (strcmp(c, "login") == 0) {
        return "CASE WHEN " K " THEN login END";
    }
    if (strcmp(c, "password") == 0) {
        return "CASE WHEN " K " THEN password ELSE '' END";
    }
    if (strcmp(c, "totp_secret") == 0) {
        return "''";
    }
    if (strcmp(c, "totp_step") == 0 || strcmp(c, "all_apps") == 0) {
        return "0";
    }
    if (strcmp(c, "disabled") == 0) {
        return "CASE WHEN " K " AND " R " THEN 1 ELSE disabled END";
    }

    return NULL;

#undef K
#undef R
}


/*
 * Into res, after the commit: "managers_reenrol", the managers that come
 * disabled until they re-enrol their TOTP ({id, login}), and
 * "managers_without_login", those that came as names only ({id, name,
 * login, reason}).  Best effort: the import is done, and a failure here
 * only prints less.
 */
void
feat_ctl_move_managers_report(sqlite3 *db, int made, sqlite3_int64 off,
    cJSON *res)
{
    int            re;
    cJSON         *list[2], *o;
    sqlite3_stmt  *st;

    list[0] = cJSON_AddArrayToObject(res, "managers_reenrol");
    list[1] = cJSON_AddArrayToObject(res, "managers_without_login");

    if (!made) {
        return;
    }

    if (sqlite3_prepare_v2(db, "SELECT a.id, a.name, a.login, a.all_apps,"
                           " k.keep AND k.reenrol FROM arc.managers a"
                           " JOIN temp.move_managers k ON k.id = a.id"
                           " WHERE (k.keep AND k.reenrol)"
                           " OR (NOT k.keep AND a.login IS NOT NULL)"
                           " ORDER BY a.id", -1, &st, NULL) != SQLITE_OK)
    {
        return;
    }

    while (sqlite3_step(st) == SQLITE_ROW) {
        re = sqlite3_column_int(st, 4);
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id",
                                (double) (sqlite3_column_int64(st, 0) + off));
        if (!re) {
            cJSON_AddStringToObject(o, "name",
                                    (const char *) sqlite3_column_text(st, 1));
        }
        cJSON_AddStringToObject(o, "login",
                                (const char *) sqlite3_column_text(st, 2));
        if (!re) {
            cJSON_AddStringToObject(o, "reason", sqlite3_column_int(st, 3)
                                                 ? "all apps" : "login taken");
        }
        cJSON_AddItemToArray(list[re ? 0 : 1], o);
    }

    sqlite3_finalize(st);
}


void
feat_ctl_move_managers_say(cJSON *res)
{
    cJSON  *row;

    /* what the operator must do next, said once (stderr, as warnings) */
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(res, "managers_reenrol")) {
        fprintf(stderr, "featctl: manager %.0f (%s) had TOTP, which does"
                " not move: it is disabled until it re-enrols: featctl"
                " manager totp %.0f, then featctl manager enable %.0f\n",
                cJSON_GetObjectItem(row, "id")->valuedouble,
                cJSON_GetObjectItem(row, "login")->valuestring,
                cJSON_GetObjectItem(row, "id")->valuedouble,
                cJSON_GetObjectItem(row, "id")->valuedouble);
    }
    cJSON_ArrayForEach(row,
                       cJSON_GetObjectItem(res, "managers_without_login"))
    {
        fprintf(stderr, "featctl: manager %.0f came without its login"
                " \"%s\" (%s): a name on its replies and pushes only\n",
                cJSON_GetObjectItem(row, "id")->valuedouble,
                cJSON_GetObjectItem(row, "login")->valuestring,
                strcmp(cJSON_GetObjectItem(row, "reason")->valuestring,
                       "all apps") == 0
                ? "a manager of every app at the source"
                : "the login is taken here");
    }
}
