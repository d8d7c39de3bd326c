/*
 * arena.c: the per-request block allocator.
 *
 * An arena is a chain of blocks.  The first block lives inside the arena
 * header (about 8 KiB), so a small request makes one malloc for the whole
 * arena's life; later blocks double in size up to a cap, and an allocation
 * larger than a quarter of the usual block gets a block of its own, so a
 * big body does not waste the tail of a shared block.  Every pointer handed
 * out is 16-byte aligned.  Cleanups (cJSON trees, statement resets) run
 * last added first at reset and destroy.  Reset keeps only the first block,
 * so a worker's arena does not stay at its high-water mark after one big
 * request.  Allocation failure logs and aborts: the master replaces the
 * worker (STYLE.md, "Memory, results, errors").
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "feat.h"

#define FEAT_ARENA_ALIGN       16
#define FEAT_ARENA_FIRST       (8192 - 256)
#define FEAT_ARENA_BLOCK       16384
#define FEAT_ARENA_BLOCK_MAX   (256 * 1024)
#define FEAT_ARENA_SPARES      4

struct feat_arena_block {
    struct feat_arena_block  *next;
    size_t                    size;    /* usable bytes after the header */
    size_t                    used;
    /* keeps data[] 16-byte aligned whatever the header's size */
    _Alignas(FEAT_ARENA_ALIGN) unsigned char data[];
};

struct feat_arena_cleanup {
    struct feat_arena_cleanup  *next;
    feat_cleanup_pt             fn;
    void                       *data;
};

struct feat_arena {
    struct feat_arena_block    *current;  /* where small allocations go */
    struct feat_arena_block    *blocks;   /* every block after the first */
    struct feat_arena_block    *spare;    /* kept by a reset for reuse */
    struct feat_arena_cleanup  *cleanups; /* most recent first */
    size_t                      next_size;
    struct feat_arena_block     first;    /* must stay last: data[] */
};


static void *
feat_arena_malloc(size_t n)
{
    void  *p;

    p = malloc(n);
    if (p == NULL) {
        feat_log(LOG_EMERG, errno, "malloc(%zu) failed", n);
        abort();
    }

    return p;
}


static size_t
feat_arena_round(size_t n)
{
    if (n > SIZE_MAX - FEAT_ARENA_ALIGN) {
        feat_log(LOG_EMERG, 0, "arena allocation of %zu bytes", n);
        abort();
    }

    return (n + FEAT_ARENA_ALIGN - 1) & ~((size_t) FEAT_ARENA_ALIGN - 1);
}


struct feat_arena *
feat_arena_create(void)
{
    struct feat_arena  *a;

    a = feat_arena_malloc(sizeof(struct feat_arena) + FEAT_ARENA_FIRST);
    a->first.next = NULL;
    a->first.size = FEAT_ARENA_FIRST;
    a->first.used = 0;
    a->current = &a->first;
    a->blocks = NULL;
    a->spare = NULL;
    a->cleanups = NULL;
    a->next_size = FEAT_ARENA_BLOCK;

    return a;
}


static void
feat_arena_run_cleanups(struct feat_arena *a)
{
    struct feat_arena_cleanup  *c;

    /*
     * A cleanup may itself allocate from the arena or add another cleanup
     * (a cJSON_Delete does neither, but a statement reset might log); take
     * each off the list before calling it so nothing runs twice.
     */
    while (a->cleanups != NULL) {
        c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->data);
    }
}


/*
 * Frees the blocks after the first; with keep, up to FEAT_ARENA_SPARES of
 * the ordinary ones (not a large allocation's own block) stay aside for
 * the next requests, so that a worker whose answers outgrow the first
 * block does not malloc and free the same blocks at every request.
 */
static void
feat_arena_free_blocks(struct feat_arena *a, int keep)
{
    int                       kept;
    struct feat_arena_block  *b, *next;

    kept = 0;
    for (b = a->spare; b != NULL; b = b->next) {
        kept++;
    }

    for (b = a->blocks; b != NULL; b = next) {
        next = b->next;
        if (keep && kept < FEAT_ARENA_SPARES && b->size >= FEAT_ARENA_BLOCK
            && b->size <= FEAT_ARENA_BLOCK_MAX)
        {
            b->next = a->spare;
            a->spare = b;
            kept++;
            continue;
        }
        free(b);
    }

    a->blocks = NULL;

    if (!keep) {
        for (b = a->spare; b != NULL; b = next) {
            next = b->next;
            free(b);
        }
        a->spare = NULL;
    }
}


void
feat_arena_destroy(struct feat_arena *a)
{
    if (a == NULL) {
        return;
    }

    feat_arena_run_cleanups(a);
    feat_arena_free_blocks(a, 0);
    free(a);
}


void
feat_arena_reset(struct feat_arena *a)
{
    feat_arena_run_cleanups(a);
    feat_arena_free_blocks(a, 1);
    a->first.used = 0;
    a->current = &a->first;
    a->next_size = FEAT_ARENA_BLOCK;
}


static struct feat_arena_block *
feat_arena_block_new(struct feat_arena *a, size_t size)
{
    struct feat_arena_block  *b, **prev;

    if (size > SIZE_MAX - sizeof(struct feat_arena_block)) {
        feat_log(LOG_EMERG, 0, "arena block of %zu bytes", size);
        abort();
    }

    /* a spare that is large enough, else a new one */
    for (prev = &a->spare; *prev != NULL; prev = &(*prev)->next) {
        if ((*prev)->size >= size) {
            b = *prev;
            *prev = b->next;
            b->used = 0;
            b->next = a->blocks;
            a->blocks = b;
            return b;
        }
    }

    b = feat_arena_malloc(sizeof(struct feat_arena_block) + size);
    b->size = size;
    b->used = 0;
    b->next = a->blocks;
    a->blocks = b;

    return b;
}


void *
feat_arena_alloc(struct feat_arena *a, size_t n)
{
    struct feat_arena_block  *b;
    void                     *p;

    n = feat_arena_round(n == 0 ? 1 : n);

    b = a->current;
    if (b->size - b->used >= n) {
        p = b->data + b->used;
        b->used += n;
        return p;
    }

    if (n > FEAT_ARENA_BLOCK / 4) {
        /* its own block: the current one keeps serving small requests */
        b = feat_arena_block_new(a, n);
        b->used = n;
        return b->data;
    }

    b = feat_arena_block_new(a, a->next_size);
    if (a->next_size < FEAT_ARENA_BLOCK_MAX) {
        a->next_size *= 2;
    }

    a->current = b;
    p = b->data;
    b->used = n;

    return p;
}


void *
feat_arena_calloc(struct feat_arena *a, size_t n)
{
    void  *p;

    p = feat_arena_alloc(a, n);
    memset(p, 0, n);

    return p;
}


char *
feat_arena_strndup(struct feat_arena *a, const char *s, size_t n)
{
    char  *p;

    if (n == SIZE_MAX) {
        abort();
    }

    p = feat_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';

    return p;
}


char *
feat_arena_strdup(struct feat_arena *a, const char *s)
{
    if (s == NULL) {
        return NULL;
    }

    return feat_arena_strndup(a, s, strlen(s));
}


char *
feat_arena_sprintf(struct feat_arena *a, const char *fmt, ...)
{
    char     buf[256], *p;
    int      n;
    va_list  ap;

    /* most strings fit the stack buffer: format once, copy once */
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    if (n < 0) {
        feat_log(LOG_ALERT, errno, "vsnprintf(\"%s\") failed", fmt);
        return feat_arena_strdup(a, "");
    }

    if ((size_t) n < sizeof(buf)) {
        return feat_arena_strndup(a, buf, (size_t) n);
    }

    p = feat_arena_alloc(a, (size_t) n + 1);

    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);

    return p;
}


void
feat_arena_cleanup_add(struct feat_arena *a, feat_cleanup_pt fn, void *data)
{
    struct feat_arena_cleanup  *c;

    c = feat_arena_alloc(a, sizeof(struct feat_arena_cleanup));
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
}


/*
 * cJSON in the arena.  A worker hands its request arena to cJSON's
 * allocation hooks (feat_arena_json_hooks): every node, key and string a
 * request builds or parses is then a bump of the arena's pointer instead
 * of a malloc, and goes with the arena's reset instead of a free each.  An
 * answer of 20 rows builds some 500 of them.  Memory cJSON had from malloc
 * before (none in a request) is still given back with free.  Sanitizer
 * builds keep malloc, so that ASan still sees every cJSON lifetime.
 */
static struct feat_arena  *feat_arena_json_current;


int
feat_arena_owns(struct feat_arena *a, const void *p)
{
    const unsigned char             *c;
    const struct feat_arena_block   *b;

    c = p;

    if (c >= a->first.data && c < a->first.data + a->first.size) {
        return 1;
    }

    for (b = a->blocks; b != NULL; b = b->next) {
        if (c >= b->data && c < b->data + b->size) {
            return 1;
        }
    }

    return 0;
}


static void *
feat_arena_json_malloc(size_t n)
{
    if (feat_arena_json_current != NULL) {
        return feat_arena_alloc(feat_arena_json_current, n);
    }

    return malloc(n);
}


static void
feat_arena_json_free(void *p)
{
    if (p == NULL
        || (feat_arena_json_current != NULL
            && feat_arena_owns(feat_arena_json_current, p)))
    {
        return;
    }

    free(p);
}


void
feat_arena_json_hooks(struct feat_arena *a)
{
#if defined(__SANITIZE_ADDRESS__)
    (void) a;
#else
    cJSON_Hooks  hooks;

    hooks.malloc_fn = feat_arena_json_malloc;
    hooks.free_fn = feat_arena_json_free;

    feat_arena_json_current = a;
    cJSON_InitHooks(a != NULL ? &hooks : NULL);
#endif
}


static void
feat_arena_json_delete(void *data)
{
    cJSON_Delete(data);
}


void
feat_arena_json_delete_now(struct feat_arena *a, cJSON *item)
{
    /*
     * The walk would only call the free hook on every node, key and
     * string to learn that each is the arena's (an answer of 20 FAQ rows:
     * ~500 of them).  A tree whose root is in the hooked arena was built
     * under the hooks: its nodes are the arena's too.
     */
    if (item != NULL
        && !(a == feat_arena_json_current && feat_arena_owns(a, item)))
    {
        cJSON_Delete(item);
    }
}


cJSON *
feat_arena_json(struct feat_arena *a, cJSON *item)
{
    /* a tree in the hooked arena goes with it: no walk to free nothing */
    if (item != NULL
        && !(a == feat_arena_json_current && feat_arena_owns(a, item)))
    {
        feat_arena_cleanup_add(a, feat_arena_json_delete, item);
    }

    return item;
}
