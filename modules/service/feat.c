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

#include <limits.h>
#include <string.h>

#include "feat.h"
#include "service/service.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers.  The handlers read their input through these rows and the
 * OpenAPI document is made from them.  A create needs every field but
 * category, a PATCH changes what it is given: two lists, in the same
 * order.  In an answer FEAT_REQUIRED says the member is always there,
 * FEAT_NULLABLE that it may be null.
 */
#define SERVICE_ALWAYS    FEAT_REQUIRED
#define SERVICE_OR_NULL   (FEAT_REQUIRED | FEAT_NULLABLE)

/* An ISO 8601 time with its offset is far shorter; the domain parses it. */
#define SERVICE_TIME_MAX  64

enum { SERVICE_IN_TITLE, SERVICE_IN_DESC, SERVICE_IN_CATEGORY,
       SERVICE_IN_BUDGET, SERVICE_IN_CLOSE_AT };

static const struct feat_field  service_create_in[] = {
    [SERVICE_IN_TITLE] =
    { "title", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_SERVICE_TITLE_MAX, NULL, "what is wanted" },
    [SERVICE_IN_DESC] =
    { "description", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_SERVICE_DESC_MAX, NULL, "the details" },
    [SERVICE_IN_CATEGORY] =
    { "category", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_SERVICE_CATEGORY_MAX, NULL, "free text; \"\" for none" },
    [SERVICE_IN_BUDGET] =
    { "budget_fen", FEAT_FT_INT, FEAT_REQUIRED,
      1, FEAT_SERVICE_BUDGET_MAX, NULL, "the budget in fen" },
    [SERVICE_IN_CLOSE_AT] =
    { "close_at", FEAT_FT_STR, FEAT_REQUIRED,
      0, SERVICE_TIME_MAX, "date-time",
      "when bidding closes: ISO 8601 with its offset, in the future" },
    FEAT_NULL_FIELD
};

static const struct feat_field  service_patch_in[] = {
    [SERVICE_IN_TITLE] =
    { "title", FEAT_FT_STR, 0,
      0, FEAT_SERVICE_TITLE_MAX, NULL, "a new title" },
    [SERVICE_IN_DESC] =
    { "description", FEAT_FT_STR, 0,
      0, FEAT_SERVICE_DESC_MAX, NULL, "a new description" },
    [SERVICE_IN_CATEGORY] =
    { "category", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_SERVICE_CATEGORY_MAX, NULL, "a new category; \"\" for none" },
    [SERVICE_IN_BUDGET] =
    { "budget_fen", FEAT_FT_INT, 0,
      1, FEAT_SERVICE_BUDGET_MAX, NULL, "a new budget in fen" },
    [SERVICE_IN_CLOSE_AT] =
    { "close_at", FEAT_FT_STR, 0,
      0, SERVICE_TIME_MAX, "date-time",
      "a new close: ISO 8601 with its offset, in the future" },
    FEAT_NULL_FIELD
};

enum { SERVICE_LIST_STATUS };

static const struct feat_field  service_list_in[] = {
    /* the row's range holds the codes; the handler also refuses the
     * integers between them that name no status */
    [SERVICE_LIST_STATUS] =
    { "status", FEAT_FT_INT, FEAT_QUERY,
      FEAT_SERVICE_DRAFT, FEAT_SERVICE_CANCELLED, NULL,
      "only this status: 0, 100, 200, 300, 400 or 500" },
    FEAT_NULL_FIELD
};

enum { SERVICE_SQUARE_Q, SERVICE_SQUARE_CATEGORY };

static const struct feat_field  service_square_in[] = {
    [SERVICE_SQUARE_Q] =
    { "q", FEAT_FT_STR, FEAT_QUERY | FEAT_ALLOW_EMPTY,
      0, FEAT_SERVICE_QUERY_MAX, NULL, "words of the title or description" },
    [SERVICE_SQUARE_CATEGORY] =
    { "category", FEAT_FT_STR, FEAT_QUERY | FEAT_ALLOW_EMPTY,
      0, FEAT_SERVICE_CATEGORY_MAX, NULL, "only this category" },
    FEAT_NULL_FIELD
};

enum { SERVICE_WINNER_BID };

static const struct feat_field  service_winner_in[] = {
    [SERVICE_WINNER_BID] =
    { "bid_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL,
      "a bid on this project" },
    FEAT_NULL_FIELD
};

enum { SERVICE_BID_PRICE, SERVICE_BID_MESSAGE };

static const struct feat_field  service_bid_in[] = {
    [SERVICE_BID_PRICE] =
    { "price_fen", FEAT_FT_INT, FEAT_REQUIRED,
      1, FEAT_SERVICE_PRICE_MAX, NULL, "the offer in fen" },
    [SERVICE_BID_MESSAGE] =
    { "message", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_SERVICE_MESSAGE_MAX, NULL, "a word to the owner" },
    FEAT_NULL_FIELD
};

static const struct feat_field  service_user_out[] = {
    { "uid", FEAT_FT_ID, SERVICE_ALWAYS, 0, 0, NULL, "the user's id" },
    { "nickname", FEAT_FT_STR, SERVICE_ALWAYS, 0, 0, NULL, "their nickname" },
    FEAT_NULL_FIELD
};

static const struct feat_field  service_bid_out[] = {
    { "id", FEAT_FT_ID, SERVICE_ALWAYS, 0, 0, NULL, "the bid's id" },
    { "project_id", FEAT_FT_ID, SERVICE_ALWAYS, 0, 0, NULL, "the project" },
    { "bidder", FEAT_FT_OBJ, SERVICE_ALWAYS, 0, 0, NULL, "who bid",
      service_user_out },
    { "price_fen", FEAT_FT_INT, SERVICE_ALWAYS,
      1, FEAT_SERVICE_PRICE_MAX, NULL, "the offer in fen" },
    { "message", FEAT_FT_STR, SERVICE_ALWAYS,
      0, FEAT_SERVICE_MESSAGE_MAX, NULL, "the word to the owner, or \"\"" },
    { "created_at", FEAT_FT_TIME, SERVICE_ALWAYS, 0, 0, NULL, "bid" },
    { "updated_at", FEAT_FT_TIME, SERVICE_ALWAYS, 0, 0, NULL,
      "last changed" },
    FEAT_NULL_FIELD
};

static const struct feat_field  service_action_out = {
    "action", FEAT_FT_STR, SERVICE_ALWAYS, 0, 0, NULL,
    "edit, delete, publish, approve, reject, close, cancel, "
    "select_winner, bid or withdraw_bid"
};

static const struct feat_field  service_project_out[] = {
    { "id", FEAT_FT_ID, SERVICE_ALWAYS, 0, 0, NULL, "the project's id" },
    { "title", FEAT_FT_STR, SERVICE_ALWAYS,
      0, FEAT_SERVICE_TITLE_MAX, NULL, "what is wanted" },
    { "description", FEAT_FT_STR, SERVICE_ALWAYS,
      0, FEAT_SERVICE_DESC_MAX, NULL, "the details" },
    { "category", FEAT_FT_STR, SERVICE_ALWAYS,
      0, FEAT_SERVICE_CATEGORY_MAX, NULL, "its category, or \"\"" },
    { "budget_fen", FEAT_FT_INT, SERVICE_ALWAYS,
      1, FEAT_SERVICE_BUDGET_MAX, NULL, "the budget in fen" },
    { "close_at", FEAT_FT_TIME, SERVICE_ALWAYS, 0, 0, NULL,
      "when bidding closes" },
    { "status", FEAT_FT_INT, SERVICE_ALWAYS,
      FEAT_SERVICE_DRAFT, FEAT_SERVICE_CANCELLED, NULL,
      "0 draft, 100 review, 200 open, 300 closed, 400 completed, "
      "500 cancelled" },
    { "status_display", FEAT_FT_STR, SERVICE_ALWAYS, 0, 0, NULL,
      "the status's Chinese name (草稿, 审核中, 已发布...)" },
    { "actions", FEAT_FT_ARRAY, SERVICE_ALWAYS, 0, FEAT_SERVICE_NOPS, NULL,
      "what the caller may do to it now", &service_action_out },
    { "owner", FEAT_FT_OBJ, SERVICE_ALWAYS, 0, 0, NULL, "who posted it",
      service_user_out },
    { "bids_count", FEAT_FT_INT, SERVICE_ALWAYS, 0, LLONG_MAX, NULL,
      "bids on it" },
    { "my_bid", FEAT_FT_OBJ, SERVICE_OR_NULL, 0, 0, NULL,
      "the caller's bid, or null", service_bid_out },
    { "winner", FEAT_FT_OBJ, SERVICE_OR_NULL, 0, 0, NULL,
      "the chosen bid, or null", service_bid_out },
    { "review_note", FEAT_FT_STR, SERVICE_OR_NULL,
      0, FEAT_SERVICE_NOTE_MAX, NULL, "a moderator's note, or null" },
    { "created_at", FEAT_FT_TIME, SERVICE_ALWAYS, 0, 0, NULL, "created" },
    { "published_at", FEAT_FT_TIME, SERVICE_OR_NULL, 0, 0, NULL,
      "opened to bids, or null" },
    { "closed_at", FEAT_FT_TIME, SERVICE_OR_NULL, 0, 0, NULL,
      "closed, or null" },
    { "completed_at", FEAT_FT_TIME, SERVICE_OR_NULL, 0, 0, NULL,
      "completed (a winner chosen), or null" },
    { "cancelled_at", FEAT_FT_TIME, SERVICE_OR_NULL, 0, 0, NULL,
      "cancelled, or null" },
    FEAT_NULL_FIELD
};


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
 * The project fields of a create or a PATCH, by the route's rows (in,
 * service_create_in or service_patch_in): FEAT_OK with f, or FEAT_ERROR
 * with r->bad_field set.
 */
static int
service_in_fields(struct feat_req *r, const struct feat_field *in,
    struct feat_service_fields *f)
{
    const char  *close_at;

    memset(f, 0, sizeof(*f));
    close_at = NULL;

    if (feat_in_field(r, &in[SERVICE_IN_TITLE], &f->title) == FEAT_ERROR
        || feat_in_field(r, &in[SERVICE_IN_DESC], &f->description)
            == FEAT_ERROR
        || feat_in_field(r, &in[SERVICE_IN_CATEGORY], &f->category)
            == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    switch (feat_in_field(r, &in[SERVICE_IN_BUDGET], &f->budget_fen)) {
    case FEAT_OK:
        f->has_budget = 1;
        break;
    case FEAT_ERROR:
        return FEAT_ERROR;
    }

    switch (feat_in_field(r, &in[SERVICE_IN_CLOSE_AT], &close_at)) {
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

    if (service_in_fields(r, service_create_in, &f) != FEAT_OK) {
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

    switch (feat_in_field(r, &service_list_in[SERVICE_LIST_STATUS], &v)) {
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

    if (feat_in_field(r, &service_square_in[SERVICE_SQUARE_Q], &q)
            == FEAT_ERROR
        || feat_in_field(r, &service_square_in[SERVICE_SQUARE_CATEGORY],
                         &category)
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

    if (service_in_fields(r, service_patch_in, &f) != FEAT_OK) {
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
        && feat_in_field(r, &service_winner_in[SERVICE_WINNER_BID], &bid_id)
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

    if (feat_in_field(r, &service_bid_in[SERVICE_BID_PRICE], &price)
            != FEAT_OK
        || feat_in_field(r, &service_bid_in[SERVICE_BID_MESSAGE], &message)
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


static const struct feat_schema  service_list_schema = {
    .summary = "The caller's projects, newest first",
    .request = service_list_in,
    .answer = service_project_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  service_create_schema = {
    .summary = "Post a project, as a draft (201)",
    .request = service_create_in,
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_get_schema = {
    .summary = "One project the caller may see",
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_patch_schema = {
    .summary = "Change one's project; fields left out stay",
    .request = service_patch_in,
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_delete_schema = {
    .summary = "Delete one's project (204)",
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  service_publish_schema = {
    .summary = "Publish one's draft: open, or to review when the app "
               "reviews projects",
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_close_schema = {
    .summary = "Close one's open project to bids",
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_cancel_schema = {
    .summary = "Cancel one's project",
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_select_winner_schema = {
    .summary = "Choose the winning bid of one's project: completes it",
    .request = service_winner_in,
    .answer = service_project_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_bid_list_schema = {
    .summary = "The bids on a project the caller may see them on",
    .answer = service_bid_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  service_bid_schema = {
    .summary = "Bid on an open project, or change one's bid (201 when new)",
    .request = service_bid_in,
    .answer = service_bid_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  service_withdraw_schema = {
    .summary = "Withdraw one's bid (204)",
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  service_square_schema = {
    .summary = "The open projects of others, newest first",
    .request = service_square_in,
    .answer = service_project_out,
    .shape = FEAT_ANSWER_PAGE,
};


static const struct feat_route  service_routes[] = {
    { FEAT_GET, "/api/service/project/", FEAT_FEAT,
      service_list, FEAT_USER_SESSION, &service_list_schema },
    { FEAT_POST, "/api/service/project/", FEAT_FEAT,
      service_create, FEAT_USER_SESSION, &service_create_schema },
    { FEAT_GET, "/api/service/project/{id}/", FEAT_FEAT,
      service_get, FEAT_USER_SESSION, &service_get_schema },
    { FEAT_PATCH, "/api/service/project/{id}/", FEAT_FEAT,
      service_patch, FEAT_USER_SESSION, &service_patch_schema },
    { FEAT_DELETE, "/api/service/project/{id}/", FEAT_FEAT,
      service_delete, FEAT_USER_SESSION, &service_delete_schema },
    { FEAT_POST, "/api/service/project/{id}/publish/", FEAT_FEAT,
      service_publish, FEAT_USER_SESSION, &service_publish_schema },
    { FEAT_POST, "/api/service/project/{id}/close/", FEAT_FEAT,
      service_close, FEAT_USER_SESSION, &service_close_schema },
    { FEAT_POST, "/api/service/project/{id}/cancel/", FEAT_FEAT,
      service_cancel, FEAT_USER_SESSION, &service_cancel_schema },
    { FEAT_POST, "/api/service/project/{id}/select-winner/", FEAT_FEAT,
      service_select_winner, FEAT_USER_SESSION,
      &service_select_winner_schema },
    { FEAT_GET, "/api/service/project/{id}/bids/", FEAT_FEAT,
      service_bid_list, FEAT_USER_SESSION, &service_bid_list_schema },
    { FEAT_POST, "/api/service/project/{id}/bids/", FEAT_FEAT,
      service_bid, FEAT_USER_SESSION, &service_bid_schema },
    { FEAT_DELETE, "/api/service/project/{id}/bids/mine/", FEAT_FEAT,
      service_withdraw, FEAT_USER_SESSION, &service_withdraw_schema },
    { FEAT_GET, "/api/service/square/", FEAT_FEAT,
      service_square, FEAT_USER_SESSION, &service_square_schema },
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
