/*
 * lists.c: the service module's pages of projects: the owner's list (and
 * featctl's, of every project) and the opportunity square.  Both read the
 * status as it is now (FEAT_SERVICE_STATUS_NOW): an OPEN project past its
 * close time lists as CLOSED and leaves the square at once.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "service/service.h"
#include "service/internal.h"


/*
 * Steps a page query (columns FEAT_SERVICE_PROJECT_COLUMNS) into an arena
 * array of at most max projects as viewer sees them at now.
 */
static enum feat_error
service_page(sqlite3 *db, struct feat_arena *a, sqlite3_stmt *st,
    size_t max, sqlite3_int64 viewer, time_t now,
    struct feat_service_project **items, size_t *n)
{
    int                           rc;
    size_t                        i, count;
    enum feat_error               e;
    struct feat_service_row      *rows;
    struct feat_service_project  *list;

    rc = SQLITE_DONE;

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rows = feat_arena_alloc(a, max * sizeof(struct feat_service_row));
    count = 0;

    while (count < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        feat_service_project_row(a, st, &rows[count]);
        feat_service_effective(&rows[count].p, now);
        count++;
    }

    if (count < max && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "service: reading a page failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    feat_db_done(st);

    list = count ? feat_arena_alloc(a, count * sizeof(*list)) : NULL;

    for (i = 0; i < count; i++) {
        e = feat_service_complete(db, a, &rows[i], viewer);
        if (e != FEAT_E_NONE) {
            return e;
        }
        list[i] = rows[i].p;
    }

    *items = list;
    *n = count;

    return FEAT_E_NONE;
}


enum feat_error
feat_service_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 owner, int status, long long offset,
    long long limit, long long *total, struct feat_service_project **items,
    size_t *n)
{
    time_t          now;
    sqlite3_int64   all;
    sqlite3_stmt   *st;

    *items = NULL;
    *n = 0;
    *total = 0;
    now = feat_now();

    /*
     * ?1 app (NULL: every app), ?2 owner (0: any), ?3 status (-1: any),
     * ?9 now for FEAT_SERVICE_STATUS_NOW.
     */
#define LIST_WHERE                                                           \
    " WHERE (?1 IS NULL OR p.app_id = ?1) AND (?2 = 0 OR p.owner_id = ?2)"   \
    " AND (?3 < 0 OR " FEAT_SERVICE_STATUS_NOW " = ?3)"

    if (feat_db_int(db, &all,
                    "SELECT count(*) FROM service_project p" LIST_WHERE,
                    "sidiiiiii", app, owner, status, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) 0, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *total = all;

    if (limit < 1 || offset < 0 || offset >= all) {
        return FEAT_E_NONE;
    }

    if (limit > FEAT_SERVICE_LIST_MAX) {
        limit = FEAT_SERVICE_LIST_MAX;
    }

    st = feat_db_query(db,
                       "SELECT " FEAT_SERVICE_PROJECT_COLUMNS
                       FEAT_SERVICE_PROJECT_FROM LIST_WHERE
                       " ORDER BY p.id DESC LIMIT ?4 OFFSET ?5",
                       "sidiiiiii", app, owner, status,
                       (sqlite3_int64) limit, (sqlite3_int64) offset,
                       (sqlite3_int64) 0, (sqlite3_int64) 0,
                       (sqlite3_int64) 0, (sqlite3_int64) now);
#undef LIST_WHERE

    return service_page(db, a, st, (size_t) limit, viewer, now, items, n);
}


enum feat_error
feat_service_square(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, const char *q, const char *category,
    long long offset, long long limit, long long *total,
    struct feat_service_project **items, size_t *n, const char **bad)
{
    time_t          now;
    const char     *fq;
    sqlite3_int64   all;
    sqlite3_stmt   *st;

    *items = NULL;
    *n = 0;
    *total = 0;
    now = feat_now();

    if (q != NULL && !feat_utf8_ok(q, FEAT_SERVICE_QUERY_MAX, 0)) {
        *bad = "q";
        return FEAT_E_BAD_FIELD;
    }

    if (category != NULL
        && !feat_utf8_ok(category, FEAT_SERVICE_CATEGORY_MAX, 0))
    {
        *bad = "category";
        return FEAT_E_BAD_FIELD;
    }

    /* instr on the folded copy: no LIKE, so no wildcard to escape */
    fq = (q != NULL && *q != '\0') ? feat_service_fold(a, q) : NULL;

    /* ?1 app, ?2 folded q (NULL: any), ?3 category (NULL: any), ?9 now */
#define SQUARE_WHERE                                                         \
    " WHERE p.app_id = ?1 AND p.status = 200 AND p.close_at > ?9"            \
    " AND (?2 IS NULL OR instr(p.search, ?2) > 0)"                           \
    " AND (?3 IS NULL OR p.category = ?3)"

    if (feat_db_int(db, &all,
                    "SELECT count(*) FROM service_project p" SQUARE_WHERE,
                    "sssiiiiii", app, fq, category, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) 0, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *total = all;

    if (limit < 1 || offset < 0 || offset >= all) {
        return FEAT_E_NONE;
    }

    if (limit > FEAT_SERVICE_LIST_MAX) {
        limit = FEAT_SERVICE_LIST_MAX;
    }

    st = feat_db_query(db,
                       "SELECT " FEAT_SERVICE_PROJECT_COLUMNS
                       FEAT_SERVICE_PROJECT_FROM SQUARE_WHERE
                       " ORDER BY p.published_at DESC, p.id DESC"
                       " LIMIT ?4 OFFSET ?5",
                       "sssiiiiii", app, fq, category, (sqlite3_int64) limit,
                       (sqlite3_int64) offset, (sqlite3_int64) 0,
                       (sqlite3_int64) 0, (sqlite3_int64) 0,
                       (sqlite3_int64) now);
#undef SQUARE_WHERE

    return service_page(db, a, st, (size_t) limit, viewer, now, items, n);
}
