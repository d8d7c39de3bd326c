/*
 * ctl_audit.c: "featctl audit", the audit log of sql/0120_audit.sql read
 * back: the security events the server and featctl recorded
 * (fcgi/store/audit.c), newest first, filtered by user, time, action or
 * app.  It only reads; the jobs process prunes the log after
 * audit.retention_days.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_AUDIT_LIMIT  100
#define CTL_AUDIT_MAX    100000


static int ctl_audit(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_audit_commands[] = {
    { "audit", "", ctl_audit,
      "[--user ID] [--since T] [--action A] [--app ID] [--limit N]",
      "show the audit log, newest first; T is unix seconds, YYYY-MM-DD"
      " [HH:MM[:SS]] (local time) or Nd, Nh, Nm ago" },
    FEAT_CTL_NULL_COMMAND
};


/*
 * A --since value: unix seconds, a local date and time, or a span ago
 * ("7d", "12h", "30m").  FEAT_OK with *t, or FEAT_ERROR.
 */
static int
ctl_audit_since(const char *s, time_t *t)
{
    int         n, used;
    char        unit;
    long long   v;
    struct tm   tm;

    if (feat_ctl_int(s, 0, 32503680000LL, &v) == FEAT_OK) {
        *t = (time_t) v;
        return FEAT_OK;
    }

    used = 0;
    if (sscanf(s, "%lld%c%n", &v, &unit, &used) == 2 && s[used] == '\0'
        && v >= 0 && v <= 36500LL * 24)
    {
        switch (unit) {
        case 'd':
            *t = feat_now() - (time_t) (v * 86400);
            return FEAT_OK;
        case 'h':
            *t = feat_now() - (time_t) (v * 3600);
            return FEAT_OK;
        case 'm':
            *t = feat_now() - (time_t) (v * 60);
            return FEAT_OK;
        default:
            return FEAT_ERROR;
        }
    }

    memset(&tm, 0, sizeof(tm));
    used = 0;
    n = sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &used);
    if (n != 3) {
        return FEAT_ERROR;
    }

    if (s[used] == ' ' || s[used] == 'T') {
        s += used + 1;
        used = 0;
        n = sscanf(s, "%2d:%2d%n:%2d%n", &tm.tm_hour, &tm.tm_min, &used,
                   &tm.tm_sec, &used);
        if (n < 2) {
            return FEAT_ERROR;
        }
    }

    if (s[used] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 60)
    {
        return FEAT_ERROR;
    }

    /* the config's time zone (conf.c sets TZ), as times are shown */
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    *t = mktime(&tm);

    return *t == (time_t) -1 ? FEAT_ERROR : FEAT_OK;
}


static int
ctl_audit(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    long long                            limit;
    time_t                               since;
    cJSON                               *rows, *row, *detail;
    sqlite3                             *db;
    const char                          *user_opt, *since_opt, *action;
    const char                          *app, *limit_opt;
    sqlite3_int64                        user;
    sqlite3_stmt                        *st;
    const struct feat_ctl_opt            opts[] = {
        { "user", 1, &user_opt },
        { "since", 1, &since_opt },
        { "action", 1, &action },
        { "app", 1, &app },
        { "limit", 1, &limit_opt },
        { NULL, 0, NULL }
    };
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "at", "TIME", NULL },
        { "app_id", "APP", FEAT_CTL_EMPTY_APP },
        { "user_id", "USER", NULL },
        { "action", "ACTION", NULL },
        { "actor", "ACTOR", NULL },
        { "address", "ADDRESS", "-" },
        { "detail_text", "DETAIL", NULL }
    };

    user_opt = NULL;
    since_opt = NULL;
    action = NULL;
    app = NULL;
    limit_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    user = 0;
    if (user_opt != NULL && feat_ctl_id(user_opt, &user) != FEAT_OK) {
        return feat_ctl_fail("bad --user \"%s\"", user_opt);
    }

    since = 0;
    if (since_opt != NULL && ctl_audit_since(since_opt, &since) != FEAT_OK) {
        return feat_ctl_fail("bad --since \"%s\": unix seconds, YYYY-MM-DD"
                             " [HH:MM[:SS]] or Nd, Nh, Nm", since_opt);
    }

    limit = CTL_AUDIT_LIMIT;
    if (limit_opt != NULL
        && feat_ctl_int(limit_opt, 1, CTL_AUDIT_MAX, &limit) != FEAT_OK)
    {
        return feat_ctl_fail("bad --limit \"%s\": 1 to %d", limit_opt,
                             CTL_AUDIT_MAX);
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    st = feat_db_query(db,
            "SELECT id, at, app_id, COALESCE(user_id, 0), action, detail,"
            " address, actor FROM audit"
            " WHERE (?1 = 0 OR user_id = ?1) AND at >= ?2"
            " AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR app_id = ?4)"
            " ORDER BY at DESC, id DESC LIMIT ?5",
            "iissi", user, (sqlite3_int64) since, action, app,
            (sqlite3_int64) limit);
    if (st == NULL) {
        return feat_ctl_fail("reading the audit log failed");
    }

    rows = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "id",
                                (double) sqlite3_column_int64(st, 0));
        cJSON_AddStringToObject(row, "at",
                                feat_ctl_time(ctl,
                                              sqlite3_column_int64(st, 1)));
        cJSON_AddStringToObject(row, "app_id",
                                feat_db_col_text(ctl->arena, st, 2));
        if (sqlite3_column_int64(st, 3) != 0) {
            cJSON_AddNumberToObject(row, "user_id",
                                    (double) sqlite3_column_int64(st, 3));
        } else {
            cJSON_AddNullToObject(row, "user_id");
        }
        cJSON_AddStringToObject(row, "action",
                                feat_db_col_text(ctl->arena, st, 4));

        if (ctl->json) {
            detail = cJSON_Parse(feat_db_col_text(ctl->arena, st, 5));
            cJSON_AddItemToObject(row, "detail",
                                  detail != NULL ? detail
                                                 : cJSON_CreateObject());
        } else {
            cJSON_AddStringToObject(row, "detail_text",
                                    feat_db_col_text(ctl->arena, st, 5));
        }

        cJSON_AddStringToObject(row, "address",
                                feat_db_col_text(ctl->arena, st, 6));
        cJSON_AddStringToObject(row, "actor",
                                feat_db_col_text(ctl->arena, st, 7));
        cJSON_AddItemToArray(rows, row);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(rows);
        return feat_ctl_fail("reading the audit log failed");
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}
