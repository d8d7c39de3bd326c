/*
 * ctl_project.c: featctl's "project" commands over the service
 * marketplace's projects (sql/0050_service.sql): list, show, and the
 * moderator's transitions: approve (REVIEW -> OPEN), reject (REVIEW ->
 * DRAFT with a review_note the owner reads) and cancel (the takedown of
 * an OPEN or CLOSED project).  Each goes through the domain of
 * modules/service/service.h as the moderator, so the step table that
 * judges the users' requests judges these too, in the same transaction
 * discipline, with the same pushes to the bidders.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "service/service.h"

#define CTL_PROJECT_LIMIT  100     /* default rows of "project list" */


static int ctl_project_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_project_show(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_project_approve(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_project_reject(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_project_cancel(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_project_commands[] = {
    { "project", "list", ctl_project_list,
      "[--status S] [--app ID] [--limit N] [--offset N]",
      "list the app's service projects, newest first (S: 0..500 or a name)" },
    { "project", "show", ctl_project_show, "ID [--app ID]",
      "show a service project" },
    { "project", "approve", ctl_project_approve, "ID [--app ID]",
      "open a project under review (REVIEW -> OPEN)" },
    { "project", "reject", ctl_project_reject,
      "ID --reason TEXT [--app ID]",
      "send a project under review back to DRAFT with a review note" },
    { "project", "cancel", ctl_project_cancel, "ID [--app ID]",
      "take down an OPEN or CLOSED project (-> CANCELLED)" },
    FEAT_CTL_NULL_COMMAND
};


static cJSON *
ctl_project_object(struct feat_ctl *ctl, const struct feat_service_project *p,
    int full)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    cJSON_AddStringToObject(o, "app_id", p->app_id);
    cJSON_AddNumberToObject(o, "status", p->status);
    cJSON_AddStringToObject(o, "status_display",
                            feat_service_status_name(p->status));
    cJSON_AddStringToObject(o, "title", p->title);
    cJSON_AddNumberToObject(o, "owner_id", (double) p->owner_id);
    cJSON_AddNumberToObject(o, "budget_fen", (double) p->budget_fen);
    cJSON_AddNumberToObject(o, "bids_count", (double) p->bids_count);
    cJSON_AddStringToObject(o, "close_at", feat_ctl_time(ctl, p->close_at));

    if (!full) {
        return o;
    }

    cJSON_AddStringToObject(o, "owner_nickname", p->owner_nickname);
    cJSON_AddStringToObject(o, "category", p->category);
    cJSON_AddStringToObject(o, "description", p->description);
    if (p->review_note != NULL) {
        cJSON_AddStringToObject(o, "review_note", p->review_note);
    } else {
        cJSON_AddNullToObject(o, "review_note");
    }
    if (p->has_winner) {
        cJSON_AddNumberToObject(o, "winner_bid_id", (double) p->winner.id);
    } else {
        cJSON_AddNullToObject(o, "winner_bid_id");
    }
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, p->created_at));
    cJSON_AddStringToObject(o, "published_at",
                            feat_ctl_time(ctl, p->published_at));
    cJSON_AddStringToObject(o, "closed_at", feat_ctl_time(ctl, p->closed_at));
    cJSON_AddStringToObject(o, "completed_at",
                            feat_ctl_time(ctl, p->completed_at));
    cJSON_AddStringToObject(o, "cancelled_at",
                            feat_ctl_time(ctl, p->cancelled_at));

    return o;
}


static int
ctl_project_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int                           status;
    size_t                        i, n;
    cJSON                        *rows;
    sqlite3                      *db;
    long long                     limit, offset, total;
    const char                   *app, *status_opt, *limit_opt, *offset_opt;
    enum feat_error               e;
    struct feat_service_project  *items;
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "status", "STATUS", NULL },
        { "status_display", "NAME", NULL },
        { "title", "TITLE", NULL },
        { "owner_id", "OWNER", NULL },
        { "budget_fen", "BUDGET", NULL },
        { "bids_count", "BIDS", NULL },
        { "close_at", "CLOSE_AT", NULL },
    };
    const struct feat_ctl_opt     opts[] = {
        { "app", 1, &app },
        { "status", 1, &status_opt },
        { "limit", 1, &limit_opt },
        { "offset", 1, &offset_opt },
        { NULL, 0, NULL }
    };

    app = "";
    status_opt = NULL;
    limit_opt = NULL;
    offset_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    status = -1;
    if (status_opt != NULL
        && feat_service_status_parse(status_opt, &status) != FEAT_OK)
    {
        return feat_ctl_fail("bad --status \"%s\": 0, 100, 200, 300, 400, "
                             "500 or DRAFT, REVIEW, OPEN, CLOSED, COMPLETED,"
                             " CANCELLED", status_opt);
    }

    if (feat_ctl_paging(limit_opt, offset_opt, CTL_PROJECT_LIMIT,
                        FEAT_SERVICE_LIST_MAX, &limit, &offset)
        != FEAT_OK)
    {
        return FEAT_CTL_USAGE;
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    e = feat_service_list(db, ctl->arena, app, FEAT_SERVICE_MODERATOR, 0,
                          status, offset, limit, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "listing the projects");
    }

    rows = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows, ctl_project_object(ctl, &items[i], 0));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


/* Prints project id of app as it is now. */
static int
ctl_project_print(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id)
{
    enum feat_error              e;
    struct feat_service_project  p;

    e = feat_service_get(db, ctl->arena, app, FEAT_SERVICE_MODERATOR, id,
                         &p);
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "reading the project");
    }

    feat_ctl_print_object(ctl, ctl_project_object(ctl, &p, 1));

    return FEAT_CTL_OK;
}


/* Runs a moderator's transition and prints the project after it. */
static int
ctl_project_step(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, enum feat_service_op op, const char *note)
{
    const char                  *bad;
    enum feat_error              e;
    struct feat_service_project  p;

    bad = NULL;
    e = feat_service_transition(db, ctl->arena, app, FEAT_SERVICE_MODERATOR,
                                id, op, 0, note, &p, &bad);

    if (e == FEAT_E_BAD_FIELD && bad != NULL && strcmp(bad, "reason") == 0) {
        return feat_ctl_fail("bad --reason: 1 to %d characters of valid "
                             "UTF-8", FEAT_SERVICE_NOTE_MAX);
    }
    if (e == FEAT_E_BAD_FIELD) {
        return feat_ctl_fail("project %lld: its close_at has passed; the "
                             "owner must move it first", (long long) id);
    }
    if (e == FEAT_E_WRONG_STATE) {
        return feat_ctl_fail("project %lld: not allowed in its current "
                             "state", (long long) id);
    }
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no project %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "changing the project");
    }

    feat_ctl_print_object(ctl, ctl_project_object(ctl, &p, 1));

    return FEAT_CTL_OK;
}


/*
 * "project show|approve|cancel ID [--app ID]": runs the moderator's
 * transition op (FEAT_SERVICE_NOPS: none) and prints the project.
 */
static int
ctl_project_item(struct feat_ctl *ctl, int argc, char **argv,
    enum feat_service_op op)
{
    int             rc;
    sqlite3        *db;
    const char     *app;
    sqlite3_int64   id;

    rc = feat_ctl_app_item(ctl, argc, argv, "project", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    return op == FEAT_SERVICE_NOPS ? ctl_project_print(ctl, db, app, id)
                                   : ctl_project_step(ctl, db, app, id, op,
                                                      NULL);
}


static int
ctl_project_show(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_project_item(ctl, argc, argv, FEAT_SERVICE_NOPS);
}


static int
ctl_project_approve(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_project_item(ctl, argc, argv, FEAT_SERVICE_APPROVE);
}


static int
ctl_project_cancel(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_project_item(ctl, argc, argv, FEAT_SERVICE_CANCEL);
}


static int
ctl_project_reject(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         rc;
    sqlite3                    *db;
    const char                 *app, *arg, *reason;
    sqlite3_int64               id;
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, &app },
        { "reason", 1, &reason },
        { NULL, 0, NULL }
    };

    app = "";
    reason = NULL;

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "project", &arg, 1, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (reason == NULL) {
        return feat_ctl_fail("project reject needs --reason TEXT");
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    return ctl_project_step(ctl, db, app, id, FEAT_SERVICE_REJECT, reason);
}
