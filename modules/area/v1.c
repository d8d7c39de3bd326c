/*
 * v1.c: GET /area (seeds/003), AMap's administrative districts in AMap's
 * own format under v1's {"code":0,"message":...}.  No token is needed, so
 * each client address has its allowance (amap.ip_limit a minute), counted
 * for cached and fetched answers alike.  Of the query string only the
 * parameters of feat_area_params are taken, each at most
 * FEAT_AREA_PARAM_MAX code points (longer: 10012); anything else, a
 * client's own "key" or "callback" included, is dropped.  An upstream
 * failure answers 10000.
 */

#include "config.h"

#include "feat.h"
#include "area/area.h"

#define AREA_BUCKET  "area_ip"
#define AREA_WINDOW  60


/*
 * The declared fields (feat.h, struct feat_field): what the route reads
 * and answers; the handler reads its input through these rows and the
 * OpenAPI document is made from them.  The rows are the parameters of
 * feat_area_params, in its order (area.c builds AMap's query from the
 * values by that index); the answer is AMap's object as AMap gives it.
 */
static const struct feat_field  area_in[] = {
    { "extensions", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: base, or all for the boundaries" },
    { "filter", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: an adcode to filter by" },
    { "keywords", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: a name, citycode or adcode" },
    { "offset", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: districts a page" },
    { "page", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: the page" },
    { "subdistrict", FEAT_FT_STR, FEAT_QUERY, 0, FEAT_AREA_PARAM_MAX, NULL,
      "AMap's: levels of subdistricts (0 to 3)" },
    FEAT_NULL_FIELD
};

_Static_assert(sizeof(area_in) / sizeof(area_in[0]) == FEAT_AREA_NPARAMS + 1,
               "area_in holds feat_area_params, in order");

static const struct feat_field  area_keyword = {
    "keyword", FEAT_FT_STR, 0, 0, 0, NULL, "a keyword"
};

static const struct feat_field  area_city = {
    "city", FEAT_FT_OBJ, 0, 0, 0, NULL, "a city, AMap's object"
};

static const struct feat_field  area_suggestion_out[] = {
    { "keywords", FEAT_FT_ARRAY, 0, 0, 0, NULL, "suggested keywords",
      &area_keyword },
    { "cities", FEAT_FT_ARRAY, 0, 0, 0, NULL, "suggested cities",
      &area_city },
    FEAT_NULL_FIELD
};

static const struct feat_field  area_district = {
    "district", FEAT_FT_OBJ, 0, 0, 0, NULL,
    "AMap's district: citycode, adcode, name, center, level, districts..."
};

static const struct feat_field  area_out[] = {
    { "status", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "AMap's: \"1\"" },
    { "info", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "AMap's: \"OK\"" },
    { "infocode", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "AMap's: \"10000\"" },
    { "count", FEAT_FT_STR, 0, 0, 0, NULL, "AMap's: districts, as text" },
    { "districts", FEAT_FT_ARRAY, 0, 0, 0, NULL, "AMap's districts",
      &area_district },
    { "suggestion", FEAT_FT_OBJ, 0, 0, 0, NULL, "AMap's suggestion",
      area_suggestion_out },
    FEAT_NULL_FIELD
};

static const struct feat_schema  area_schema = {
    .summary = "Administrative districts from AMap, in AMap's format; no "
               "token needed, a limit a minute by address",
    .request = area_in,
    .answer = area_out,
    .shape = FEAT_ANSWER_OBJECT,
};


/* GET /area */
static int
v1_area(struct feat_req *r)
{
    int               rc, cached;
    size_t            i;
    cJSON            *j;
    const char       *values[FEAT_AREA_NPARAMS], *query;
    enum feat_error   e;

    if (r->remote_addr[0] != '\0') {
        rc = feat_rate_hit(feat_db(), r->app->id, AREA_BUCKET,
                           r->remote_addr,
                           (int) feat_conf_int(FEAT_CONF_AMAP_IP_LIMIT),
                           AREA_WINDOW, NULL);
        if (rc == FEAT_BUSY) {
            return feat_fail(r, FEAT_E_TOO_FREQUENT, "/area from %s",
                             r->remote_addr);
        }
        if (rc != FEAT_OK) {
            return feat_fail(r, FEAT_E_INTERNAL, "rate check failed");
        }
    }

    for (i = 0; i < FEAT_AREA_NPARAMS; i++) {
        values[i] = NULL;
        if (feat_in_field(r, &area_in[i], &values[i]) == FEAT_ERROR)
        {
            return feat_fail_field(r);
        }
    }

    query = feat_area_query(r->arena, values);

    e = feat_area_district(feat_db(), r->arena, query, &j, &cached);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "district lookup \"%.200s\" failed", query);
    }

    feat_log(LOG_DEBUG, 0, "area: \"%.200s\" %s", query,
             cached ? "from the cache" : "fetched");

    return feat_reply(r, j);
}


static const struct feat_route  area_routes[] = {
    { FEAT_GET, "/area", FEAT_V1, v1_area, FEAT_PUBLIC, &area_schema },
    FEAT_NULL_ROUTE
};


FEAT_AREA_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  area_conf[] = {
    FEAT_AREA_CONF(FEAT_CONF_ENTRY)
    NULL
};


static const struct feat_prefix  area_prefixes[] = {
    { "/area", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_area_module = {
    .name = "area",
    .routes = area_routes,
    .conf = area_conf,
    .prefixes = area_prefixes,
};
