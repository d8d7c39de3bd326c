/*
 * v2.c: the feedback module's v2 handlers (seeds/004): file, list and
 * delete one's own feedback, read the latest reply to it, and list the
 * app's feedback categories.  Every route needs a session; a feedback of
 * another user answers not found (10001), exactly like a missing one.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "feedback/feedback.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers.  The handlers read their input through these rows and the
 * OpenAPI document is made from them.  FEAT_NULLABLE on an input: a
 * client may echo back the null our own answers show
 * ("feedback_category_id": null), which means "none", not a wrong type.
 * In an answer FEAT_REQUIRED says the member is always there.
 */
#define V2_ALWAYS  FEAT_REQUIRED

enum { V2_IN_CONTENT, V2_IN_CATEGORY, V2_IN_PHONE };

static const struct feat_field  v2_feedback_create_in[] = {
    [V2_IN_CONTENT] =
    { "feedback_content", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "what the user has to say" },
    [V2_IN_CATEGORY] =
    { "feedback_category_id", FEAT_FT_ID, FEAT_NULLABLE, 0, 0, NULL,
      "one of the app's categories (GET /api/feedback_category)" },
    [V2_IN_PHONE] =
    { "contact_phone", FEAT_FT_STR, FEAT_ALLOW_EMPTY | FEAT_NULLABLE,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "a number to call back" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_feedback_out[] = {
    { "id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the feedback's id" },
    { "app_id", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "the app" },
    { "created_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "filed" },
    { "updated_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "last changed" },
    { "feedback_content", FEAT_FT_STR, V2_ALWAYS,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "the text" },
    { "feedback_status", FEAT_FT_INT, V2_ALWAYS,
      FEAT_FEEDBACK_NEW, FEAT_FEEDBACK_CLOSED, NULL,
      "0 new, 1 replied, 2 closed" },
    { "feedback_category_id", FEAT_FT_ID, V2_ALWAYS | FEAT_NULLABLE,
      0, 0, NULL, "its category, or null" },
    { "contact_phone", FEAT_FT_STR, V2_ALWAYS,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "the number to call back, or \"\"" },
    { "user_id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the user who filed it" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_reply_out[] = {
    { "id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the reply's id" },
    { "app_id", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "the app" },
    { "created_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "written" },
    { "updated_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "last changed" },
    { "reply_content", FEAT_FT_STR, V2_ALWAYS,
      0, FEAT_FEEDBACK_REPLY_MAX, NULL, "the text" },
    { "manager_id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "who replied" },
    { "feedback_id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the feedback" },
    { "is_read", FEAT_FT_BOOL, V2_ALWAYS, 0, 0, NULL,
      "read before this request" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_category_out[] = {
    { "id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the category's id" },
    { "app_id", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "the app" },
    { "created_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "created" },
    { "updated_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "last changed" },
    { "name", FEAT_FT_STR, V2_ALWAYS,
      0, FEAT_FEEDBACK_CATEGORY_NAME_MAX, NULL, "its name" },
    { "description", FEAT_FT_STR, V2_ALWAYS,
      0, FEAT_FEEDBACK_CATEGORY_DESC_MAX, NULL, "what it is for" },
    FEAT_NULL_FIELD
};


static cJSON *
v2_feedback_object(struct feat_req *r, const struct feat_feedback *f)
{
    cJSON  *o;

    o = feat_json_record(r, f->id, f->app_id, f->created_at,
                         f->updated_at);
    cJSON_AddStringToObject(o, "feedback_content", f->content);
    cJSON_AddNumberToObject(o, "feedback_status", f->status);

    if (f->category_id > 0) {
        cJSON_AddNumberToObject(o, "feedback_category_id",
                                (double) f->category_id);
    } else {
        cJSON_AddNullToObject(o, "feedback_category_id");
    }

    cJSON_AddStringToObject(o, "contact_phone", f->contact_phone);
    cJSON_AddNumberToObject(o, "user_id", (double) f->user_id);

    return o;
}


static cJSON *
v2_reply_object(struct feat_req *r, const struct feat_feedback_reply *p)
{
    cJSON  *o;

    o = feat_json_record(r, p->id, p->app_id, p->created_at,
                         p->updated_at);
    cJSON_AddStringToObject(o, "reply_content", p->content);
    cJSON_AddNumberToObject(o, "manager_id", (double) p->manager_id);
    cJSON_AddNumberToObject(o, "feedback_id", (double) p->feedback_id);
    cJSON_AddBoolToObject(o, "is_read", p->is_read != 0);

    return o;
}


static cJSON *
v2_category_object(struct feat_req *r,
    const struct feat_feedback_category *c)
{
    cJSON  *o;

    o = feat_json_record(r, c->id, c->app_id, c->created_at,
                         c->updated_at);
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "description", c->description);

    return o;
}


/* POST /api/feedback */
static int
v2_feedback_create(struct feat_req *r)
{
    long long                 category;
    const char               *content, *phone, *bad;
    struct feat_feedback      f;
    enum feat_error           e;
    const struct feat_field  *in;

    in = v2_feedback_create_in;
    content = NULL;
    category = 0;     /* absent or null: none */
    phone = NULL;

    if (feat_in_field(r, &in[V2_IN_CONTENT], &content) == FEAT_ERROR
        || feat_in_field(r, &in[V2_IN_CATEGORY], &category) == FEAT_ERROR
        || feat_in_field(r, &in[V2_IN_PHONE], &phone) == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    if (phone != NULL && !feat_feedback_phone_ok(phone)) {
        return feat_fail_bad(r, "contact_phone", "invalid phone number");
    }

    bad = NULL;
    e = feat_feedback_create(feat_db(), r->arena, r->app->id, r->user_id,
                             NULL, content, (sqlite3_int64) category, phone,
                             &f, &bad);

    if (e == FEAT_E_BAD_FIELD && bad != NULL) {
        return feat_fail_bad(r, bad,
                            strcmp(bad, "feedback_category_id") == 0
                            ? "no such category" : "invalid");
    }

    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "feedback of user %lld not created",
                         (long long) r->user_id);
    }

    return feat_reply(r, v2_feedback_object(r, &f));
}


/* v1 and v2 list alike (feedback.h). */
int
feat_feedback_page(struct feat_req *r, feat_feedback_item_pt item,
    cJSON **page)
{
    size_t                 i, n;
    cJSON                 *list;
    long long              total;
    struct feat_page       pg;
    struct feat_feedback  *items;
    enum feat_error        e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    e = feat_feedback_list(feat_db(), r->arena, r->app->id, r->user_id, -1,
                           pg.offset, pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "feedback list failed");
        return FEAT_ERROR;
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, item(r, &items[i]));
    }

    *page = feat_page_object(r, &pg, total, list);

    return FEAT_OK;
}


/* v1 and v2 delete alike (feedback.h). */
int
feat_feedback_remove(struct feat_req *r, const char *param)
{
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_req_param_id(r, param, &id) != FEAT_OK) {
        feat_fail(r, FEAT_E_NOT_FOUND, "feedback %s is not an id", param);
        return FEAT_ERROR;
    }

    e = feat_feedback_delete(feat_db(), r->app->id, r->user_id, id);
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "no feedback %lld of user %lld", (long long) id,
                  (long long) r->user_id);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* GET /api/feedback: the caller's feedback, newest first */
static int
v2_feedback_list(struct feat_req *r)
{
    cJSON  *page;

    if (feat_feedback_page(r, v2_feedback_object, &page) != FEAT_OK) {
        return FEAT_OK;
    }

    return feat_reply(r, page);
}


/* DELETE /api/feedback/{id}: the owner removes it, replies and all */
static int
v2_feedback_delete(struct feat_req *r)
{
    if (feat_feedback_remove(r, "id") != FEAT_OK) {
        return FEAT_OK;
    }

    return feat_reply(r, cJSON_CreateObject());
}


/*
 * GET /api/feedback/reply/{feedback_id}: the latest reply, with is_read as
 * it was before; this request then marks the replies read.
 */
static int
v2_feedback_reply(struct feat_req *r)
{
    sqlite3_int64               id;
    struct feat_feedback_reply  p;
    enum feat_error             e;

    if (feat_req_param_id(r, "feedback_id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "feedback id is not an id");
    }

    e = feat_feedback_reply_latest(feat_db(), r->arena, r->app->id,
                                   r->user_id, id, 1, &p);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "no reply to feedback %lld of user %lld",
                         (long long) id, (long long) r->user_id);
    }

    return feat_reply(r, v2_reply_object(r, &p));
}


/* GET /api/feedback_category */
static int
v2_category_list(struct feat_req *r)
{
    size_t                          i, n;
    cJSON                          *list;
    long long                       total;
    struct feat_page                pg;
    struct feat_feedback_category  *items;
    enum feat_error                 e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_feedback_category_list(feat_db(), r->arena, r->app->id,
                                    pg.offset, pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "feedback category list failed");
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, v2_category_object(r, &items[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


static const struct feat_schema  v2_feedback_create_schema = {
    .summary = "File a feedback",
    .request = v2_feedback_create_in,
    .answer = v2_feedback_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v2_feedback_list_schema = {
    .summary = "The caller's feedback, newest first",
    .answer = v2_feedback_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  v2_feedback_delete_schema = {
    .summary = "Delete one's feedback and its replies",
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  v2_feedback_reply_schema = {
    .summary = "The latest reply to one's feedback; marks the replies read",
    .answer = v2_reply_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v2_category_list_schema = {
    .summary = "The app's feedback categories",
    .answer = v2_category_out,
    .shape = FEAT_ANSWER_PAGE,
};


/*
 * A feedback belongs to a user: a token without one (OAuth2
 * client_credentials) is refused by the runtime.  Categories are the app's.
 */
#define V2_USER  (FEAT_USER_SESSION)

static const struct feat_route  feedback_routes[] = {
    { FEAT_POST,   "/api/feedback",      FEAT_V2, v2_feedback_create, V2_USER,
      &v2_feedback_create_schema },
    { FEAT_GET,    "/api/feedback",      FEAT_V2, v2_feedback_list,   V2_USER,
      &v2_feedback_list_schema },
    { FEAT_DELETE, "/api/feedback/{id}", FEAT_V2, v2_feedback_delete, V2_USER,
      &v2_feedback_delete_schema },
    { FEAT_GET,    "/api/feedback/reply/{feedback_id}",
                                         FEAT_V2, v2_feedback_reply,  V2_USER,
      &v2_feedback_reply_schema },
    { FEAT_GET,    "/api/feedback_category",
                                         FEAT_V2, v2_category_list,
                                                  FEAT_SESSION,
      &v2_category_list_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_feedback_module = {
    .name = "feedback",
    .routes = feedback_routes,
};
