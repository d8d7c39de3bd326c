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
        if (feat_in_str(r, feat_area_params[i], &values[i],
                        FEAT_AREA_PARAM_MAX, FEAT_QUERY)
            == FEAT_ERROR)
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
    { FEAT_GET, "/area", FEAT_V1, v1_area, FEAT_PUBLIC },
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
