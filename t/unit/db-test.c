/*
 * db-test.c: the row readers of fcgi/store/db.c over an in-memory
 * database.  The declarative reader (feat_db_read, FEAT_DB_READER): every
 * column type, NULLs, a start column, a column list and map made from one
 * X-macro, and the reader serving feat_db_row.  A write: feat_db_insert's
 * rowid and refusal, feat_db_end's commit and rollback.  The paged-list
 * reader feat_db_rows: pages, totals, the clamp to a list's max, an
 * uncounted list, an unbounded one that outgrows its first array, when the
 * count query runs and when it is spared, and a failing step answered as
 * FEAT_E_INTERNAL with nothing handed back.  The write gate: held from
 * BEGIN to COMMIT or ROLLBACK as another process sees it, kept by a
 * refused nested BEGIN, and handed on by a holder that died holding it.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "feat.h"
#include "runtime.h"
#include "../tap.h"


struct item {
    sqlite3_int64   id;
    const char     *name;
};

static sqlite3  *db;
static int       counts;       /* runs of the count query (bump()) */
static int       held;         /* runs while another statement was busy */
static int       fail_at;      /* fail_at(id) fails on this id, 0: never */


/* the lists' items, read by a map: the reader as a feat_db_list's row */
static const struct feat_db_col  item_cols[] = {
    FEAT_COL_INT64(struct item, id),
    FEAT_COL_TEXT(struct item, name)
};

FEAT_DB_READER(item_row, item_cols)


/* one field of every column type, in no particular order */
struct every {
    int             i;
    const char     *text;
    sqlite3_int64   big;
    unsigned        u;
    time_t          t;
    int             flag;
};

#define EVERY_COLS(X, _)                                                     \
    X(struct every, INT64, big, "big") _                                     \
    X(struct every, TEXT, text, "text") _                                    \
    X(struct every, INT, i, "i") _                                           \
    X(struct every, UINT, u, "u") _                                          \
    X(struct every, TIME, t, "t") _                                          \
    X(struct every, BOOL, flag, "flag")

static const struct feat_db_col  every_cols[] = {
    EVERY_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(every_row, every_cols)


/* bump(): 0, counting its calls, so a test sees whether COUNT(*) ran */
static void
bump(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_stmt  *st;

    (void) argc;
    (void) argv;
    counts++;

    /* the page's statement, stepped and not reset: one read transaction */
    for (st = sqlite3_next_stmt(db, NULL); st != NULL;
         st = sqlite3_next_stmt(db, st))
    {
        if (sqlite3_stmt_busy(st) && strstr(sqlite3_sql(st), "LIMIT")) {
            held++;
            break;
        }
    }

    sqlite3_result_int(ctx, 0);
}


/* fail_at(id): id, or an error on the row whose id is fail_at */
static void
fail_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_int64  id;

    (void) argc;
    id = sqlite3_value_int64(argv[0]);

    if (fail_at != 0 && id == fail_at) {
        sqlite3_result_error(ctx, "injected", -1);
        return;
    }

    sqlite3_result_int64(ctx, id);
}


/* 45 rows in group "a", 3 in "b", none in "c" */
static const struct feat_db_list  list = {
    "SELECT COUNT(*) + bump() FROM t WHERE g = ?",
    "SELECT fail_at(id), name FROM t WHERE g = ? ORDER BY id LIMIT ? OFFSET ?",
    item_row, sizeof(struct item), 20, "test list"
};

static const struct feat_db_list  uncounted = {
    NULL,
    "SELECT id, name FROM t WHERE g = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
    item_row, sizeof(struct item), 0, "test all"
};


static void
setup(void)
{
    int    i;
    char   sql[128];

    if (sqlite3_open(":memory:", &db) != SQLITE_OK
        || sqlite3_create_function(db, "bump", 0, SQLITE_UTF8, NULL, bump,
                                   NULL, NULL) != SQLITE_OK
        || sqlite3_create_function(db, "fail_at", 1, SQLITE_UTF8, NULL,
                                   fail_fn, NULL, NULL) != SQLITE_OK
        || sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
                        " g TEXT NOT NULL, name TEXT NOT NULL)",
                        NULL, NULL, NULL) != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        exit(1);
    }

    for (i = 1; i <= 48; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO t (id, g, name) VALUES (%d, '%s', 'n%d')", i,
                 i <= 45 ? "a" : "b", i);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            printf("Bail out! %s\n", sqlite3_errmsg(db));
            exit(1);
        }
    }
}


/* One page of group g: the answer, with the count query's runs in *ran. */
static enum feat_error
page(struct feat_arena *a, const char *g, long long offset, long long limit,
    struct feat_rows *out, int *ran)
{
    enum feat_error  e;

    counts = 0;
    e = feat_db_rows(db, a, &list, offset, limit, 1, out, "s", g);
    *ran = counts;

    return e;
}


/* feat_db_read and FEAT_DB_READER on their own (before the lists) */
static void
test_read(struct feat_arena *a)
{
    struct every    e;
    sqlite3_stmt   *st;
    enum feat_error  rc;

    ok(strcmp(EVERY_COLS(FEAT_COL_SQL, ", "), "big, text, i, u, t, flag")
       == 0, "one X-macro makes the column list in the map's order");

    if (sqlite3_exec(db, "CREATE TABLE e (k INTEGER, big INTEGER,"
                     " text TEXT, i INTEGER, u INTEGER, t INTEGER,"
                     " flag INTEGER);"
                     "INSERT INTO e VALUES (1, 9007199254740993, 'h\xc3\xa9',"
                     " -7, 4000000000, 1700000000, 5);"
                     "INSERT INTO e VALUES (2, NULL, NULL, NULL, NULL, NULL,"
                     " 0)", NULL, NULL, NULL) != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        exit(1);
    }

    memset(&e, 0xff, sizeof(e));
    st = feat_db_query(db, "SELECT " EVERY_COLS(FEAT_COL_SQL, ", ")
                       " FROM e WHERE k = ?", "i", (sqlite3_int64) 1);
    rc = feat_db_row(db, a, st, every_row, &e, "every %d", 1);
    ok(rc == FEAT_E_NONE, "a map reader serves feat_db_row");
    ok(e.big == 9007199254740993LL, "INT64: all 64 bits");
    ok(strcmp(e.text, "h\xc3\xa9") == 0, "TEXT: an arena copy");
    is_int(e.i, -7, "INT: negative");
    ok(e.u == 4000000000u, "UINT: above INT_MAX");
    ok(e.t == (time_t) 1700000000, "TIME: unix seconds");
    is_int(e.flag, 1, "BOOL: 5 reads as 1");

    memset(&e, 0xff, sizeof(e));
    st = feat_db_query(db, "SELECT " EVERY_COLS(FEAT_COL_SQL, ", ")
                       " FROM e WHERE k = ?", "i", (sqlite3_int64) 2);
    ok(feat_db_row(db, a, st, every_row, &e, "every %d", 2) == FEAT_E_NONE
       && e.big == 0 && strcmp(e.text, "") == 0 && e.i == 0 && e.u == 0
       && e.t == 0 && e.flag == 0,
       "NULL: numbers read 0, text \"\"");

    st = feat_db_query(db, "SELECT " EVERY_COLS(FEAT_COL_SQL, ", ")
                       " FROM e WHERE k = ?", "i", (sqlite3_int64) 3);
    ok(feat_db_row(db, a, st, every_row, &e, "every %d", 3)
       == FEAT_E_NOT_FOUND, "no row: not found");

    /* a start column: the map reads from there on, as in a join */
    memset(&e, 0, sizeof(e));
    st = feat_db_query(db, "SELECT 'x', 'y', " EVERY_COLS(FEAT_COL_SQL, ", ")
                       " FROM e WHERE k = 1", NULL);
    ok(st != NULL && sqlite3_step(st) == SQLITE_ROW, "a joined row");
    feat_db_read(a, st, 2, every_cols, FEAT_NELEMS(every_cols), &e);
    feat_db_done(st);
    ok(e.big == 9007199254740993LL && e.i == -7 && e.flag == 1
       && strcmp(e.text, "h\xc3\xa9") == 0,
       "first = 2: the map reads columns 2.. into the struct");

    /* a map of fewer fields reads only those: the rest are untouched */
    memset(&e, 0, sizeof(e));
    e.i = 42;
    st = feat_db_query(db, "SELECT " EVERY_COLS(FEAT_COL_SQL, ", ")
                       " FROM e WHERE k = 1", NULL);
    ok(st != NULL && sqlite3_step(st) == SQLITE_ROW, "the row again");
    feat_db_read(a, st, 0, every_cols, 2, &e);
    feat_db_done(st);
    ok(e.big == 9007199254740993LL && e.i == 42 && e.u == 0,
       "n = 2: only the first two fields are written");
}


/* feat_db_insert and feat_db_end: a write's rowid, refusal and exit */
static void
test_write(void)
{
    sqlite3_int64    id, n;
    enum feat_error  e;

    if (sqlite3_exec(db, "CREATE TABLE w (id INTEGER PRIMARY KEY,"
                     " k TEXT NOT NULL UNIQUE)", NULL, NULL, NULL)
        != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        exit(1);
    }

    id = 0;
    ok(feat_db_insert(db, &id, "INSERT INTO w (k) VALUES (?)", "s", "a")
       == FEAT_E_NONE && id == 1, "insert: FEAT_E_NONE with the rowid");
    id = 0;
    ok(feat_db_insert(db, &id, "INSERT INTO w (k) VALUES (?)", "s", "b")
       == FEAT_E_NONE && id == 2, "insert: the next rowid");

    id = 0;
    ok(feat_db_insert(db, &id, "INSERT INTO w (k) VALUES (?)", "s", "a")
       == FEAT_E_UNKNOWN_APP && id == 0,
       "insert refused by a constraint: FEAT_E_UNKNOWN_APP, id untouched");

    /* success commits */
    ok(feat_db_begin(db) == FEAT_OK, "begin");
    feat_db_exec(db, "INSERT INTO w (k) VALUES (?)", "s", "c");
    ok(feat_db_end(db, FEAT_E_NONE) == FEAT_E_NONE
       && sqlite3_get_autocommit(db), "end(NONE): committed, closed");
    ok(feat_db_int(db, &n, "SELECT count(*) FROM w WHERE k = 'c'", NULL)
       == FEAT_OK && n == 1, "end(NONE): the row stays");

    /* a failure rolls back and is answered as it is */
    ok(feat_db_begin(db) == FEAT_OK, "begin again");
    feat_db_exec(db, "INSERT INTO w (k) VALUES (?)", "s", "d");
    e = feat_db_end(db, FEAT_E_NOT_FOUND);
    ok(e == FEAT_E_NOT_FOUND && sqlite3_get_autocommit(db),
       "end(NOT_FOUND): answered as it is, closed");
    ok(feat_db_int(db, &n, "SELECT count(*) FROM w WHERE k = 'd'", NULL)
       == FEAT_OK && n == 0, "end(NOT_FOUND): the row was rolled back");

    /* a COMMIT that cannot run (no transaction) answers internal */
    ok(feat_db_end(db, FEAT_E_NONE) == FEAT_E_INTERNAL,
       "end(NONE) when COMMIT fails: FEAT_E_INTERNAL");
}


/* 1 when another process finds the write gate held, 0 when free. */
static int
gate_held(void)
{
    int    status, rc;
    pid_t  pid;

    pid = fork();
    if (pid == 0) {
        rc = pthread_mutex_trylock(&feat_pool->write_gate);
        if (rc == 0 || rc == EOWNERDEAD) {
            (void) pthread_mutex_unlock(&feat_pool->write_gate);
        }
        _exit(rc == EBUSY ? 1 : 0);
    }

    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }

    return WEXITSTATUS(status);
}


/* gate_probe(): gate_held() as SQL, run inside the statement's step */
static void
gate_probe(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    (void) argv;
    sqlite3_result_int(ctx, gate_held());
}


static void
test_gate(void)
{
    sqlite3_int64  v;

    int    status;
    pid_t  pid;

    feat_pool = mmap(NULL, sizeof(struct feat_pool_state),
                     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                     0);
    if (feat_pool == MAP_FAILED
        || feat_db_gate_init(&feat_pool->write_gate) != FEAT_OK)
    {
        printf("Bail out! the write gate\n");
        exit(1);
    }

    is_int(gate_held(), 0, "gate: free before any transaction");

    /* a write alone is a transaction: it queues as BEGIN does; a read not */
    if (sqlite3_create_function(db, "gate_probe", 0, SQLITE_UTF8, NULL,
                                gate_probe, NULL, NULL) != SQLITE_OK)
    {
        printf("Bail out! %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    ok(feat_db_exec(db, "INSERT INTO w (k) VALUES ('gate' || gate_probe())",
                    NULL) == FEAT_OK
       && feat_db_int(db, &v, "SELECT count(*) FROM w WHERE k = 'gate1'",
                      NULL) == FEAT_OK && v == 1,
       "gate: held while a write outside a transaction runs");
    is_int(gate_held(), 0, "gate: dropped after it");
    ok(feat_db_int(db, &v, "SELECT gate_probe()", NULL) == FEAT_OK && v == 0,
       "gate: not taken by a read");

    ok(feat_db_begin(db) == FEAT_OK, "gate: BEGIN");
    is_int(gate_held(), 1, "gate: held inside the transaction");
    ok(feat_db_exec(db, "BEGIN IMMEDIATE", NULL) != FEAT_OK,
       "gate: a nested BEGIN is refused");
    is_int(gate_held(), 1, "gate: still held after the refused BEGIN");
    ok(feat_db_commit(db) == FEAT_OK, "gate: COMMIT");
    is_int(gate_held(), 0, "gate: dropped by the COMMIT");

    ok(feat_db_begin(db) == FEAT_OK, "gate: BEGIN again");
    feat_db_rollback(db);
    is_int(gate_held(), 0, "gate: dropped by the ROLLBACK");

    ok(feat_db_hold(db) == FEAT_OK && feat_db_begin(db) == FEAT_OK
       && feat_db_commit(db) == FEAT_OK, "gate: a savepoint in a hold");
    is_int(gate_held(), 1, "gate: held until the hold is released");
    ok(feat_db_release(db, 1) == FEAT_OK, "gate: the hold released");
    is_int(gate_held(), 0, "gate: dropped with the hold");

    /* a holder that dies: the next one takes the gate at once (a
     * busy_timeout of 0 here: a gate not handed on would be skipped) */
    pid = fork();
    if (pid == 0) {
        _exit(feat_db_begin(db) == FEAT_OK && gate_held() == 1 ? 0 : 1);
    }
    ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)
       && WEXITSTATUS(status) == 0, "gate: a child died holding it");
    ok(feat_db_begin(db) == FEAT_OK, "gate: BEGIN after the dead holder");
    is_int(gate_held(), 1, "gate: taken from the dead holder");
    ok(feat_db_commit(db) == FEAT_OK, "gate: COMMIT");
    is_int(gate_held(), 0, "gate: free again");

    feat_db_gate_off();
    munmap(feat_pool, sizeof(struct feat_pool_state));
    feat_pool = NULL;
}


int
main(void)
{
    int                 ran, ok_ids;
    size_t              i;
    struct item        *it;
    struct feat_rows    rows;
    struct feat_arena  *a;

    setup();
    a = feat_arena_create();

    test_read(a);
    test_write();
    test_gate();

    /* a full page: the page cannot tell the total, so it is counted */
    ok(page(a, "a", 0, 20, &rows, &ran) == FEAT_E_NONE, "first page");
    is_int(rows.total, 45, "first page: total");
    is_int((long long) rows.n, 20, "first page: 20 rows");
    it = rows.items;
    ok(it[0].id == 1 && it[19].id == 20 && strcmp(it[19].name, "n20") == 0,
       "first page: rows 1..20 in order, read by the row reader");
    is_int(ran, 1, "first page: counted");
    is_int(held, 1, "first page: counted while the page's read is open");

    /* a short page ends the list: total = offset + n, no COUNT(*) */
    ok(page(a, "a", 40, 20, &rows, &ran) == FEAT_E_NONE, "last page");
    is_int(rows.total, 45, "last page: total from the page");
    is_int((long long) rows.n, 5, "last page: 5 rows");
    is_int(((struct item *) rows.items)[0].id, 41, "last page: from 41");
    is_int(ran, 0, "last page: the count query did not run");

    ok(page(a, "b", 0, 20, &rows, &ran) == FEAT_E_NONE
       && rows.total == 3 && rows.n == 3 && ran == 0,
       "a list shorter than a page: total 3 without counting");

    ok(page(a, "c", 0, 20, &rows, &ran) == FEAT_E_NONE
       && rows.total == 0 && rows.n == 0 && rows.items == NULL && ran == 0,
       "an empty list: total 0, no items, not counted");

    /* past the end: an empty page from the middle says nothing, count */
    ok(page(a, "a", 100, 20, &rows, &ran) == FEAT_E_NONE
       && rows.total == 45 && rows.n == 0 && rows.items == NULL && ran == 1,
       "past the end: no rows, the true total, counted");

    /* exactly at the end of a full page: the next page is empty */
    ok(page(a, "a", 40, 5, &rows, &ran) == FEAT_E_NONE
       && rows.total == 45 && rows.n == 5 && ran == 1,
       "a full last page is counted");

    /* the list's max clamps the limit */
    ok(page(a, "a", 0, 1000, &rows, &ran) == FEAT_E_NONE
       && rows.n == 20 && rows.total == 45,
       "limit 1000 is clamped to the list's max of 20");

    /* nothing to read: no rows, but the total all the same */
    ok(page(a, "a", 0, 0, &rows, &ran) == FEAT_E_NONE
       && rows.n == 0 && rows.total == 45 && ran == 1,
       "limit 0: no rows, counted");
    ok(page(a, "a", -1, 20, &rows, &ran) == FEAT_E_NONE
       && rows.n == 0 && rows.total == 45,
       "a negative offset: no rows, counted");

    /* not counted: total -1, and COUNT(*) never runs */
    counts = 0;
    ok(feat_db_rows(db, a, &list, 0, 20, 0, &rows, "s", "a") == FEAT_E_NONE
       && rows.total == -1 && rows.n == 20 && counts == 0,
       "count off: total -1, the count query not run");

    /* a list without a count query and without a cap grows as it reads */
    ok(feat_db_rows(db, a, &uncounted, 0, INT64_MAX, 0, &rows, "s", "a")
       == FEAT_E_NONE, "an unbounded list");
    is_int((long long) rows.n, 45, "unbounded: every row (past 32)");
    it = rows.items;
    ok_ids = 1;
    for (i = 0; i < rows.n; i++) {
        if (it[i].id != (sqlite3_int64) i + 1) {
            ok_ids = 0;
        }
    }
    ok(ok_ids, "unbounded: rows in order across the growth");

    ok(feat_db_rows(db, a, &uncounted, 0, 20, 1, &rows, "s", "a")
       == FEAT_E_INTERNAL && rows.n == 0,
       "counting a list without a count query is a bug: FEAT_E_INTERNAL");

    /* a step that fails half-way: an error, and no half page */
    fail_at = 7;
    ok(page(a, "a", 0, 20, &rows, &ran) == FEAT_E_INTERNAL,
       "a failing step: FEAT_E_INTERNAL");
    ok(rows.n == 0 && rows.items == NULL && rows.total == -1,
       "a failing step: nothing handed back");
    fail_at = 0;

    ok(page(a, "a", 0, 20, &rows, &ran) == FEAT_E_NONE && rows.n == 20,
       "the statement works again after a failure");

    /* the count failing: a removed table fails both statements */
    sqlite3_exec(db, "DROP TABLE t", NULL, NULL, NULL);
    ok(page(a, "a", 0, 20, &rows, &ran) == FEAT_E_INTERNAL && rows.n == 0,
       "a vanished table: FEAT_E_INTERNAL");

    feat_arena_destroy(a);
    feat_db_close();           /* finalizes the statement cache */
    ok(sqlite3_close(db) == SQLITE_OK, "every statement was released");

    return done_testing();
}
