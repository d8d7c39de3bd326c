/*
 * v2.c: the FAQ module's v2 handlers (seeds/004): GET /api/faq, a paged
 * list newest first, and GET /api/faq/{id}.  Both need a session, as the
 * seed's headers show, and see only the request's app.  The page is
 * feat_faq_page, which v1 answers too, in its own envelope.
 */

#include "config.h"

#include "feat.h"
#include "faq/faq.h"


/*
 * The declared answer (feat.h, struct feat_field), from which the OpenAPI
 * document is made; the routes read no fields but the dialect's paging.
 */
static const struct feat_field  v2_faq_out[] = {
    { "id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the entry's id" },
    { "app_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "the app" },
    { "created_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "written" },
    { "updated_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "last changed" },
    { "title", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_TITLE_MAX, NULL,
      "the question" },
    { "content", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_CONTENT_MAX, NULL,
      "the answer" },
    { "category", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_CATEGORY_MAX, NULL,
      "free text, or \"\"" },
    { "external_link", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_LINK_MAX,
      NULL, "a link to more, or \"\"" },
    FEAT_NULL_FIELD
};


static cJSON *
v2_faq_object(struct feat_req *r, const struct feat_faq *f)
{
    cJSON  *o;

    /* the row's strings and the times are the arena's: no copies */
    o = feat_json_record(r, f->id, f->app_id, f->created_at,
                         f->updated_at);
    feat_json_add_str(o, "title", f->title);
    feat_json_add_str(o, "content", f->content);
    feat_json_add_str(o, "category", f->category);
    feat_json_add_str(o, "external_link", f->external_link);

    return o;
}


int
feat_faq_page(struct feat_req *r, feat_faq_item_pt item, cJSON **page)
{
    size_t            i, n;
    cJSON            *list;
    long long         total;
    struct feat_faq  *items;
    struct feat_page  pg;
    enum feat_error   e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        feat_fail_field(r);
        return FEAT_ERROR;
    }

    e = feat_faq_list(feat_db(), r->arena, r->app->id, pg.offset, pg.size,
                      &total, &items, &n);
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "faq list failed");
        return FEAT_ERROR;
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, item(r, &items[i]));
    }

    *page = feat_page_object(r, &pg, total, list);

    return FEAT_OK;
}


static int
v2_faq_list(struct feat_req *r)
{
    cJSON  *page;

    if (feat_faq_page(r, v2_faq_object, &page) != FEAT_OK) {
        return FEAT_OK;
    }

    return feat_reply(r, page);
}


static int
v2_faq_get(struct feat_req *r)
{
    sqlite3_int64    id;
    struct feat_faq  f;
    enum feat_error  e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "faq id is not an id");
    }

    e = feat_faq_get(feat_db(), r->arena, r->app->id, id, &f);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "faq %lld", (long long) id);
    }

    return feat_reply(r, v2_faq_object(r, &f));
}


static const struct feat_schema  v2_faq_list_schema = {
    .summary = "The app's FAQ, newest first",
    .answer = v2_faq_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  v2_faq_get_schema = {
    .summary = "One FAQ entry",
    .answer = v2_faq_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  faq_routes[] = {
    { FEAT_GET, "/api/faq",      FEAT_V2, v2_faq_list, FEAT_SESSION,
      &v2_faq_list_schema },
    { FEAT_GET, "/api/faq/{id}", FEAT_V2, v2_faq_get,  FEAT_SESSION,
      &v2_faq_get_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_faq_module = {
    .name = "faq",
    .routes = faq_routes,
};
