/*
 * v1.c: the notices module's v1 handlers (seeds/003):
 * GET /api/user/notice/summary, GET /api/user/notice (the seed's bare
 * paged object, without the {"code","message"} envelope) and
 * GET /api/user/notice/{pk}, which marks the notice read for the caller.
 * Every route needs a v1 JWT.  A notice's "status" is the caller's read
 * state as it was before the request, as v2 does for is_read.
 */

#include "config.h"

#include <limits.h>
#include <string.h>

#include "feat.h"
#include "notices/notices.h"


/*
 * The declared answers (feat.h, struct feat_field), from which the
 * OpenAPI document is made; the routes read no fields but v1's paging.
 * The list answers the seed's bare page, no envelope: a RAW schema whose
 * rows describe that whole body.
 */
#define V1_ALWAYS  FEAT_REQUIRED

static const struct feat_field  v1_notice_out[] = {
    { "id", FEAT_FT_ID, V1_ALWAYS, 0, 0, NULL, "the notice's id" },
    { "number", FEAT_FT_STR, V1_ALWAYS, FEAT_NOTICE_NUMBER_DIGITS, 0, NULL,
      "the id, zero-padded (\"00000002\")" },
    { "title", FEAT_FT_STR, V1_ALWAYS, 0, FEAT_NOTICE_TITLE_MAX, NULL,
      "its title" },
    { "content", FEAT_FT_STR, V1_ALWAYS, 0, FEAT_NOTICE_CONTENT_MAX, NULL,
      "its text" },
    { "thumbnail", FEAT_FT_STR, V1_ALWAYS, 0, FEAT_NOTICE_THUMBNAIL_MAX,
      NULL, "a picture's URL, or \"\"" },
    { "status", FEAT_FT_INT, V1_ALWAYS, 0, 1, NULL,
      "1 if the caller had read it before this request" },
    { "created_at", FEAT_FT_TIME, V1_ALWAYS, 0, 0, NULL, "published" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_notice_item = {
    "notice", FEAT_FT_OBJ, V1_ALWAYS, 0, 0, NULL, "a notice", v1_notice_out
};

static const struct feat_field  v1_notice_page_out[] = {
    { "total", FEAT_FT_INT, V1_ALWAYS, 0, LLONG_MAX, NULL, "notices" },
    { "data", FEAT_FT_ARRAY, V1_ALWAYS, 0, 0, NULL,
      "this page's notices", &v1_notice_item },
    { "pages", FEAT_FT_INT, V1_ALWAYS, 0, LLONG_MAX, NULL, "pages" },
    { "page_size", FEAT_FT_INT, V1_ALWAYS, 1, LLONG_MAX, NULL,
      "notices a page" },
    { "current_page", FEAT_FT_INT, V1_ALWAYS, 1, LLONG_MAX, NULL,
      "this page" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_summary_out[] = {
    { "content_notice", FEAT_FT_STR, V1_ALWAYS, 0, FEAT_NOTICE_CONTENT_MAX,
      NULL, "the newest notice's text, or \"\"" },
    { "content_notice_time", FEAT_FT_STR, V1_ALWAYS, 0, 0, "date",
      "its day (\"2018-04-10\"), or \"\"" },
    { "content_reply_time", FEAT_FT_STR, V1_ALWAYS, 0, 0, "date",
      "the newest reply's day, or \"\"" },
    { "unread_notice", FEAT_FT_INT, V1_ALWAYS, 0, LLONG_MAX, NULL,
      "notices the caller has not read" },
    { "unread_reply", FEAT_FT_INT, V1_ALWAYS, 0, LLONG_MAX, NULL,
      "replies to the caller's feedback not read" },
    { "content_reply", FEAT_FT_STR, V1_ALWAYS, 0, 0, NULL,
      "the newest reply to the caller's feedback, or \"\"" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  v1_notice_summary_schema = {
    .summary = "The newest notice and reply, and the unread counts",
    .answer = v1_summary_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v1_notice_list_schema = {
    .summary = "The app's notices, ?page=N (v1's paging), as the seed's "
               "bare page without the envelope",
    .answer = v1_notice_page_out,
    .shape = FEAT_ANSWER_RAW,
};

static const struct feat_schema  v1_notice_get_schema = {
    .summary = "One notice; reading it marks it read",
    .answer = v1_notice_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static cJSON *
v1_notice_object(struct feat_req *r, const struct feat_notice *n)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) n->id);
    cJSON_AddStringToObject(o, "number", feat_notice_number(r->arena, n->id));
    cJSON_AddStringToObject(o, "title", n->title);
    cJSON_AddStringToObject(o, "content", n->content);
    cJSON_AddStringToObject(o, "thumbnail", n->thumbnail);
    cJSON_AddNumberToObject(o, "status", n->status);
    cJSON_AddStringToObject(o, "created_at",
                            feat_time_v1(r->arena, n->created_at));

    return o;
}


/* The seed's summary date: "2018-04-10", the local day; "" for none. */
static const char *
v1_day(struct feat_req *r, int has, time_t t)
{
    if (!has) {
        return "";
    }

    /* feat_time_v2 is "YYYY-MM-DD HH:MM:SS" in the configured zone */
    return feat_arena_strndup(r->arena, feat_time_v2(r->arena, t), 10);
}


/* GET /api/user/notice/summary */
static int
v1_notice_summary(struct feat_req *r)
{
    cJSON                       *o;
    enum feat_error              e;
    struct feat_notice_summary   s;

    e = feat_notice_summary(feat_db(), r->arena, r->app->id, r->user_id, &s);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "notice summary of user %lld",
                         (long long) r->user_id);
    }

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "content_notice", s.notice_content);
    cJSON_AddStringToObject(o, "content_notice_time",
                            v1_day(r, s.has_notice, s.notice_time));
    cJSON_AddStringToObject(o, "content_reply_time",
                            v1_day(r, s.has_reply, s.reply_time));
    cJSON_AddNumberToObject(o, "unread_notice", (double) s.unread_notices);
    cJSON_AddNumberToObject(o, "unread_reply", (double) s.unread_replies);
    cJSON_AddStringToObject(o, "content_reply", s.reply_content);

    return feat_reply(r, o);
}


/* GET /api/user/notice?page=: the bare paged object, as the seed shows */
static int
v1_notice_list(struct feat_req *r)
{
    size_t               i, n;
    cJSON               *list;
    long long            total;
    struct feat_page     pg;
    struct feat_notice  *items;
    enum feat_error      e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_notice_list(feat_db(), r->arena, r->app->id, r->user_id,
                         pg.offset, pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "notice list failed");
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, v1_notice_object(r, &items[i]));
    }

    return feat_reply_body(r, 200, feat_page_object(r, &pg, total, list));
}


/* GET /api/user/notice/{pk}: reading it marks it read */
static int
v1_notice_get(struct feat_req *r)
{
    sqlite3_int64       id;
    struct feat_notice  n;
    enum feat_error     e;

    if (feat_req_param_id(r, "pk", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "notice pk is not an id");
    }

    e = feat_notice_get(feat_db(), r->arena, r->app->id, r->user_id, id, 1,
                        &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "no notice %lld", (long long) id);
    }

    return feat_reply(r, v1_notice_object(r, &n));
}


/* "summary" is a literal segment: the router prefers it to {pk}. */
static const struct feat_route  notices_routes[] = {
    { FEAT_GET, "/api/user/notice/summary", FEAT_V1, v1_notice_summary,
      FEAT_JWT, &v1_notice_summary_schema },
    { FEAT_GET, "/api/user/notice",         FEAT_V1, v1_notice_list,
      FEAT_JWT, &v1_notice_list_schema },
    { FEAT_GET, "/api/user/notice/{pk}",    FEAT_V1, v1_notice_get,
      FEAT_JWT, &v1_notice_get_schema },
    FEAT_NULL_ROUTE
};


static const struct feat_prefix  notices_prefixes[] = {
    { "/api/user/", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_notices_module = {
    .name = "notices",
    .routes = notices_routes,
    .prefixes = notices_prefixes,
};
