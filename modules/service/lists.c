/*
 * lists.c: the service module's pages of projects: the owner's list (and
 * featctl's, of every project) and the opportunity square, each a struct
 * feat_db_list read by the runtime's feat_db_rows.  Both read the status
 * as it is now (FEAT_SERVICE_STATUS_AT): an OPEN project past its close
 * time lists as CLOSED and leaves the square at once.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "service/service.h"
#include "service/internal.h"


/*
 * ?1 app, ?2 owner, ?3 status as it is now (-1: any), ?4 now; the page's
 * LIMIT ?5 OFFSET ?6.  The owner's list searches service_project_owner;
 * featctl's (every owner of the app) is an administrator's, rarely run.
 */
#define MINE_WHERE                                                           \
    " WHERE p.app_id = ?1 AND p.owner_id = ?2"                               \
    " AND (?3 < 0 OR " FEAT_SERVICE_STATUS_AT("?4") " = ?3)"

static const struct feat_db_list  service_mine = {
    "SELECT count(*) FROM service_project p" MINE_WHERE,
    "SELECT " FEAT_SERVICE_PROJECT_COLUMNS FEAT_SERVICE_PROJECT_FROM
    MINE_WHERE " ORDER BY p.id DESC LIMIT ?5 OFFSET ?6",
    feat_service_project_row, sizeof(struct feat_service_row),
    FEAT_SERVICE_LIST_MAX, "service: the owner's projects"
};

#define ALL_WHERE                                                            \
    " WHERE p.app_id = ?1 AND ?2 = 0"                                        \
    " AND (?3 < 0 OR " FEAT_SERVICE_STATUS_AT("?4") " = ?3)"

static const struct feat_db_list  service_all = {
    "SELECT count(*) FROM service_project p" ALL_WHERE,
    "SELECT " FEAT_SERVICE_PROJECT_COLUMNS FEAT_SERVICE_PROJECT_FROM
    ALL_WHERE " ORDER BY p.id DESC LIMIT ?5 OFFSET ?6",
    feat_service_project_row, sizeof(struct feat_service_row),
    FEAT_SERVICE_LIST_MAX, "service: the app's projects"
};

/*
 * ?1 app, ?2 the folded q (NULL: any), ?3 category (NULL: any), ?4 now;
 * instr on the folded copy: no LIKE, so no wildcard to escape.
 */
#define SQUARE_WHERE                                                         \
    " WHERE p.app_id = ?1 AND p.status = 200 AND p.close_at > ?4"            \
    " AND (?2 IS NULL OR instr(p.search, ?2) > 0)"                           \
    " AND (?3 IS NULL OR p.category = ?3)"

static const struct feat_db_list  service_square = {
    "SELECT count(*) FROM service_project p" SQUARE_WHERE,
    "SELECT " FEAT_SERVICE_PROJECT_COLUMNS FEAT_SERVICE_PROJECT_FROM
    SQUARE_WHERE " ORDER BY p.published_at DESC, p.id DESC"
    " LIMIT ?5 OFFSET ?6",
    feat_service_project_row, sizeof(struct feat_service_row),
    FEAT_SERVICE_LIST_MAX, "service: the square"
};


/* The rows read as viewer sees them at now: an arena array of projects. */
static enum feat_error
service_page(sqlite3 *db, struct feat_arena *a, const struct feat_rows *rows,
    sqlite3_int64 viewer, time_t now, struct feat_service_project **items,
    size_t *n)
{
    size_t                        i;
    enum feat_error               e;
    struct feat_service_row      *r;
    struct feat_service_project  *list;

    r = rows->items;
    list = rows->n ? feat_arena_alloc(a, rows->n * sizeof(*list)) : NULL;

    for (i = 0; i < rows->n; i++) {
        feat_service_effective(&r[i].p, now);

        e = feat_service_complete(db, a, &r[i], viewer);
        if (e != FEAT_E_NONE) {
            return e;
        }

        list[i] = r[i].p;
    }

    *items = list;
    *n = rows->n;

    return FEAT_E_NONE;
}


enum feat_error
feat_service_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 owner, int status, long long offset,
    long long limit, long long *total, struct feat_service_project **items,
    size_t *n)
{
    time_t            now;
    enum feat_error   e;
    struct feat_rows  rows;

    *items = NULL;
    *n = 0;
    *total = 0;
    now = feat_now();

    e = feat_db_rows(db, a, owner != 0 ? &service_mine : &service_all,
                     offset, limit, 1, &rows, "sidi", app, owner, status,
                     (sqlite3_int64) now);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *total = rows.total < 0 ? 0 : rows.total;

    return service_page(db, a, &rows, viewer, now, items, n);
}


enum feat_error
feat_service_square(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, const char *q, const char *category,
    long long offset, long long limit, long long *total,
    struct feat_service_project **items, size_t *n, const char **bad)
{
    time_t            now;
    const char       *fq;
    enum feat_error   e;
    struct feat_rows  rows;

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

    fq = (q != NULL && *q != '\0') ? feat_service_fold(a, q) : NULL;

    e = feat_db_rows(db, a, &service_square, offset, limit, 1, &rows, "sssi",
                     app, fq, category, (sqlite3_int64) now);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *total = rows.total < 0 ? 0 : rows.total;

    return service_page(db, a, &rows, viewer, now, items, n);
}
