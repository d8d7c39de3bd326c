/*
 * openapi.c: the OpenAPI 3.1 document of the API, made from the merged
 * route table (router.c) and the dialect tables (dialect.c), once per
 * process: "featctl openapi" writes it, GET /api/openapi.json answers it.
 *
 * Nothing here is written twice.  A route gives its method, pattern,
 * dialect, flags (the security it needs) and, when it declares one, its
 * schema (struct feat_schema: request fields with their limits, the
 * answer's fields and shape).  A dialect is described by running its own
 * writers on marked values: its envelope around a marked data item, its
 * page object around a marked item list, its error body for a marked
 * row; where each mark lands in the JSON they build is where the data,
 * the items and the code are, and every other member is described by the
 * value the writer put there.  So a change to an envelope, a page or an
 * error body changes the document with it.  The error codes, their
 * statuses and texts are the dialect's table.
 *
 * The document is built into process memory (malloc) the first time it
 * is asked for and kept: a worker answers every later request from the
 * same bytes, with an ETag of their hash.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "openapi.h"

static char    *feat_openapi_doc;
static size_t   feat_openapi_len;
static char     feat_openapi_tag[36];   /* "\"<32 hex>\"" */


/* ---- fields -------------------------------------------------------------- */

static cJSON *oa_fields(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_field *f, int answer);


/* The JSON Schema of one declared field (feat.h, struct feat_field). */
static cJSON *
oa_field(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_field *f, int answer)
{
    cJSON       *s, *types;
    const char  *type;

    s = cJSON_CreateObject();
    type = NULL;

    switch (f->type) {

    case FEAT_FT_STR:
        type = "string";
        if (f->max > 0) {
            cJSON_AddNumberToObject(s, "maxLength", (double) f->max);
        }
        /* an empty string escapes min; a required one is refused */
        if (f->min > 0 && !(f->flags & FEAT_ALLOW_EMPTY)) {
            cJSON_AddNumberToObject(s, "minLength", (double) f->min);
        } else if (!answer && (f->flags & FEAT_REQUIRED)
                   && !(f->flags & FEAT_ALLOW_EMPTY))
        {
            cJSON_AddNumberToObject(s, "minLength", 1);
        }
        if (f->format != NULL) {
            cJSON_AddStringToObject(s, "format", f->format);
        }
        break;

    case FEAT_FT_INT:
        type = "integer";
        if (f->min != 0 || f->max != 0) {
            cJSON_AddNumberToObject(s, "minimum", (double) f->min);
            cJSON_AddNumberToObject(s, "maximum", (double) f->max);
        }
        break;

    case FEAT_FT_ID:
        type = "integer";
        cJSON_AddNumberToObject(s, "minimum", 1);
        break;

    case FEAT_FT_BOOL:
        type = "boolean";
        break;

    case FEAT_FT_NUM:
        type = "number";
        break;

    case FEAT_FT_TIME:
        type = "string";
        if (od->d->time == feat_time_iso && f->format == NULL) {
            cJSON_AddStringToObject(s, "format", "date-time");
        }
        cJSON_AddItemToObject(s, "examples", cJSON_CreateStringArray(
                                  &od->time, 1));
        break;

    case FEAT_FT_OBJ:
        cJSON_Delete(s);
        s = (f->sub != NULL) ? oa_fields(oa, od, f->sub, answer)
                             : cJSON_CreateObject();
        type = "object";
        break;

    case FEAT_FT_ARRAY:
        type = "array";
        if (f->sub != NULL) {
            cJSON_AddItemToObject(s, "items", oa_field(oa, od, f->sub,
                                                       answer));
        }
        if (f->min > 0) {
            cJSON_AddNumberToObject(s, "minItems", (double) f->min);
        }
        if (f->max > 0) {
            cJSON_AddNumberToObject(s, "maxItems", (double) f->max);
        }
        break;

    case FEAT_FT_FILE:
        type = "string";
        cJSON_AddStringToObject(s, "contentMediaType",
                                "application/octet-stream");
        break;
    }

    if (type != NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(s, "type");
        if (f->flags & FEAT_NULLABLE) {
            types = cJSON_CreateArray();
            cJSON_AddItemToArray(types, cJSON_CreateString(type));
            cJSON_AddItemToArray(types, cJSON_CreateString("null"));
            cJSON_AddItemToObject(s, "type", types);
        } else {
            cJSON_AddStringToObject(s, "type", type);
        }
    }

    if (f->doc != NULL) {
        cJSON_AddStringToObject(s, "description", f->doc);
    }

    return s;
}


/* An object of the fields f (those read from a body when not answer:
 * FEAT_QUERY rows are parameters). */
static cJSON *
oa_fields(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_field *f, int answer)
{
    cJSON  *s, *props, *req;

    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", "object");
    props = cJSON_AddObjectToObject(s, "properties");
    req = cJSON_CreateArray();

    for ( /* void */ ; f->name != NULL; f++) {
        if (!answer && (f->flags & FEAT_QUERY)) {
            continue;
        }
        cJSON_AddItemToObject(props, f->name, oa_field(oa, od, f, answer));
        if (f->flags & FEAT_REQUIRED) {
            cJSON_AddItemToArray(req, cJSON_CreateString(f->name));
        }
    }

    if (cJSON_GetArraySize(req) > 0) {
        cJSON_AddItemToObject(s, "required", req);
    } else {
        cJSON_Delete(req);
    }

    return s;
}


/* A query parameter. */
static cJSON *
oa_query(const char *name, int required, cJSON *schema, const char *doc)
{
    cJSON  *p;

    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddStringToObject(p, "in", "query");
    cJSON_AddBoolToObject(p, "required", required);
    if (doc != NULL) {
        cJSON_AddStringToObject(p, "description", doc);
    }
    cJSON_AddItemToObject(p, "schema", schema);

    return p;
}


/* data in the dialect's envelope */
static cJSON *
oa_enveloped(struct feat_oa *oa, struct feat_oa_dialect *od, cJSON *data)
{
    return feat_oa_narrow(oa, feat_arena_sprintf(oa->a, "%s.envelope",
                                                 od->d->name),
                          &od->data, data);
}


/* A success's body, by the schema's shapes (several: anyOf): the data in
 * the envelope, or the dialect's page as answered. */
static cJSON *
oa_data(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_schema *sc)
{
    cJSON     *one, *all, *items;
    unsigned   shape;

    if (sc == NULL) {
        one = cJSON_CreateObject();
        cJSON_AddStringToObject(one, "description",
                                "not described yet: the route declares "
                                "no schema");
        return oa_enveloped(oa, od, one);
    }

    all = cJSON_CreateArray();

    for (shape = 1; shape <= FEAT_ANSWER_EMPTY; shape <<= 1) {
        if (!(sc->shape & shape)) {
            continue;
        }

        switch (shape) {
        case FEAT_ANSWER_OBJECT:
            one = oa_enveloped(oa, od, oa_fields(oa, od, sc->answer, 1));
            break;
        case FEAT_ANSWER_PAGE:
            items = cJSON_CreateObject();
            cJSON_AddStringToObject(items, "type", "array");
            cJSON_AddItemToObject(items, "items",
                                  oa_fields(oa, od, sc->answer, 1));
            one = feat_oa_narrow(oa, feat_arena_sprintf(oa->a, "%s.page",
                                                   od->d->name),
                            &od->items, items);
            break;
        case FEAT_ANSWER_LIST:
            one = cJSON_CreateObject();
            cJSON_AddStringToObject(one, "type", "array");
            cJSON_AddItemToObject(one, "items",
                                  oa_fields(oa, od, sc->answer, 1));
            one = oa_enveloped(oa, od, one);
            break;
        case FEAT_ANSWER_VALUE:
            one = oa_enveloped(oa, od, oa_field(oa, od, sc->answer, 1));
            break;
        default:
            one = oa_enveloped(oa, od, cJSON_Duplicate(od->empty, 1));
            break;
        }

        cJSON_AddItemToArray(all, one);
    }

    if (cJSON_GetArraySize(all) == 1) {
        one = cJSON_DetachItemFromArray(all, 0);
        cJSON_Delete(all);
        return one;
    }

    one = cJSON_CreateObject();
    cJSON_AddItemToObject(one, "anyOf", all);
    return one;
}


/* ---- security ------------------------------------------------------------ */

static cJSON *
oa_scheme(cJSON *schemes, const char *name, const char *type,
    const char *doc)
{
    cJSON  *s;

    s = cJSON_AddObjectToObject(schemes, name);
    cJSON_AddStringToObject(s, "type", type);
    cJSON_AddStringToObject(s, "description", doc);

    return s;
}


static void
oa_header_key(cJSON *s, const char *in, const char *name)
{
    cJSON_AddStringToObject(s, "in", in);
    cJSON_AddStringToObject(s, "name", name);
}


/* The schemes the dialects' credentials make (feat.h FEAT_AUTH_*). */
static void
oa_security_schemes(struct feat_oa *oa, const char *token_url)
{
    cJSON  *schemes, *s, *flows, *flow, *scopes;

    schemes = cJSON_AddObjectToObject(
                  cJSON_GetObjectItemCaseSensitive(oa->doc, "components"),
                  "securitySchemes");

    s = oa_scheme(schemes, "token", "apiKey",
                  "A session's access token in the Authorization header "
                  "with the scheme Token: `Authorization: Token <t>` (v2 "
                  "and feat; from a login, a registration or /o/token/).  "
                  "The scopes listed are those the session must hold.");
    oa_header_key(s, "header", "Authorization");

    s = oa_scheme(schemes, "oauth2", "oauth2",
                  "The same access token as a Bearer token: "
                  "`Authorization: Bearer <t>` (v2 and feat), from "
                  "/o/token/ (RFC 6749) or a login.");
    flows = cJSON_AddObjectToObject(s, "flows");
    scopes = cJSON_CreateObject();
    cJSON_AddStringToObject(scopes, "read", "GET and HEAD routes");
    cJSON_AddStringToObject(scopes, "write", "every other method");
    cJSON_AddStringToObject(scopes, "pay_trade_order",
                            "paying an order, and nothing else");
    flow = cJSON_AddObjectToObject(flows, "password");
    cJSON_AddStringToObject(flow, "tokenUrl", token_url);
    cJSON_AddStringToObject(flow, "refreshUrl", token_url);
    cJSON_AddItemToObject(flow, "scopes", cJSON_Duplicate(scopes, 1));
    flow = cJSON_AddObjectToObject(flows, "clientCredentials");
    cJSON_AddStringToObject(flow, "tokenUrl", token_url);
    cJSON_AddItemToObject(flow, "scopes", scopes);

    s = oa_scheme(schemes, "jwt", "apiKey",
                  "v1: the access JWT (get_token) bare in the "
                  "Authorization header: `Authorization: <jwt>`.");
    oa_header_key(s, "header", "Authorization");

    s = oa_scheme(schemes, "jwtBearer", "http",
                  "v1: the access JWT as a Bearer token: "
                  "`Authorization: Bearer <jwt>`.");
    cJSON_AddStringToObject(s, "scheme", "bearer");
    cJSON_AddStringToObject(s, "bearerFormat", "JWT");

    s = oa_scheme(schemes, "client", "http",
                  "An OAuth2 client's id and secret (RFC 6749 §2.3.1); a "
                  "client may send client_id and client_secret in the form "
                  "instead.");
    cJSON_AddStringToObject(s, "scheme", "basic");

#ifdef FEAT_MANAGER
    s = oa_scheme(schemes, "adminCookie", "apiKey",
                  "The console's session: the cookie feat_admin from "
                  "POST /admin/api/login.");
    oa_header_key(s, "cookie", "feat_admin");

    s = oa_scheme(schemes, "adminCsrf", "apiKey",
                  "The session's CSRF token, on every method but GET.");
    oa_header_key(s, "header", "X-CSRF-Token");
#endif
}


static void
oa_require(cJSON *security, const char *a, const char *scope,
    const char *b)
{
    cJSON  *req;

    req = cJSON_CreateObject();
    cJSON_AddItemToArray(security, req);

    if (a != NULL) {
        cJSON_AddItemToObject(req, a, scope != NULL
                                      ? cJSON_CreateStringArray(&scope, 1)
                                      : cJSON_CreateArray());
    }
    if (b != NULL) {
        cJSON_AddItemToObject(req, b, cJSON_CreateArray());
    }
}


/* A route's security requirement from its flags and its dialect's
 * Authorization forms (alternatives: any one of them). */
static cJSON *
oa_security(const struct feat_route *rt, unsigned method,
    const struct feat_dialect *d)
{
    cJSON       *sec;
    const char  *scope;

    sec = cJSON_CreateArray();

    if (rt->flags & FEAT_SESSION) {
        scope = (rt->flags & FEAT_SCOPE_NONE) ? NULL
                : (rt->flags & FEAT_SCOPE_PAY) ? "pay_trade_order"
                : (method == FEAT_GET) ? "read" : "write";
        if (d->auth & FEAT_AUTH_TOKEN) {
            oa_require(sec, "token", scope, NULL);
        }
        if (d->auth & FEAT_AUTH_BEARER) {
            oa_require(sec, "oauth2", scope, NULL);
        }

    } else if (rt->flags & FEAT_JWT) {
        if (d->auth & FEAT_AUTH_BARE) {
            oa_require(sec, "jwt", NULL, NULL);
        }
        if (d->auth & FEAT_AUTH_BEARER) {
            oa_require(sec, "jwtBearer", NULL, NULL);
        }

#ifdef FEAT_MANAGER
    } else if (rt->flags & FEAT_MANAGER) {
        oa_require(sec, "adminCookie", NULL,
                   method == FEAT_GET ? NULL : "adminCsrf");
#endif

    } else if (rt->dialect == FEAT_OAUTH2) {
        oa_require(sec, "client", NULL, NULL);
        oa_require(sec, NULL, NULL, NULL);     /* or in the form */
    }

    return sec;
}


/* ---- operations ---------------------------------------------------------- */

/* "post_api_feedback_by_id", unique in the document. */
static const char *
oa_operation_id(struct feat_oa *oa, unsigned method, const char *pattern)
{
    char         *id, *p;
    const char   *s, *name;
    int           n;

    name = feat_method_names(method, NULL, 0);
    id = feat_arena_alloc(oa->a, strlen(name) + 3 * strlen(pattern) + 8);
    p = id;

    for (s = name; *s != '\0'; s++) {
        *p++ = (char) (*s | 0x20);
    }

    for (s = pattern; *s != '\0'; s++) {
        if (*s == '{') {
            memcpy(p, "_by_", 4);
            p += 4;
        } else if (*s == '}') {
            continue;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
                   || (*s >= '0' && *s <= '9'))
        {
            *p++ = *s;
        } else if (p[-1] != '_' || s[1] == '\0') {
            *p++ = '_';
        }
    }
    *p = '\0';

    for (n = 2, s = id;
         cJSON_GetObjectItemCaseSensitive(oa->ids, s) != NULL; n++)
    {
        s = feat_arena_sprintf(oa->a, "%s_%d", id, n);
    }
    cJSON_AddTrueToObject(oa->ids, s);

    return s;
}


/* The pattern's parameters: ids ("id", "pk", "..._id") are integers. */
static void
oa_path_params(cJSON *params, const char *pattern)
{
    cJSON       *p, *s;
    const char  *b, *e;
    char        *name;
    size_t       n;

    for (b = strchr(pattern, '{'); b != NULL; b = strchr(e, '{')) {
        e = strchr(b, '}');
        if (e == NULL) {
            return;
        }
        n = (size_t) (e - b - 1);
        name = strndup(b + 1, n);
        if (name == NULL) {
            abort();
        }

        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", name);
        cJSON_AddStringToObject(p, "in", "path");
        cJSON_AddTrueToObject(p, "required");
        s = cJSON_AddObjectToObject(p, "schema");
        if (strcmp(name, "id") == 0 || strcmp(name, "pk") == 0
            || (n > 3 && strcmp(name + n - 3, "_id") == 0
                && strcmp(name, "client_id") != 0))
        {
            cJSON_AddStringToObject(s, "type", "integer");
            cJSON_AddNumberToObject(s, "minimum", 1);
        } else {
            cJSON_AddStringToObject(s, "type", "string");
        }
        cJSON_AddItemToArray(params, p);
        free(name);
    }
}


/* Query parameters (FEAT_QUERY rows, a GET's fields, a page's arguments)
 * and the body (the other fields) of an operation. */
static void
oa_request(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_route *rt, unsigned method, cJSON *op, cJSON *params)
{
    int                       upload, form, required;
    cJSON                    *body, *content, *s;
    const struct feat_field  *f;
    const struct feat_schema *sc;

    sc = rt->schema;

    if (sc != NULL && (sc->shape & FEAT_ANSWER_PAGE)) {
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "integer");
        cJSON_AddNumberToObject(s, "minimum", 1);
        cJSON_AddNumberToObject(s, "maximum", (double) FEAT_PAGE_MAX);
        cJSON_AddNumberToObject(s, "default", 1);
        cJSON_AddItemToArray(params, oa_query(od->d->page_arg, 0, s,
                                              "the page, from 1"));
        if (od->d->size_arg != NULL) {
            s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "type", "integer");
            cJSON_AddNumberToObject(s, "minimum", 1);
            cJSON_AddNumberToObject(s, "default", FEAT_PAGE_SIZE);
            cJSON_AddItemToArray(params, oa_query(od->d->size_arg, 0, s,
                feat_arena_sprintf(oa->a, "rows a page; more than %d are "
                                   "%d", FEAT_PAGE_SIZE_MAX,
                                   FEAT_PAGE_SIZE_MAX)));
        }
    }

    if (sc == NULL || sc->request == NULL) {
        return;
    }

    upload = (rt->flags & FEAT_UPLOAD) != 0;
    required = 0;
    body = NULL;

    for (f = sc->request; f->name != NULL; f++) {
        upload |= f->type == FEAT_FT_FILE;
        if ((f->flags & FEAT_QUERY) || method == FEAT_GET) {
            cJSON_AddItemToArray(params,
                oa_query(f->name, (f->flags & FEAT_REQUIRED) != 0,
                         oa_field(oa, od, f, 0), NULL));
        } else {
            required |= (f->flags & FEAT_REQUIRED) != 0;
            body = op;
        }
    }

    if (body == NULL) {
        return;
    }

    form = 1;
#ifdef FEAT_ADMIN
    form = !od->d->json_only;
#endif

    body = cJSON_AddObjectToObject(op, "requestBody");
    cJSON_AddBoolToObject(body, "required", required);
    content = cJSON_AddObjectToObject(body, "content");
    s = oa_fields(oa, od, sc->request, 0);

    if (upload) {
        cJSON_AddItemToObject(cJSON_AddObjectToObject(content,
                                                      "multipart/form-data"),
                              "schema", s);
        return;
    }

    if (form) {
        cJSON_AddItemToObject(
            cJSON_AddObjectToObject(content,
                                    "application/x-www-form-urlencoded"),
            "schema", cJSON_Duplicate(s, 1));
    }
    cJSON_AddItemToObject(cJSON_AddObjectToObject(content, "application/json"),
                          "schema", s);
}


/* The success answer and one error answer per status of the dialect. */
static void
oa_responses(struct feat_oa *oa, struct feat_oa_dialect *od,
    const struct feat_route *rt, cJSON *op)
{
    int                        e, k, st;
    cJSON                     *resps, *ok, *s, *any;
    const char                *key, *name;
    const struct feat_schema  *sc;

    sc = rt->schema;
    resps = cJSON_AddObjectToObject(op, "responses");

    st = (sc != NULL && sc->status != 0) ? sc->status : 200;
    key = (sc == NULL && (od->d->id & (FEAT_V2 | FEAT_V1)) == 0)
          ? "2XX" : feat_arena_sprintf(oa->a, "%d", st);

    ok = cJSON_AddObjectToObject(resps, key);
    cJSON_AddStringToObject(ok, "description",
                            sc != NULL && sc->summary != NULL
                            ? sc->summary : "success");

    if (sc != NULL && (sc->shape & FEAT_ANSWER_RAW)) {
        s = cJSON_AddObjectToObject(cJSON_AddObjectToObject(ok, "content"),
                                    "*/*");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "schema"),
                                "description", "the handler's own body");

    } else if (st != 204) {
        s = oa_data(oa, od, sc);
        if (feat_dialect_row(od->d, FEAT_E_NOT_FOUND)->status == st
            || feat_dialect_row(od->d, FEAT_E_BAD_FIELD)->status == st)
        {
            /* v2, v1: failures answered with 200 too */
            any = cJSON_CreateObject();
            cJSON_AddItemToArray(cJSON_AddArrayToObject(any, "oneOf"), s);
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(any,
                                                                  "oneOf"),
                feat_oa_ref(oa, "schemas",
                       feat_arena_sprintf(oa->a, "%s.error.%d",
                                          od->d->name, st)));
            s = any;
        }
        cJSON_AddItemToObject(
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(ok, "content"),
                                    "application/json"),
            "schema", s);
    }

    for (e = FEAT_E_NONE + 1; e < FEAT_E_LAST; e++) {
        st = feat_dialect_row(od->d, (enum feat_error) e)->status;
        name = feat_arena_sprintf(oa->a, "%d", st);
        for (k = FEAT_E_NONE + 1; k < e; k++) {
            if (feat_dialect_row(od->d, (enum feat_error) k)->status == st) {
                break;
            }
        }
        if (k < e || cJSON_GetObjectItemCaseSensitive(resps, name) != NULL)
        {
            continue;
        }
        cJSON_AddItemToObject(resps, name,
            feat_oa_ref(oa, "responses", feat_arena_sprintf(oa->a, "%s.%d",
                                                       od->d->name, st)));
    }
}


static void
oa_tag(struct feat_oa *oa, cJSON *op, const char *name, const char *doc)
{
    cJSON  *t;

    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(op, "tags"),
                         cJSON_CreateString(name));

    if (cJSON_GetObjectItemCaseSensitive(oa->tags, name) != NULL) {
        return;
    }
    cJSON_AddTrueToObject(oa->tags, name);

    t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", name);
    cJSON_AddStringToObject(t, "description", doc);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(oa->doc, "tags"),
                         t);
}


static void
oa_operation(struct feat_oa *oa, const struct feat_route *rt, unsigned method,
    const char *module)
{
    char                 m[8];
    cJSON               *item, *op, *params;
    const char          *name;
    size_t               i;
    struct feat_oa_dialect   *od;

    od = feat_oa_dialect_of(oa, rt->dialect);

    item = cJSON_GetObjectItemCaseSensitive(oa->paths, rt->pattern);
    if (item == NULL) {
        item = cJSON_AddObjectToObject(oa->paths, rt->pattern);
    }

    name = feat_method_names(method, NULL, 0);
    for (i = 0; name[i] != '\0' && i < sizeof(m) - 1; i++) {
        m[i] = (char) (name[i] | 0x20);
    }
    m[i] = '\0';

    op = cJSON_AddObjectToObject(item, m);
    cJSON_AddArrayToObject(op, "tags");
    oa_tag(oa, op, module, "a module's routes");
    if (strcmp(module, od->d->name) != 0) {
        oa_tag(oa, op, od->d->name,
               feat_arena_sprintf(oa->a, "the %s dialect's envelopes, "
                                  "errors and credentials", od->d->name));
    }
    cJSON_AddStringToObject(op, "summary",
                            rt->schema != NULL && rt->schema->summary
                            ? rt->schema->summary
                            : feat_arena_sprintf(oa->a, "%s %s", name,
                                                 rt->pattern));
    cJSON_AddStringToObject(op, "operationId",
                            oa_operation_id(oa, method, rt->pattern));

    params = cJSON_CreateArray();
    oa_path_params(params, rt->pattern);
    oa_request(oa, od, rt, method, op, params);
    if (cJSON_GetArraySize(params) > 0) {
        cJSON_AddItemToObject(op, "parameters", params);
    } else {
        cJSON_Delete(params);
    }

    oa_responses(oa, od, rt, op);
    cJSON_AddItemToObject(op, "security", oa_security(rt, method, od->d));
}


/* ---- the document -------------------------------------------------------- */

struct oa_entry {
    const struct feat_route  *route;
    unsigned                  method;
    const char               *module;
};


static int
oa_entry_cmp(const void *x, const void *y)
{
    const struct oa_entry  *a = x, *b = y;
    int                     c;

    c = strcmp(a->route->pattern, b->route->pattern);
    if (c != 0) {
        return c;
    }

    return (a->method > b->method) - (a->method < b->method);
}


static cJSON *
oa_document(struct feat_oa *oa)
{
    size_t            i, n;
    cJSON            *info, *server, *comp;
    const char       *url, *token_url;
    struct oa_entry  *e;

    oa->doc = cJSON_CreateObject();
    cJSON_AddStringToObject(oa->doc, "openapi", "3.1.0");

    info = cJSON_AddObjectToObject(oa->doc, "info");
    cJSON_AddStringToObject(info, "title", "featcgi");
    cJSON_AddStringToObject(info, "version", PACKAGE_VERSION);
    cJSON_AddStringToObject(info, "description",
        "The API featcgi serves, made from its route table and its "
        "dialect tables (featcgi-api(7)).  Four dialects: v2 and v1 answer "
        "most failures with HTTP 200 and a code in the body; feat answers "
        "with HTTP statuses and Django REST framework's bodies; oauth2 is "
        "RFC 6749's.  An app is chosen by the server (FEAT_APP_ID) or, "
        "where allowed, by the X-App-Id header.");

    url = feat_conf_str(FEAT_CONF_PUBLIC_URL);
    if (url == NULL || url[0] == '\0') {
        url = "/";
        token_url = "/o/token/";
    } else {
        token_url = feat_arena_sprintf(oa->a, "%s/o/token/", url);
    }
    server = cJSON_CreateObject();
    cJSON_AddStringToObject(server, "url", url);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(oa->doc, "servers"), server);

    cJSON_AddArrayToObject(oa->doc, "tags");
    oa->paths = cJSON_AddObjectToObject(oa->doc, "paths");
    comp = cJSON_AddObjectToObject(oa->doc, "components");
    oa->schemas = cJSON_AddObjectToObject(comp, "schemas");
    oa->responses = cJSON_AddObjectToObject(comp, "responses");
    oa->ids = cJSON_CreateObject();
    oa->tags = cJSON_CreateObject();

    oa_security_schemes(oa, token_url);
    feat_oa_dialects(oa);

    for (n = 0; feat_router_entry(n, NULL, NULL) != NULL; n++) {
        /* void */
    }

    e = feat_arena_alloc(oa->a, (n + 1) * sizeof(struct oa_entry));
    for (i = 0; i < n; i++) {
        e[i].route = feat_router_entry(i, &e[i].method, &e[i].module);
    }
    qsort(e, n, sizeof(struct oa_entry), oa_entry_cmp);

    for (i = 0; i < n; i++) {
        oa_operation(oa, e[i].route, e[i].method, e[i].module);
    }

    for (i = 0; i < (size_t) oa->ndialects; i++) {
        cJSON_Delete(oa->dialects[i].empty);
    }
    cJSON_Delete(oa->ids);
    cJSON_Delete(oa->tags);

    return oa->doc;
}


int
feat_openapi_text(const char **text, size_t *len, const char **etag)
{
    char           *s, *p;
    cJSON          *doc;
    struct feat_oa  oa;
    unsigned char   md[32];

    if (feat_openapi_doc == NULL) {
        memset(&oa, 0, sizeof(oa));
        oa.a = feat_arena_create();

        /* in a worker, cJSON allocates in the request's arena (core/
         * arena.c's hooks): the text kept for the process's life is a
         * malloc'ed copy */
        doc = oa_document(&oa);
        p = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
        feat_arena_destroy(oa.a);

        s = p != NULL ? strdup(p) : NULL;
        cJSON_free(p);

        if (s == NULL) {
            feat_log(LOG_ALERT, 0, "openapi: the document did not print");
            return FEAT_ERROR;
        }

        feat_openapi_len = strlen(s);
        feat_openapi_doc = s;

        feat_sha256(s, feat_openapi_len, md);
        feat_openapi_tag[0] = '"';
        feat_hex(md, 16, feat_openapi_tag + 1);
        memcpy(feat_openapi_tag + 33, "\"", 2);
    }

    *text = feat_openapi_doc;
    if (len != NULL) {
        *len = feat_openapi_len;
    }
    if (etag != NULL) {
        *etag = feat_openapi_tag;
    }

    return FEAT_OK;
}


void
feat_openapi_free(void)
{
    free(feat_openapi_doc);
    feat_openapi_doc = NULL;
    feat_openapi_len = 0;
}


/* ---- GET /api/openapi.json ----------------------------------------------- */

/* The cached document; 304 when the client holds these bytes. */
static int
feat_openapi_get(struct feat_req *r)
{
    size_t       len;
    const char  *text, *etag, *inm;

    if (feat_openapi_text(&text, &len, &etag) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "no OpenAPI document");
    }

    feat_reply_header(r, "ETag", etag);
    feat_reply_header(r, "Cache-Control", "public, max-age=300");

    inm = feat_req_header(r, "If-None-Match");
    if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0))
    {
        return feat_reply_empty(r, 304);
    }

    return feat_reply_text(r, 200, "application/json; charset=utf-8", text);
}


static const struct feat_schema  feat_openapi_schema = {
    .summary = "This document: OpenAPI 3.1 of every route",
    .shape = FEAT_ANSWER_RAW,
};

static const struct feat_route  feat_openapi_routes[] = {
    { FEAT_GET, "/api/openapi.json", FEAT_FEAT, feat_openapi_get,
      FEAT_ANY_DIALECT | FEAT_RAW_BODY | FEAT_NO_APP, &feat_openapi_schema },
    FEAT_NULL_ROUTE
};


/* The path is feat's by its prefix, so its errors before routing (and
 * nginx's own) are feat's too, as the route's are. */
static const struct feat_prefix  feat_openapi_prefixes[] = {
    { "/api/openapi.json", FEAT_FEAT },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_openapi_module = {
    .name = "openapi",
    .routes = feat_openapi_routes,
    .prefixes = feat_openapi_prefixes,
};
