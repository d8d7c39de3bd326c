/*
 * arena-test.c: the per-request allocator (fcgi/core/arena.c): alignment,
 * growth past the first block, big allocations, string helpers, cleanups
 * in LIFO order at reset and destroy, and reuse after reset.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "../tap.h"

static int  order[16];
static int  norder;


static void
record(void *data)
{
    if (norder < (int) FEAT_NELEMS(order)) {
        order[norder++] = *(int *) data;
    }
}


static void
test_alignment(struct feat_arena *a)
{
    size_t  sizes[] = { 1, 3, 7, 15, 16, 17, 33, 100, 1000, 5000, 70000 };
    size_t  i;
    int     aligned;
    char   *p;

    aligned = 1;
    for (i = 0; i < FEAT_NELEMS(sizes); i++) {
        p = feat_arena_alloc(a, sizes[i]);
        memset(p, 0xa5, sizes[i]);
        if ((uintptr_t) p % 16 != 0) {
            aligned = 0;
        }
    }
    ok(aligned, "every allocation is 16-byte aligned");

    p = feat_arena_alloc(a, 0);
    ok(p != NULL && (uintptr_t) p % 16 == 0, "a zero-size allocation is "
       "a valid aligned pointer");
}


static void
test_growth(struct feat_arena *a)
{
    char   *blocks[400];
    int     i, distinct, intact;

    /* 400 x 100 bytes: well past the 8 KiB first block */
    for (i = 0; i < 400; i++) {
        blocks[i] = feat_arena_alloc(a, 100);
        memset(blocks[i], i & 0xff, 100);
    }

    intact = 1;
    for (i = 0; i < 400; i++) {
        if ((unsigned char) blocks[i][0] != (i & 0xff)
            || (unsigned char) blocks[i][99] != (i & 0xff))
        {
            intact = 0;
        }
    }
    ok(intact, "allocations over several blocks keep their contents");

    distinct = 1;
    for (i = 1; i < 400; i++) {
        if (blocks[i] == blocks[i - 1]) {
            distinct = 0;
        }
    }
    ok(distinct, "no allocation is handed out twice");
}


static void
test_big(void)
{
    struct feat_arena  *a;
    char               *small1, *big, *small2;

    a = feat_arena_create();
    small1 = feat_arena_alloc(a, 32);
    big = feat_arena_alloc(a, 1024 * 1024);
    memset(big, 'x', 1024 * 1024);
    small2 = feat_arena_alloc(a, 32);

    ok(big != NULL && big[1024 * 1024 - 1] == 'x',
       "a 1 MiB allocation is usable to its end");
    ok(small2 == small1 + 32,
       "a big allocation gets its own block: small ones continue in place");
    feat_arena_destroy(a);
}


static void
test_strings(struct feat_arena *a)
{
    char  long_arg[600];
    char  *s;

    is_str(feat_arena_strdup(a, "hello"), "hello", "strdup");
    is_str(feat_arena_strndup(a, "hello world", 5), "hello", "strndup cuts");
    ok(feat_arena_strdup(a, NULL) == NULL, "strdup(NULL) is NULL");
    is_str(feat_arena_sprintf(a, "%d-%s", 42, "x"), "42-x", "sprintf");

    memset(long_arg, 'a', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    s = feat_arena_sprintf(a, "<%s>", long_arg);
    ok(strlen(s) == sizeof(long_arg) + 1 && s[0] == '<'
       && s[sizeof(long_arg)] == '>', "sprintf longer than its stack buffer");

    s = feat_arena_calloc(a, 64);
    ok(s[0] == 0 && s[63] == 0 && memcmp(s, s + 1, 63) == 0,
       "calloc zeroes");
}


static void
test_cleanups(void)
{
    struct feat_arena  *a;
    static int          ids[4] = { 1, 2, 3, 4 };
    cJSON              *j;

    a = feat_arena_create();
    norder = 0;
    feat_arena_cleanup_add(a, record, &ids[0]);
    feat_arena_cleanup_add(a, record, &ids[1]);
    feat_arena_cleanup_add(a, record, &ids[2]);
    feat_arena_reset(a);

    ok(norder == 3 && order[0] == 3 && order[1] == 2 && order[2] == 1,
       "reset runs cleanups last added first");

    feat_arena_reset(a);
    is_int(norder, 3, "a cleanup runs once");

    /* the arena is usable after reset, and destroy runs what is left */
    feat_arena_alloc(a, 20000);
    feat_arena_cleanup_add(a, record, &ids[3]);
    j = feat_arena_json(a, cJSON_CreateObject());
    cJSON_AddStringToObject(j, "k", "v");
    ok(j != NULL, "feat_arena_json hands the tree back");
    ok(feat_arena_json(a, NULL) == NULL, "feat_arena_json(NULL) is NULL");

    feat_arena_destroy(a);
    ok(norder == 4 && order[3] == 4, "destroy runs the cleanups");
}


static void
test_reset_reuse(void)
{
    struct feat_arena  *a;
    char               *p1, *p2;
    int                 i;

    a = feat_arena_create();
    p1 = feat_arena_alloc(a, 64);
    for (i = 0; i < 100; i++) {
        feat_arena_alloc(a, 4000);
    }
    feat_arena_reset(a);
    p2 = feat_arena_alloc(a, 64);
    ok(p1 == p2, "reset starts again at the first block");
    feat_arena_destroy(a);
}


int
main(void)
{
    struct feat_arena  *a;

    a = feat_arena_create();
    test_alignment(a);
    test_growth(a);
    test_big();
    test_strings(a);
    feat_arena_destroy(a);

    test_cleanups();
    test_reset_reuse();

    return done_testing();
}
