/*
 * plan.h: the unit tests' check of query plans.  After a test has run the
 * reads it cares about, every SELECT the connection holds prepared (the
 * statement cache keeps them) is explained, and each plan line that the
 * test's predicate calls a scan of a table growing with the users is
 * reported through diag().  Include after tap.h.
 */

#ifndef FEAT_T_PLAN_H
#define FEAT_T_PLAN_H

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

/* The bad plan lines of db's prepared SELECTs; *seen counts the SELECTs. */
static int
plan_check(sqlite3 *db, int (*scans_big)(const char *detail), int *seen)
{
    int            bad;
    char           sql[4096];
    const char    *detail;
    sqlite3_stmt  *st, *plan;

    bad = 0;
    *seen = 0;

    for (st = sqlite3_next_stmt(db, NULL); st != NULL;
         st = sqlite3_next_stmt(db, st))
    {
        if (strncmp(sqlite3_sql(st), "SELECT", 6) != 0) {
            continue;
        }

        (*seen)++;
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
        if (sqlite3_prepare_v2(db, sql, -1, &plan, NULL) != SQLITE_OK) {
            diag("cannot explain: %s", sqlite3_errmsg(db));
            bad++;
            continue;
        }

        while (sqlite3_step(plan) == SQLITE_ROW) {
            detail = (const char *) sqlite3_column_text(plan, 3);
            if (detail != NULL && scans_big(detail)) {
                diag("%s\n    in: %s", detail, sqlite3_sql(st));
                bad++;
            }
        }
        sqlite3_finalize(plan);
    }

    return bad;
}

#endif /* FEAT_T_PLAN_H */
