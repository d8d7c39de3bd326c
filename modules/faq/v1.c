/*
 * v1.c: the FAQ module's v1 handler (seeds/003): GET /faq?page=, public,
 * answered in the seed's own envelope
 * {"meta":{"message":"Success.","code":0},"data":{<page>}} rather than
 * v1's {"code","message"}.  Errors (a bad page) keep v1's error form.
 * The entries are the v2 ones (faq.h), newest first.
 */

#include "config.h"

#include "feat.h"
#include "faq/faq.h"


/* GET /faq */
static int
v1_faq_list(struct feat_req *r)
{
    size_t            i, n;
    cJSON            *list, *o, *body, *meta;
    long long         total;
    struct feat_faq  *items;
    struct feat_page  pg;
    enum feat_error   e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_faq_list(feat_db(), r->arena, r->app->id, pg.offset, pg.size,
                      &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "faq list failed");
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "faq_id", (double) items[i].id);
        cJSON_AddStringToObject(o, "faq_title", items[i].title);
        cJSON_AddStringToObject(o, "faq_content", items[i].content);
        cJSON_AddItemToArray(list, o);
    }

    body = cJSON_CreateObject();
    meta = cJSON_AddObjectToObject(body, "meta");
    cJSON_AddStringToObject(meta, "message", "Success.");
    cJSON_AddNumberToObject(meta, "code", 0);
    cJSON_AddItemToObject(body, "data",
                          feat_page_object(r, &pg, total, list));

    return feat_reply_body(r, 200, body);
}


static const struct feat_route  faq_v1_routes[] = {
    { FEAT_GET, "/faq", FEAT_V1, v1_faq_list, FEAT_PUBLIC },
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
