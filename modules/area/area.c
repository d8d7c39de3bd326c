/*
 * area.c: the district lookup behind v1's GET /area.  A parameter set is
 * normalized into one query string, which is both the cache key and what
 * goes upstream (with the install's key appended), so two requests that
 * differ only in parameter order or in parameters we do not pass on share
 * one cache row.  Only successes are cached: an AMap refusal or a broken
 * answer is tried again by the next request.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "area/area.h"

#define AREA_PATH          "/v3/config/district"
#define AREA_URL_MAX       2048    /* base_url + path, bytes */
#define AREA_KEY_MAX       128     /* amap.key, bytes */


/* Sorted by name: the normalized order. */
const char *const  feat_area_params[FEAT_AREA_NPARAMS] = {
    "extensions", "filter", "keywords", "offset", "page", "subdistrict"
};


/* Appends s percent-encoded (all but RFC 3986's unreserved) at p; p must
 * have room for 3 * strlen(s) bytes.  Answers the new end. */
static char *
area_encode(char *p, const char *s)
{
    static const char  hex[] = "0123456789ABCDEF";
    unsigned char      c;

    for ( /* void */ ; *s != '\0'; s++) {
        c = (unsigned char) *s;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            *p++ = (char) c;

        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
        }
    }

    return p;
}


const char *
feat_area_query(struct feat_arena *a,
    const char *const values[FEAT_AREA_NPARAMS])
{
    char    *buf, *p;
    size_t   i, size;

    size = 1;
    for (i = 0; i < FEAT_AREA_NPARAMS; i++) {
        if (values[i] != NULL) {
            size += strlen(feat_area_params[i]) + 2 + 3 * strlen(values[i]);
        }
    }

    buf = feat_arena_alloc(a, size);
    p = buf;

    for (i = 0; i < FEAT_AREA_NPARAMS; i++) {
        if (values[i] == NULL) {
            continue;
        }

        if (p != buf) {
            *p++ = '&';
        }

        memcpy(p, feat_area_params[i], strlen(feat_area_params[i]));
        p += strlen(feat_area_params[i]);
        *p++ = '=';
        p = area_encode(p, values[i]);
    }

    *p = '\0';

    return buf;
}


/* A cached answer younger than ttl: FEAT_OK with *out (the caller's),
 * FEAT_DECLINED, FEAT_ERROR.  A row that does not parse counts as absent. */
static int
area_cache_get(sqlite3 *db, struct feat_arena *a, const char *query,
    time_t now, long long ttl, cJSON **out)
{
    int           rc;
    const char   *body;
    cJSON        *j;

    rc = feat_db_text(db, a, &body,
                      "SELECT body FROM area_cache"
                      " WHERE query = ? AND created_at > ?",
                      "si", query, (sqlite3_int64) (now - ttl));
    if (rc != FEAT_OK) {
        return rc;
    }

    j = cJSON_Parse(body);
    if (j == NULL || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return FEAT_DECLINED;
    }

    *out = j;

    return FEAT_OK;
}


/*
 * Stores an answer and keeps the table within its bounds: expired rows go,
 * then the oldest beyond rows.  Failures are logged only: the answer is
 * good whether or not it was cached.
 */
static void
area_cache_put(sqlite3 *db, const char *query, const char *body,
    time_t now, long long ttl, long long rows)
{
    if (feat_db_exec(db,
                     "INSERT OR REPLACE INTO area_cache (query, body,"
                     " created_at) VALUES (?, ?, ?)",
                     "ssi", query, body, (sqlite3_int64) now)
        != FEAT_OK
        || feat_db_exec(db, "DELETE FROM area_cache WHERE created_at <= ?",
                        "i", (sqlite3_int64) (now - ttl))
           != FEAT_OK
        || feat_db_exec(db,
                        "DELETE FROM area_cache WHERE id IN"
                        " (SELECT id FROM area_cache"
                        " ORDER BY created_at, id"
                        " LIMIT max(0, (SELECT COUNT(*) FROM area_cache)"
                        " - ?))",
                        "i", (sqlite3_int64) rows)
           != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "area: cache not updated");
    }
}


/* The upstream URL for query, or NULL (logged) when the config cannot
 * make one. */
static const char *
area_url(struct feat_arena *a, const char *query)
{
    char        *enc, *end;
    size_t       n;
    const char  *base, *key;

    base = feat_conf_str(FEAT_CONF_AMAP_BASE_URL);
    key = feat_conf_str(FEAT_CONF_AMAP_KEY);

    n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--;
    }

    if (n == 0 || n + sizeof(AREA_PATH) > AREA_URL_MAX) {
        feat_log(LOG_ERR, 0, "area: amap.base_url is empty or too long");
        return NULL;
    }

    if (key[0] == '\0' || strlen(key) > AREA_KEY_MAX) {
        feat_log(LOG_ERR, 0, "area: amap.key is not set (or too long)");
        return NULL;
    }

    enc = feat_arena_alloc(a, 3 * strlen(key) + 1);
    end = area_encode(enc, key);
    *end = '\0';

    return feat_arena_sprintf(a, "%.*s" AREA_PATH "?%s%skey=%s", (int) n,
                              base, query, query[0] != '\0' ? "&" : "", enc);
}


enum feat_error
feat_area_district(sqlite3 *db, struct feat_arena *a, const char *query,
    cJSON **out, int *cached)
{
    int                     rc;
    time_t                  now;
    cJSON                  *j, *status;
    long long               ttl, rows;
    const char             *url;
    struct feat_http_resp   resp;

    now = feat_now();
    ttl = feat_conf_int(FEAT_CONF_AMAP_CACHE_TTL);
    rows = feat_conf_int(FEAT_CONF_AMAP_CACHE_ROWS);
    *cached = 0;

    if (ttl > 0 && rows > 0) {
        rc = area_cache_get(db, a, query, now, ttl, out);
        if (rc == FEAT_OK) {
            *cached = 1;
            return FEAT_E_NONE;
        }

        if (rc == FEAT_ERROR) {
            return FEAT_E_INTERNAL;
        }
    }

    url = area_url(a, query);
    if (url == NULL) {
        return FEAT_E_UPSTREAM;
    }

    if (feat_http_request(a, "GET", url, NULL, NULL, 0,
                          (long) feat_conf_int(FEAT_CONF_AMAP_TIMEOUT),
                          FEAT_AREA_BODY_MAX, &resp)
        != FEAT_OK)
    {
        /* http.c logged the transport failure */
        return FEAT_E_UPSTREAM;
    }

    if (resp.status != 200) {
        feat_log(LOG_WARNING, 0, "area: AMap answered HTTP %ld",
                 resp.status);
        return FEAT_E_UPSTREAM;
    }

    /* the NUL after the body counts, so trailing bytes are refused */
    j = cJSON_ParseWithLengthOpts(resp.body, resp.len + 1, NULL, 1);
    if (j == NULL || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        feat_log(LOG_WARNING, 0, "area: AMap's answer is not a JSON object");
        return FEAT_E_UPSTREAM;
    }

    /* AMap answers its own refusals (a bad key, a quota) with HTTP 200 */
    status = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (!cJSON_IsString(status) || strcmp(status->valuestring, "1") != 0) {
        feat_log(LOG_WARNING, 0, "area: AMap refused: status %.32s",
                 cJSON_IsString(status) ? status->valuestring : "(none)");
        cJSON_Delete(j);
        return FEAT_E_UPSTREAM;
    }

    if (ttl > 0 && rows > 0) {
        area_cache_put(db, query, resp.body, now, ttl, rows);
    }

    *out = j;

    return FEAT_E_NONE;
}
