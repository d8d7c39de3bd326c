/*
 * admin.c: the moderation of service projects in the admin dialect, the
 * console's (featcgi-api(7) "ADMIN API"): the review queue (status 100
 * REVIEW, the default of the list) and the app's projects by status, one
 * project, and the moderator's transitions: approve (REVIEW -> OPEN,
 * published now), reject (REVIEW -> DRAFT with a note the owner reads as
 * review_note, as featctl project reject) and take down (OPEN or CLOSED
 * -> CANCELLED, with a note stored the same way, featctl project cancel's
 * step).
 *
 * Each goes through feat_service_transition as FEAT_SERVICE_MODERATOR, so
 * the step table that judges the users' operations judges these, with the
 * same pushes to the bidders; it records admin.project.approve / .reject /
 * .takedown in the audit log in the transition's transaction
 * (feat_admin_write, fcgi/protocol/admin.c).
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include "feat.h"
#include "service/service.h"


/* The list's status filter: the first row is the default. */
static const struct feat_admin_status  project_statuses[] = {
    { "review", FEAT_SERVICE_REVIEW },
    { "draft", FEAT_SERVICE_DRAFT },
    { "open", FEAT_SERVICE_OPEN },
    { "closed", FEAT_SERVICE_CLOSED },
    { "completed", FEAT_SERVICE_COMPLETED },
    { "cancelled", FEAT_SERVICE_CANCELLED },
    { "all", -1 },
    { NULL, 0 }
};


#define ALWAYS  FEAT_ADMIN_ALWAYS

static const struct feat_field  project_list_in[] = {
    { "status", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_ADMIN_STATUS_MAX, NULL,
      "review (the default), draft, open, closed, completed, cancelled or"
      " all" },
    FEAT_NULL_FIELD
};

static const struct feat_field  project_note_in[] = {
    { "note", FEAT_FT_STR, FEAT_REQUIRED, 1, FEAT_SERVICE_NOTE_MAX, NULL,
      "why: the owner reads it as the project's review_note" },
    FEAT_NULL_FIELD
};

static const struct feat_field  project_owner_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the owner's id" },
    { "nickname", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "or \"\"" },
    FEAT_NULL_FIELD
};

static const struct feat_field  project_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the project's id" },
    { "title", FEAT_FT_STR, ALWAYS, 0, FEAT_SERVICE_TITLE_MAX, NULL, "" },
    { "description", FEAT_FT_STR, ALWAYS, 0, FEAT_SERVICE_DESC_MAX, NULL,
      "" },
    { "category", FEAT_FT_STR, ALWAYS, 0, FEAT_SERVICE_CATEGORY_MAX, NULL,
      "or \"\"" },
    { "budget_fen", FEAT_FT_INT, ALWAYS, 1, FEAT_SERVICE_BUDGET_MAX, NULL,
      "in fen" },
    { "status", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "draft, review, open, closed, completed or cancelled (as it is now)" },
    { "status_code", FEAT_FT_INT, ALWAYS, FEAT_SERVICE_DRAFT,
      FEAT_SERVICE_CANCELLED, NULL, "the seed's value: 0 ... 500" },
    { "status_display", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "the seed's name" },
    { "owner", FEAT_FT_OBJ, ALWAYS, 0, 0, NULL, "who posted it",
      project_owner_out },
    { "review_note", FEAT_FT_STR, ALWAYS | FEAT_NULLABLE, 0,
      FEAT_SERVICE_NOTE_MAX, NULL, "a rejection's or takedown's note" },
    { "bids_count", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL, "its bids" },
    { "winner_bid_id", FEAT_FT_ID, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "the winning bid, or null" },
    { "close_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "when bidding ends" },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "" },
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "" },
    { "published_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "or null" },
    { "closed_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "or null" },
    { "completed_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "or null" },
    { "cancelled_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "or null" },
    FEAT_NULL_FIELD
};


static cJSON *
project_object(struct feat_req *r, const void *item)
{
    cJSON                              *o, *u;
    const struct feat_service_project  *p;

    p = item;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    feat_json_add_str(o, "title", p->title);
    feat_json_add_str(o, "description", p->description);
    feat_json_add_str(o, "category", p->category);
    cJSON_AddNumberToObject(o, "budget_fen", (double) p->budget_fen);
    feat_json_add_str(o, "status",
                      feat_admin_status_name(project_statuses, p->status));
    cJSON_AddNumberToObject(o, "status_code", p->status);
    feat_json_add_str(o, "status_display",
                      feat_service_status_name(p->status));

    u = cJSON_AddObjectToObject(o, "owner");
    cJSON_AddNumberToObject(u, "id", (double) p->owner_id);
    feat_json_add_str(u, "nickname", p->owner_nickname);

    if (p->review_note != NULL) {
        feat_json_add_str(o, "review_note", p->review_note);
    } else {
        cJSON_AddNullToObject(o, "review_note");
    }

    cJSON_AddNumberToObject(o, "bids_count", (double) p->bids_count);
    if (p->has_winner) {
        cJSON_AddNumberToObject(o, "winner_bid_id", (double) p->winner.id);
    } else {
        cJSON_AddNullToObject(o, "winner_bid_id");
    }

    feat_admin_json_time(r, o, "close_at", p->close_at);
    feat_admin_json_time(r, o, "created_at", p->created_at);
    feat_admin_json_time(r, o, "updated_at", p->updated_at);
    feat_admin_json_time(r, o, "published_at", p->published_at);
    feat_admin_json_time(r, o, "closed_at", p->closed_at);
    feat_admin_json_time(r, o, "completed_at", p->completed_at);
    feat_admin_json_time(r, o, "cancelled_at", p->cancelled_at);

    return o;
}


static enum feat_error
project_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_service_project  *list = NULL;
    enum feat_error               e;

    e = feat_service_list(feat_db(), r->arena, r->app->id,
                          FEAT_SERVICE_MODERATOR, 0, status, pg->offset,
                          pg->size, total, &list, n);
    *items = list;

    return e;
}


static enum feat_error
project_entry_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    enum feat_error              e;
    struct feat_service_project  p;

    e = feat_service_get(feat_db(), r->arena, r->app->id,
                         FEAT_SERVICE_MODERATOR, id, &p);
    if (e == FEAT_E_NONE) {
        *out = project_object(r, &p);
    }

    return e;
}


/* The note of a reject or a takedown, into w->in. */
static int
project_note(struct feat_req *r, struct feat_admin_write *w)
{
    return feat_in_field(r, &w->op->fields[0], (const char **) w->in);
}


/* The moderator's operation op->arg on the path's project, with the note
 * when the op reads one, recorded as op->action with the new status. */
static enum feat_error
project_transition(struct feat_req *r, sqlite3 *db,
    struct feat_admin_write *w)
{
    const char                   *note;
    enum feat_error               e;
    struct feat_service_project   p;

    note = w->in != NULL ? *(const char **) w->in : NULL;

    e = feat_service_transition(db, r->arena, r->app->id,
                                FEAT_SERVICE_MODERATOR, w->id,
                                (enum feat_service_op) w->op->arg, 0, note,
                                &p, &w->bad);

    if (e == FEAT_E_BAD_FIELD && w->bad != NULL && w->bad[0] == 'r') {
        w->bad = project_note_in[0].name;   /* the domain's "reason" */
    }

    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_admin_audit(r, p.owner_id, w->op->action, "id", "project",
                         w->id, "status", p.status)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    w->out = project_object(r, &p);

    return FEAT_E_NONE;
}


static const struct feat_admin_list  project_list_op = {
    .what = "project", .status = &project_list_in[0],
    .statuses = project_statuses, .read = project_read,
    .size = sizeof(struct feat_service_project), .object = project_object,
};

/* act is the audit's action, which project_transition records itself
 * with the new status; op the service's operation */
#define PROJECT_OP(act, note_in, op)                                         \
    { .what = "project", .action = act,                                      \
      .flags = FEAT_ADMIN_BY_ID | FEAT_ADMIN_AUDITS, .fields = note_in,      \
      .in_size = note_in != NULL ? sizeof(const char *) : 0,                 \
      .input = note_in != NULL ? project_note : NULL,                        \
      .change = project_transition, .arg = op }

static const struct feat_admin_op  project_approve_op =
    PROJECT_OP("admin.project.approve", NULL, FEAT_SERVICE_APPROVE);
static const struct feat_admin_op  project_reject_op =
    PROJECT_OP("admin.project.reject", project_note_in, FEAT_SERVICE_REJECT);
static const struct feat_admin_op  project_takedown_op =
    PROJECT_OP("admin.project.takedown", project_note_in,
               FEAT_SERVICE_CANCEL);


static const struct feat_admin_op  project_get_op = {
    .what = "project", .answer = project_entry_object,
};


static const struct feat_schema  project_list_schema = {
    .summary = "The app's service projects, the review queue by default",
    .request = project_list_in,
    .answer = project_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  project_get_schema = {
    .summary = "One service project",
    .answer = project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  project_approve_schema = {
    .summary = "Open a project under review: published on the square",
    .answer = project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  project_reject_schema = {
    .summary = "Send a project under review back to its owner's draft",
    .request = project_note_in,
    .answer = project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  project_takedown_schema = {
    .summary = "Take down an open or closed project (cancelled)",
    .request = project_note_in,
    .answer = project_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  project_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "projects", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &project_list_schema, &project_list_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "projects/{id}", FEAT_ADMIN,
      feat_admin_show, FEAT_MANAGER, &project_get_schema, &project_get_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "projects/{id}/approve", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &project_approve_schema,
      &project_approve_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "projects/{id}/reject", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &project_reject_schema,
      &project_reject_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "projects/{id}/takedown", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &project_takedown_schema,
      &project_takedown_op },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_service_admin_module = {
    .name = "admin",
    .routes = project_admin_routes,
};
