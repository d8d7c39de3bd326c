/*
 * admin.c: the feedback inbox in the admin dialect, the console's
 * (featcgi-api(7) "ADMIN API"): the app's feedback as a queue (the new
 * ones first, the longest waiting on top), one feedback with its replies
 * and its user, a manager's reply and the close.
 *
 * A reply is feat_feedback_reply_add's, the one featctl feedback reply
 * makes: the feedback becomes replied and the reply unread, so the v2
 * and v1 clients of the user who wrote it show it as they show any.  The
 * reply and the close record admin.feedback.reply / .close in the audit
 * log in the transaction of the change (feat_admin_write,
 * fcgi/protocol/admin.c).
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include "feat.h"
#include "accounts/accounts.h"
#include "feedback/feedback.h"


/* The replies a feedback's page shows at once (featctl's cap too). */
#define ADMIN_FEEDBACK_REPLIES  FEAT_FEEDBACK_LIST_MAX

/* The list's status filter: the first row is the default. */
static const struct feat_admin_status  feedback_statuses[] = {
    { "open", FEAT_FEEDBACK_NEW },
    { "replied", FEAT_FEEDBACK_REPLIED },
    { "closed", FEAT_FEEDBACK_CLOSED },
    { "all", -1 },
    { NULL, 0 }
};


#define ALWAYS  FEAT_ADMIN_ALWAYS

static const struct feat_field  feedback_list_in[] = {
    { "status", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_ADMIN_STATUS_MAX, NULL,
      "open (the default), replied, closed or all" },
    FEAT_NULL_FIELD
};

static const struct feat_field  feedback_reply_in[] = {
    { "content", FEAT_FT_STR, FEAT_REQUIRED, 1, FEAT_FEEDBACK_REPLY_MAX,
      NULL, "the reply the user reads" },
    FEAT_NULL_FIELD
};

static const struct feat_field  feedback_manager_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the manager's id" },
    { "name", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "its name (\"\" if gone)" },
    FEAT_NULL_FIELD
};

static const struct feat_field  feedback_reply_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the reply's id" },
    { "feedback_id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the feedback" },
    { "content", FEAT_FT_STR, ALWAYS, 0, FEAT_FEEDBACK_REPLY_MAX, NULL,
      "the text" },
    { "manager", FEAT_FT_OBJ, ALWAYS, 0, 0, NULL, "who replied",
      feedback_manager_out },
    { "is_read", FEAT_FT_BOOL, ALWAYS, 0, 0, NULL, "the user has read it" },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "written" },
    FEAT_NULL_FIELD
};

/* The members of an item in the list and on its page. */
#define FEEDBACK_OUT_COMMON                                                  \
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the feedback's id" },           \
    { "user_id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "who wrote it" },           \
    { "title", FEAT_FT_STR, ALWAYS, 0, FEAT_FEEDBACK_TITLE_MAX, NULL,        \
      "v1's title, \"\" for v2 feedback" },                                 \
    { "content", FEAT_FT_STR, ALWAYS, 0, FEAT_FEEDBACK_CONTENT_MAX, NULL,    \
      "the text" },                                                          \
    { "category_id", FEAT_FT_ID, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,         \
      "its category, or null" },                                             \
    { "category", FEAT_FT_STR, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,           \
      "the category's name, or null" },                                      \
    { "contact_phone", FEAT_FT_STR, ALWAYS, 0, FEAT_FEEDBACK_PHONE_MAX,      \
      "phone", "a number to call back, or \"\"" },                           \
    { "status", FEAT_FT_STR, ALWAYS, 0, 0, NULL,                             \
      "open, replied or closed" },                                           \
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "filed" },             \
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "last changed" }

static const struct feat_field  feedback_item_out[] = {
    FEEDBACK_OUT_COMMON,
    { "replies", FEAT_FT_INT, ALWAYS, 0, INT64_MAX, NULL,
      "how many replies it has" },
    FEAT_NULL_FIELD
};

static const struct feat_field  feedback_user_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the user's id" },
    { "nickname", FEAT_FT_STR, ALWAYS, 0, 0, NULL, "or \"\"" },
    { "phone", FEAT_FT_STR, ALWAYS, 0, 0, "phone", "or \"\"" },
    { "email", FEAT_FT_STR, ALWAYS, 0, 0, "email", "or \"\"" },
    FEAT_NULL_FIELD
};

static const struct feat_field  feedback_page_out[] = {
    FEEDBACK_OUT_COMMON,
    { "replies", FEAT_FT_ARRAY, ALWAYS, 0, 0, NULL, "oldest first",
      feedback_reply_out },
    { "user", FEAT_FT_OBJ, ALWAYS | FEAT_NULLABLE, 0, 0, NULL,
      "who wrote it", feedback_user_out },
    FEAT_NULL_FIELD
};


static cJSON *
feedback_object(struct feat_req *r, const void *item)
{
    cJSON                            *o;
    const struct feat_feedback       *f;
    const struct feat_feedback_item  *it;

    it = item;
    f = &it->feedback;
    o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "id", (double) f->id);
    cJSON_AddNumberToObject(o, "user_id", (double) f->user_id);
    feat_json_add_str(o, "title", f->title);
    feat_json_add_str(o, "content", f->content);

    if (f->category_id != 0) {
        cJSON_AddNumberToObject(o, "category_id", (double) f->category_id);
        feat_json_add_str(o, "category", it->category_name);
    } else {
        cJSON_AddNullToObject(o, "category_id");
        cJSON_AddNullToObject(o, "category");
    }

    feat_json_add_str(o, "contact_phone", f->contact_phone);
    feat_json_add_str(o, "status",
                      feat_admin_status_name(feedback_statuses, f->status));
    feat_admin_json_time(r, o, "created_at", f->created_at);
    feat_admin_json_time(r, o, "updated_at", f->updated_at);
    cJSON_AddNumberToObject(o, "replies", (double) it->replies);

    return o;
}


static cJSON *
reply_object(struct feat_req *r, const struct feat_feedback_reply_by *it)
{
    cJSON  *o, *m;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) it->reply.id);
    cJSON_AddNumberToObject(o, "feedback_id",
                            (double) it->reply.feedback_id);
    feat_json_add_str(o, "content", it->reply.content);

    m = cJSON_AddObjectToObject(o, "manager");
    cJSON_AddNumberToObject(m, "id", (double) it->reply.manager_id);
    feat_json_add_str(m, "name", it->manager_name);

    cJSON_AddBoolToObject(o, "is_read", it->reply.is_read);
    feat_admin_json_time(r, o, "created_at", it->reply.created_at);

    return o;
}


static enum feat_error
feedback_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_feedback_item  *list = NULL;
    enum feat_error             e;

    e = feat_feedback_inbox(feat_db(), r->arena, r->app->id, status,
                            pg->offset, pg->size, total, &list, n);
    *items = list;

    return e;
}


/*
 * The page of one feedback: the item, its replies and its user, into *out
 * (the caller's to reply with or delete).  A write reads it inside its
 * transaction, so that nothing fails after the commit.
 */
static enum feat_error
feedback_page_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    cJSON                          *o, *list, *u;
    size_t                          i, n;
    sqlite3                        *db;
    long long                       total;
    enum feat_error                 e;
    struct feat_user                user;
    struct feat_feedback_item       it;
    struct feat_feedback_reply_by  *replies;

    db = feat_db();

    e = feat_feedback_item_get(db, r->arena, r->app->id, id, &it);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_feedback_thread(db, r->arena, r->app->id, id, 0,
                             ADMIN_FEEDBACK_REPLIES, &total, &replies, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_user_get(db, r->arena, r->app->id, it.feedback.user_id, &user);
    if (e != FEAT_E_NONE && e != FEAT_E_NOT_FOUND) {
        return e;
    }

    o = feedback_object(r, &it);

    /* "replies" counts them in the list; here they are the replies */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "replies");
    list = cJSON_AddArrayToObject(o, "replies");
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, reply_object(r, &replies[i]));
    }

    if (e == FEAT_E_NOT_FOUND) {
        cJSON_AddNullToObject(o, "user");
    } else {
        u = cJSON_AddObjectToObject(o, "user");
        cJSON_AddNumberToObject(u, "id", (double) user.id);
        feat_json_add_str(u, "nickname", user.nickname);
        feat_json_add_str(u, "phone", user.phone);
        feat_json_add_str(u, "email", user.email);
    }

    *out = o;

    return FEAT_E_NONE;
}


static int
feedback_content(struct feat_req *r, struct feat_admin_write *w)
{
    /* the one field: a refusal of the reply is about it */
    w->bad = w->op->fields[0].name;

    return feat_in_field(r, &w->op->fields[0], (const char **) w->in);
}


/* The path's feedback, whose writer the audit record is about. */
static enum feat_error
feedback_writer(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    enum feat_error        e;
    struct feat_feedback   f;

    e = feat_feedback_get(db, r->arena, r->app->id, FEAT_FEEDBACK_ANY_USER,
                          w->id, &f);
    if (e == FEAT_E_NONE) {
        w->user_id = f.user_id;
    }

    return e;
}


/* The manager's reply (w->in: its text), answered as stored. */
static enum feat_error
feedback_reply_add(struct feat_req *r, sqlite3 *db,
    struct feat_admin_write *w)
{
    const char                     *bad;
    sqlite3_int64                   reply_id;
    enum feat_error                 e;
    struct feat_feedback_reply_by   reply;

    e = feedback_writer(r, db, w);
    if (e != FEAT_E_NONE) {
        return e;
    }

    bad = NULL;
    e = feat_feedback_reply_add(db, r->app->id, w->id, r->manager_id,
                                *(const char **) w->in, &reply_id, &bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_admin_audit(r, w->user_id, w->op->action, "ii",
                         "feedback", w->id, "reply", reply_id)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (feat_feedback_reply_get(db, r->arena, r->app->id, reply_id, &reply)
        != FEAT_E_NONE)
    {
        return FEAT_E_INTERNAL;
    }

    w->out = reply_object(r, &reply);

    return FEAT_E_NONE;
}


static enum feat_error
feedback_close_one(struct feat_req *r, sqlite3 *db,
    struct feat_admin_write *w)
{
    enum feat_error  e;

    e = feedback_writer(r, db, w);

    return e == FEAT_E_NONE ? feat_feedback_close(db, r->app->id, w->id) : e;
}


static const struct feat_admin_list  feedback_list_op = {
    .what = "feedback", .status = &feedback_list_in[0],
    .statuses = feedback_statuses, .read = feedback_read,
    .size = sizeof(struct feat_feedback_item), .object = feedback_object,
};

static const struct feat_admin_op  feedback_reply_op = {
    .what = "feedback", .action = "admin.feedback.reply", .status = 201,
    .flags = FEAT_ADMIN_BY_ID | FEAT_ADMIN_AUDITS, .fields = feedback_reply_in,
    .in_size = sizeof(const char *), .input = feedback_content,
    .change = feedback_reply_add,
};

static const struct feat_admin_op  feedback_close_op = {
    .what = "feedback", .action = "admin.feedback.close",
    .flags = FEAT_ADMIN_BY_ID, .change = feedback_close_one,
    .answer = feedback_page_object,
};

static const struct feat_admin_op  feedback_get_op = {
    .what = "feedback", .answer = feedback_page_object,
};


static const struct feat_schema  feedback_list_schema = {
    .summary = "The feedback inbox: open first, the oldest on top",
    .request = feedback_list_in,
    .answer = feedback_item_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  feedback_get_schema = {
    .summary = "One feedback with its replies and its user",
    .answer = feedback_page_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  feedback_reply_schema = {
    .summary = "A manager's reply, which the user's clients then show",
    .request = feedback_reply_in,
    .answer = feedback_reply_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  feedback_close_schema = {
    .summary = "Close a feedback: no more replies",
    .answer = feedback_page_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  feedback_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "feedback", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &feedback_list_schema, &feedback_list_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "feedback/{id}", FEAT_ADMIN,
      feat_admin_show, FEAT_MANAGER, &feedback_get_schema, &feedback_get_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "feedback/{id}/replies", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &feedback_reply_schema,
      &feedback_reply_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "feedback/{id}/close", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &feedback_close_schema,
      &feedback_close_op },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_feedback_admin_module = {
    .name = "admin",
    .routes = feedback_admin_routes,
};
