/*
 * ctl_outbox.c: featctl's "outbox" group, the deliveries of pushes
 * (sql/0070_outbox.sql; fcgi/store/outbox.c writes them, the jobs process
 * sends them).
 *
 *   outbox list [--status S] [--push ID] [--app ID] [--limit N] [--offset N]
 *   outbox retry ID | --failed [--app ID]
 *
 * retry puts a failed row back to pending, due now, with its attempts and
 * its push.ttl clock started again (and its push's status back to 0 until
 * it is resolved); the jobs process sees the write within a tick.  A row
 * keeps its request_id, so a provider that did take an earlier attempt
 * drops the repeat.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_OUTBOX_LIMIT  50


static int ctl_outbox_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_outbox_retry(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_outbox_commands[] = {
    { "outbox", "list", ctl_outbox_list,
      "[--status pending|sending|sent|failed|skipped] [--push ID] [--app ID] "
      "[--limit N] [--offset N]",
      "list push deliveries, newest first" },
    { "outbox", "retry", ctl_outbox_retry, "ID | --failed [--app ID]",
      "send a failed delivery again (or every failed one of the app)" },
    FEAT_CTL_NULL_COMMAND
};

static const char *const  ctl_outbox_status[] = {
    "pending", "sending", "sent", "failed", "skipped", NULL
};


static int
ctl_outbox_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int             rc, i, status;
    cJSON          *rows, *o;
    sqlite3        *db;
    long long       limit, offset;
    const char     *app, *status_opt, *push_opt, *limit_opt, *offset_opt;
    sqlite3_int64   push;
    sqlite3_stmt   *st;

    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "push_id", "PUSH", NULL },
        { "user_id", "USER", NULL },
        { "channel", "CHANNEL", NULL },
        { "token", "TOKEN", NULL },
        { "status", "STATUS", NULL },
        { "attempts", "ATTEMPTS", NULL },
        { "last_error", "LAST ERROR", NULL },
    };

    app = "";
    status_opt = NULL;
    push_opt = NULL;
    limit_opt = NULL;
    offset_opt = NULL;

    {
        const struct feat_ctl_opt  opts[] = {
            { "app", 1, &app },
            { "status", 1, &status_opt },
            { "push", 1, &push_opt },
            { "limit", 1, &limit_opt },
            { "offset", 1, &offset_opt },
            { NULL, 0, NULL }
        };

        if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
            return FEAT_CTL_USAGE;
        }
    }

    status = -1;
    if (status_opt != NULL) {
        for (i = 0; ctl_outbox_status[i] != NULL; i++) {
            if (strcmp(status_opt, ctl_outbox_status[i]) == 0) {
                status = i;
            }
        }
        if (status == -1) {
            return feat_ctl_fail("bad --status \"%s\": pending, sending, "
                                 "sent, failed or skipped", status_opt);
        }
    }

    push = 0;
    if (push_opt != NULL && feat_ctl_id(push_opt, &push) != FEAT_OK) {
        return feat_ctl_fail("bad --push \"%s\"", push_opt);
    }

    if (feat_ctl_paging(limit_opt, offset_opt, CTL_OUTBOX_LIMIT,
                        FEAT_CTL_MAX_LIMIT, &limit, &offset)
        != FEAT_OK)
    {
        return FEAT_CTL_USAGE;
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    st = feat_db_query(db, "SELECT id, push_id, user_id, channel, token,"
                           " sandbox, request_id, status, attempts,"
                           " next_at, last_error, created_at, updated_at"
                           " FROM outbox WHERE app_id = ?1"
                           " AND (?2 < 0 OR status = ?2)"
                           " AND (?3 = 0 OR push_id = ?3)"
                           " ORDER BY id DESC LIMIT ?4 OFFSET ?5",
                       "sdiii", app, status, push, (sqlite3_int64) limit,
                       (sqlite3_int64) offset);
    if (st == NULL) {
        return feat_ctl_fail("listing the outbox failed");
    }

    rows = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id",
                                (double) sqlite3_column_int64(st, 0));
        cJSON_AddStringToObject(o, "app_id", app);
        cJSON_AddNumberToObject(o, "push_id",
                                (double) sqlite3_column_int64(st, 1));
        cJSON_AddNumberToObject(o, "user_id",
                                (double) sqlite3_column_int64(st, 2));
        cJSON_AddStringToObject(o, "channel",
                                feat_db_col_text(ctl->arena, st, 3));
        cJSON_AddStringToObject(o, "token",
                                feat_db_col_text(ctl->arena, st, 4));
        cJSON_AddBoolToObject(o, "sandbox", sqlite3_column_int(st, 5));
        cJSON_AddStringToObject(o, "request_id",
                                feat_db_col_text(ctl->arena, st, 6));
        i = sqlite3_column_int(st, 7);
        cJSON_AddStringToObject(o, "status", i >= 0 && i <= 4
                                             ? ctl_outbox_status[i] : "?");
        cJSON_AddNumberToObject(o, "attempts", sqlite3_column_int(st, 8));
        cJSON_AddNumberToObject(o, "next_at_ms",
                                (double) sqlite3_column_int64(st, 9));
        cJSON_AddStringToObject(o, "last_error",
                                feat_db_col_text(ctl->arena, st, 10));
        cJSON_AddStringToObject(o, "created_at",
                                feat_ctl_time(ctl,
                                              sqlite3_column_int64(st, 11)));
        cJSON_AddStringToObject(o, "updated_at",
                                feat_ctl_time(ctl,
                                              sqlite3_column_int64(st, 12)));
        cJSON_AddItemToArray(rows, o);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(rows);
        return feat_ctl_fail("listing the outbox failed: %s",
                             sqlite3_errmsg(db));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


static int
ctl_outbox_retry(struct feat_ctl *ctl, int argc, char **argv)
{
    int             i, all;
    char            msg[96];
    cJSON          *res;
    sqlite3        *db;
    const char     *app, *failed, *pos[1];
    sqlite3_int64   id, n, now, push;
    sqlite3_stmt   *st;
    enum feat_error e;

    app = "";
    failed = NULL;
    pos[0] = NULL;
    all = 0;

    {
        const struct feat_ctl_opt  opts[] = {
            { "app", 1, &app },
            { "failed", 0, &failed },
            { NULL, 0, NULL }
        };

        /* an ID, or --failed and no ID */
        for (i = 0; i < argc; i++) {
            if (strcmp(argv[i], "--failed") == 0) {
                all = 1;
            }
        }

        if (feat_ctl_args(ctl, argc, argv, opts, pos, all ? 0 : 1)
            != FEAT_OK)
        {
            return FEAT_CTL_USAGE;
        }
    }

    id = 0;
    if (failed == NULL) {
        if (pos[0] == NULL || feat_ctl_id(pos[0], &id) != FEAT_OK) {
            return feat_ctl_fail("outbox retry needs an ID or --failed");
        }
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("the database is busy");
    }

    e = FEAT_E_INTERNAL;
    n = 0;
    now = (sqlite3_int64) feat_now();

    /* the pushes they belong to are judged again (back to 0) after */
    if (feat_db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS ctl_retried"
                         " (push_id INTEGER PRIMARY KEY)", NULL) != FEAT_OK
        || feat_db_exec(db, "DELETE FROM temp.ctl_retried", NULL) != FEAT_OK
        || feat_db_exec(db, "INSERT OR IGNORE INTO temp.ctl_retried"
                            " SELECT push_id FROM outbox WHERE app_id = ?1"
                            " AND status = 3 AND (?2 = 0 OR id = ?2)",
                        "si", app, id) != FEAT_OK
        || feat_db_exec(db, "UPDATE outbox SET status = 0, attempts = 0,"
                            " next_at = ?3, last_error = '',"
                            " created_at = ?4, updated_at = ?4"
                            " WHERE app_id = ?1 AND status = 3"
                            " AND (?2 = 0 OR id = ?2)",
                        "siii", app, id, (sqlite3_int64) feat_now_ms(), now)
           != FEAT_OK)
    {
        goto done;
    }

    n = sqlite3_changes(db);

    st = feat_db_query(db, "SELECT push_id FROM temp.ctl_retried", NULL);
    if (st == NULL) {
        goto done;
    }

    while (sqlite3_step(st) == SQLITE_ROW) {
        push = sqlite3_column_int64(st, 0);
        if (feat_outbox_judge(db, push) != FEAT_OK) {
            feat_db_done(st);
            goto done;
        }
    }

    feat_db_done(st);
    e = FEAT_E_NONE;

done:

    if (feat_db_end(db, e) != FEAT_E_NONE) {
        return feat_ctl_fail("retrying failed");
    }

    if (failed == NULL && n == 0) {
        return feat_ctl_fail("no failed delivery %lld in app \"%s\"",
                             (long long) id, app);
    }

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app_id", app);
    if (failed == NULL) {
        cJSON_AddNumberToObject(res, "id", (double) id);
    }
    cJSON_AddNumberToObject(res, "retried", (double) n);

    snprintf(msg, sizeof(msg), "%lld deliver%s queued again", (long long) n,
             n == 1 ? "y" : "ies");
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}
