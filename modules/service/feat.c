/*
 * service/feat.c: the feat dialect's service marketplace (API.md "Service
 * projects", seeds/002 "Service: Status"): the projects under
 * /api/service/project/, their transitions and bids, and the opportunity
 * square /api/service/square/.  Every route needs a user's session.
 *
 * A project answers {id, title, description, category, budget_fen,
 * close_at, status, status_display, actions, owner: {uid, nickname},
 * bids_count, my_bid, winner, review_note, created_at, published_at,
 * closed_at, completed_at, cancelled_at}; a bid {id, project_id, bidder:
 * {uid, nickname}, price_fen, message, created_at, updated_at}.  The
 * domain (service.c) decides everything; this file reads the fields,
 * renders the objects and names the field of a 400.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "service/service.h"


static cJSON *
service_time(struct feat_req *r, time_t t)
{
    return t != 0 ? cJSON_CreateString(feat_time(r, t)) : cJSON_CreateNull();
}


static cJSON *
service_user(sqlite3_int64 uid, const char *nickname)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "uid", (double) uid);
    cJSON_AddStringToObject(o, "nickname", nickname);

    return o;
}


static cJSON *
service_bid_object(struct feat_req *r, const struct feat_service_bid *b)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) b->id);
    cJSON_AddNumberToObject(o, "project_id", (double) b->project_id);
    cJSON_AddItemToObject(o, "bidder",
                          service_user(b->bidder_id, b->bidder_nickname));
    cJSON_AddNumberToObject(o, "price_fen", (double) b->price_fen);
    cJSON_AddStringToObject(o, "message", b->message);
    cJSON_AddItemToObject(o, "created_at", service_time(r, b->created_at));
    cJSON_AddItemToObject(o, "updated_at", service_time(r, b->updated_at));

    return o;
}


static cJSON *
service_project_object(struct feat_req *r,
    const struct feat_service_project *p)
{
    size_t       i, n;
    cJSON       *o, *list;
    const char  *names[FEAT_SERVICE_NOPS];

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    cJSON_AddStringToObject(o, "title", p->title);
    cJSON_AddStringToObject(o, "description", p->description);
    cJSON_AddStringToObject(o, "category", p->category);
    cJSON_AddNumberToObject(o, "budget_fen", (double) p->budget_fen);
    cJSON_AddItemToObject(o, "close_at", service_time(r, p->close_at));
    cJSON_AddNumberToObject(o, "status", p->status);
    cJSON_AddStringToObject(o, "status_display",
                            feat_service_status_name(p->status));

    list = cJSON_AddArrayToObject(o, "actions");
    n = feat_service_actions(p, r->user_id, names);
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, cJSON_CreateString(names[i]));
    }

    cJSON_AddItemToObject(o, "owner",
                          service_user(p->owner_id, p->owner_nickname));
    cJSON_AddNumberToObject(o, "bids_count", (double) p->bids_count);
    cJSON_AddItemToObject(o, "my_bid",
                          p->has_my_bid ? service_bid_object(r, &p->my_bid)
                                        : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "winner",
                          p->has_winner ? service_bid_object(r, &p->winner)
                                        : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "review_note",
                          p->review_note != NULL
                          ? cJSON_CreateString(p->review_note)
                          : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "created_at", service_time(r, p->created_at));
    cJSON_AddItemToObject(o, "published_at",
                          service_time(r, p->published_at));
    cJSON_AddItemToObject(o, "closed_at", service_time(r, p->closed_at));
    cJSON_AddItemToObject(o, "completed_at",
                          service_time(r, p->completed_at));
    cJSON_AddItemToObject(o, "cancelled_at",
                          service_time(r, p->cancelled_at));

    return o;
}


/* Why a field the domain refused is bad, for errors.<field>. */
static const char *
service_reason(const char *field)
{
    static const struct {
        const char  *field;
        const char  *reason;
    } reasons[] = {
        { "title", "1 to 100 characters" },
        { "description", "1 to 5000 characters" },
        { "category", "at most 32 characters" },
        { "budget_fen", "an integer from 1 to 10000000000" },
        { "close_at", "an ISO 8601 time with its offset, in the future" },
        { "price_fen", "an integer from 1 to 10000000000" },
        { "message", "at most 1000 characters" },
        { "bid_id", "a bid on this project" },
        { "q", "at most 100 characters" },
    };
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(reasons); i++) {
        if (strcmp(reasons[i].field, field) == 0) {
            return reasons[i].reason;
        }
    }

    return "invalid";
}


/* Fails a domain error, naming the field of a FEAT_E_BAD_FIELD. */
static int
service_fail(struct feat_req *r, enum feat_error e, const char *bad,
    sqlite3_int64 id)
{
    if (e == FEAT_E_BAD_FIELD && bad != NULL) {
        return feat_fail_bad(r, bad, service_reason(bad));
    }

    return feat_fail(r, e, "service project %lld, user %lld",
                     (long long) id, (long long) r->user_id);
}


/*
 * The project fields of a create (all but category required) or a PATCH
 * (any): FEAT_OK with f, or FEAT_ERROR with r->bad_field set.
 */
static int
service_in_fields(struct feat_req *r, int create,
    struct feat_service_fields *f)
{
    unsigned     req;
    const char  *close_at;

    memset(f, 0, sizeof(*f));
    req = create ? FEAT_REQUIRED : 0;
    close_at = NULL;

    if (feat_in_str(r, "title", &f->title, FEAT_SERVICE_TITLE_MAX, req)
            == FEAT_ERROR
        || feat_in_str(r, "description", &f->description,
                       FEAT_SERVICE_DESC_MAX, req)
            == FEAT_ERROR
        || feat_in_str(r, "category", &f->category,
                       FEAT_SERVICE_CATEGORY_MAX, FEAT_ALLOW_EMPTY)
            == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    switch (feat_in_int(r, "budget_fen", &f->budget_fen, 1,
                        FEAT_SERVICE_BUDGET_MAX, req))
    {
    case FEAT_OK:
        f->has_budget = 1;
        break;
    case FEAT_ERROR:
        return FEAT_ERROR;
    }

    switch (feat_in_str(r, "close_at", &close_at, 64, req)) {
    case FEAT_OK:
        if (feat_service_parse_time(close_at, &f->close_at) != FEAT_OK) {
            r->bad_field = "close_at";
            r->bad_reason = service_reason("close_at");
            return FEAT_ERROR;
        }
        f->has_close_at = 1;
        break;
    case FEAT_ERROR:
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static int
service_reply_project(struct feat_req *r, sqlite3_int64 id)
{
    enum feat_error              e;
    struct feat_service_project  p;

    e = feat_service_get(feat_db(), r->arena, r->app->id, r->user_id, id,
                         &p);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, NULL, id);
    }

    return feat_reply(r, service_project_object(r, &p));
}


static int
service_reply_list(struct feat_req *r, const struct feat_page *pg,
    long long total, const struct feat_service_project *list, size_t n)
{
    size_t   i;
    cJSON   *items;

    items = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, service_project_object(r, &list[i]));
    }

    return feat_reply(r, feat_page_object(r, pg, total, items));
}


/* ---- projects ------------------------------------------------------------ */

static int
service_create(struct feat_req *r)
{
    const char                  *bad;
    enum feat_error              e;
    struct feat_service_fields   f;
    struct feat_service_project  p;

    if (service_in_fields(r, 1, &f) != FEAT_OK) {
        return feat_fail_field(r);
    }

    bad = NULL;
    e = feat_service_create(feat_db(), r->arena, r->app->id, r->user_id, &f,
                            &p, &bad);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, bad, 0);
    }

    r->status = 201;

    return feat_reply(r, service_project_object(r, &p));
}


static int
service_list(struct feat_req *r)
{
    int                           status;
    size_t                        n;
    long long                     total, v;
    enum feat_error               e;
    struct feat_page              pg;
    struct feat_service_project  *list;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    status = -1;

    switch (feat_in_int(r, "status", &v, 0, FEAT_SERVICE_CANCELLED,
                        FEAT_QUERY))
    {
    case FEAT_OK:
        if (feat_service_status_name((int) v) == NULL) {
            return feat_fail_bad(r, "status",
                                 "one of 0, 100, 200, 300, 400, 500");
        }
        status = (int) v;
        break;
    case FEAT_ERROR:
        return feat_fail_field(r);
    }

    e = feat_service_list(feat_db(), r->arena, r->app->id, r->user_id,
                          r->user_id, status, pg.offset, pg.size, &total,
                          &list, &n);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, NULL, 0);
    }

    return service_reply_list(r, &pg, total, list, n);
}


static int
service_square(struct feat_req *r)
{
    size_t                        n;
    long long                     total;
    const char                   *q, *category, *bad;
    enum feat_error               e;
    struct feat_page              pg;
    struct feat_service_project  *list;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    q = NULL;
    category = NULL;

    if (feat_in_str(r, "q", &q, FEAT_SERVICE_QUERY_MAX,
                    FEAT_QUERY | FEAT_ALLOW_EMPTY)
            == FEAT_ERROR
        || feat_in_str(r, "category", &category, FEAT_SERVICE_CATEGORY_MAX,
                       FEAT_QUERY | FEAT_ALLOW_EMPTY)
            == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    bad = NULL;
    e = feat_service_square(feat_db(), r->arena, r->app->id, r->user_id, q,
                            category, pg.offset, pg.size, &total, &list, &n,
                            &bad);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, bad, 0);
    }

    return service_reply_list(r, &pg, total, list, n);
}


static int
service_get(struct feat_req *r)
{
    sqlite3_int64  id;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    return service_reply_project(r, id);
}


static int
service_patch(struct feat_req *r)
{
    const char                  *bad;
    sqlite3_int64                id;
    enum feat_error              e;
    struct feat_service_fields   f;
    struct feat_service_project  p;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    if (service_in_fields(r, 0, &f) != FEAT_OK) {
        return feat_fail_field(r);
    }

    bad = NULL;
    e = feat_service_update(feat_db(), r->arena, r->app->id, r->user_id, id,
                            &f, &p, &bad);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, bad, id);
    }

    return feat_reply(r, service_project_object(r, &p));
}


static int
service_delete(struct feat_req *r)
{
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    e = feat_service_delete(feat_db(), r->app->id, r->user_id, id);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, NULL, id);
    }

    return feat_reply_empty(r, 204);
}


/* ---- transitions --------------------------------------------------------- */

static int
service_step(struct feat_req *r, enum feat_service_op op)
{
    const char                  *bad;
    long long                    bid_id;
    sqlite3_int64                id;
    enum feat_error              e;
    struct feat_service_project  p;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    bid_id = 0;

    if (op == FEAT_SERVICE_SELECT_WINNER
        && feat_in_int(r, "bid_id", &bid_id, 1, INT64_MAX, FEAT_REQUIRED)
           != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    bad = NULL;
    e = feat_service_transition(feat_db(), r->arena, r->app->id, r->user_id,
                                id, op, (sqlite3_int64) bid_id, NULL, &p,
                                &bad);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, bad, id);
    }

    return feat_reply(r, service_project_object(r, &p));
}


static int
service_publish(struct feat_req *r)
{
    return service_step(r, FEAT_SERVICE_PUBLISH);
}


static int
service_close(struct feat_req *r)
{
    return service_step(r, FEAT_SERVICE_CLOSE);
}


static int
service_cancel(struct feat_req *r)
{
    return service_step(r, FEAT_SERVICE_CANCEL);
}


static int
service_select_winner(struct feat_req *r)
{
    return service_step(r, FEAT_SERVICE_SELECT_WINNER);
}


/* ---- bids ---------------------------------------------------------------- */

static int
service_bid(struct feat_req *r)
{
    int                      created;
    const char              *message, *bad;
    long long                price;
    sqlite3_int64            id;
    enum feat_error          e;
    struct feat_service_bid  b;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    message = NULL;

    if (feat_in_int(r, "price_fen", &price, 1, FEAT_SERVICE_PRICE_MAX,
                    FEAT_REQUIRED)
            != FEAT_OK
        || feat_in_str(r, "message", &message, FEAT_SERVICE_MESSAGE_MAX,
                       FEAT_ALLOW_EMPTY)
            == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    bad = NULL;
    created = 0;
    e = feat_service_bid(feat_db(), r->arena, r->app->id, r->user_id, id,
                         price, message, &b, &created, &bad);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, bad, id);
    }

    r->status = created ? 201 : 200;

    return feat_reply(r, service_bid_object(r, &b));
}


static int
service_bid_list(struct feat_req *r)
{
    size_t                    i, n;
    long long                 total;
    cJSON                    *items;
    sqlite3_int64             id;
    enum feat_error           e;
    struct feat_page          pg;
    struct feat_service_bid  *list;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_service_bids(feat_db(), r->arena, r->app->id, r->user_id, id,
                          pg.offset, pg.size, &total, &list, &n);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, NULL, id);
    }

    items = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, service_bid_object(r, &list[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, items));
}


static int
service_withdraw(struct feat_req *r)
{
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad project id");
    }

    e = feat_service_withdraw(feat_db(), r->app->id, r->user_id, id);
    if (e != FEAT_E_NONE) {
        return service_fail(r, e, NULL, id);
    }

    return feat_reply_empty(r, 204);
}


static void
service_sweep(sqlite3 *db, time_t now)
{
    feat_service_sweep(db, now);
}


static const struct feat_route  service_routes[] = {
    { FEAT_GET, "/api/service/project/", FEAT_FEAT,
      service_list, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/", FEAT_FEAT,
      service_create, FEAT_USER_SESSION },
    { FEAT_GET, "/api/service/project/{id}/", FEAT_FEAT,
      service_get, FEAT_USER_SESSION },
    { FEAT_PATCH, "/api/service/project/{id}/", FEAT_FEAT,
      service_patch, FEAT_USER_SESSION },
    { FEAT_DELETE, "/api/service/project/{id}/", FEAT_FEAT,
      service_delete, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/{id}/publish/", FEAT_FEAT,
      service_publish, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/{id}/close/", FEAT_FEAT,
      service_close, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/{id}/cancel/", FEAT_FEAT,
      service_cancel, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/{id}/select-winner/", FEAT_FEAT,
      service_select_winner, FEAT_USER_SESSION },
    { FEAT_GET, "/api/service/project/{id}/bids/", FEAT_FEAT,
      service_bid_list, FEAT_USER_SESSION },
    { FEAT_POST, "/api/service/project/{id}/bids/", FEAT_FEAT,
      service_bid, FEAT_USER_SESSION },
    { FEAT_DELETE, "/api/service/project/{id}/bids/mine/", FEAT_FEAT,
      service_withdraw, FEAT_USER_SESSION },
    { FEAT_GET, "/api/service/square/", FEAT_FEAT,
      service_square, FEAT_USER_SESSION },
    FEAT_NULL_ROUTE
};


static const struct feat_setting  service_settings[] = {
    { FEAT_SERVICE_REVIEW_KEY, FEAT_SETTING_BOOL, 0, "off", NULL, 0, 0, NULL,
      "service projects wait in REVIEW for featctl project approve", NULL },
    FEAT_NULL_SETTING
};


const struct feat_module  feat_service_module = {
    .name = "service",
    .routes = service_routes,
    .sweep = service_sweep,
    .settings = service_settings,
};
