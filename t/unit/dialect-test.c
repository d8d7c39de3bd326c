/*
 * dialect-test.c: the dialect tables (fcgi/protocol/dialect.c) with the
 * real module list: the dialect of unmatched paths (shapes and the
 * modules' prefixes), routes that are not their shape's dialect, every table complete, an
 * error's code, status and text in each dialect, the error answers
 * (bodies and headers, captured with r->fcgi NULL), the switch words of
 * config "dialects", a prefix two dialects claim, and what "featcgi -E"
 * and "featcgi -D nginx-maps" print.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "../tap.h"

static struct feat_arena  *arena;


static int h_any(struct feat_req *r) { (void) r; return FEAT_OK; }


/* The body of the last answer captured for r, or "". */
static const char *
body_of(struct feat_req *r)
{
    const char  *s, *p;

    s = feat_reply_captured(r);
    if (s == NULL) {
        return "";
    }

    p = strstr(s, "\r\n\r\n");
    return p != NULL ? p + 4 : "";
}


static void
req(struct feat_req *r, unsigned dialect)
{
    feat_req_init(r, arena, NULL, NULL);
    r->dialect = dialect;
}


static void
test_paths(void)
{
    static const struct {
        const char  *path;
        unsigned     d;
    } cases[] = {
        { "/api/auth/register/", FEAT_FEAT },
        { "/o/token/", FEAT_OAUTH2 },
        { "/o/introspect/", FEAT_OAUTH2 },
        { "/o/token", FEAT_FEAT },
        { "/o/token/x", FEAT_FEAT },
        { "/o/token//", FEAT_FEAT },
        { "/o/nope", FEAT_FEAT },
        { "/api/user/profile/", FEAT_FEAT },
        { "/api/user/message", FEAT_V1 },
        { "/api/user/nope", FEAT_V1 },
        { "/api/get_token", FEAT_V1 },
        { "/api/get_nothing", FEAT_V1 },
        { "/api/token/refresh", FEAT_V1 },
        { "/api/reset_token", FEAT_V1 },
        { "/api/reset_tokenx", FEAT_V1 },
        { "/check/register", FEAT_V1 },
        { "/faq", FEAT_V1 },
        { "/faq/3", FEAT_V1 },
        { "/faqx", FEAT_V1 },
        { "/area", FEAT_V1 },
        { "/sds_check_token", FEAT_V1 },
        { "/api/faq", FEAT_V2 },
        { "/api/auth/register", FEAT_V2 },
        { "/api/faqs/x/y", FEAT_V2 },
        { "/nothing", FEAT_V2 },
        { "", FEAT_V2 },
        { "/", FEAT_FEAT },
    };
    size_t                     i, n;
    int                        all;
    const struct feat_route   *rt;
    const struct feat_module  *const  *m;

    all = 1;
    for (i = 0; i < FEAT_NELEMS(cases); i++) {
        if (feat_dialect_of_path(cases[i].path) != cases[i].d) {
            diag("%s: got %u, want %u", cases[i].path,
                 feat_dialect_of_path(cases[i].path), cases[i].d);
            all = 0;
        }
    }
    ok(all, "feat_dialect_of_path (%zu cases)", FEAT_NELEMS(cases));
    is_int(feat_dialect_of_path(NULL), FEAT_V2, "no path: v2 (the rest)");

    /* Every route's path is its own dialect's (errors before routing speak
     * it), and every route but OAuth2's has the dialect its path's shape
     * says, so nginx's maps need only those three by name. */
    n = 0;
    all = 1;
    for (m = feat_modules; *m != NULL; m++) {
        for (rt = (*m)->routes; rt != NULL && rt->pattern != NULL; rt++) {
            if (strchr(rt->pattern, '{') == NULL
                && feat_dialect_of_path(rt->pattern) != rt->dialect)
            {
                diag("%s: not its route's dialect", rt->pattern);
                all = 0;
            }
            if (feat_dialect_of_shape(rt->pattern) == rt->dialect) {
                continue;
            }
            n++;
            if (rt->dialect != FEAT_OAUTH2
                || strncmp(rt->pattern, "/o/", 3) != 0)
            {
                diag("%s: dialect %s, shape %s", rt->pattern,
                     feat_dialect(rt->dialect)->name,
                     feat_dialect(feat_dialect_of_shape(rt->pattern))->name);
                all = 0;
            }
        }
    }
    ok(all && n == 3, "every route's path is its dialect's; only the 3 "
       "OAuth2 routes are not their shape's (%zu)", n);
}


static void
test_tables(void)
{
    static const struct {
        unsigned          d;
        enum feat_error   e;
        int               status;
        int               num;
        const char       *code;
    } cases[] = {
        { FEAT_V2, FEAT_E_LOCKED, 200, 10100, NULL },
        { FEAT_V1, FEAT_E_LOCKED, 200, 10009, NULL },
        { FEAT_FEAT, FEAT_E_LOCKED, 429, 0, "throttled" },
        { FEAT_OAUTH2, FEAT_E_LOCKED, 400, 0, "invalid_grant" },
        { FEAT_V2, FEAT_E_NO_ROUTE, 404, 10002, NULL },
        { FEAT_V1, FEAT_E_NO_ROUTE, 404, 10008, NULL },
        { FEAT_V2, FEAT_E_METHOD, 405, 10002, NULL },
        { FEAT_V2, FEAT_E_TOO_LARGE, 413, 10005, NULL },
        { FEAT_V1, FEAT_E_TOO_LARGE, 413, 10012, NULL },
        { FEAT_FEAT, FEAT_E_TOO_LARGE, 413, 0, "request_too_large" },
        { FEAT_OAUTH2, FEAT_E_TOO_LARGE, 413, 0, "invalid_request" },
        { FEAT_V2, FEAT_E_MEDIA_TYPE, 415, 10005, NULL },
        { FEAT_V2, FEAT_E_INTERNAL, 500, 10000, NULL },
        { FEAT_V1, FEAT_E_INTERNAL, 500, 10000, NULL },
        { FEAT_OAUTH2, FEAT_E_INTERNAL, 500, 0, "server_error" },
        { FEAT_V1, FEAT_E_NO_TOKEN, 200, 10021, NULL },
        { FEAT_V1, FEAT_E_REGISTERED, 200, 10022, NULL },
        { FEAT_FEAT, FEAT_E_NO_TOKEN, 401, 0, "not_authenticated" },
        { FEAT_FEAT, FEAT_E_BAD_REQUEST, 400, 0, "invalid" },
        { FEAT_V2, FEAT_E_BAD_REQUEST, 400, 10005, NULL },
        { FEAT_OAUTH2, FEAT_E_BAD_FIELD, 400, 0, "invalid_request" },
        { FEAT_OAUTH2, FEAT_E_CLIENT, 401, 0, "invalid_client" },
        { FEAT_OAUTH2, FEAT_E_CLIENT_GRANT, 400, 0, "unauthorized_client" },
        { FEAT_OAUTH2, FEAT_E_GRANT_TYPE, 400, 0, "unsupported_grant_type" },
        { FEAT_OAUTH2, FEAT_E_SCOPE, 400, 0, "invalid_scope" },
        { FEAT_FEAT, FEAT_E_SCOPE, 403, 0, "insufficient_scope" },
    };
    size_t                            i;
    int                               all;
    const struct feat_dialect_error  *row;

    ok(feat_dialect_check() == FEAT_OK,
       "every dialect has a row for every error");

    all = 1;
    for (i = 0; i < FEAT_NELEMS(cases); i++) {
        row = feat_dialect_row(feat_dialect(cases[i].d), cases[i].e);
        if (row->status != cases[i].status || row->num != cases[i].num
            || (cases[i].code == NULL) != (row->code == NULL)
            || (row->code != NULL && strcmp(row->code, cases[i].code) != 0))
        {
            diag("%s %s: got %d %d %s", feat_dialect(cases[i].d)->name,
                 feat_error_info(cases[i].e)->name, row->status, row->num,
                 row->code != NULL ? row->code : "-");
            all = 0;
        }
    }
    ok(all, "error -> status and code per dialect (%zu cases)",
       FEAT_NELEMS(cases));

    is_str(feat_dialect_text(feat_dialect(FEAT_V2), FEAT_E_LOCKED, 0),
           "尝试次数过多, 请稍后再试", "v2 text, zh");
    is_str(feat_dialect_text(feat_dialect(FEAT_FEAT), FEAT_E_LOCKED, 1),
           "too many attempts", "feat text, en");
    is_str(feat_dialect_text(feat_dialect(FEAT_OAUTH2), FEAT_E_LOCKED, 0),
           "too many attempts", "oauth2 text is English in either locale");

    is_str(feat_dialect(FEAT_OAUTH2)->name, "oauth2", "name oauth2");
    ok(feat_dialect(FEAT_V1)->auth & FEAT_AUTH_BARE, "v1 takes a bare JWT");
    ok(!(feat_dialect(FEAT_V2)->auth & FEAT_AUTH_BARE)
       && (feat_dialect(FEAT_V2)->auth & FEAT_AUTH_TOKEN),
       "v2 takes Token, no bare credential");
    ok(feat_dialect(FEAT_V2)->errors[FEAT_E_SCOPE].num == 10003
       && feat_dialect(FEAT_FEAT)->errors[FEAT_E_SCOPE].status == 403,
       "a scope refusal: v2 10003, feat 403 (every dialect checks scopes)");
    is_str(feat_dialect(FEAT_V2)->page_arg, "page_no", "v2 pages by page_no");
    ok(feat_dialect(FEAT_V1)->size_arg == NULL, "v1 has a fixed page size");

    ok(feat_dialect_enabled(FEAT_OAUTH2), "oauth2 on by default");
    feat_conf_set(FEAT_CONF_DIALECTS, "v2 v1");
    ok(!feat_dialect_enabled(FEAT_OAUTH2) && !feat_dialect_enabled(FEAT_FEAT)
       && feat_dialect_enabled(FEAT_V1), "dialects = v2 v1: oauth2 off too");
    feat_conf_set(FEAT_CONF_DIALECTS, "feat");
    ok(feat_dialect_enabled(FEAT_OAUTH2) && !feat_dialect_enabled(FEAT_V2),
       "dialects = feat: oauth2 on with it");
    ok(!feat_dialect_enabled(FEAT_ADMIN), "dialects = feat: admin off");
    feat_conf_free();
    ok(feat_dialect_enabled(FEAT_ADMIN), "admin on by default");

    /* admin: its own prefix wins over the trailing slash's shape */
    ok(feat_dialect_of_shape("/admin/api/x/") == FEAT_ADMIN
       && feat_dialect_of_shape("/admin/api/x") == FEAT_ADMIN
       && feat_dialect_of_shape("/admin/x") == FEAT_V2,
       "/admin/api/ is admin's whatever the shape");
    ok(feat_dialect(FEAT_ADMIN)->errors[FEAT_E_UNKNOWN_APP].status == 404,
       "admin: an app not seen is not found");
}


static void
test_answers(void)
{
    struct feat_req  r;
    const char      *all;

    req(&r, FEAT_V2);
    feat_fail(&r, FEAT_E_LOCKED, "test");
    is_str(body_of(&r),
           "{\"code\":10100,\"message\":\"尝试次数过多, 请稍后再试\","
           "\"data\":{}}", "v2 error body");
    ok(strncmp(feat_reply_captured(&r), "Status: 200 ", 12) == 0,
       "v2 error: HTTP 200");

    req(&r, FEAT_V1);
    r.bad_field = "page";
    feat_fail(&r, FEAT_E_BAD_FIELD, "test");
    is_str(body_of(&r), "{\"code\":10012,\"message\":\"缺少字段\"}",
           "v1 field error: the seed's text exactly (issue 12)");

    req(&r, FEAT_FEAT);
    feat_fail(&r, FEAT_E_BAD_TOKEN, "test");
    all = feat_reply_captured(&r);
    ok(strncmp(all, "Status: 401 ", 12) == 0
       && strstr(all, "\r\nWWW-Authenticate: Bearer\r\n") != NULL,
       "feat 401 with WWW-Authenticate: Bearer");

    req(&r, FEAT_FEAT);
    feat_fail_at(&r, FEAT_E_BAD_CODE, "vcode");
    is_str(body_of(&r),
           "{\"detail\":\"无效的验证码\",\"code\":\"invalid\","
           "\"errors\":{\"vcode\":[\"无效的验证码\"]}}",
           "feat_fail_at: errors.vcode holds the message");

    req(&r, FEAT_OAUTH2);
    feat_fail_text(&r, FEAT_E_CLIENT, "client authentication is required");
    all = feat_reply_captured(&r);
    is_str(body_of(&r),
           "{\"error\":\"invalid_client\","
           "\"error_description\":\"client authentication is required\"}",
           "oauth2 error with the endpoint's description");
    ok(strncmp(all, "Status: 401 ", 12) == 0
       && strstr(all, "\r\nCache-Control: no-store\r\nPragma: no-cache\r\n"
                      "WWW-Authenticate: Basic realm=\"featcgi\"\r\n")
          != NULL,
       "oauth2 401: no-store, Basic challenge");

    req(&r, FEAT_OAUTH2);
    feat_fail(&r, FEAT_E_INTERNAL, "test");
    is_str(body_of(&r),
           "{\"error\":\"server_error\","
           "\"error_description\":\"internal error\"}",
           "oauth2 500: server_error with the table's text");

    req(&r, FEAT_OAUTH2);
    feat_reply(&r, cJSON_CreateObject());
    is_str(body_of(&r), "{}", "oauth2 success: no envelope");

    req(&r, FEAT_V1);
    feat_reply(&r, NULL);
    is_str(body_of(&r), "{\"code\":0,\"message\":\"\"}", "v1 empty success");
}


static void
test_prefix_conflict(void)
{
    static const struct feat_route   routes[] = {
        { FEAT_GET, "/x/a", FEAT_V1, h_any, 0 },
        { FEAT_GET, "/y/{id}/z", FEAT_V1, h_any, 0 },
        FEAT_NULL_ROUTE
    };
    static const struct feat_prefix  p1[] = { { "/x", FEAT_V1 },
                                              FEAT_NULL_PREFIX };
    static const struct feat_prefix  p2[] = { { "/x", FEAT_V2 },
                                              FEAT_NULL_PREFIX };
    static const struct feat_prefix  p3[] = { { "x", FEAT_V1 },
                                              FEAT_NULL_PREFIX };
    static const struct feat_module  m1 = { .name = "m1", .routes = routes,
                                            .prefixes = p1 };
    static const struct feat_module  m2 = { .name = "m2", .prefixes = p2 };
    static const struct feat_module  m3 = { .name = "m3", .prefixes = p1 };
    static const struct feat_module  m4 = { .name = "m4", .prefixes = p3 };
    const struct feat_module *const  clash[] = { &m1, &m2, NULL };
    const struct feat_module *const  share[] = { &m1, &m3, NULL };
    const struct feat_module *const  bad[] = { &m4, NULL };

    ok(feat_router_build(clash) == FEAT_ERROR,
       "a prefix two dialects claim is refused");
    ok(feat_router_build(bad) == FEAT_ERROR,
       "a prefix without a leading '/' is refused");
    ok(feat_router_build(share) == FEAT_OK,
       "two modules may share a prefix of one dialect");
    is_int(feat_dialect_of_path("/x/y"), FEAT_V1, "... and it answers");
    is_int(feat_dialect_of_path("/y/12/z"), FEAT_V1,
           "a route of another dialect than its shape's, {id} matching");
    is_int(feat_dialect_of_path("/y//z"), FEAT_V2, "... an empty {id} not");
    is_int(feat_dialect_of_path("/y/1/2/z"), FEAT_V2, "... nor two segments");
    is_int(feat_dialect_of_path("/y/12/z/"), FEAT_FEAT,
           "... nor another shape");
    feat_router_free();
}


static void
test_prints(void)
{
    FILE    *f;
    char    *buf;
    size_t   len, lines, i;

    buf = NULL;
    f = open_memstream(&buf, &len);
    feat_dialect_print_errors(f);
    fclose(f);

    lines = 0;
    for (i = 0; i < len; i++) {
        lines += buf[i] == '\n';
    }
    is_int((long) lines, 5L * (FEAT_E_LAST - 1),
           "-E: a line per dialect and error");
    ok(strstr(buf, "v2\tLOCKED\t200\t10100\t") != NULL
       && strstr(buf, "oauth2\tCLIENT\t401\tinvalid_client\t"
                      "client authentication failed\t"
                      "client authentication failed\n") != NULL,
       "-E: dialect, name, status, code, zh, en");
    free(buf);

    buf = NULL;
    f = open_memstream(&buf, &len);
    feat_dialect_print_nginx(f, arena);
    fclose(f);
    ok(strstr(buf, "    default                v2;\n") != NULL
       && strstr(buf, "    \"/o/token/\"            oauth2;\n") != NULL
       && strstr(buf, "    \"~/$\"                  feat;\n") != NULL
       && strstr(buf, "    \"~^/api/user/\"         v1;\n") != NULL
       && strstr(buf, "    \"~^/o/\"                feat;\n") != NULL,
       "-D nginx-maps: the dialect of a path");
    ok(strstr(buf, "    v1       '{\"code\":10012,\"message\":"
                   "\"缺少字段\"}';\n") != NULL
       && strstr(buf, "    oauth2   '{\"error\":\"invalid_request\","
                      "\"error_description\":\"bad request\"}';\n") != NULL,
       "-D nginx-maps: nginx's error bodies");
    free(buf);
}


int
main(void)
{
    arena = feat_arena_create();

    if (feat_router_build(feat_modules) != FEAT_OK) {
        ok(0, "the real route table builds");
        return done_testing();
    }

    test_paths();
    test_tables();
    test_answers();
    test_prints();
    feat_router_free();
    test_prefix_conflict();

    feat_arena_destroy(arena);

    return done_testing();
}
