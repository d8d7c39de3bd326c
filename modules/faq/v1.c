/*
 * v1.c: the FAQ module's v1 handler (seeds/003): GET /faq?page=, public,
 * answered in the seed's own envelope
 * {"meta":{"message":"Success.","code":0},"data":{<page>}} rather than
 * v1's {"code","message"}.  Errors (a bad page) keep v1's error form.
 * The entries are the v2 ones (faq.h), newest first.
 */

#include "config.h"

#include <limits.h>

#include "feat.h"
#include "faq/faq.h"


/*
 * The declared fields (feat.h, struct feat_field), from which the OpenAPI
 * document is made.  The answer is no v1 envelope but the seed's own
 * body, so the schema is RAW and its rows describe the whole body: meta,
 * and data, v1's numbered page.  ?page is v1's paging argument, read by
 * feat_in_page with its limits; RAW implies no paging arguments, so the
 * summary names it.
 */
static const struct feat_field  v1_meta_out[] = {
    { "message", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "\"Success.\"" },
    { "code", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL, "0" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_faq_item_out[] = {
    { "faq_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the entry's id" },
    { "faq_title", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_TITLE_MAX, NULL,
      "the question" },
    { "faq_content", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_FAQ_CONTENT_MAX,
      NULL, "the answer" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_faq_item = {
    "faq", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL, "an entry",
    v1_faq_item_out
};

static const struct feat_field  v1_page_out[] = {
    { "total", FEAT_FT_INT, FEAT_REQUIRED, 0, LLONG_MAX, NULL, "entries" },
    { "pages", FEAT_FT_INT, FEAT_REQUIRED, 0, LLONG_MAX, NULL, "pages" },
    { "current_page", FEAT_FT_INT, FEAT_REQUIRED, 1, LLONG_MAX, NULL,
      "this page" },
    { "page_size", FEAT_FT_INT, FEAT_REQUIRED, 1, LLONG_MAX, NULL,
      "entries a page" },
    { "data", FEAT_FT_ARRAY, FEAT_REQUIRED, 0, 0, NULL,
      "this page's entries, newest first", &v1_faq_item },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_faq_out[] = {
    { "meta", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL, "the seed's status",
      v1_meta_out },
    { "data", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL, "the page",
      v1_page_out },
    FEAT_NULL_FIELD
};

static const struct feat_schema  v1_faq_list_schema = {
    .summary = "The app's FAQ, newest first, ?page=N (v1's paging), in the "
               "seed's {\"meta\", \"data\"} body; no token needed",
    .answer = v1_faq_out,
    .shape = FEAT_ANSWER_RAW,
};


static cJSON *
v1_faq_object(struct feat_req *r, const struct feat_faq *f)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "faq_id", (double) f->id);
    cJSON_AddStringToObject(o, "faq_title", f->title);
    cJSON_AddStringToObject(o, "faq_content", f->content);

    return o;
}


/* GET /faq */
static int
v1_faq_list(struct feat_req *r)
{
    cJSON  *page, *body, *meta;

    if (feat_faq_page(r, v1_faq_object, &page) != FEAT_OK) {
        return FEAT_OK;
    }

    body = cJSON_CreateObject();
    meta = cJSON_AddObjectToObject(body, "meta");
    cJSON_AddStringToObject(meta, "message", "Success.");
    cJSON_AddNumberToObject(meta, "code", 0);
    cJSON_AddItemToObject(body, "data", page);

    return feat_reply_body(r, 200, body);
}


static const struct feat_route  faq_v1_routes[] = {
    { FEAT_GET, "/faq", FEAT_V1, v1_faq_list, FEAT_PUBLIC,
      &v1_faq_list_schema },
    FEAT_NULL_ROUTE
};


static const struct feat_prefix  faq_v1_prefixes[] = {
    { "/faq", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_faq_v1_module = {
    .name = "faq-v1",
    .routes = faq_v1_routes,
    .prefixes = faq_v1_prefixes,
};
