/*
 * admin.c: pushes in the admin dialect, the console's (featcgi-api(7)
 * "ADMIN API"): the app's pushes newest first with how far each one's
 * delivery has come, one push with its outbox rows (paged), and a new
 * push to every user of the app or to the users listed.
 *
 * A push is feat_push_send's, the one featctl push send makes: queued
 * through feat_push_queue with its outbox rows (or, for all users, the
 * fan-out the jobs process works through), in the transaction that also
 * records admin.push.send (feat_admin_write, fcgi/protocol/admin.c).
 * Delivery is the jobs process's; the counts and rows shown are the
 * outbox's (fcgi/store/outbox.c).
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "push/push.h"


#define ALWAYS  FEAT_ADMIN_ALWAYS

enum { PUSH_TITLE, PUSH_BODY, PUSH_TO };

static const struct feat_field  push_to_element[] = {
    { "id", FEAT_FT_ID, 0, 0, 0, NULL, "a user of the app" },
    FEAT_NULL_FIELD
};

/* "to" is also the string "all": push_to reads it, by these limits. */
static const struct feat_field  push_send_in[] = {
    [PUSH_TITLE] =
    { "title", FEAT_FT_STR, FEAT_REQUIRED, 1, FEAT_PUSH_TITLE_MAX, NULL,
      "the notification's title" },
    [PUSH_BODY] =
    { "body", FEAT_FT_STR, FEAT_REQUIRED | FEAT_ALLOW_EMPTY, 0,
      FEAT_PUSH_BODY_MAX, NULL, "its text" },
    [PUSH_TO] =
    { "to", FEAT_FT_ARRAY, FEAT_REQUIRED, 1, FEAT_PUSH_TARGETS_MAX, NULL,
      "the users' ids, or the string \"all\": every user of the app",
      push_to_element },
    FEAT_NULL_FIELD
};

static const struct feat_field  push_manager_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the manager's id" },
    { "name", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "its name" },
    FEAT_NULL_FIELD
};

static const struct feat_field  push_delivery_out[] = {
    { "queued", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL,
      "outbox rows not yet resolved" },
    { "sent", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL, "delivered" },
    { "failed", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL, "failed for good" },
    { "skipped", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL,
      "no credentials for the channel any more" },
    { "fanout", FEAT_FT_BOOL, ALWAYS, 0, 0, NULL,
      "a push to all whose rows are still being written" },
    FEAT_NULL_FIELD
};

static const struct feat_field  push_target_out[] = {
    { "user_id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the user" },
    { "channel", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "apns or getui" },
    { "status", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "queued, sending, sent, failed or skipped" },
    { "attempts", FEAT_FT_INT, ALWAYS, 0, INT32_MAX, NULL, "so far" },
    { "last_error", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "or \"\"" },
    { "sent_at", FEAT_FT_TIME, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "when it was delivered, or null" },
    FEAT_NULL_FIELD
};

#define PUSH_OUT_COMMON                                                      \
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the push's id" },               \
    { "title", FEAT_FT_STR, ALWAYS, 0, FEAT_PUSH_TITLE_MAX, NULL,            \
      "its title" },                                                         \
    { "body", FEAT_FT_STR, ALWAYS, 0, FEAT_PUSH_BODY_MAX, NULL, "its text" },\
    { "scope", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "all or users" },            \
    { "users", FEAT_FT_INT, 0, 0, FEAT_PUSH_TARGETS_MAX, NULL,              \
      "the users listed (scope users)" },                                    \
    { "status", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "queued, sent or failed" }, \
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "queued at" },         \
    { "manager", FEAT_FT_OBJ, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,            \
      "who sent it; null for the system's", push_manager_out },              \
    { "delivery", FEAT_FT_OBJ, ALWAYS, 0, 0, NULL,                           \
      "its outbox rows by state", push_delivery_out }

static const struct feat_field  push_out[] = {
    PUSH_OUT_COMMON,
    FEAT_NULL_FIELD
};

static const struct feat_field  push_page_out[] = {
    PUSH_OUT_COMMON,
    { "targets", FEAT_FT_ARRAY, ALWAYS, 0, 100, NULL,
      "a page of its outbox rows (page, size)", push_target_out },
    { "targets_total", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL,
      "all its outbox rows" },
    { "page", FEAT_FT_INT, ALWAYS, 1, INT64_MAX, NULL, "the targets' page" },
    { "size", FEAT_FT_INT, ALWAYS, 1, 100, NULL, "and its size" },
    FEAT_NULL_FIELD
};


/* The names of push and outbox row states in answers. */
static const char *
push_status_name(int status)
{
    switch (status) {
    case FEAT_PUSH_QUEUED:
        return "queued";
    case FEAT_PUSH_SENT:
        return "sent";
    default:
        return "failed";
    }
}


static const char *
outbox_status_name(int status)
{
    switch (status) {
    case FEAT_OUTBOX_PENDING:
        return "queued";
    case FEAT_OUTBOX_SENDING:
        return "sending";
    case FEAT_OUTBOX_SENT:
        return "sent";
    case FEAT_OUTBOX_FAILED:
        return "failed";
    default:
        return "skipped";
    }
}


static cJSON *
push_object(struct feat_req *r, const void *item)
{
    cJSON                        *o, *m, *d;
    const struct feat_push       *p;
    const struct feat_push_sent  *it;

    it = item;
    p = &it->push;
    o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "id", (double) p->id);
    feat_json_add_str(o, "title", p->title);
    feat_json_add_str(o, "body", p->body);
    feat_json_add_str(o, "scope", p->scope == FEAT_PUSH_SCOPE_ALL ? "all"
                                                                  : "users");
    if (p->scope == FEAT_PUSH_SCOPE_LISTED) {
        cJSON_AddNumberToObject(o, "users", (double) it->users);
    }
    feat_json_add_str(o, "status", push_status_name(p->status));
    feat_admin_json_time(r, o, "created_at", p->created_at);

    /* a push the system sent on an event has no manager */
    if (p->manager_id != 0) {
        m = cJSON_AddObjectToObject(o, "manager");
        cJSON_AddNumberToObject(m, "id", (double) p->manager_id);
        feat_json_add_str(m, "name", it->manager_name);
    } else {
        cJSON_AddNullToObject(o, "manager");
    }

    d = cJSON_AddObjectToObject(o, "delivery");
    cJSON_AddNumberToObject(d, "queued", (double) (it->delivery.pending
                                                   + it->delivery.sending));
    cJSON_AddNumberToObject(d, "sent", (double) it->delivery.sent);
    cJSON_AddNumberToObject(d, "failed", (double) it->delivery.failed);
    cJSON_AddNumberToObject(d, "skipped", (double) it->delivery.skipped);
    cJSON_AddBoolToObject(d, "fanout", it->delivery.fanout);

    return o;
}


static cJSON *
target_object(struct feat_req *r, const struct feat_outbox_entry *t)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "user_id", (double) t->user_id);
    feat_json_add_str(o, "channel", t->channel);
    feat_json_add_str(o, "status", outbox_status_name(t->status));
    cJSON_AddNumberToObject(o, "attempts", t->attempts);
    feat_json_add_str(o, "last_error", t->last_error);
    feat_admin_json_time(r, o, "sent_at",
                         t->status == FEAT_OUTBOX_SENT ? t->updated_at : 0);

    return o;
}


static enum feat_error
push_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_push_sent  *list = NULL;
    enum feat_error         e;

    (void) status;

    e = feat_push_sent_list(feat_db(), r->arena, r->app->id, pg->offset,
                            pg->size, total, &list, n);
    *items = list;

    return e;
}


/*
 * Push id with the page pg of its outbox rows as "targets", into *out
 * (the caller's): a push just sent reads it inside its transaction, so
 * that nothing fails after the commit.
 */
static enum feat_error
push_page_object(struct feat_req *r, sqlite3_int64 id,
    const struct feat_page *pg, cJSON **out)
{
    cJSON                     *o, *list;
    size_t                     i, n;
    sqlite3                   *db;
    long long                  total;
    struct feat_push_sent      p;
    struct feat_outbox_entry  *rows;
    enum feat_error            e;

    db = feat_db();

    e = feat_push_sent_get(db, r->arena, r->app->id, id, &p);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_outbox_list(db, r->arena, r->app->id, id, pg->offset, pg->size,
                         &total, &rows, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    o = push_object(r, &p);

    list = cJSON_AddArrayToObject(o, "targets");
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, target_object(r, &rows[i]));
    }
    cJSON_AddNumberToObject(o, "targets_total", (double) total);
    cJSON_AddNumberToObject(o, "page", (double) pg->page);
    cJSON_AddNumberToObject(o, "size", (double) pg->size);

    *out = o;

    return FEAT_E_NONE;
}


static int
push_get(struct feat_req *r)
{
    cJSON             *o;
    sqlite3_int64      id;
    struct feat_page   pg;
    enum feat_error    e;

    if (feat_admin_path_id(r, "push", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = push_page_object(r, id, &pg, &o);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: push %lld", (long long) id);
    }

    return feat_reply(r, o);
}


/*
 * "to": "all", or an array of 1..FEAT_PUSH_TARGETS_MAX user ids (in the
 * arena): FEAT_OK with *users (NULL for all) and *n, or FEAT_ERROR with
 * r->bad_field set.  An empty list never means everybody.
 */
static int
push_to(struct feat_req *r, sqlite3_int64 **users, size_t *n)
{
    int     count;
    cJSON  *to, *v;

    *users = NULL;
    *n = 0;

    to = cJSON_IsObject(r->json)
         ? cJSON_GetObjectItemCaseSensitive(r->json, "to") : NULL;

    if (cJSON_IsString(to) && strcmp(to->valuestring, "all") == 0) {
        return FEAT_OK;
    }

    r->bad_field = push_send_in[PUSH_TO].name;

    if (!cJSON_IsArray(to)) {
        r->bad_reason = "is neither \"all\" nor a list of user ids";
        return FEAT_ERROR;
    }

    count = cJSON_GetArraySize(to);
    if (count < push_send_in[PUSH_TO].min
        || count > push_send_in[PUSH_TO].max)
    {
        r->bad_reason = "lists no user, or too many";
        return FEAT_ERROR;
    }

    *users = feat_arena_alloc(r->arena, (size_t) count
                                        * sizeof(sqlite3_int64));

    cJSON_ArrayForEach(v, to) {
        /* whole numbers only, as JSON carries them exactly */
        if (!cJSON_IsNumber(v) || v->valuedouble < 1
            || v->valuedouble > 9007199254740991.0
            || v->valuedouble != (double) (sqlite3_int64) v->valuedouble)
        {
            r->bad_reason = "holds what is not a user id";
            return FEAT_ERROR;
        }
        (*users)[(*n)++] = (sqlite3_int64) v->valuedouble;
    }

    r->bad_field = NULL;

    return FEAT_OK;
}


/* What a push reads: its title, its body and whom "to" names. */
struct push_admin_in {
    const char     *title;
    const char     *body;
    sqlite3_int64  *users;      /* NULL: all */
    size_t          n;
};


static int
push_input(struct feat_req *r, struct feat_admin_write *w)
{
    struct push_admin_in  *in = w->in;

    if (feat_in_field(r, &push_send_in[PUSH_TITLE], &in->title) != FEAT_OK
        || feat_in_field(r, &push_send_in[PUSH_BODY], &in->body) != FEAT_OK
        || push_to(r, &in->users, &in->n) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static enum feat_error
push_queue(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    const char            *bad;
    enum feat_error        e;
    struct push_admin_in  *in = w->in;

    bad = NULL;
    e = feat_push_send(db, r->app->id, r->manager_id, in->title, in->body,
                       in->users, in->n, &w->id, &bad);

    /* the manager is the caller: a user listed is not of this app */
    if (e == FEAT_E_NOT_FOUND) {
        w->bad = "to";
        return FEAT_E_BAD_FIELD;
    }

    if (e == FEAT_E_BAD_FIELD) {
        w->bad = (bad != NULL && strcmp(bad, "push_body") == 0) ? "body"
                 : (bad != NULL && strcmp(bad, "user_id") == 0) ? "to"
                 : "title";
        return e;
    }

    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_admin_audit(r, 0, w->op->action, "isi", "push", w->id,
                         "scope", in->n ? "users" : "all",
                         "users", (sqlite3_int64) in->n)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


/* A push just sent, with the answer's first page of targets. */
static enum feat_error
push_sent_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    struct feat_page  pg;

    pg.page = 1;
    pg.size = 20;
    pg.offset = 0;

    return push_page_object(r, id, &pg, out);
}


static const struct feat_admin_list  push_list_op = {
    .what = "push", .read = push_read, .size = sizeof(struct feat_push_sent),
    .object = push_object,
};

static const struct feat_admin_op  push_send_op = {
    .what = "push", .action = "admin.push.send", .status = 201,
    .flags = FEAT_ADMIN_AUDITS, .fields = push_send_in,
    .in_size = sizeof(struct push_admin_in), .input = push_input,
    .change = push_queue, .answer = push_sent_object,
};


static const struct feat_schema  push_list_schema = {
    .summary = "The app's pushes, newest first, with their delivery",
    .answer = push_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  push_send_schema = {
    .summary = "Queue a push to every user of the app or to those listed",
    .request = push_send_in,
    .answer = push_page_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  push_get_schema = {
    .summary = "One push and a page of its outbox rows",
    .answer = push_page_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  push_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "pushes", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &push_list_schema, &push_list_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "pushes", FEAT_ADMIN, feat_admin_write,
      FEAT_MANAGER, &push_send_schema, &push_send_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "pushes/{id}", FEAT_ADMIN, push_get,
      FEAT_MANAGER, &push_get_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_push_admin_module = {
    .name = "admin",
    .routes = push_admin_routes,
};
