/*
 * paths.c: which dialect answers a path, and the nginx maps made from it.
 *
 * A matched route names its dialect; an unmatched path is answered by the
 * dialect its shape belongs to (API.md's "Routing"): a trailing slash is
 * feat's, a path under a prefix that a module declares (struct
 * feat_module's prefixes, collected by feat_dialect_init when the router
 * is built) is that prefix's dialect, the rest is v2's.  The few routes
 * whose dialect differs from their shape (OAuth2's /o/ endpoints) are
 * looked up by pattern first.  "featcgi -D nginx-maps" writes the same
 * knowledge as nginx maps, so nginx's own error pages speak the dialect
 * of the location (nginx/featcgi-maps.conf is generated from it, and
 * t/10-nginx-maps.t keeps the shipped file equal to the output).
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define FEAT_PREFIXES_MAX  64
#define FEAT_NGINX_KEY_MAX 512


static struct feat_prefix  feat_prefixes[FEAT_PREFIXES_MAX];
static size_t              feat_nprefixes;
/* routes of another dialect than their path's shape (oauth2's): the
 * pattern and its dialect, looked at before the shapes */
static struct feat_prefix  feat_exceptions[FEAT_PREFIXES_MAX];
static size_t              feat_nexceptions;
/* the modules of the last feat_dialect_init, for the pool map */
static const struct feat_module *const  *feat_paths_mods;


/* 1 if path matches pattern, a "{name}" matching one non-empty segment. */
static int
feat_dialect_match(const char *pattern, const char *path)
{
    while (*pattern != '\0') {
        if (*pattern == '{') {
            pattern = strchr(pattern, '}');
            if (pattern == NULL || *path == '\0' || *path == '/') {
                return 0;
            }
            pattern++;
            path += strcspn(path, "/");
            continue;
        }

        if (*pattern++ != *path++) {
            return 0;
        }
    }

    return *path == '\0';
}


static int feat_dialect_exceptions(const struct feat_module *const *mods);


int
feat_dialect_init(const struct feat_module *const *mods)
{
    size_t                     i, k;
    const struct feat_prefix  *p;

    feat_nprefixes = 0;
    feat_nexceptions = 0;
    feat_paths_mods = mods;

    if (feat_dialect_check() != FEAT_OK) {
        return FEAT_ERROR;
    }

    for (i = 0; mods[i] != NULL; i++) {
        for (p = mods[i]->prefixes; p != NULL && p->prefix != NULL; p++) {
            if (p->prefix[0] != '/') {
                feat_log(LOG_EMERG, 0, "module %s: prefix \"%s\" does not "
                         "start with '/'", mods[i]->name, p->prefix);
                return FEAT_ERROR;
            }

            for (k = 0; k < feat_nprefixes; k++) {
                if (strcmp(feat_prefixes[k].prefix, p->prefix) == 0) {
                    break;
                }
            }

            if (k < feat_nprefixes) {
                /* several modules share "/api/user/": one dialect */
                if (feat_prefixes[k].dialect != p->dialect) {
                    feat_log(LOG_EMERG, 0, "module %s: prefix \"%s\" "
                             "belongs to two dialects", mods[i]->name,
                             p->prefix);
                    return FEAT_ERROR;
                }
                continue;
            }

            if (feat_nprefixes == FEAT_PREFIXES_MAX) {
                feat_log(LOG_EMERG, 0, "more than %d URL prefixes",
                         FEAT_PREFIXES_MAX);
                return FEAT_ERROR;
            }

            feat_prefixes[feat_nprefixes++] = *p;
        }
    }

    return feat_dialect_exceptions(mods);
}


/* The dialect with shape (FEAT_SHAPE_*), or 0. */
static unsigned
feat_dialect_shaped(unsigned shape)
{
    const struct feat_dialect *const  *d;

    for (d = feat_dialects; *d != NULL; d++) {
        if ((*d)->shapes & shape) {
            return (*d)->id;
        }
    }

    return 0;
}


/* Collects the routes whose dialect is not their shape's: FEAT_OK, or
 * FEAT_ERROR (logged) when there are too many. */
static int
feat_dialect_exceptions(const struct feat_module *const *mods)
{
    size_t                    i;
    const struct feat_route  *rt;

    for (i = 0; mods[i] != NULL; i++) {
        for (rt = mods[i]->routes; rt != NULL && rt->pattern != NULL; rt++) {
            if (feat_dialect_of_shape(rt->pattern) == rt->dialect) {
                continue;
            }

            if (feat_nexceptions == FEAT_PREFIXES_MAX) {
                feat_log(LOG_EMERG, 0, "more than %d routes of another "
                         "dialect than their path's", FEAT_PREFIXES_MAX);
                return FEAT_ERROR;
            }

            feat_exceptions[feat_nexceptions].prefix = rt->pattern;
            feat_exceptions[feat_nexceptions].dialect = rt->dialect;
            feat_nexceptions++;
        }
    }

    return FEAT_OK;
}


unsigned
feat_dialect_of_path(const char *path)
{
    size_t  i;

    for (i = 0; path != NULL && i < feat_nexceptions; i++) {
        if (feat_dialect_match(feat_exceptions[i].prefix, path)) {
            return feat_exceptions[i].dialect;
        }
    }

    return feat_dialect_of_shape(path);
}


unsigned
feat_dialect_of_shape(const char *path)
{
    size_t                             len, i, best;
    unsigned                           d;
    const struct feat_dialect *const  *dp;

    if (path == NULL || path[0] == '\0') {
        return feat_dialect_shaped(FEAT_SHAPE_REST);
    }

    /* a dialect's own prefix wins over every shape (admin's) */
    for (dp = feat_dialects; *dp != NULL; dp++) {
        if ((*dp)->prefix != NULL
            && strncmp(path, (*dp)->prefix, strlen((*dp)->prefix)) == 0)
        {
            return (*dp)->id;
        }
    }

    len = strlen(path);
    if (path[len - 1] == '/') {
        return feat_dialect_shaped(FEAT_SHAPE_SLASH);
    }

    d = 0;
    best = 0;

    for (i = 0; i < feat_nprefixes; i++) {
        len = strlen(feat_prefixes[i].prefix);
        if (len > best && strncmp(path, feat_prefixes[i].prefix, len) == 0) {
            best = len;
            d = feat_prefixes[i].dialect;
        }
    }

    return d != 0 ? d : feat_dialect_shaped(FEAT_SHAPE_REST);
}


/* ---- featcgi -D nginx-maps ---------------------------------------------- */

/* Appends s[0..n) to buf (size FEAT_NGINX_KEY_MAX, NUL-terminated) as an
 * nginx regex literal: metacharacters escaped. */
static void
feat_nginx_regex(char *buf, const char *s, size_t n)
{
    size_t  i, len;

    len = strlen(buf);

    for (i = 0; i < n && len + 3 < FEAT_NGINX_KEY_MAX; i++) {
        if (strchr(".^$*+?()[]{}|\\\"", s[i]) != NULL) {
            buf[len++] = '\\';
        }
        buf[len++] = s[i];
    }

    buf[len] = '\0';
}


/*
 * The quoted map key of an exact path, a route's pattern (a parameter is
 * one segment: a regex) or, with prefix set, a path prefix.  With raw set
 * the key matches $request_uri, query string and all, so an exact path
 * or pattern ends where the query starts.
 */
static const char *
feat_nginx_key(char *buf, const char *path, int prefix, int raw)
{
    const char  *p, *open, *close;

    if (!prefix && !raw && strchr(path, '{') == NULL) {
        snprintf(buf, FEAT_NGINX_KEY_MAX, "\"%s\"", path);
        return buf;
    }

    strcpy(buf, "\"~^");

    for (p = path; !prefix && (open = strchr(p, '{')) != NULL;
         p = close + 1)
    {
        close = strchr(open, '}');
        if (close == NULL) {
            break;
        }
        feat_nginx_regex(buf, p, (size_t) (open - p));
        strncat(buf, "[^/]+", FEAT_NGINX_KEY_MAX - strlen(buf) - 1);
    }

    feat_nginx_regex(buf, p, strlen(p));
    strncat(buf, prefix ? "\"" : raw ? "(\\?|$)\"" : "$\"",
            FEAT_NGINX_KEY_MAX - strlen(buf) - 1);

    return buf;
}


/* One map of nginx's own error e: the body in each dialect, the dialect
 * read from the variable by. */
static void
feat_nginx_error_map(FILE *f, struct feat_arena *a, const char *by,
    const char *var, enum feat_error e, int english)
{
    char                              *text;
    cJSON                             *body;
    const char                        *p;
    const struct feat_dialect *const  *d;
    const struct feat_dialect_error   *row;

    fprintf(f, "map $%s $%s {\n", by, var);

    for (d = feat_dialects; *d != NULL; d++) {
        row = feat_dialect_row(*d, e);
        body = (*d)->error(a, row, feat_dialect_text(*d, e, english), NULL,
                           NULL);
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (text == NULL) {
            feat_log(LOG_EMERG, 0, "cJSON_PrintUnformatted() failed");
            abort();
        }

        fprintf(f, "    %-8s '", ((*d)->shapes & FEAT_SHAPE_REST)
                                 ? "default" : (*d)->name);
        for (p = text; *p != '\0'; p++) {
            if (*p == '\'' || *p == '\\') {
                fputc('\\', f);
            }
            fputc(*p, f);
        }
        fputs("';\n", f);
        free(text);
    }

    fputs("}\n", f);
}


/*
 * The pool of a path: the routes flagged FEAT_HASH go to the upstream
 * "featcgi_hash" (featcgi's "hash_listen", or the main socket when there
 * is no hashing pool), the rest to "featcgi".  A path is listed once
 * whatever its methods.
 */
static void
feat_nginx_pool_map(FILE *f)
{
    char                      key[FEAT_NGINX_KEY_MAX];
    size_t                    i, k;
    const struct feat_route  *rt, *seen;
    const struct feat_module *const  *m;

    fputs("\n"
          "# The pool of a path: the routes that hash a password go to the\n"
          "# hashing pool's upstream, so a storm of logins queues there and\n"
          "# never in front of the workers that serve everything else.\n"
          "map $uri $feat_pool {\n", f);
    fprintf(f, "    %-30s %s;\n", "default", "featcgi");

    for (i = 0; feat_paths_mods != NULL && feat_paths_mods[i] != NULL; i++) {
        for (rt = feat_paths_mods[i]->routes;
             rt != NULL && rt->pattern != NULL; rt++)
        {
            if (!(rt->flags & FEAT_HASH)) {
                continue;
            }

            /* once per pattern, at its first hashing route */
            seen = NULL;
            for (m = feat_paths_mods; m <= &feat_paths_mods[i] && !seen;
                 m++)
            {
                for (k = 0; (*m)->routes != NULL
                            && &(*m)->routes[k] != rt
                            && (*m)->routes[k].pattern != NULL; k++)
                {
                    if (((*m)->routes[k].flags & FEAT_HASH)
                        && strcmp((*m)->routes[k].pattern, rt->pattern) == 0)
                    {
                        seen = &(*m)->routes[k];
                        break;
                    }
                }
            }

            if (seen == NULL) {
                fprintf(f, "    %-30s %s;\n",
                        feat_nginx_key(key, rt->pattern, 0, 0), "featcgi_hash");
            }
        }
    }

    fputs("}\n", f);
}


/* Longer prefixes first, then by name. */
static int
feat_prefix_cmp(const void *a, const void *b)
{
    const struct feat_prefix  *x = a, *y = b;
    size_t                     lx, ly;

    lx = strlen(x->prefix);
    ly = strlen(y->prefix);

    return (lx != ly) ? (lx < ly) - (lx > ly) : strcmp(x->prefix, y->prefix);
}


/*
 * The map from a path to its dialect: of $uri (raw clear: nginx's
 * normalized path, what featcgi routes on), or of $request_uri (raw set:
 * the URI as sent, for the errors nginx answers before it has a $uri or
 * after an internal redirect has replaced it).
 */
static void
feat_nginx_dialect_map(FILE *f, const char *var, int raw)
{
    char                               key[FEAT_NGINX_KEY_MAX];
    size_t                             i, n;
    unsigned                           shaped;
    struct feat_prefix                 sorted[FEAT_PREFIXES_MAX];
    const struct feat_dialect *const  *d;

    fprintf(f, "map $%s $%s {\n", raw ? "request_uri" : "uri", var);

    fprintf(f, "    %-22s %s;\n", "default",
            feat_dialect(feat_dialect_shaped(FEAT_SHAPE_REST))->name);

    /* routes answered by another dialect than their path's shape */
    for (i = 0; i < feat_nexceptions; i++) {
        fprintf(f, "    %-22s %s;\n",
                feat_nginx_key(key, feat_exceptions[i].prefix, 0, raw),
                feat_dialect(feat_exceptions[i].dialect)->name);
    }

    /* the dialects' own prefixes, before the shapes */
    for (d = feat_dialects; *d != NULL; d++) {
        if ((*d)->prefix != NULL) {
            fprintf(f, "    %-22s %s;\n",
                    feat_nginx_key(key, (*d)->prefix, 1, raw), (*d)->name);
        }
    }

    shaped = feat_dialect_shaped(FEAT_SHAPE_SLASH);
    fprintf(f, "    %-22s %s;\n", raw ? "\"~^[^?]*/(\\?|$)\"" : "\"~/$\"",
            feat_dialect(shaped)->name);

    /* longest first: nginx takes the first regex that matches, featcgi
     * the longest prefix */
    n = feat_nprefixes;
    memcpy(sorted, feat_prefixes, n * sizeof(sorted[0]));
    qsort(sorted, n, sizeof(sorted[0]), feat_prefix_cmp);

    for (i = 0; i < n; i++) {
        fprintf(f, "    %-22s %s;\n",
                feat_nginx_key(key, sorted[i].prefix, 1, raw),
                feat_dialect(sorted[i].dialect)->name);
    }

    fputs("}\n", f);
}


void
feat_dialect_print_nginx(FILE *f, struct feat_arena *a)
{
    int  english;

    english = feat_dialect_locale_en();

    fputs("# featcgi-maps.conf: the http-level maps every featcgi server\n"
          "# block uses.\n"
          "#\n"
          "# Made by \"featcgi -D nginx-maps\" from the dialect tables\n"
          "# (fcgi/protocol/dialect.c) and the modules' URL prefixes and\n"
          "# routes: change those, then run it again (t/10-nginx-maps.t fails\n"
          "# while this file differs).  Included in the http block by the\n"
          "# shipped site (featcgi-site.conf) and by the template the tests\n"
          "# and the quick start run (featcgi.conf.in), so both choose\n"
          "# nginx's own error bodies the way featcgi chooses its own.\n"
          "\n"
          "# The dialect of a path (API.md \"Routing\"): routes whose dialect\n"
          "# is not their shape's by name, then by shape, the first matching\n"
          "# regex winning.\n", f);
    feat_nginx_dialect_map(f, "feat_dialect", 0);

    fputs("\n"
          "# The same by the URI as sent, query string and all: for the\n"
          "# errors nginx answers before it has a $uri (a request line over\n"
          "# its buffers or malformed: $request_uri is empty, the default\n"
          "# answers) or after the error page's redirect has replaced it.\n",
          f);
    feat_nginx_dialect_map(f, "feat_dialect_raw", 1);

    fputs("\n"
          "# The body of nginx's own 413 (a body over "
          "client_max_body_size).\n", f);
    feat_nginx_error_map(f, a, "feat_dialect", "feat_413", FEAT_E_TOO_LARGE,
                         english);

    fputs("\n"
          "# The body of nginx's own 400, 414 and 494: a request line or "
          "headers nginx\n"
          "# refuses before featcgi sees the request (a URI or a header "
          "over the\n"
          "# buffers, a malformed request line).\n", f);
    feat_nginx_error_map(f, a, "feat_dialect_raw", "feat_400",
                         FEAT_E_BAD_REQUEST, english);

    fputs("\n"
          "# The body of nginx's own 502, 503 and 504: the pool is down, "
          "full or too\n"
          "# slow to answer.\n", f);
    feat_nginx_error_map(f, a, "feat_dialect", "feat_503",
                         FEAT_E_UNAVAILABLE, english);

    fputs("\n"
          "# The body of nginx's own 404 under /media/ (no such file).\n", f);
    feat_nginx_error_map(f, a, "feat_dialect_raw", "feat_404",
                         FEAT_E_NO_ROUTE, english);

    feat_nginx_pool_map(f);
}
