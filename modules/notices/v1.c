/*
 * v1.c: the notices module's v1 handlers (seeds/003):
 * GET /api/user/notice/summary, GET /api/user/notice (the seed's bare
 * paged object, without the {"code","message"} envelope) and
 * GET /api/user/notice/{pk}, which marks the notice read for the caller.
 * Every route needs a v1 JWT.  A notice's "status" is the caller's read
 * state as it was before the request, as v2 does for is_read.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "notices/notices.h"


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
                                                     FEAT_JWT },
    { FEAT_GET, "/api/user/notice",         FEAT_V1, v1_notice_list,
                                                     FEAT_JWT },
    { FEAT_GET, "/api/user/notice/{pk}",    FEAT_V1, v1_notice_get,
                                                     FEAT_JWT },
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
