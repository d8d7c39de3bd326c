/*
 * router.c: the merged route table.
 *
 * Every module's routes go into one trie of path segments, built once at
 * start in feat_modules[] order.  A node has its literal children sorted for
 * bsearch, at most one parameter child ("{id}"), and per method the route
 * that ends there, with the parameter names of that route's own pattern
 * (GET /x/{id} and DELETE /x/{pk} share a node but not their names).  A
 * trailing slash is one more, empty, segment, so "/api/auth/register/" and
 * "/api/auth/register" are different routes, as the seeds need.  Matching
 * prefers a literal over a parameter and backtracks, so the most literal
 * route that accepts the method wins; when routes match the path but none
 * takes the method, *allowed collects their methods for the 405's Allow.
 * The trie is process memory (malloc), freed by feat_router_free().
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define FEAT_METHODS        5
#define FEAT_ROUTE_DEPTH    32     /* segments in a pattern */
#define FEAT_ROUTE_SEG_MAX  128    /* bytes in one pattern segment */

struct feat_route_slot {
    const struct feat_route  *route;
    const char               *names[FEAT_MAX_PATH_PARAMS];
};

struct feat_node {
    char                     *seg;        /* literal; NULL for a param */
    struct feat_node        **lits;       /* sorted by seg */
    size_t                    nlits;
    struct feat_node         *param;
    struct feat_route_slot    slots[FEAT_METHODS];
};

/* one line of "featcgi -R" */
struct feat_route_entry {
    const struct feat_route  *route;
    unsigned                  method;
    const char               *module;
};

static struct feat_node          *feat_root;
static struct feat_route_entry   *feat_routes;
static size_t                     feat_nroutes;

static const char *const  feat_method_name[FEAT_METHODS] = {
    "GET", "POST", "PUT", "PATCH", "DELETE"
};


static void *
feat_router_alloc(size_t n)
{
    void  *p;

    p = calloc(1, n);
    if (p == NULL) {
        feat_log(LOG_EMERG, errno, "calloc(%zu) failed", n);
        abort();
    }

    return p;
}


static void
feat_node_free(struct feat_node *n)
{
    size_t  i;

    if (n == NULL) {
        return;
    }

    for (i = 0; i < n->nlits; i++) {
        feat_node_free(n->lits[i]);
    }

    feat_node_free(n->param);
    free(n->lits);
    free(n->seg);
    free(n);
}


void
feat_router_free(void)
{
    feat_node_free(feat_root);
    feat_root = NULL;
    free(feat_routes);
    feat_routes = NULL;
    feat_nroutes = 0;
}


static int
feat_method_index(unsigned bit)
{
    int  i;

    for (i = 0; i < FEAT_METHODS; i++) {
        if (bit == (1u << i)) {
            return i;
        }
    }

    return -1;
}


/* Finds the literal child seg[0..len) by binary search: its index, or
 * -(insertion point) - 1. */
static long
feat_node_find(const struct feat_node *n, const char *seg, size_t len)
{
    size_t  lo, hi, mid;
    int     c;

    lo = 0;
    hi = n->nlits;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strncmp(seg, n->lits[mid]->seg, len);
        if (c == 0 && n->lits[mid]->seg[len] != '\0') {
            c = -1;
        }
        if (c == 0) {
            return (long) mid;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return -(long) lo - 1;
}


static struct feat_node *
feat_node_literal(struct feat_node *n, const char *seg, size_t len)
{
    struct feat_node   *child, **lits;
    long                i;
    size_t              at;

    i = feat_node_find(n, seg, len);
    if (i >= 0) {
        return n->lits[i];
    }

    at = (size_t) (-i - 1);
    lits = realloc(n->lits, (n->nlits + 1) * sizeof(struct feat_node *));
    if (lits == NULL) {
        feat_log(LOG_EMERG, errno, "realloc() failed");
        abort();
    }

    child = feat_router_alloc(sizeof(struct feat_node));
    child->seg = feat_router_alloc(len + 1);
    memcpy(child->seg, seg, len);

    memmove(&lits[at + 1], &lits[at], (n->nlits - at) * sizeof(lits[0]));
    lits[at] = child;
    n->lits = lits;
    n->nlits++;

    return child;
}


static int
feat_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_';
}


/*
 * Adds one (method, route): FEAT_OK, or FEAT_ERROR with *why set (a pattern
 * that does not parse, or a (method, pattern) already taken).
 */
static int
feat_router_add(const struct feat_route *rt, int mi, const char **why)
{
    struct feat_node        *n;
    struct feat_route_slot   slot;
    const char              *p, *seg, *end;
    size_t                   len;
    int                      nparams, depth;

    p = rt->pattern;
    if (p[0] != '/') {
        *why = "does not start with '/'";
        return FEAT_ERROR;
    }

    memset(&slot, 0, sizeof(slot));
    n = feat_root;
    nparams = 0;
    depth = 0;
    p++;

    for (;;) {
        seg = p;
        end = strchr(seg, '/');
        len = (end == NULL) ? strlen(seg) : (size_t) (end - seg);

        if (len == 0 && end != NULL) {
            *why = "has an empty segment";
            return FEAT_ERROR;
        }

        if (len > FEAT_ROUTE_SEG_MAX || ++depth > FEAT_ROUTE_DEPTH) {
            *why = "is too long";
            return FEAT_ERROR;
        }

        if (len > 0 && seg[0] == '{') {
            if (len < 3 || seg[len - 1] != '}') {
                *why = "has unbalanced braces";
                return FEAT_ERROR;
            }
            for (p = seg + 1; p < seg + len - 1; p++) {
                if (!feat_name_char(*p)) {
                    *why = "has a bad parameter name";
                    return FEAT_ERROR;
                }
            }
            if (nparams == FEAT_MAX_PATH_PARAMS) {
                *why = "has too many parameters";
                return FEAT_ERROR;
            }

            /* names point into the pattern: routes are static data */
            slot.names[nparams++] = seg + 1;
            if (n->param == NULL) {
                n->param = feat_router_alloc(sizeof(struct feat_node));
            }
            n = n->param;

        } else {
            if (memchr(seg, '{', len) != NULL || memchr(seg, '}', len) != NULL)
            {
                *why = "has unbalanced braces";
                return FEAT_ERROR;
            }
            n = feat_node_literal(n, seg, len);
        }

        if (end == NULL) {
            break;
        }
        p = end + 1;
    }

    if (n->slots[mi].route != NULL) {
        *why = "is a duplicate";
        return FEAT_ERROR;
    }

    slot.route = rt;
    n->slots[mi] = slot;

    return FEAT_OK;
}


/* 1 if the route names one of the dialects. */
static int
feat_router_dialect_ok(const struct feat_route *rt)
{
    const struct feat_dialect *const  *d;

    for (d = feat_dialects; *d != NULL; d++) {
        if ((*d)->id == rt->dialect) {
            return 1;
        }
    }

    return 0;
}


int
feat_router_build(const struct feat_module *const *mods)
{
    const struct feat_module  *m;
    const struct feat_route   *rt;
    const char                *why, *field;
    size_t                     count, i;
    int                        mi, b;
    char                       names[64];

    feat_router_free();
    feat_root = feat_router_alloc(sizeof(struct feat_node));

    count = 0;
    for (i = 0; mods[i] != NULL; i++) {
        for (rt = mods[i]->routes; rt != NULL && rt->pattern != NULL; rt++) {
            count += (size_t) __builtin_popcount(rt->method & 0x1f);
        }
    }

    feat_routes = feat_router_alloc((count + 1)
                                    * sizeof(struct feat_route_entry));

    for (i = 0; mods[i] != NULL; i++) {
        m = mods[i];

        for (rt = m->routes; rt != NULL && rt->pattern != NULL; rt++) {
            if (rt->method == 0 || (rt->method & ~0x1fu) != 0
                || rt->handler == NULL || !feat_router_dialect_ok(rt))
            {
                feat_log(LOG_EMERG, 0,
                         "route \"%s\" of module \"%s\" has no handler, "
                         "a bad method or no dialect", rt->pattern, m->name);
                feat_router_free();
                return FEAT_ERROR;
            }

            if (rt->schema != NULL
                && feat_schema_check(rt->schema, &field, &why) != FEAT_OK)
            {
                feat_log(LOG_EMERG, 0,
                         "route \"%s\" of module \"%s\" has a bad "
                         "schema: %s %s", rt->pattern, m->name,
                         field[0] != '\0' ? field : "it", why);
                feat_router_free();
                return FEAT_ERROR;
            }

            for (b = 0; b < FEAT_METHODS; b++) {
                if (!(rt->method & (1u << b))) {
                    continue;
                }

                mi = feat_method_index(1u << b);
                if (feat_router_add(rt, mi, &why) != FEAT_OK) {
                    feat_log(LOG_EMERG, 0,
                             "route \"%s %s\" of module \"%s\" %s",
                             feat_method_names(1u << b, names, sizeof(names)),
                             rt->pattern, m->name, why);
                    feat_router_free();
                    return FEAT_ERROR;
                }

                feat_routes[feat_nroutes].route = rt;
                feat_routes[feat_nroutes].method = 1u << b;
                feat_routes[feat_nroutes].module = m->name;
                feat_nroutes++;
            }
        }
    }

    if (feat_dialect_init(mods) != FEAT_OK) {
        feat_router_free();
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


struct feat_match {
    unsigned                       method;
    int                            mi;
    unsigned                       allowed;
    char                          *segs[FEAT_ROUTE_DEPTH + 1];
    int                            nsegs;
    const char                    *values[FEAT_MAX_PATH_PARAMS];
    const struct feat_route_slot  *found;
    const char                    *found_values[FEAT_MAX_PATH_PARAMS];
};


/* Depth-first, literal before parameter: 1 when a route took the method. */
static int
feat_router_walk(const struct feat_node *n, struct feat_match *m, int depth,
    int nvalues)
{
    const char  *seg;
    long         i;
    int          k;

    if (depth == m->nsegs) {
        for (k = 0; k < FEAT_METHODS; k++) {
            if (n->slots[k].route != NULL) {
                m->allowed |= 1u << k;
            }
        }

        if (m->mi >= 0 && n->slots[m->mi].route != NULL) {
            m->found = &n->slots[m->mi];
            memcpy(m->found_values, m->values, sizeof(m->values));
            return 1;
        }

        return 0;
    }

    seg = m->segs[depth];

    i = feat_node_find(n, seg, strlen(seg));
    if (i >= 0 && feat_router_walk(n->lits[i], m, depth + 1, nvalues)) {
        return 1;
    }

    /* a parameter never matches an empty segment ("//" or the slash) */
    if (n->param != NULL && seg[0] != '\0' && nvalues < FEAT_MAX_PATH_PARAMS)
    {
        m->values[nvalues] = seg;
        if (feat_router_walk(n->param, m, depth + 1, nvalues + 1)) {
            return 1;
        }
    }

    return 0;
}


const struct feat_route *
feat_router_match(struct feat_arena *a, const char *path, unsigned method,
    struct feat_kv *params, int *nparams, unsigned *allowed)
{
    struct feat_match  m;
    char              *copy, *p;
    int                i;

    *nparams = 0;
    *allowed = 0;

    if (feat_root == NULL || path == NULL || path[0] != '/') {
        return NULL;
    }

    memset(&m, 0, sizeof(m));
    m.method = method;
    m.mi = feat_method_index(method);

    /* split a copy: parameter values point into it */
    copy = feat_arena_strdup(a, path + 1);
    m.segs[m.nsegs++] = copy;

    for (p = copy; *p != '\0'; p++) {
        if (*p == '/') {
            if (m.nsegs == FEAT_ROUTE_DEPTH) {
                return NULL;  /* deeper than any pattern can be */
            }
            *p = '\0';
            m.segs[m.nsegs++] = p + 1;
        }
    }

    feat_router_walk(feat_root, &m, 0, 0);

    *allowed = m.allowed;

    if (m.found == NULL) {
        return NULL;
    }

    for (i = 0; i < FEAT_MAX_PATH_PARAMS && m.found->names[i] != NULL; i++) {
        params[i].name = feat_arena_strndup(a, m.found->names[i],
                                            strcspn(m.found->names[i], "}"));
        params[i].value = m.found_values[i];
        params[i].len = strlen(m.found_values[i]);
    }

    *nparams = i;
    *allowed = 0;

    return m.found->route;
}


static int
feat_route_entry_cmp(const void *a, const void *b)
{
    const struct feat_route_entry  *x = a, *y = b;
    int                             c;

    c = strcmp(x->route->pattern, y->route->pattern);
    if (c != 0) {
        return c;
    }

    return (x->method > y->method) - (x->method < y->method);
}


void
feat_router_print(FILE *f)
{
    static const struct {
        unsigned     flag;
        const char  *name;
    } flags[] = {
        { FEAT_SESSION, "session" }, { FEAT_JWT, "jwt" },
        { FEAT_UPLOAD, "upload" },   { FEAT_SCOPE_PAY, "pay" },
        { FEAT_USER, "user" },       { FEAT_RAW_BODY, "raw" },
        { FEAT_SCOPE_NONE, "noscope" },
        { FEAT_MANAGER, "manager" }, { FEAT_ANY_DIALECT, "any" },
        { FEAT_NO_APP, "noapp" },
    };
    struct feat_route_entry  *sorted;
    char                      fl[80], names[16];
    size_t                    i, k, n;

    if (feat_nroutes == 0) {
        return;
    }

    sorted = feat_router_alloc(feat_nroutes * sizeof(sorted[0]));
    memcpy(sorted, feat_routes, feat_nroutes * sizeof(sorted[0]));
    qsort(sorted, feat_nroutes, sizeof(sorted[0]), feat_route_entry_cmp);

    for (i = 0; i < feat_nroutes; i++) {
        n = 0;
        fl[0] = '\0';

        for (k = 0; k < FEAT_NELEMS(flags); k++) {
            if (sorted[i].route->flags & flags[k].flag) {
                n += (size_t) snprintf(fl + n, sizeof(fl) - n, "%s%s",
                                       n ? "," : "", flags[k].name);
            }
        }

        fprintf(f, "%s %s %s %s\n",
                feat_method_names(sorted[i].method, names, sizeof(names)),
                sorted[i].route->pattern,
                feat_dialect(sorted[i].route->dialect)->name,
                n ? fl : "-");
    }

    free(sorted);
}


const struct feat_route *
feat_router_entry(size_t i, unsigned *method, const char **module)
{
    if (i >= feat_nroutes) {
        return NULL;
    }

    if (method != NULL) {
        *method = feat_routes[i].method;
    }
    if (module != NULL) {
        *module = feat_routes[i].module;
    }

    return feat_routes[i].route;
}


unsigned
feat_method_parse(const char *s)
{
    int  i;

    if (s == NULL) {
        return 0;
    }

    for (i = 0; i < FEAT_METHODS; i++) {
        if (strcmp(s, feat_method_name[i]) == 0) {
            return 1u << i;
        }
    }

    return 0;
}


const char *
feat_method_names(unsigned mask, char *buf, size_t n)
{
    size_t  len;
    int     i, k;

    /* buf is filled even for one method: callers may use buf itself */
    if (buf == NULL || n == 0) {
        i = feat_method_index(mask);
        return i >= 0 ? feat_method_name[i] : "";
    }

    buf[0] = '\0';
    len = 0;

    for (i = 0; i < FEAT_METHODS; i++) {
        if (!(mask & (1u << i))) {
            continue;
        }
        k = snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
                     feat_method_name[i]);
        if (k < 0 || (size_t) k >= n - len) {
            break;
        }
        len += (size_t) k;
    }

    return buf;
}
