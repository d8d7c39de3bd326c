/*
 * ctl_migcheck.c: "featctl db migrate --check": whether each pending
 * migration is online-safe, that is, whether the featcgi already running
 * on the database keeps working while and after it is applied.
 *
 * A migration is online-safe when every statement only adds: CREATE
 * TABLE, INDEX, TRIGGER or VIEW, ALTER TABLE ... ADD COLUMN, and INSERT
 * (rows of a new table).  Anything else may pull a table or a column from
 * under the running binary or rewrite what it reads: DROP, ALTER TABLE
 * RENAME or DROP COLUMN (a table rebuild is a CREATE, a copy, a DROP and a
 * RENAME), UPDATE, DELETE, REPLACE, PRAGMA (writable_schema edits of
 * sqlite_schema), and INSERT into SQLite's own tables.  The statements are
 * split with sqlite3_complete(), so triggers' bodies, strings and comments
 * do not cut them, and judged by their leading keywords.  Nothing is
 * applied.
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_MIG_WORDS  6
#define CTL_MIG_WORD   32


/* Skips blanks and comments: the first character of the next token. */
static const char *
ctl_mig_skip(const char *p)
{
    for ( ;; ) {
        while (*p != '\0' && isspace((unsigned char) *p)) {
            p++;
        }

        if (p[0] == '-' && p[1] == '-') {
            p = strchr(p, '\n');
            if (p == NULL) {
                return "";
            }
            continue;
        }

        if (p[0] == '/' && p[1] == '*') {
            p = strstr(p + 2, "*/");
            if (p == NULL) {
                return "";
            }
            p += 2;
            continue;
        }

        return p;
    }
}


/* The first n words of a statement, upper-cased, into w. */
static int
ctl_mig_words(const char *p, char w[CTL_MIG_WORDS][CTL_MIG_WORD])
{
    int     n;
    size_t  len;

    for (n = 0; n < CTL_MIG_WORDS; n++) {
        p = ctl_mig_skip(p);
        if (*p == '\0' || *p == ';' || *p == '(') {
            break;
        }

        for (len = 0; *p != '\0' && !isspace((unsigned char) *p)
             && *p != '(' && *p != ';'; p++)
        {
            if (len < CTL_MIG_WORD - 1) {
                w[n][len++] = (char) toupper((unsigned char) *p);
            }
        }
        w[n][len] = '\0';
    }

    return n;
}


/* Whether one statement only adds; *why gets the reason when not. */
static int
ctl_mig_safe(const char *stmt, const char **why)
{
    int   n, i;
    char  w[CTL_MIG_WORDS][CTL_MIG_WORD];

    n = ctl_mig_words(stmt, w);
    if (n == 0) {
        return 1;
    }

    if (strcmp(w[0], "CREATE") == 0) {
        for (i = 1; i < n && (strcmp(w[i], "UNIQUE") == 0
                              || strcmp(w[i], "TEMP") == 0
                              || strcmp(w[i], "TEMPORARY") == 0); i++)
        {
            /* skip */
        }
        if (i < n && (strcmp(w[i], "TABLE") == 0 || strcmp(w[i], "INDEX") == 0
                      || strcmp(w[i], "TRIGGER") == 0
                      || strcmp(w[i], "VIEW") == 0))
        {
            return 1;
        }
        *why = "CREATE of something other than a table, index, trigger"
               " or view";
        return 0;
    }

    if (strcmp(w[0], "ALTER") == 0) {
        if (n >= 4 && strcmp(w[1], "TABLE") == 0 && strcmp(w[3], "ADD") == 0
            && (n < 5 || strcmp(w[4], "CONSTRAINT") != 0))
        {
            return 1;
        }
        *why = "ALTER TABLE other than ADD COLUMN (a rename or a drop)";
        return 0;
    }

    if (strcmp(w[0], "INSERT") == 0) {
        for (i = 1; i < n; i++) {
            if (strncmp(w[i], "SQLITE_", 7) == 0
                || strncmp(w[i], "\"SQLITE_", 8) == 0)
            {
                *why = "INSERT into SQLite's own tables";
                return 0;
            }
        }
        return 1;
    }

    if (strcmp(w[0], "BEGIN") == 0 || strcmp(w[0], "COMMIT") == 0
        || strcmp(w[0], "END") == 0)
    {
        return 1;
    }

    if (strcmp(w[0], "DROP") == 0) {
        *why = "DROP";
    } else if (strcmp(w[0], "UPDATE") == 0) {
        *why = "UPDATE of existing rows";
    } else if (strcmp(w[0], "DELETE") == 0) {
        *why = "DELETE of existing rows";
    } else if (strcmp(w[0], "PRAGMA") == 0) {
        *why = "PRAGMA (schema edits)";
    } else {
        *why = "a statement that does not only add";
    }

    return 0;
}


/*
 * Judges the statements of sql: 1 when all only add, else 0 with *why and
 * *what (the first offending statement's start, in the arena).
 */
static int
ctl_mig_judge(struct feat_ctl *ctl, const char *sql, const char **why,
    const char **what)
{
    char        *buf, *nl;
    const char  *p, *start;
    size_t       len;

    start = sql;

    for (p = sql; *p != '\0'; p++) {
        if (*p != ';') {
            continue;
        }

        len = (size_t) (p - start) + 1;
        buf = feat_arena_alloc(ctl->arena, len + 1);
        memcpy(buf, start, len);
        buf[len] = '\0';

        if (!sqlite3_complete(buf)) {
            continue;   /* inside a string, a comment or a trigger */
        }

        if (!ctl_mig_safe(buf, why)) {
            buf = (char *) ctl_mig_skip(buf);
            if (strlen(buf) > 72) {
                strcpy(buf + 69, "...");
            }
            while ((nl = strpbrk(buf, "\r\n\t")) != NULL) {
                *nl = ' ';
            }
            *what = buf;
            return 0;
        }

        start = p + 1;
    }

    return 1;
}


int
feat_ctl_migrate_check(struct feat_ctl *ctl, sqlite3 *db)
{
    int                           safe, pending, unsafe;
    char                          msg[128];
    cJSON                        *rows, *row, *res;
    sqlite3_int64                 have;
    const char                   *why, *what;
    const struct feat_migration  *m;
    sqlite3_stmt                 *st;

    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema"
                           " WHERE type = 'table' AND name = 'schema_version'",
                           -1, &st, NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW)
    {
        sqlite3_finalize(st);
        return feat_ctl_fail("reading the schema: %s", sqlite3_errmsg(db));
    }
    have = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    if (have > 0
        && sqlite3_prepare_v2(db, "SELECT 1 FROM schema_version"
                              " WHERE version = ?", -1, &st, NULL)
           != SQLITE_OK)
    {
        return feat_ctl_fail("reading schema_version: %s",
                             sqlite3_errmsg(db));
    }

    rows = cJSON_CreateArray();
    pending = 0;
    unsafe = 0;

    for (m = feat_migrations; m->name != NULL; m++) {
        if (st != NULL) {
            sqlite3_reset(st);
            sqlite3_bind_int(st, 1, m->version);
            if (sqlite3_step(st) == SQLITE_ROW) {
                continue;
            }
        }

        pending++;
        why = NULL;
        what = NULL;
        safe = ctl_mig_judge(ctl, m->sql, &why, &what);
        unsafe += !safe;

        row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "version", m->version);
        cJSON_AddStringToObject(row, "name", m->name);
        cJSON_AddBoolToObject(row, "online_safe", safe);
        if (!safe) {
            cJSON_AddStringToObject(row, "reason", why);
            cJSON_AddStringToObject(row, "statement", what);
        }
        cJSON_AddItemToArray(rows, row);

        if (!ctl->json) {
            if (safe) {
                printf("%s: online-safe\n", m->name);
            } else {
                printf("%s: NOT online-safe: %s: %s\n", m->name, why, what);
            }
        }
    }

    sqlite3_finalize(st);

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "pending", pending);
    cJSON_AddNumberToObject(res, "unsafe", unsafe);
    cJSON_AddItemToObject(res, "migrations", rows);

    if (pending == 0) {
        snprintf(msg, sizeof(msg), "no pending migrations");
    } else if (unsafe == 0) {
        snprintf(msg, sizeof(msg), "%d pending migration%s, all online-safe",
                 pending, pending == 1 ? "" : "s");
    } else {
        snprintf(msg, sizeof(msg), "%d pending migration%s, %d NOT"
                 " online-safe: stop featcgi to apply them", pending,
                 pending == 1 ? "" : "s", unsafe);
    }
    feat_ctl_print_result(ctl, res, msg);

    return unsafe == 0 ? FEAT_CTL_OK : FEAT_CTL_FAIL;
}
