/*
 * v1.c: the feedback module's v1 handlers (seeds/003): owner-only CRUD of
 * one's feedback under /api/user/feedback and the replies to it under
 * /api/user/feedback_reply.  The rows are the v2 ones (feedback.h):
 * feedback_title is the title column ("" for feedback filed through v2),
 * feedback_phone is v2's contact_phone.  Another user's feedback answers
 * not found (10008), exactly like a missing one.  Times are v1's ISO form,
 * except the reply list's created_at and reply_time, which the seed shows
 * as "2018-04-10 15:25:10".
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "feedback/feedback.h"

/* The array form of feedback_reply (no page) shows at most this many. */
#define V1_REPLY_ARRAY_MAX  100


/*
 * v1's feedback_status (issue 12): the seed's reply example shows a
 * replied feedback as 2, so v1 numbers the states its own way: 0 new
 * (no reply yet), 2 replied, 3 closed; 1 is never answered.  v2 keeps
 * its 0 new, 1 replied, 2 closed (the rows store v2's).
 */
#define V1_STATUS_NEW      0
#define V1_STATUS_REPLIED  2
#define V1_STATUS_CLOSED   3

static int
v1_status(int status)
{
    switch (status) {
    case FEAT_FEEDBACK_REPLIED:
        return V1_STATUS_REPLIED;
    case FEAT_FEEDBACK_CLOSED:
        return V1_STATUS_CLOSED;
    default:
        return V1_STATUS_NEW;
    }
}


static cJSON *
v1_feedback_object(struct feat_req *r, const struct feat_feedback *f)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "feedback_id", (double) f->id);
    cJSON_AddNumberToObject(o, "user_id", (double) f->user_id);
    cJSON_AddStringToObject(o, "feedback_title", f->title);
    cJSON_AddStringToObject(o, "feedback_content", f->content);
    cJSON_AddStringToObject(o, "feedback_phone", f->contact_phone);
    cJSON_AddNumberToObject(o, "feedback_status", v1_status(f->status));
    cJSON_AddStringToObject(o, "created_at",
                            feat_time_v1(r->arena, f->created_at));
    cJSON_AddStringToObject(o, "updated_at",
                            feat_time_v1(r->arena, f->updated_at));

    return o;
}


/* The seed's reply object: the feedback's fields and the reply's, with
 * its two times in the form without "T". */
static cJSON *
v1_reply_object(struct feat_req *r, const struct feat_feedback_reply_item *it)
{
    cJSON                             *o;
    const struct feat_feedback        *f;
    const struct feat_feedback_reply  *p;

    f = &it->feedback;
    p = &it->reply;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "is_read", p->is_read ? 1 : 0);
    cJSON_AddStringToObject(o, "feedback_phone", f->contact_phone);
    cJSON_AddStringToObject(o, "feedback_title", f->title);
    cJSON_AddStringToObject(o, "created_at",
                            feat_time_v2(r->arena, f->created_at));
    cJSON_AddNumberToObject(o, "feedback_id", (double) f->id);
    cJSON_AddStringToObject(o, "updated_at",
                            feat_time_v1(r->arena, p->updated_at));
    cJSON_AddNumberToObject(o, "reply_id", (double) p->id);
    cJSON_AddNumberToObject(o, "feedback_status", v1_status(f->status));
    cJSON_AddStringToObject(o, "reply_time",
                            feat_time_v2(r->arena, p->created_at));
    cJSON_AddNumberToObject(o, "user_id", (double) f->user_id);
    cJSON_AddStringToObject(o, "reply_content", p->content);
    cJSON_AddStringToObject(o, "feedback_content", f->content);

    return o;
}


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers; the handlers read their input through these rows and the
 * OpenAPI document is made from them.  A create needs title and content,
 * an edit changes what it is given: two lists, in the same order.  In an
 * answer FEAT_REQUIRED says the member is always there.
 */
#define V1_ALWAYS  FEAT_REQUIRED

enum { V1_IN_TITLE, V1_IN_CONTENT, V1_IN_PHONE };

static const struct feat_field  v1_feedback_create_in[] = {
    [V1_IN_TITLE] =
    { "feedback_title", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_FEEDBACK_TITLE_MAX, NULL, "a title" },
    [V1_IN_CONTENT] =
    { "feedback_content", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "what the user has to say" },
    [V1_IN_PHONE] =
    { "feedback_phone", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "a number to call back" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_feedback_edit_in[] = {
    [V1_IN_TITLE] =
    { "feedback_title", FEAT_FT_STR, 0,
      0, FEAT_FEEDBACK_TITLE_MAX, NULL, "a new title" },
    [V1_IN_CONTENT] =
    { "feedback_content", FEAT_FT_STR, 0,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "a new text" },
    [V1_IN_PHONE] =
    { "feedback_phone", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "a new number to call back" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_feedback_out[] = {
    { "feedback_id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "its id" },
    { "user_id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "who filed it" },
    { "feedback_title", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_TITLE_MAX, NULL, "the title (\"\" if filed by v2)" },
    { "feedback_content", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "the text" },
    { "feedback_phone", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "the number, or \"\"" },
    { "feedback_status", FEAT_FT_INT, V1_ALWAYS,
      V1_STATUS_NEW, V1_STATUS_CLOSED, NULL, "0 new, 2 replied, 3 closed" },
    { "created_at", FEAT_FT_TIME, V1_ALWAYS, 0, 0, NULL, "filed" },
    { "updated_at", FEAT_FT_TIME, V1_ALWAYS, 0, 0, NULL, "last changed" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_reply_out[] = {
    { "is_read", FEAT_FT_INT, V1_ALWAYS, 0, 1, NULL,
      "1 if read before this request" },
    { "feedback_phone", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_PHONE_MAX, "phone", "the feedback's number" },
    { "feedback_title", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_TITLE_MAX, NULL, "the feedback's title" },
    { "created_at", FEAT_FT_TIME, V1_ALWAYS, 0, 0, "v2",
      "the feedback filed" },
    { "feedback_id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "the feedback" },
    { "updated_at", FEAT_FT_TIME, V1_ALWAYS, 0, 0, NULL,
      "the reply last changed" },
    { "reply_id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "the reply's id" },
    { "feedback_status", FEAT_FT_INT, V1_ALWAYS,
      V1_STATUS_NEW, V1_STATUS_CLOSED, NULL, "0 new, 2 replied, 3 closed" },
    { "reply_time", FEAT_FT_TIME, V1_ALWAYS, 0, 0, "v2", "the reply written" },
    { "user_id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "who filed the feedback" },
    { "reply_content", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_REPLY_MAX, NULL, "the reply" },
    { "feedback_content", FEAT_FT_STR, V1_ALWAYS,
      0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "the feedback's text" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_success_out[] = {
    { "result", FEAT_FT_STR, V1_ALWAYS, 0, 0, NULL, "always \"success\"" },
    FEAT_NULL_FIELD
};


/* Answers a refusal of the domain, naming the field by its v1 name. */
static int
v1_feedback_fail(struct feat_req *r, enum feat_error e, const char *bad,
    const char *what)
{
    if (e == FEAT_E_BAD_FIELD && bad != NULL) {
        r->bad_field = strcmp(bad, "contact_phone") == 0 ? "feedback_phone"
                                                         : bad;
        r->bad_reason = "invalid";
        return feat_fail_field(r);
    }

    return feat_fail(r, e, "%s of user %lld", what, (long long) r->user_id);
}


/*
 * The three text fields of a create or an edit, by the route's rows (in,
 * v1_feedback_create_in or v1_feedback_edit_in); absent ones are NULL.
 * FEAT_OK, or FEAT_ERROR once answered.
 */
static int
v1_feedback_input(struct feat_req *r, const struct feat_field *in,
    const char **title, const char **content, const char **phone)
{
    *title = NULL;
    *content = NULL;
    *phone = NULL;

    if (feat_in_field(r, &in[V1_IN_TITLE], title) == FEAT_ERROR
        || feat_in_field(r, &in[V1_IN_CONTENT], content) == FEAT_ERROR
        || feat_in_field(r, &in[V1_IN_PHONE], phone) == FEAT_ERROR)
    {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    if (*phone != NULL && !feat_feedback_phone_ok(*phone)) {
        feat_fail_bad(r, "feedback_phone", "invalid phone number");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* POST /api/user/feedback */
static int
v1_feedback_create(struct feat_req *r)
{
    const char            *title, *content, *phone, *bad;
    struct feat_feedback   f;
    enum feat_error        e;

    if (v1_feedback_input(r, v1_feedback_create_in, &title, &content, &phone)
        != FEAT_OK)
    {
        return FEAT_OK;
    }

    bad = NULL;
    e = feat_feedback_create(feat_db(), r->arena, r->app->id, r->user_id,
                             title, content, 0, phone, &f, &bad);
    if (e != FEAT_E_NONE) {
        return v1_feedback_fail(r, e, bad, "feedback not created");
    }

    return feat_reply(r, v1_feedback_object(r, &f));
}


/* GET /api/user/feedback?page=: the caller's feedback, newest first */
static int
v1_feedback_list(struct feat_req *r)
{
    cJSON  *page;

    if (feat_feedback_page(r, v1_feedback_object, &page) != FEAT_OK) {
        return FEAT_OK;
    }

    return feat_reply(r, page);
}


/* GET /api/user/feedback/{pk} */
static int
v1_feedback_get(struct feat_req *r)
{
    sqlite3_int64          id;
    struct feat_feedback   f;
    enum feat_error        e;

    if (feat_req_param_id(r, "pk", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "feedback pk is not an id");
    }

    e = feat_feedback_get(feat_db(), r->arena, r->app->id, r->user_id, id,
                          &f);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "no feedback %lld of user %lld",
                         (long long) id, (long long) r->user_id);
    }

    return feat_reply(r, v1_feedback_object(r, &f));
}


/* PUT /api/user/feedback/{pk}: fields left out stay as they are */
static int
v1_feedback_edit(struct feat_req *r)
{
    const char            *title, *content, *phone, *bad;
    sqlite3_int64          id;
    struct feat_feedback   f;
    enum feat_error        e;

    if (feat_req_param_id(r, "pk", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "feedback pk is not an id");
    }

    if (v1_feedback_input(r, v1_feedback_edit_in, &title, &content, &phone)
        != FEAT_OK)
    {
        return FEAT_OK;
    }

    bad = NULL;
    e = feat_feedback_update(feat_db(), r->arena, r->app->id, r->user_id,
                             id, title, content, phone, &f, &bad);
    if (e != FEAT_E_NONE) {
        return v1_feedback_fail(r, e, bad, "feedback not changed");
    }

    return feat_reply(r, v1_feedback_object(r, &f));
}


/* DELETE /api/user/feedback/{pk}: the replies go with it */
static int
v1_feedback_delete(struct feat_req *r)
{
    if (feat_feedback_remove(r, "pk") != FEAT_OK) {
        return FEAT_OK;
    }

    return feat_reply(r, cJSON_CreateString("success"));
}


/*
 * GET /api/user/feedback_reply: the replies to the caller's feedback,
 * newest first.  Without "page" the seed's array form (the newest
 * V1_REPLY_ARRAY_MAX), with it the paged object.  Each reply shows
 * is_read as it was; the replies shown are then marked read, which is
 * what notice/summary's unread_reply counts.
 */
static int
v1_feedback_replies(struct feat_req *r)
{
    int                               paged;
    size_t                            i, n;
    cJSON                            *list;
    long long                         total;
    struct feat_page                  pg;
    struct feat_feedback_reply_item  *items;
    enum feat_error                   e;

    paged = feat_req_arg(r, "page") != NULL;

    if (paged) {
        if (feat_in_page(r, &pg) != FEAT_OK) {
            return feat_fail_field(r);
        }

    } else {
        pg.page = 1;
        pg.size = V1_REPLY_ARRAY_MAX;
        pg.offset = 0;
    }

    e = feat_feedback_user_replies(feat_db(), r->arena, r->app->id,
                                   r->user_id, pg.offset, pg.size, 1, &total,
                                   &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "reply list of user %lld failed",
                         (long long) r->user_id);
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, v1_reply_object(r, &items[i]));
    }

    if (!paged) {
        return feat_reply(r, list);
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


static const struct feat_schema  v1_feedback_create_schema = {
    .summary = "File a feedback",
    .request = v1_feedback_create_in,
    .answer = v1_feedback_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v1_feedback_list_schema = {
    .summary = "The caller's feedback, newest first",
    .answer = v1_feedback_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  v1_feedback_get_schema = {
    .summary = "One of the caller's feedback",
    .answer = v1_feedback_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v1_feedback_edit_schema = {
    .summary = "Change one's feedback; fields left out stay",
    .request = v1_feedback_edit_in,
    .answer = v1_feedback_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v1_feedback_delete_schema = {
    .summary = "Delete one's feedback and its replies",
    .answer = v1_success_out,
    .shape = FEAT_ANSWER_VALUE,
};

static const struct feat_schema  v1_feedback_replies_schema = {
    .summary = "The replies to one's feedback, newest first; marks them "
               "read.  An array, or with ?page= a page",
    .answer = v1_reply_out,
    .shape = FEAT_ANSWER_LIST | FEAT_ANSWER_PAGE,
};


static const struct feat_route  feedback_v1_routes[] = {
    { FEAT_POST,   "/api/user/feedback",      FEAT_V1, v1_feedback_create,
      FEAT_JWT, &v1_feedback_create_schema },
    { FEAT_GET,    "/api/user/feedback",      FEAT_V1, v1_feedback_list,
      FEAT_JWT, &v1_feedback_list_schema },
    { FEAT_GET,    "/api/user/feedback/{pk}", FEAT_V1, v1_feedback_get,
      FEAT_JWT, &v1_feedback_get_schema },
    { FEAT_PUT,    "/api/user/feedback/{pk}", FEAT_V1, v1_feedback_edit,
      FEAT_JWT, &v1_feedback_edit_schema },
    { FEAT_DELETE, "/api/user/feedback/{pk}", FEAT_V1, v1_feedback_delete,
      FEAT_JWT, &v1_feedback_delete_schema },
    { FEAT_GET,    "/api/user/feedback_reply", FEAT_V1, v1_feedback_replies,
      FEAT_JWT, &v1_feedback_replies_schema },
    FEAT_NULL_ROUTE
};


static const struct feat_prefix  feedback_v1_prefixes[] = {
    { "/api/user/", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_feedback_v1_module = {
    .name = "feedback-v1",
    .routes = feedback_v1_routes,
    .prefixes = feedback_v1_prefixes,
};
