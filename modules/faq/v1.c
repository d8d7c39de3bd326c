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
