/*
 * rows.c: reading rows.  A module describes a struct's columns once (a
 * column map, FEAT_COL_*), and feat_db_read fills the struct from a row by
 * it; FEAT_DB_READER makes a row function from a map.  On top of that:
 * one row (feat_db_row), the first column of the first row (feat_db_int,
 * feat_db_text), and a page of a list with its total (feat_db_rows, the
 * one list loop of every module; feat_db_page hands it out in the parts a
 * domain's list function answers).  Statements come from db.c's cache and
 * go back to it reset, whatever happened; a failed step is logged once,
 * under the name of what was read.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define FEAT_DB_ROWS_FIRST  32      /* first rows of an unbounded list */


/*
 * The one row reader: each column by its map entry into the field at its
 * offset.  The field's C type was checked where the map was written
 * (FEAT_COL_*), so the casts here only name what is already there.
 */
void
feat_db_read(struct feat_arena *a, sqlite3_stmt *st, int first,
    const struct feat_db_col *cols, size_t n, void *item)
{
    int     i;
    size_t  k;
    char   *p;

    for (k = 0; k < n; k++) {
        i = first + (int) k;
        p = (char *) item + cols[k].offset;

        switch (cols[k].type) {

        case FEAT_DB_INT64:
            *(sqlite3_int64 *) p = sqlite3_column_int64(st, i);
            break;

        case FEAT_DB_INT:
            *(int *) p = sqlite3_column_int(st, i);
            break;

        case FEAT_DB_BOOL:
            *(int *) p = sqlite3_column_int(st, i) != 0;
            break;

        case FEAT_DB_UINT:
            *(unsigned *) p = (unsigned) sqlite3_column_int64(st, i);
            break;

        case FEAT_DB_TIME:
            *(time_t *) p = (time_t) sqlite3_column_int64(st, i);
            break;

        case FEAT_DB_TEXT:
            *(const char **) p = feat_db_col_text(a, st, i);
            break;
        }
    }
}


enum feat_error
feat_db_row(sqlite3 *db, struct feat_arena *a, sqlite3_stmt *st,
    feat_db_row_pt fn, void *item, const char *fmt, ...)
{
    int      rc;
    char     what[256];
    va_list  ap;

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = feat_db_step(st);

    if (rc == SQLITE_ROW) {
        fn(a, st, item);
    }

    feat_db_done(st);

    if (rc == SQLITE_ROW) {
        return FEAT_E_NONE;
    }

    if (rc == SQLITE_DONE) {
        return FEAT_E_NOT_FOUND;
    }

    /* formatted only now: a read that works pays nothing for it */
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);

    feat_log(LOG_ERR, 0, "%s: %s", what, sqlite3_errmsg(db));

    return FEAT_E_INTERNAL;
}


/* Steps st to the end: FEAT_OK, FEAT_BUSY on a constraint, FEAT_ERROR. */
/* feat_db_int's and feat_db_text's readers of the first column. */
static void
feat_db_read_int(struct feat_arena *a, sqlite3_stmt *st, void *out)
{
    (void) a;
    *(sqlite3_int64 *) out = sqlite3_column_int64(st, 0);
}


static void
feat_db_read_text(struct feat_arena *a, sqlite3_stmt *st, void *out)
{
    *(const char **) out = feat_db_col_text(a, st, 0);
}


/*
 * The first row of sql bound from fmt, read into out by fn: FEAT_OK,
 * FEAT_DECLINED (no row) or FEAT_ERROR (logged).
 */
static int
feat_db_vfirst(sqlite3 *db, struct feat_arena *a, feat_db_row_pt fn,
    void *out, const char *sql, const char *fmt, va_list ap)
{
    int            rc;
    sqlite3_stmt  *st;

    st = feat_db_vquery(db, sql, 0, fmt, ap);

    if (st == NULL) {
        return FEAT_ERROR;
    }

    rc = feat_db_step(st);

    if (rc == SQLITE_ROW) {
        fn(a, st, out);
        rc = FEAT_OK;

    } else if (rc == SQLITE_DONE) {
        rc = FEAT_DECLINED;

    } else {
        feat_db_step_failed(db, rc, sql);
        rc = FEAT_ERROR;
    }

    feat_db_done(st);

    return rc;
}


int
feat_db_int(sqlite3 *db, sqlite3_int64 *out, const char *sql,
    const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_db_vfirst(db, NULL, feat_db_read_int, out, sql, fmt, ap);
    va_end(ap);

    return rc;
}


int
feat_db_text(sqlite3 *db, struct feat_arena *a, const char **out,
    const char *sql, const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_db_vfirst(db, a, feat_db_read_text, out, sql, fmt, ap);
    va_end(ap);

    return rc;
}


/*
 * A paged list.  The page is read first: a page that comes back short ends
 * the list, so its total is offset + n and the count query is not run (a
 * FAQ of 12 entries answers page 1 with one statement).  Only a full page,
 * or an empty one past the start, needs COUNT(*).  A full page leaves its
 * statement stepped but not reset, so its read transaction is still open
 * when the count runs: both come from one snapshot (a row written between
 * them cannot make the total disagree with the page), and the database's
 * locks are taken once instead of twice.
 */
static enum feat_error
feat_db_vrows(sqlite3 *db, struct feat_arena *a, const struct feat_db_list *l,
    long long offset, long long limit, int count, struct feat_rows *out,
    const char *fmt, va_list ap)
{
    int              rc, np;
    char            *list, *grown;
    size_t           n, cap;
    va_list          aq;
    sqlite3_int64    total;
    sqlite3_stmt    *st, *page;
    enum feat_error  e;

    out->total = -1;
    page = NULL;
    out->items = NULL;
    out->n = 0;

    if (count && l->count == NULL) {
        feat_log(LOG_ALERT, 0, "%s: counted without a count query",
                 l->what);
        return FEAT_E_INTERNAL;
    }

    if (l->max > 0 && limit > l->max) {
        limit = l->max;
    }

    e = FEAT_E_NONE;
    n = 0;

    if (limit < 1 || offset < 0) {
        goto count;
    }

    va_copy(aq, ap);
    st = feat_db_vquery(db, l->page, 2, fmt, aq);
    va_end(aq);

    if (st == NULL) {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    /* LIMIT and OFFSET are the statement's last two parameters */
    np = sqlite3_bind_parameter_count(st);
    if (sqlite3_bind_int64(st, np - 1, limit) != SQLITE_OK
        || sqlite3_bind_int64(st, np, offset) != SQLITE_OK)
    {
        feat_db_log(LOG_ERR, db, "sqlite3_bind()", l->page);
        feat_db_done(st);
        e = FEAT_E_INTERNAL;
        goto done;
    }

    cap = (limit < FEAT_DB_ROWS_FIRST) ? (size_t) limit : FEAT_DB_ROWS_FIRST;
    list = feat_arena_alloc(a, cap * l->size);
    rc = SQLITE_DONE;

    while ((long long) n < limit && (rc = feat_db_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            /* only an unbounded list grows: a page is allocated whole */
            grown = feat_arena_alloc(a, 2 * cap * l->size);
            memcpy(grown, list, cap * l->size);
            list = grown;
            cap *= 2;
        }

        l->row(a, st, list + n * l->size);
        n++;
    }

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "%s: reading rows failed: %s (%d)", l->what,
                 sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db)
                                                    : sqlite3_errstr(rc),
                 rc);
        feat_db_done(st);
        e = FEAT_E_INTERNAL;
        goto done;
    }

    out->items = n ? list : NULL;
    out->n = n;

    if (count && ((n > 0 && (long long) n < limit) || (n == 0 && offset == 0)))
    {
        out->total = offset + (long long) n;
        feat_db_done(st);
        goto done;
    }

    /* a full page: reset after the count, in the same read transaction */
    page = st;

count:

    if (count) {
        rc = feat_db_vfirst(db, NULL, feat_db_read_int, &total, l->count,
                            fmt, ap);
        if (rc != FEAT_OK) {
            feat_log(LOG_ERR, 0, "%s: counting rows failed", l->what);
            out->items = NULL;
            out->n = 0;
            e = FEAT_E_INTERNAL;
            goto done;
        }

        out->total = total;
    }

done:

    if (page != NULL) {
        feat_db_done(page);
    }

    return e;
}


enum feat_error
feat_db_rows(sqlite3 *db, struct feat_arena *a, const struct feat_db_list *l,
    long long offset, long long limit, int count, struct feat_rows *out,
    const char *fmt, ...)
{
    va_list          ap;
    enum feat_error  e;

    va_start(ap, fmt);
    e = feat_db_vrows(db, a, l, offset, limit, count, out, fmt, ap);
    va_end(ap);

    return e;
}


enum feat_error
feat_db_page(sqlite3 *db, struct feat_arena *a, const struct feat_db_list *l,
    long long offset, long long limit, long long *total, void *items,
    size_t *n, const char *fmt, ...)
{
    va_list           ap;
    struct feat_rows  rows;
    enum feat_error   e;

    va_start(ap, fmt);
    e = feat_db_vrows(db, a, l, offset, limit, 1, &rows, fmt, ap);
    va_end(ap);

    /* items is a struct x **: the array's address stored through it */
    *total = (rows.total < 0) ? 0 : rows.total;
    memcpy(items, &rows.items, sizeof(rows.items));
    *n = rows.n;

    return e;
}


const char *
feat_db_col_text(struct feat_arena *a, sqlite3_stmt *st, int i)
{
    int                   n;
    const unsigned char  *s;

    s = sqlite3_column_text(st, i);
    if (s == NULL) {
        return "";
    }

    n = sqlite3_column_bytes(st, i);

    return feat_arena_strndup(a, (const char *) s, (size_t) n);
}
