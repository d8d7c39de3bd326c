/*
 * service-test.c: the service marketplace's domain below HTTP
 * (modules/service): the strict close_at parser, the status names, the
 * actions the step table offers each role in each state, the search's
 * case folding, and on a fresh temporary database the runtime's push
 * queue and the sweep that stores time closes.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feat.h"
#include "runtime.h"
#include "service/service.h"
#include "service/internal.h"
#include "../tap.h"
#include "plan.h"
#include "fixture.h"


static char                 dir[] = "/tmp/feat-service-XXXXXX";
static struct feat_arena   *arena;
static sqlite3             *db;


static void
setup(void)
{
    /* the log provider takes every channel: a device gets an outbox row
     * without the app's APNs credentials (issue 11: none without them) */
    db = fixture_setup(dir, "push.log_path = push.log\n");
    arena = feat_arena_create();
}


static void
test_parse_time(void)
{
    time_t  t;
    size_t  i;
    static const char  *bad[] = {
        "", "2030-01-01", "2030-01-01T10:00:00", "2030-01-01 10:00:00Z",
        "2030-02-29T10:00:00Z", "2030-13-01T10:00:00Z",
        "2030-01-32T10:00:00Z", "2030-01-01T24:00:00Z",
        "2030-01-01T10:60:00Z", "2030-01-01T10:00:60Z",
        "2030-01-01T10:00:00+8:00", "2030-01-01T10:00:00+0800",
        "2030-01-01T10:00:00+24:00", "2030-01-01T10:00:00z",
        "2030-01-01T10:00:00Zx", "2030-01-01T10:00:00.Z",
        "2030-01-01T10:00:00.1234567890Z", "1969-12-31T23:59:59Z",
        "+2030-01-01T10:00:00Z", "2030-1-01T10:00:00Z",
    };

    ok(feat_service_parse_time("1970-01-01T00:00:00Z", &t) == FEAT_OK
       && t == 0, "the epoch in Z");
    ok(feat_service_parse_time("2026-11-22T10:00:00+08:00", &t) == FEAT_OK
       && t == 1795312800, "a +08:00 time");
    ok(feat_service_parse_time("2026-11-22T02:00:00Z", &t) == FEAT_OK
       && t == 1795312800, "... the same instant in Z");
    ok(feat_service_parse_time("2026-11-21T21:00:00-05:00", &t) == FEAT_OK
       && t == 1795312800, "... and in -05:00");
    ok(feat_service_parse_time("2026-11-22T02:00:00.999Z", &t) == FEAT_OK
       && t == 1795312800, "a fraction is dropped");
    ok(feat_service_parse_time("2028-02-29T00:00:00Z", &t) == FEAT_OK,
       "29 February of a leap year");
    ok(feat_service_parse_time("2000-02-29T00:00:00Z", &t) == FEAT_OK,
       "29 February 2000");
    ok(feat_service_parse_time("2100-02-29T00:00:00Z", &t) == FEAT_ERROR,
       "no 29 February 2100");

    for (i = 0; i < FEAT_NELEMS(bad); i++) {
        ok(feat_service_parse_time(bad[i], &t) == FEAT_ERROR,
           "refused: \"%s\"", bad[i]);
    }
}


static void
test_statuses(void)
{
    int  s;

    is_str(feat_service_status_name(0), "草稿", "0 草稿");
    is_str(feat_service_status_name(100), "审核中", "100 审核中");
    is_str(feat_service_status_name(200), "已发布", "200 已发布");
    is_str(feat_service_status_name(300), "关闭", "300 关闭");
    is_str(feat_service_status_name(400), "已完成", "400 已完成");
    is_str(feat_service_status_name(500), "已取消", "500 已取消");
    ok(feat_service_status_name(250) == NULL, "no status 250");
    ok(feat_service_status_parse("open", &s) == FEAT_OK && s == 200,
       "\"open\" is 200");
    ok(feat_service_status_parse("500", &s) == FEAT_OK && s == 500,
       "\"500\" is 500");
    ok(feat_service_status_parse("250", &s) == FEAT_ERROR, "\"250\" is not");
    ok(feat_service_status_parse("-0", &s) == FEAT_ERROR, "\"-0\" is not");
}


/* The actions of viewer on a project of owner 1 in status, joined. */
static const char *
actions(int status, sqlite3_int64 viewer, int has_bid)
{
    size_t                       i, n;
    const char                  *names[FEAT_SERVICE_NOPS];
    static char                  buf[256];
    struct feat_service_project  p;

    memset(&p, 0, sizeof(p));
    p.owner_id = 1;
    p.status = status;
    p.has_my_bid = has_bid;

    n = feat_service_actions(&p, viewer, names);
    buf[0] = '\0';

    for (i = 0; i < n; i++) {
        if (i > 0) {
            strcat(buf, " ");
        }
        strcat(buf, names[i]);
    }

    return buf;
}


static void
test_actions(void)
{
    is_str(actions(0, 1, 0), "edit delete publish", "owner, DRAFT");
    is_str(actions(100, 1, 0), "", "owner, REVIEW");
    is_str(actions(200, 1, 0), "close cancel", "owner, OPEN");
    is_str(actions(300, 1, 0), "select_winner cancel", "owner, CLOSED");
    is_str(actions(400, 1, 0), "", "owner, COMPLETED");
    is_str(actions(500, 1, 0), "", "owner, CANCELLED");
    is_str(actions(200, 2, 0), "bid", "stranger, OPEN");
    is_str(actions(200, 2, 1), "bid withdraw_bid", "bidder, OPEN");
    is_str(actions(300, 2, 1), "", "bidder, CLOSED");
    is_str(actions(0, 2, 0), "", "stranger, DRAFT");
    is_str(actions(200, FEAT_SERVICE_MODERATOR, 0), "",
           "the moderator has no buttons");
}


static void
test_fold(void)
{
    is_str(feat_service_fold(arena, "Build A WEBSITE"), "build a website",
           "ASCII");
    is_str(feat_service_fold(arena, "CAFÉ Ünïcode"), "café ünïcode",
           "Latin-1");
    is_str(feat_service_fold(arena, "ПРИВЕТ Ёж"), "привет ёж", "Cyrillic");
    is_str(feat_service_fold(arena, "ΑΘΗΝΑ"), "αθηνα", "Greek");
    is_str(feat_service_fold(arena, "ＡＢＣ"), "ａｂｃ", "fullwidth");
    is_str(feat_service_fold(arena, "ŁÓDŹ ĄĘ"), "łódź ąę",
           "Latin Extended-A");
    is_str(feat_service_fold(arena, "设计Logo 😀"), "设计logo 😀",
           "Chinese and four-byte characters untouched");
    is_str(feat_service_fold(arena, "100%_done"), "100%_done",
           "punctuation untouched");
}


static sqlite3_int64
add_user(const char *name)
{
    char  openid[64];

    snprintf(openid, sizeof(openid), "openid-%s", name);

    if (feat_db_exec(db,
                     "INSERT INTO users (app_id, username, openid,"
                     " created_at, updated_at) VALUES ('', ?, ?, 1, 1)",
                     "ss", name, openid)
        != FEAT_OK)
    {
        printf("Bail out! user %s\n", name);
        exit(1);
    }

    return sqlite3_last_insert_rowid(db);
}


static void
test_queue_and_sweep(sqlite3_int64 *owner_out, sqlite3_int64 *id_out)
{
    time_t                       now;
    sqlite3_int64                owner, bidder, id, push, v;
    const char                  *bad;
    struct feat_service_bid      b;
    struct feat_service_fields   f;
    struct feat_service_project  p;
    int                          created;

    owner = add_user("owner");
    bidder = add_user("bidder");

    /* the queue: a system push, listed users, one row each; the owner
     * has a device, so the push waits for its delivery */
    ok(feat_db_exec(db, "INSERT INTO apns_device (app_id, user_id, token,"
                        " created_at, updated_at) VALUES ('', ?, ?, 0, 0)",
                    "is", owner, "0123456789abcdef0123456789abcdef"
                                 "0123456789abcdef0123456789abcdef")
       == FEAT_OK, "the owner's APNs token");
    ok(feat_db_begin(db) == FEAT_OK, "begin");
    {
        sqlite3_int64  to[] = { owner, bidder, owner };

        ok(feat_push_queue(db, "", 0, "t", "b", FEAT_PUSH_SCOPE_LISTED, to,
                           3, &push)
           == FEAT_OK, "feat_push_queue: FEAT_OK");
    }
    ok(feat_db_commit(db) == FEAT_OK, "commit");
    ok(feat_db_int(db, &v, "SELECT count(*) FROM push_target"
                   " WHERE push_id = ?", "i", push) == FEAT_OK && v == 2,
       "... two targets (a user listed twice gets it once)");
    ok(feat_db_int(db, &v, "SELECT count(*) FROM push WHERE id = ?"
                   " AND manager_id IS NULL AND status = 0", "i", push)
       == FEAT_OK && v == 1, "... queued, from the system");
    ok(feat_db_int(db, &v, "SELECT count(*) FROM outbox WHERE push_id = ?"
                   " AND channel = 'apns' AND user_id = ? AND status = 0",
                   "ii", push, owner) == FEAT_OK && v == 1,
       "... with one outbox row, the owner's device, in its transaction");

    /* a project opened, bid on, then its close time passes */
    now = feat_now();
    memset(&f, 0, sizeof(f));
    f.title = "t";
    f.description = "d";
    f.budget_fen = 1;
    f.has_budget = 1;
    f.close_at = now + 100;
    f.has_close_at = 1;
    bad = NULL;

    ok(feat_service_create(db, arena, "", owner, &f, &p, &bad)
       == FEAT_E_NONE, "create");
    id = p.id;
    ok(feat_service_transition(db, arena, "", owner, id,
                               FEAT_SERVICE_PUBLISH, 0, NULL, &p, &bad)
       == FEAT_E_NONE && p.status == FEAT_SERVICE_OPEN, "publish");
    ok(feat_service_bid(db, arena, "", bidder, id, 10, NULL, &b, &created,
                        &bad)
       == FEAT_E_NONE && created, "bid");

    feat_service_sweep(db, now);
    ok(feat_db_int(db, &v, "SELECT status FROM service_project WHERE id = ?",
                   "i", id) == FEAT_OK && v == 200,
       "a sweep before close_at leaves it OPEN");

    ok(feat_db_exec(db, "UPDATE service_project SET close_at = ?"
                    " WHERE id = ?", "ii", (sqlite3_int64) now - 1, id)
       == FEAT_OK, "stage: close_at passed");
    ok(feat_service_get(db, arena, "", owner, id, &p) == FEAT_E_NONE
       && p.status == FEAT_SERVICE_CLOSED && p.closed_at == now - 1,
       "read before the sweep: CLOSED, closed_at = close_at");
    ok(feat_service_bid(db, arena, "", bidder, id, 11, NULL, &b, &created,
                        &bad)
       == FEAT_E_WRONG_STATE, "a bid now: WRONG_STATE");

    feat_service_sweep(db, now);
    ok(feat_db_int(db, &v, "SELECT status FROM service_project WHERE id = ?"
                   " AND closed_at = close_at", "i", id) == FEAT_OK
       && v == 300, "the sweep stores it CLOSED, closed_at = close_at");
    ok(feat_db_int(db, &v, "SELECT count(*) FROM push p JOIN push_target t"
                   " ON t.push_id = p.id WHERE t.user_id = ?"
                   " AND p.title = '需求已关闭'", "i", bidder) == FEAT_OK
       && v == 1, "... and queues the bidder's push");
    ok(sqlite3_get_autocommit(db), "... leaving no transaction open");

    *owner_out = owner;
    *id_out = id;
}


/* A SCAN of a table that grows with the users (v2-domain-test's rule). */
static int
plan_scans_big(const char *detail)
{
    size_t  n;
    int     i;
    static const char  *big[] = {
        "users", "service_project", "service_bid", "push", "push_target",
        NULL
    };

    if (strncmp(detail, "SCAN ", 5) != 0) {
        return 0;
    }

    detail += 5;
    for (i = 0; big[i] != NULL; i++) {
        n = strlen(big[i]);
        if (strncmp(detail, big[i], n) == 0
            && (detail[n] == '\0' || detail[n] == ' '))
        {
            return 1;
        }
    }

    /* an alias: one letter, as the module's queries use */
    return (detail[1] == ' ' || detail[1] == '\0')
           && strncmp(detail, "CONSTANT", 8) != 0;
}


/*
 * The hot reads use indexes: with an empty statement cache, a project
 * read, the owner's list, the square (with a search and a category), the
 * bids, and a sweep run once, and no statement they prepared may SCAN a
 * table that grows with the users.
 */
static void
test_plans(sqlite3_int64 owner, sqlite3_int64 id)
{
    int                           seen, bad;
    size_t                        n;
    long long                     total;
    const char                   *bad_field;
    struct feat_service_bid      *bids;
    struct feat_service_project   p, *list;

    feat_db_close();
    ok(feat_db_open() == FEAT_OK, "reopened with an empty statement cache");
    db = feat_db();

    ok(feat_service_get(db, arena, "", owner, id, &p) == FEAT_E_NONE,
       "a project");
    ok(feat_service_list(db, arena, "", owner, owner, -1, 0, 20, &total,
                         &list, &n) == FEAT_E_NONE, "the owner's list");
    ok(feat_service_list(db, arena, "", owner, owner, 300, 0, 20, &total,
                         &list, &n) == FEAT_E_NONE, "... by status");
    ok(feat_service_square(db, arena, "", owner, NULL, NULL, 0, 20, &total,
                           &list, &n, &bad_field) == FEAT_E_NONE,
       "the square");
    ok(feat_service_square(db, arena, "", owner, "Logo", "design", 20, 20,
                           &total, &list, &n, &bad_field) == FEAT_E_NONE,
       "... searched");
    ok(feat_service_bids(db, arena, "", owner, id, 0, 20, &total, &bids, &n)
       == FEAT_E_NONE, "the bids");
    feat_service_sweep(db, feat_now());

    bad = plan_check(db, plan_scans_big, &seen);

    ok(seen >= 6, "the hot reads prepared their statements");
    is_int(bad, 0, "no hot read scans a table that grows with the users");
}


int
main(void)
{
    sqlite3_int64  owner, id;

    setup();

    test_parse_time();
    test_statuses();
    test_actions();
    test_fold();
    test_queue_and_sweep(&owner, &id);
    test_plans(owner, id);

    feat_arena_destroy(arena);
    feat_db_close();

    {
        char  cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0) {
            diag("could not remove %s", dir);
        }
    }

    return done_testing();
}
