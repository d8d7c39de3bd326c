/*
 * router-test.c: the route trie (fcgi/protocol/router.c): literal over parameter,
 * trailing slash, methods and the Allow set, parameters, refused tables
 * (duplicates, bad patterns, too many parameters, no dialect), the printed
 * table, and method names.  The dialect of unmatched paths is
 * dialect-test.c's.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "../tap.h"


static int h_list(struct feat_req *r) { return 1; }
static int h_one(struct feat_req *r) { return 2; }
static int h_me(struct feat_req *r) { return 3; }
static int h_reg(struct feat_req *r) { return 4; }
static int h_reg_slash(struct feat_req *r) { return 5; }
static int h_two(struct feat_req *r) { return 6; }
static int h_del(struct feat_req *r) { return 7; }
static int h_root(struct feat_req *r) { return 8; }
static int h_deep(struct feat_req *r) { return 9; }

static const struct feat_route  routes_a[] = {
    { FEAT_GET, "/api/feedback", FEAT_V2, h_list, FEAT_SESSION },
    { FEAT_GET, "/api/feedback/{id}", FEAT_V2, h_one, FEAT_SESSION },
    { FEAT_DELETE, "/api/feedback/{pk}", FEAT_V2, h_del, FEAT_SESSION },
    { FEAT_GET, "/api/feedback/me", FEAT_V2, h_me, FEAT_SESSION },
    { FEAT_POST, "/api/auth/register", FEAT_V2, h_reg, FEAT_PUBLIC },
    FEAT_NULL_ROUTE
};

static const struct feat_route  routes_b[] = {
    { FEAT_POST, "/api/auth/register/", FEAT_FEAT, h_reg_slash,
      FEAT_UPLOAD | FEAT_USER },
    { FEAT_GET | FEAT_PUT, "/api/x/{a}/y/{b}", FEAT_V1, h_two, FEAT_JWT },
    { FEAT_GET, "/", FEAT_V2, h_root, 0 },
    { FEAT_PATCH, "/m/{a}/n", FEAT_FEAT, h_deep, 0 },
    { FEAT_GET, "/m/lit/{b}", FEAT_FEAT, h_deep, 0 },
    FEAT_NULL_ROUTE
};

static const struct feat_module  mod_a = { .name = "a",
                                           .routes = routes_a };
static const struct feat_module  mod_b = { .name = "b",
                                           .routes = routes_b };
static const struct feat_module *const  mods[] = { &mod_a, &mod_b, NULL };


static const struct feat_route *
match(struct feat_arena *a, const char *path, unsigned method,
    struct feat_kv *params, int *n, unsigned *allowed)
{
    return feat_router_match(a, path, method, params, n, allowed);
}


static void
test_match(struct feat_arena *a)
{
    const struct feat_route  *rt;
    struct feat_kv            p[FEAT_MAX_PATH_PARAMS];
    int                       n;
    unsigned                  allowed;

    rt = match(a, "/api/feedback", FEAT_GET, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_list && n == 0, "literal route");

    rt = match(a, "/api/feedback/me", FEAT_GET, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_me && n == 0,
       "a literal wins over a parameter");

    rt = match(a, "/api/feedback/42", FEAT_GET, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_one && n == 1
       && strcmp(p[0].name, "id") == 0 && strcmp(p[0].value, "42") == 0
       && p[0].len == 2, "parameter {id} = 42");

    rt = match(a, "/api/feedback/42", FEAT_DELETE, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_del && n == 1
       && strcmp(p[0].name, "pk") == 0, "each route keeps its own names");

    rt = match(a, "/api/feedback/me", FEAT_DELETE, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_del && strcmp(p[0].value, "me") == 0,
       "the literal lacks the method: backtrack to the parameter");

    rt = match(a, "/api/auth/register", FEAT_POST, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_reg, "no trailing slash");
    rt = match(a, "/api/auth/register/", FEAT_POST, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_reg_slash,
       "the trailing slash is another route");

    rt = match(a, "/api/feedback/", FEAT_GET, p, &n, &allowed);
    ok(rt == NULL && allowed == 0,
       "a parameter does not match the empty segment");

    rt = match(a, "/api/feedback//", FEAT_GET, p, &n, &allowed);
    ok(rt == NULL && allowed == 0, "nor an empty middle segment");

    rt = match(a, "/api/auth/register", FEAT_GET, p, &n, &allowed);
    ok(rt == NULL && allowed == FEAT_POST, "wrong method: allowed = POST");

    rt = match(a, "/api/feedback/7", FEAT_PUT, p, &n, &allowed);
    ok(rt == NULL && allowed == (FEAT_GET | FEAT_DELETE),
       "allowed collects every method of the path");

    rt = match(a, "/api/x/1/y/2", FEAT_PUT, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_two && n == 2
       && strcmp(p[0].name, "a") == 0 && strcmp(p[0].value, "1") == 0
       && strcmp(p[1].name, "b") == 0 && strcmp(p[1].value, "2") == 0,
       "two parameters, method mask GET|PUT");

    rt = match(a, "/", FEAT_GET, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_root, "the root path");

    rt = match(a, "/m/lit/n", FEAT_PATCH, p, &n, &allowed);
    ok(rt != NULL && rt->handler == h_deep && n == 1
       && strcmp(p[0].value, "lit") == 0,
       "a dead-end literal backtracks into the parameter branch");

    rt = match(a, "/nope", FEAT_GET, p, &n, &allowed);
    ok(rt == NULL && allowed == 0 && n == 0, "no such path");

    rt = match(a, "api/feedback", FEAT_GET, p, &n, &allowed);
    ok(rt == NULL, "a path without a leading slash");

    rt = match(a, "/api/feedback", 0, p, &n, &allowed);
    ok(rt == NULL && allowed == FEAT_GET, "an unknown method (0)");
}


static int
build_one(const struct feat_route *routes)
{
    struct feat_module               m = { .name = "t" };
    const struct feat_module *const  list[] = { &m, NULL };

    m.routes = routes;
    return feat_router_build(list);
}


/* A route's declared schema is checked at start: a bad one is refused. */
static void
test_schemas(void)
{
    static const struct feat_field  el = {
        "x", FEAT_FT_STR, 0, 0, 8, NULL, "an element"
    };
    static const struct feat_field  good[] = {
        { "s", FEAT_FT_STR, FEAT_REQUIRED, 1, 10, "email", "a string" },
        { "n", FEAT_FT_INT, FEAT_QUERY, -5, 5, NULL, "an integer" },
        { "a", FEAT_FT_ARRAY, FEAT_NULLABLE, 0, 0, NULL, "an array", &el },
        FEAT_NULL_FIELD
    };
    static const struct feat_field  no_type[] = {
        { "s", 0, 0, 0, 0, NULL, "no type" }, FEAT_NULL_FIELD
    };
    static const struct feat_field  bad_flag[] = {
        { "s", FEAT_FT_STR, 0x8000, 0, 0, NULL, "a flag" }, FEAT_NULL_FIELD
    };
    static const struct feat_field  min_max[] = {
        { "n", FEAT_FT_INT, 0, 5, 4, NULL, "min > max" }, FEAT_NULL_FIELD
    };
    static const struct feat_field  neg[] = {
        { "s", FEAT_FT_STR, 0, -1, 4, NULL, "min < 0" }, FEAT_NULL_FIELD
    };
    static const struct feat_field  no_el[] = {
        { "a", FEAT_FT_ARRAY, 0, 0, 0, NULL, "no element" }, FEAT_NULL_FIELD
    };
    static const struct feat_field  deep_bad[] = {
        { "o", FEAT_FT_OBJ, 0, 0, 0, NULL, "an object", min_max },
        FEAT_NULL_FIELD
    };
    static const struct feat_schema  ok_schema = {
        .summary = "fine", .request = good, .answer = good,
        .shape = FEAT_ANSWER_OBJECT | FEAT_ANSWER_PAGE,
    };
    static const struct feat_schema  bad[] = {
        { .summary = "no shape", .request = good },
        { .summary = "unknown shape", .shape = 0x4000 },
        { .summary = "no value", .shape = FEAT_ANSWER_VALUE },
        { .request = no_type, .shape = FEAT_ANSWER_EMPTY },
        { .request = bad_flag, .shape = FEAT_ANSWER_EMPTY },
        { .request = min_max, .shape = FEAT_ANSWER_EMPTY },
        { .request = neg, .shape = FEAT_ANSWER_EMPTY },
        { .answer = no_el, .shape = FEAT_ANSWER_OBJECT },
        { .answer = deep_bad, .shape = FEAT_ANSWER_OBJECT },
        { .summary = "a 404 success", .shape = FEAT_ANSWER_EMPTY,
          .status = 404 },
    };
    struct feat_route  one[2];
    size_t             i;
    int                all;

    memset(one, 0, sizeof(one));
    one[0].method = FEAT_POST;
    one[0].pattern = "/s";
    one[0].dialect = FEAT_V2;
    one[0].handler = h_one;
    one[0].schema = &ok_schema;
    ok(build_one(one) == FEAT_OK, "a sound schema is accepted");

    all = 1;
    for (i = 0; i < FEAT_NELEMS(bad); i++) {
        one[0].schema = &bad[i];
        if (build_one(one) != FEAT_ERROR) {
            diag("accepted bad schema %zu", i);
            all = 0;
        }
    }
    ok(all, "bad schemas are refused (%zu cases)", FEAT_NELEMS(bad));
}


static void
test_refused(void)
{
    static const struct feat_route  dup[] = {
        { FEAT_GET, "/a/{x}", FEAT_V2, h_one, 0 },
        { FEAT_GET, "/a/{y}", FEAT_V2, h_one, 0 },
        FEAT_NULL_ROUTE
    };
    static const struct feat_route  dup_mask[] = {
        { FEAT_GET | FEAT_POST, "/a", FEAT_V2, h_one, 0 },
        { FEAT_POST, "/a", FEAT_V2, h_one, 0 },
        FEAT_NULL_ROUTE
    };
    static const struct feat_route  ok_methods[] = {
        { FEAT_GET, "/a", FEAT_V2, h_one, 0 },
        { FEAT_POST, "/a", FEAT_V2, h_one, 0 },
        { FEAT_POST, "/a/", FEAT_FEAT, h_one, 0 },
        FEAT_NULL_ROUTE
    };
    static const char *const  bad[] = {
        "a/b", "", "/a//b", "//", "/a/{x", "/a/x}", "/a/{}", "/a/b{x}",
        "/a/{x-y}", "/{a}/{b}/{c}/{d}/{e}"
    };
    struct feat_route  one[2];
    size_t             i;
    int                all;

    ok(build_one(dup) == FEAT_ERROR,
       "duplicate (method, pattern) with other names is refused");
    ok(build_one(dup_mask) == FEAT_ERROR, "duplicate through a method mask");
    ok(build_one(ok_methods) == FEAT_OK,
       "same pattern, other method; trailing slash: accepted");

    all = 1;
    for (i = 0; i < FEAT_NELEMS(bad); i++) {
        memset(one, 0, sizeof(one));
        one[0].method = FEAT_GET;
        one[0].pattern = bad[i];
        one[0].dialect = FEAT_V2;
        one[0].handler = h_one;
        if (build_one(one) != FEAT_ERROR) {
            diag("accepted bad pattern \"%s\"", bad[i]);
            all = 0;
        }
    }
    ok(all, "bad patterns are refused (%zu cases)", FEAT_NELEMS(bad));

    test_schemas();

    memset(one, 0, sizeof(one));
    one[0].method = FEAT_GET;
    one[0].pattern = "/{a}/{b}/{c}/{d}";
    one[0].dialect = FEAT_V2;
    one[0].handler = h_one;
    ok(build_one(one) == FEAT_OK, "four parameters are the most");

    one[0].dialect = 0x40;
    ok(build_one(one) == FEAT_ERROR, "a route of no dialect is refused");
    one[0].dialect = FEAT_V2;

    one[0].handler = NULL;
    ok(build_one(one) == FEAT_ERROR, "a route without a handler is refused");
}


static void
test_print(void)
{
    FILE   *f;
    char    buf[2048];
    size_t  n;

    f = tmpfile();
    feat_router_print(f);
    rewind(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);

    is_str(buf,
           "GET / v2 -\n"
           "POST /api/auth/register v2 -\n"
           "POST /api/auth/register/ feat upload,user\n"
           "GET /api/feedback v2 session\n"
           "GET /api/feedback/me v2 session\n"
           "GET /api/feedback/{id} v2 session\n"
           "DELETE /api/feedback/{pk} v2 session\n"
           "GET /api/x/{a}/y/{b} v1 jwt\n"
           "PUT /api/x/{a}/y/{b} v1 jwt\n"
           "GET /m/lit/{b} feat -\n"
           "PATCH /m/{a}/n feat -\n",
           "feat_router_print: sorted by pattern, then method");
}


static void
test_methods(void)
{
    char  buf[64];

    is_int(feat_method_parse("GET"), FEAT_GET, "GET");
    is_int(feat_method_parse("DELETE"), FEAT_DELETE, "DELETE");
    is_int(feat_method_parse("HEAD"), 0, "HEAD is unknown");
    is_int(feat_method_parse("get"), 0, "methods are case-sensitive");
    buf[0] = '\0';
    is_str(feat_method_names(FEAT_PATCH, buf, sizeof(buf)), "PATCH",
           "one name");
    is_str(buf, "PATCH", "one name is written into buf too");
    is_str(feat_method_names(FEAT_GET | FEAT_POST | FEAT_DELETE, buf,
                             sizeof(buf)),
           "GET, POST, DELETE", "a mask of names");
}


int
main(void)
{
    struct feat_arena  *a;

    a = feat_arena_create();

    ok(feat_router_build(mods) == FEAT_OK, "the table builds");
    test_match(a);
    test_print();
    test_refused();
    test_methods();

    feat_router_free();
    feat_arena_destroy(a);

    return done_testing();
}
