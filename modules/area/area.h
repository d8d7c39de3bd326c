/*
 * area.h: administrative districts from AMap's district API
 * (/v3/config/district) for v1's GET /area, with a cache in the database
 * (sql/0021_area_cache.sql).  Only the parameters listed in
 * feat_area_params are passed on, each at most FEAT_AREA_PARAM_MAX code
 * points; the install's key (amap.key) is added here and never taken
 * from a client.  Domain functions take plain arguments and a connection,
 * never a request.
 */

#ifndef FEAT_AREA_H
#define FEAT_AREA_H

#include "feat.h"

#define FEAT_AREA_NPARAMS     6
#define FEAT_AREA_PARAM_MAX   64          /* code points of one value */
#define FEAT_AREA_BODY_MAX    (4 << 20)   /* largest answer taken, bytes */

/* The names passed on, in the order of the normalized query. */
extern const char *const  feat_area_params[FEAT_AREA_NPARAMS];

/*
 * The normalized query of a parameter set: "name=value" pairs joined by
 * "&", in feat_area_params order, values percent-encoded (all but
 * [A-Za-z0-9-._~]); values[i] NULL leaves that name out.  The cache key
 * and, with the key added, the upstream query.  An arena string.
 */
const char *feat_area_query(struct feat_arena *a,
    const char *const values[FEAT_AREA_NPARAMS]);

/*
 * The district answer for query: from the cache when a copy younger than
 * amap.cache_ttl is there (*cached 1), else fetched from amap.base_url
 * with amap.key within amap.timeout, and stored when it is a success
 * (HTTP 200, a JSON object with "status":"1"), evicting the oldest rows
 * beyond amap.cache_rows.  *out is a JSON object the caller owns
 * (cJSON_Delete it, or hand it to feat_reply).
 * FEAT_E_NONE, FEAT_E_UPSTREAM (no key configured, transport failure or
 * timeout, another status, not JSON, or AMap's own refusal; logged) or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_area_district(sqlite3 *db, struct feat_arena *a,
    const char *query, cJSON **out, int *cached);

/* The module's config options (see feat.h; defined in v1.c). */
#define FEAT_AREA_CONF(X)                                                     \
    X(AMAP_BASE_URL, "amap.base_url", STR, "https://restapi.amap.com",        \
      "AMap web service URL (v1 /area)")                                      \
    X(AMAP_CACHE_ROWS, "amap.cache_rows", INT, "10000",                       \
      "most /area answers cached")                                            \
    X(AMAP_CACHE_TTL, "amap.cache_ttl", INT, "86400",                         \
      "lifetime of a cached /area answer (s)")                                \
    X(AMAP_IP_LIMIT, "amap.ip_limit", INT, "60",                              \
      "/area calls per client address a minute")                              \
    X(AMAP_KEY, "amap.key", STR, "", "AMap web service key")                  \
    X(AMAP_TIMEOUT, "amap.timeout", INT, "5000", "AMap timeout (ms)")

FEAT_AREA_CONF(FEAT_CONF_DECLARE)

/* The module (modules/area/v1.c): GET /area. */
extern const struct feat_module  feat_area_module;

#endif /* FEAT_AREA_H */
