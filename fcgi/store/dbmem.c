/*
 * dbmem.c: the allocator SQLite uses (store/db.c installs it before the
 * first connection), kept apart from the connection and statement code.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runtime.h"


/*
 * SQLite's allocator.  Debian's libsqlite3 is built without lookaside
 * memory (SQLITE_OMIT_LOOKASIDE), so every small block SQLite needs is a
 * malloc() and a free(): the copy of each text column a row brings into
 * its register (freed again when the statement is reset), each bound
 * copy, each cursor.  An authenticated read makes about 22 such pairs, and
 * glibc answers them slowly here (~250 instructions a pair, its fast bins
 * consolidated at every request by libfcgi's 8 kB stream buffers): some
 * 5,000 instructions of a 60,000-instruction read.  Blocks up to 2 kB are
 * therefore kept on free lists by power-of-two size and handed out again,
 * about 30 instructions each way; bigger ones (the page cache's pages) go
 * to malloc().  Each block has an 8-byte header with its usable size.
 *
 * The lists are per thread, so the allocator is as thread-safe as malloc;
 * a list keeps at most FEAT_DB_MEM_KEEP blocks (past that, free()), so a
 * process holds no more than its peak use of small blocks, which its
 * statement cache and the rows in hand bound.  Sanitizer builds keep
 * SQLite's own allocator: malloc's interceptors then see every block, and
 * a column's text read after its statement was reset is a report, not a
 * recycled buffer.
 */
#if !defined(__SANITIZE_ADDRESS__)

#define FEAT_DB_MEM_MIN     4           /* the smallest class: 16 bytes */
#define FEAT_DB_MEM_CLASSES 8           /* 16 .. 2048 bytes */
#define FEAT_DB_MEM_MAX     (1 << (FEAT_DB_MEM_MIN + FEAT_DB_MEM_CLASSES - 1))
#define FEAT_DB_MEM_KEEP    4096
#define FEAT_DB_MEM_HDR     8

struct feat_db_mem_free {
    struct feat_db_mem_free  *next;
};

static __thread struct feat_db_mem_free  *feat_db_mem_list[FEAT_DB_MEM_CLASSES];
static __thread unsigned                  feat_db_mem_kept[FEAT_DB_MEM_CLASSES];


/* The class of a block of n usable bytes (n <= FEAT_DB_MEM_MAX). */
static unsigned
feat_db_mem_class(size_t n)
{
    if (n <= (1u << FEAT_DB_MEM_MIN)) {
        return 0;
    }

    return (unsigned) (64 - __builtin_clzll((unsigned long long) n - 1))
           - FEAT_DB_MEM_MIN;
}


static int
feat_db_mem_roundup(int n)
{
    if (n <= FEAT_DB_MEM_MAX) {
        return 1 << (feat_db_mem_class((size_t) n) + FEAT_DB_MEM_MIN);
    }

    return (n + 7) & ~7;
}


static void *
feat_db_mem_malloc(int n)
{
    unsigned                  c;
    uint64_t                 *h;
    struct feat_db_mem_free  *b;

    n = feat_db_mem_roundup(n);

    if (n <= FEAT_DB_MEM_MAX) {
        c = feat_db_mem_class((size_t) n);
        b = feat_db_mem_list[c];
        if (b != NULL) {
            feat_db_mem_list[c] = b->next;
            feat_db_mem_kept[c]--;
            return b;
        }
    }

    h = malloc((size_t) n + FEAT_DB_MEM_HDR);
    if (h == NULL) {
        return NULL;
    }

    h[0] = (uint64_t) n;

    return (char *) h + FEAT_DB_MEM_HDR;
}


static int
feat_db_mem_size(void *p)
{
    return p != NULL ? (int) ((uint64_t *) ((char *) p - FEAT_DB_MEM_HDR))[0]
                     : 0;
}


static void
feat_db_mem_free(void *p)
{
    int                       n;
    unsigned                  c;
    struct feat_db_mem_free  *b;

    if (p == NULL) {
        return;
    }

    n = feat_db_mem_size(p);

    if (n <= FEAT_DB_MEM_MAX) {
        c = feat_db_mem_class((size_t) n);
        if (feat_db_mem_kept[c] < FEAT_DB_MEM_KEEP) {
            b = p;
            b->next = feat_db_mem_list[c];
            feat_db_mem_list[c] = b;
            feat_db_mem_kept[c]++;
            return;
        }
    }

    free((char *) p - FEAT_DB_MEM_HDR);
}


static void *
feat_db_mem_realloc(void *p, int n)
{
    int    old;
    void  *q;

    old = feat_db_mem_size(p);
    if (n <= old) {
        return p;
    }

    q = feat_db_mem_malloc(n);
    if (q == NULL) {
        return NULL;
    }

    memcpy(q, p, (size_t) old);
    feat_db_mem_free(p);

    return q;
}


static int
feat_db_mem_init(void *data)
{
    (void) data;
    return SQLITE_OK;
}


static void
feat_db_mem_shutdown(void *data)
{
    (void) data;
}


static const sqlite3_mem_methods  feat_db_mem = {
    feat_db_mem_malloc,
    feat_db_mem_free,
    feat_db_mem_realloc,
    feat_db_mem_size,
    feat_db_mem_roundup,
    feat_db_mem_init,
    feat_db_mem_shutdown,
    NULL
};

#endif


/* The methods for SQLITE_CONFIG_MALLOC, or NULL: SQLite's own. */
const sqlite3_mem_methods *
feat_db_mem_methods(void)
{
#if !defined(__SANITIZE_ADDRESS__)
    return &feat_db_mem;
#else
    return NULL;
#endif
}
