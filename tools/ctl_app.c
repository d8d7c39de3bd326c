/*
 * ctl_app.c: featctl's "app" commands: adding a tenant and listing them.
 *
 * An app is a tenant of the install (sql/0001_core.sql): every row of every
 * later table carries its id, and a request picks it through nginx's
 * FEAT_APP_ID (or X-App-Id when app_header is on).  Ids are short and
 * plain ([a-z0-9_-], 1 to 64 characters) because they travel in nginx
 * configs, headers and log lines; the default app "" exists from the first
 * migration and cannot be added again.
 *
 * "app set|get|unset" keep an app's settings (sql/0043_app_settings.sql):
 * the keys and their checks are the modules' own (fcgi/protocol/settings.c), so
 * featctl knows no key itself.  A set of several keys is all or nothing,
 * secrets are never printed ("(set)"), and a value featcgi would refuse is
 * refused here, before anything is stored.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "accounts/accounts.h"

#define CTL_APP_ID_MAX      64
#define CTL_APP_NAME_MAX    128   /* code points */
#define CTL_VALUE_FILE_MAX  (64 * 1024)


static int ctl_app_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_set(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_get(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_unset(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_id_valid(const char *id);


const struct feat_ctl_command  feat_ctl_app_commands[] = {
    { "app", "add", ctl_app_add,
      "ID [--name NAME] [--open-login on|off] [--scopes \"read write\"]",
      "add an app (tenant); ID is 1-64 of [a-z0-9_-]" },
    { "app", "list", ctl_app_list, "",
      "list the apps with their login settings and user counts" },
    { "app", "set", ctl_app_set, "APP KEY=VALUE ...",
      "set an app's settings, all or none (a PEM value may be @FILE)" },
    { "app", "get", ctl_app_get, "APP [KEY]",
      "show an app's settings: its own values, else the defaults and"
      " where they come from; secrets as (set)" },
    { "app", "unset", ctl_app_unset, "APP KEY ...",
      "remove an app's own values: the defaults apply again" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_app_add(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         open_login, rc;
    long                        len;
    char                        msg[256];
    time_t                      now;
    cJSON                      *res;
    sqlite3                    *db;
    const char                 *id, *name, *open_opt, *scopes_opt, *scopes;
    const char                 *p, *reason;
    const struct feat_setting  *s_open, *s_scopes;
    const struct feat_ctl_opt   opts[] = {
        { "name", 1, &name },
        { "open-login", 1, &open_opt },
        { "scopes", 1, &scopes_opt },
        { NULL, 0, NULL }
    };

    name = NULL;
    open_opt = NULL;
    scopes_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, &id, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (!ctl_app_id_valid(id)) {
        return feat_ctl_fail("bad app id \"%s\": 1 to %d characters of "
                             "a-z, 0-9, '_' and '-'", id, CTL_APP_ID_MAX);
    }

    if (name == NULL) {
        name = id;
    }

    len = feat_utf8_len(name, strlen(name));
    if (len < 0 || len > CTL_APP_NAME_MAX) {
        return feat_ctl_fail("bad app name: valid UTF-8 of at most %d "
                             "characters", CTL_APP_NAME_MAX);
    }
    for (p = name; *p != '\0'; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            return feat_ctl_fail("bad app name: control characters");
        }
    }

    open_login = 0;
    if (open_opt != NULL && feat_ctl_bool(open_opt, &open_login) != FEAT_OK) {
        return feat_ctl_fail("--open-login takes on or off, not \"%s\"",
                             open_opt);
    }

    /* the two options are accounts' settings, checked by its own rule */
    s_open = feat_setting_find(FEAT_ACCOUNTS_OPEN_LOGIN);
    s_scopes = feat_setting_find(FEAT_ACCOUNTS_SCOPES);
    if (s_open == NULL || s_scopes == NULL) {
        return feat_ctl_fail("the accounts settings are not declared");
    }

    scopes = s_scopes->def;
    if (scopes_opt != NULL
        && feat_setting_check(ctl->arena, s_scopes, scopes_opt, &scopes,
                              &reason)
           != FEAT_OK)
    {
        return feat_ctl_fail("bad scope list: %s", reason);
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    now = feat_now();

    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("adding app \"%s\" failed", id);
    }

    rc = feat_db_exec(db,
             "INSERT INTO apps (id, name, created_at) VALUES (?, ?, ?)",
             "ssi", id, name, (sqlite3_int64) now);

    if (rc == FEAT_BUSY) {
        feat_db_rollback(db);
        return feat_ctl_fail("app \"%s\" exists", id);
    }

    if (rc != FEAT_OK
        || (open_opt != NULL
            && feat_setting_store(db, ctl->arena, id, s_open,
                                  open_login ? "on" : "off") != FEAT_OK)
        || (scopes_opt != NULL
            && feat_setting_store(db, ctl->arena, id, s_scopes, scopes)
               != FEAT_OK)
        || feat_db_commit(db) != FEAT_OK)
    {
        feat_db_rollback(db);
        return feat_ctl_fail("adding app \"%s\" failed", id);
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "id", id);
    cJSON_AddStringToObject(res, "name", name);
    cJSON_AddBoolToObject(res, "open_login", open_login);
    cJSON_AddStringToObject(res, "default_scopes", scopes);
    cJSON_AddStringToObject(res, "created_at", feat_ctl_time(ctl, now));

    snprintf(msg, sizeof(msg), "app %s added", id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_app_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    cJSON                               *rows, *row;
    sqlite3                             *db;
    sqlite3_stmt                        *st;
    const struct feat_setting           *s_scopes;
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", FEAT_CTL_EMPTY_APP },
        { "name", "NAME", NULL },
        { "open_login", "OPEN_LOGIN", NULL },
        { "default_scopes", "SCOPES", NULL },
        { "users", "USERS", NULL },
        { "created_at", "CREATED", NULL },
    };

    if (feat_ctl_args(ctl, argc, argv, NULL, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    s_scopes = feat_setting_find(FEAT_ACCOUNTS_SCOPES);
    if (s_scopes == NULL) {
        return feat_ctl_fail("the accounts settings are not declared");
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* the apps' own values of accounts' two switches, if they have any */
    st = feat_db_query(db,
             "SELECT id, name,"
             " (SELECT value FROM app_settings WHERE app_id = apps.id"
             "  AND key = ?1),"
             " (SELECT value FROM app_settings WHERE app_id = apps.id"
             "  AND key = ?2),"
             " created_at,"
             " (SELECT count(*) FROM users WHERE users.app_id = apps.id) "
             "FROM apps ORDER BY id", "ss", FEAT_ACCOUNTS_OPEN_LOGIN,
             FEAT_ACCOUNTS_SCOPES);
    if (st == NULL) {
        return feat_ctl_fail("listing apps failed");
    }

    rows = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "id", feat_db_col_text(ctl->arena, st, 0));
        cJSON_AddStringToObject(row, "name",
                                feat_db_col_text(ctl->arena, st, 1));
        cJSON_AddBoolToObject(row, "open_login",
                              strcmp(feat_db_col_text(ctl->arena, st, 2),
                                     "on") == 0);
        cJSON_AddStringToObject(row, "default_scopes",
            sqlite3_column_type(st, 3) == SQLITE_NULL
            ? s_scopes->def
            : feat_db_col_text(ctl->arena, st, 3));
        cJSON_AddNumberToObject(row, "users",
                                (double) sqlite3_column_int64(st, 5));
        cJSON_AddStringToObject(row, "created_at",
            feat_ctl_time(ctl, sqlite3_column_int64(st, 4)));
        cJSON_AddItemToArray(rows, row);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(rows);
        return feat_ctl_fail("listing apps failed: %s", sqlite3_errmsg(db));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


/*
 * The positional words of a command that takes a variable number of them
 * (--json and "--" are the only options): feat_ctl_args with n counted.
 * Answers the count, or -1 after printing the usage.
 */
static int
ctl_app_words(struct feat_ctl *ctl, int argc, char **argv,
    const char **pos, int min)
{
    int  i, n;

    n = 0;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0 && strcmp(argv[i], "--") != 0) {
            n++;
        }
    }

    if (n > FEAT_CTL_MAX_ARGS) {
        n = FEAT_CTL_MAX_ARGS + 1;   /* feat_ctl_args says "too many" */
    }

    if (feat_ctl_args(ctl, argc, argv, NULL, pos, n < min ? min : n)
        != FEAT_OK)
    {
        return -1;
    }

    return n;
}


/* A value given as "@FILE" (PEM settings only): the file's text, in the
 * arena, or NULL after printing why. */
static const char *
ctl_app_value_file(struct feat_ctl *ctl, const char *key, const char *path)
{
    FILE    *f;
    char    *buf;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        feat_ctl_fail("%s: cannot read \"%s\": %s", key, path,
                      strerror(errno));
        return NULL;
    }

    buf = feat_arena_alloc(ctl->arena, CTL_VALUE_FILE_MAX + 1);
    n = fread(buf, 1, CTL_VALUE_FILE_MAX + 1, f);

    if (ferror(f) || n > CTL_VALUE_FILE_MAX || memchr(buf, 0, n) != NULL) {
        fclose(f);
        feat_ctl_fail("%s: \"%s\" is unreadable, binary or larger than"
                      " %d bytes", key, path, CTL_VALUE_FILE_MAX);
        return NULL;
    }

    fclose(f);
    buf[n] = '\0';

    return buf;
}


static int
ctl_app_set(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         n, i, j;
    char                        msg[512];
    cJSON                      *res, *keys;
    sqlite3                    *db;
    const char                 *pos[FEAT_CTL_MAX_ARGS], *app, *eq, *key;
    const char                 *value, *reason, *list;
    const char                 *norm[FEAT_CTL_MAX_ARGS];
    const struct feat_setting  *set[FEAT_CTL_MAX_ARGS];

    n = ctl_app_words(ctl, argc, argv, pos, 2);
    if (n < 0) {
        return FEAT_CTL_USAGE;
    }

    app = pos[0];

    /* every pair is checked before anything is stored */
    for (i = 1; i < n; i++) {
        eq = strchr(pos[i], '=');
        if (eq == NULL || eq == pos[i]) {
            return feat_ctl_fail("expected KEY=VALUE, not \"%s\"", pos[i]);
        }

        key = feat_arena_strndup(ctl->arena, pos[i], (size_t) (eq - pos[i]));
        set[i] = feat_setting_find(key);
        if (set[i] == NULL) {
            return feat_ctl_fail("unknown setting \"%s\" (featctl app get"
                                 " APP lists them)", key);
        }

        for (j = 1; j < i; j++) {
            if (set[j] == set[i]) {
                return feat_ctl_fail("%s given twice", key);
            }
        }

        value = eq + 1;
        if (set[i]->type == FEAT_SETTING_PEM && value[0] == '@') {
            value = ctl_app_value_file(ctl, key, value + 1);
            if (value == NULL) {
                return FEAT_CTL_FAIL;
            }
        }

        if (feat_setting_check(ctl->arena, set[i], value, &norm[i], &reason)
            != FEAT_OK)
        {
            return feat_ctl_fail("bad value for %s: %s", key, reason);
        }
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("setting failed");
    }

    for (i = 1; i < n; i++) {
        if (feat_setting_store(db, ctl->arena, app, set[i], norm[i])
            != FEAT_OK)
        {
            feat_db_rollback(db);
            return feat_ctl_fail("storing %s failed: nothing was set",
                                 set[i]->key);
        }
    }

    if (feat_db_commit(db) != FEAT_OK) {
        feat_db_rollback(db);
        return feat_ctl_fail("setting failed: nothing was set");
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app_id", app);
    keys = cJSON_AddArrayToObject(res, "set");
    list = "";
    for (i = 1; i < n; i++) {
        cJSON_AddItemToArray(keys, cJSON_CreateString(set[i]->key));
        list = feat_arena_sprintf(ctl->arena, "%s%s%s", list,
                                  i > 1 ? ", " : "", set[i]->key);
    }

    snprintf(msg, sizeof(msg), "app %s: set %s",
             app[0] != '\0' ? app : FEAT_CTL_EMPTY_APP, list);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static const char *
ctl_app_type(unsigned type)
{
    static const char *const  names[] = {
        "?", "string", "int", "bool", "url", "pem", "enum"
    };

    return type < FEAT_NELEMS(names) ? names[type] : "?";
}


/*
 * One row of "app get": the app's own value (own, NULL when it has none),
 * else the default and where it comes from.  Secrets show as "(set)";
 * without --json a PEM shows as its size, to keep the table one line each.
 */
static cJSON *
ctl_app_row(struct feat_ctl *ctl, const struct feat_setting *s,
    const char *own, sqlite3_int64 updated)
{
    int          secret;
    size_t       len;
    cJSON       *row;
    const char  *v, *origin;

    secret = (s->flags & FEAT_SETTING_SECRET) != 0;

    v = own;
    origin = "app";
    len = own != NULL ? strlen(own) : 0;

    if (own == NULL) {
        if (feat_setting_default(s, &v, &len, &origin) != FEAT_OK) {
            v = NULL;
            origin = "none";

        } else if (strcmp(origin, "default") != 0) {
            origin = feat_arena_sprintf(ctl->arena, "config %s", origin);
        }
    }

    if (v != NULL && secret) {
        v = "(set)";

    } else if (v != NULL && s->type == FEAT_SETTING_PEM && !ctl->json) {
        v = feat_arena_sprintf(ctl->arena, "(PEM, %zu bytes)", len);
    }

    row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "key", s->key);
    if (v != NULL) {
        cJSON_AddStringToObject(row, "value", v);
    } else {
        cJSON_AddNullToObject(row, "value");
    }
    cJSON_AddStringToObject(row, "origin", origin);
    cJSON_AddStringToObject(row, "type", ctl_app_type(s->type));
    cJSON_AddBoolToObject(row, "secret", secret);
    cJSON_AddStringToObject(row, "updated_at", feat_ctl_time(ctl, updated));
    cJSON_AddStringToObject(row, "doc", s->doc != NULL ? s->doc : "");

    return row;
}


static int
ctl_app_get(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  n, rc;
    long                                 k;
    size_t                               i, count;
    cJSON                               *rows;
    sqlite3                             *db;
    const char                          *pos[FEAT_CTL_MAX_ARGS], *key;
    const char                         **own;
    sqlite3_stmt                        *st;
    sqlite3_int64                       *updated;
    const struct feat_setting           *s, *only;
    static const struct feat_ctl_column  cols[] = {
        { "key", "KEY", NULL },
        { "value", "VALUE", NULL },
        { "origin", "ORIGIN", NULL },
    };

    n = ctl_app_words(ctl, argc, argv, pos, 1);
    if (n < 0) {
        return FEAT_CTL_USAGE;
    }
    if (n > 2) {
        return feat_ctl_fail("app get takes APP and at most one KEY");
    }

    only = NULL;
    if (n == 2) {
        only = feat_setting_find(pos[1]);
        if (only == NULL) {
            return feat_ctl_fail("unknown setting \"%s\"", pos[1]);
        }
    }

    db = feat_ctl_app_db(ctl, pos[0]);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    count = feat_settings_count();
    own = feat_arena_calloc(ctl->arena, (count + 1) * sizeof(*own));
    updated = feat_arena_calloc(ctl->arena, (count + 1) * sizeof(*updated));

    st = feat_db_query(db,
                       "SELECT key, value, sealed IS NOT NULL, updated_at"
                       " FROM app_settings WHERE app_id = ?", "s", pos[0]);
    if (st == NULL) {
        return feat_ctl_fail("reading the settings failed");
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        key = (const char *) sqlite3_column_text(st, 0);
        for (k = -1, i = 0; key != NULL && i < count; i++) {
            if (strcmp(feat_setting_at(i)->key, key) == 0) {
                k = (long) i;
                break;
            }
        }
        if (k < 0) {
            continue;   /* a key no module declares any more */
        }
        /* a secret is never read here: "(set)" is all there is to say */
        own[k] = sqlite3_column_int(st, 2) ? "(set)"
                 : feat_db_col_text(ctl->arena, st, 1);
        updated[k] = sqlite3_column_int64(st, 3);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        return feat_ctl_fail("reading the settings failed: %s",
                             sqlite3_errmsg(db));
    }

    rows = cJSON_CreateArray();

    for (i = 0; i < count; i++) {
        s = feat_setting_at(i);
        if (only == NULL || s == only) {
            cJSON_AddItemToArray(rows, ctl_app_row(ctl, s, own[i],
                                                   updated[i]));
        }
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


static int
ctl_app_unset(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         n, i, rc;
    char                        msg[512];
    cJSON                      *res, *keys;
    sqlite3                    *db;
    const char                 *pos[FEAT_CTL_MAX_ARGS], *app, *list;
    const struct feat_setting  *set[FEAT_CTL_MAX_ARGS];

    n = ctl_app_words(ctl, argc, argv, pos, 2);
    if (n < 0) {
        return FEAT_CTL_USAGE;
    }

    app = pos[0];

    for (i = 1; i < n; i++) {
        set[i] = feat_setting_find(pos[i]);
        if (set[i] == NULL) {
            return feat_ctl_fail("unknown setting \"%s\"", pos[i]);
        }
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("unsetting failed");
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app_id", app);
    keys = cJSON_AddArrayToObject(res, "unset");
    list = "";

    for (i = 1; i < n; i++) {
        rc = feat_setting_remove(db, app, set[i]);
        if (rc == FEAT_ERROR) {
            feat_db_rollback(db);
            cJSON_Delete(res);
            return feat_ctl_fail("unsetting %s failed: nothing was unset",
                                 set[i]->key);
        }
        /* unsetting what is not set is no error: the outcome is the same */
        if (rc == FEAT_OK) {
            cJSON_AddItemToArray(keys, cJSON_CreateString(set[i]->key));
            list = feat_arena_sprintf(ctl->arena, "%s%s%s", list,
                                      list[0] != '\0' ? ", " : "",
                                      set[i]->key);
        }
    }

    if (feat_db_commit(db) != FEAT_OK) {
        feat_db_rollback(db);
        cJSON_Delete(res);
        return feat_ctl_fail("unsetting failed: nothing was unset");
    }

    snprintf(msg, sizeof(msg), "app %s: unset %s",
             app[0] != '\0' ? app : FEAT_CTL_EMPTY_APP,
             list[0] != '\0' ? list : "nothing (no value of its own)");
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_app_id_valid(const char *id)
{
    size_t  n;

    for (n = 0; id[n] != '\0'; n++) {
        if (n == CTL_APP_ID_MAX) {
            return 0;
        }
        if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9')
              || id[n] == '_' || id[n] == '-'))
        {
            return 0;
        }
    }

    return n > 0;
}
