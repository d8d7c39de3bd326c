/*
 * ctl_app.c: featctl's "app" commands: adding a tenant and listing them.
 *
 * An app is a tenant of the install (sql/0001_core.sql): every row of every
 * later table carries its id, and a request picks it through nginx's
 * FEAT_APP_ID (or X-App-Id when app_header is on).  Ids are short and
 * plain ([a-z0-9_-], 1 to 64 characters) because they travel in nginx
 * configs, headers and log lines; the default app "" exists from the first
 * migration and cannot be added again.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_APP_ID_MAX      64
#define CTL_APP_NAME_MAX    128   /* code points */
#define CTL_SCOPES_COUNT    16
#define CTL_SCOPE_MAX       64    /* bytes, one scope */


static int ctl_app_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_app_id_valid(const char *id);
static const char *ctl_app_scopes(struct feat_ctl *ctl, const char *s);


const struct feat_ctl_command  feat_ctl_app_commands[] = {
    { "app", "add", ctl_app_add,
      "ID [--name NAME] [--open-login on|off] [--scopes \"read write\"]",
      "add an app (tenant); ID is 1-64 of [a-z0-9_-]" },
    { "app", "list", ctl_app_list, "",
      "list the apps with their settings and user counts" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_app_add(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        open_login, rc;
    long                       len;
    char                       msg[256];
    time_t                     now;
    cJSON                     *res;
    sqlite3                   *db;
    const char                *id, *name, *open_opt, *scopes_opt, *scopes;
    const char                *p;
    const struct feat_ctl_opt  opts[] = {
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

    scopes = ctl_app_scopes(ctl, scopes_opt != NULL ? scopes_opt
                                                    : "read write");
    if (scopes == NULL) {
        return FEAT_CTL_FAIL;
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    now = feat_now();

    rc = feat_db_exec(db,
             "INSERT INTO apps (id, name, open_login, default_scopes, "
             "created_at) VALUES (?, ?, ?, ?, ?)",
             "ssdsi", id, name, open_login, scopes, (sqlite3_int64) now);

    if (rc == FEAT_BUSY) {
        return feat_ctl_fail("app \"%s\" exists", id);
    }
    if (rc != FEAT_OK) {
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

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    st = feat_db_query(db,
             "SELECT id, name, open_login, default_scopes, created_at, "
             "(SELECT count(*) FROM users WHERE users.app_id = apps.id) "
             "FROM apps ORDER BY id", "");
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
                              sqlite3_column_int(st, 2) != 0);
        cJSON_AddStringToObject(row, "default_scopes",
                                feat_db_col_text(ctl->arena, st, 3));
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


/*
 * Normalizes a space-separated scope list ("read  write" → "read write"):
 * at most 16 scopes, each 1-64 of [a-z0-9_:.-], no duplicates.  Answers an
 * arena string, or NULL after printing why.
 */
static const char *
ctl_app_scopes(struct feat_ctl *ctl, const char *s)
{
    size_t       n, i, k, len[CTL_SCOPES_COUNT];
    char        *out;
    const char  *scope[CTL_SCOPES_COUNT];

    for (n = 0; ; n++) {
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        if (n == CTL_SCOPES_COUNT) {
            feat_ctl_fail("bad scope list: more than %d scopes",
                          CTL_SCOPES_COUNT);
            return NULL;
        }

        scope[n] = s;
        for (len[n] = 0; s[len[n]] != '\0' && s[len[n]] != ' '
                         && s[len[n]] != '\t'; len[n]++)
        {
            if (!((s[len[n]] >= 'a' && s[len[n]] <= 'z')
                  || (s[len[n]] >= '0' && s[len[n]] <= '9')
                  || strchr("_:.-", s[len[n]]) != NULL))
            {
                feat_ctl_fail("bad scope list: a scope is made of a-z, 0-9, "
                              "'_', ':', '.' and '-'");
                return NULL;
            }
        }
        if (len[n] > CTL_SCOPE_MAX) {
            feat_ctl_fail("bad scope list: a scope is at most %d characters",
                          CTL_SCOPE_MAX);
            return NULL;
        }

        /* a duplicate is a typo worth reporting, not silently merging */
        for (i = 0; i < n; i++) {
            if (len[i] == len[n] && memcmp(scope[i], s, len[n]) == 0) {
                feat_ctl_fail("bad scope list: \"%.*s\" twice",
                              (int) len[n], s);
                return NULL;
            }
        }

        s += len[n];
    }

    if (n == 0) {
        feat_ctl_fail("bad scope list: empty");
        return NULL;
    }

    /* 16 scopes of 64 bytes and their separators fit in this */
    out = feat_arena_alloc(ctl->arena,
                           CTL_SCOPES_COUNT * (CTL_SCOPE_MAX + 1));
    for (i = 0, k = 0; i < n; i++) {
        if (i > 0) {
            out[k++] = ' ';
        }
        memcpy(out + k, scope[i], len[i]);
        k += len[i];
    }
    out[k] = '\0';

    return out;
}
