/*
 * openapi_dialect.c: the dialects as the OpenAPI document shows them
 * (openapi.c), seen through their own writers.  Each writer of
 * dialect.c runs on marked values: the envelope around a marked data
 * item, the page object around a marked list, the error body for a row
 * with a marked code, text and field.  Where a mark lands in the JSON
 * the writer built is where the data, the items or the code are; every
 * other member is described by the value the writer put there (an
 * envelope's constants as constants).  The error codes, their statuses
 * and texts come from the dialect's table.  So a change to an envelope,
 * a page or an error body changes the document with it.
 */

#include "config.h"

#include <string.h>

#include "runtime.h"
#include "openapi.h"

#define OA_MARK_NUM   987654321         /* a numbered error's code */
#define OA_MARK_CODE  "\001code"        /* a named error's code */
#define OA_MARK_TEXT  "\001text"        /* an error's message */
#define OA_MARK_FIELD "\001field"       /* a field error's field */

/* ---- a dialect seen through its writers ---------------------------------- */

/* Finds mark in v by identity; 1 with *p filled, else 0. */
static int
oa_find(struct feat_arena *a, const cJSON *v, const cJSON *mark,
    struct feat_oa_path *p, int depth)
{
    const cJSON  *c;

    if (v == mark) {
        p->depth = depth;
        return 1;
    }

    if (!cJSON_IsObject(v) || depth == FEAT_OA_DEPTH) {
        return 0;
    }

    cJSON_ArrayForEach(c, v) {
        if (oa_find(a, c, mark, p, depth + 1)) {
            p->names[depth] = feat_arena_strdup(a, c->string);
            return 1;
        }
    }

    return 0;
}


/* Finds the error's code (OA_MARK_NUM or OA_MARK_CODE) in v. */
static int
oa_find_code(struct feat_arena *a, const cJSON *v, struct feat_oa_path *p,
    int depth)
{
    const cJSON  *c;

    if ((cJSON_IsNumber(v) && v->valuedouble == OA_MARK_NUM)
        || (cJSON_IsString(v) && strcmp(v->valuestring, OA_MARK_CODE) == 0))
    {
        p->depth = depth;
        return 1;
    }

    if (!cJSON_IsObject(v) || depth == FEAT_OA_DEPTH) {
        return 0;
    }

    cJSON_ArrayForEach(c, v) {
        if (oa_find_code(a, c, p, depth + 1)) {
            p->names[depth] = feat_arena_strdup(a, c->string);
            return 1;
        }
    }

    return 0;
}


/* The schema of a value a writer put in a body: constants as such
 * (an envelope's), else their types, as everywhere inside plain (a page's
 * own numbers); mark is described as "any". */
static cJSON *
oa_value(const cJSON *v, const cJSON *mark, int constants,
    const cJSON *plain)
{
    cJSON        *s, *props, *req;
    const cJSON  *c;

    s = cJSON_CreateObject();

    if (v == plain) {
        constants = 0;
    }

    if (v == mark) {
        return s;
    }

    if (cJSON_IsObject(v)) {
        c = v->child;
        if (c != NULL && strcmp(c->string, OA_MARK_FIELD) == 0) {
            /* a field error's map: field name -> its reasons */
            cJSON_AddStringToObject(s, "type", "object");
            cJSON_AddItemToObject(s, "additionalProperties",
                                  oa_value(c, mark, 0, NULL));
            return s;
        }

        cJSON_AddStringToObject(s, "type", "object");
        props = cJSON_AddObjectToObject(s, "properties");
        req = cJSON_CreateArray();
        cJSON_ArrayForEach(c, v) {
            cJSON_AddItemToObject(props, c->string,
                                  oa_value(c, mark, constants, plain));
            cJSON_AddItemToArray(req, cJSON_CreateString(c->string));
        }
        if (cJSON_GetArraySize(req) > 0) {
            cJSON_AddItemToObject(s, "required", req);
        } else {
            cJSON_Delete(req);
        }

    } else if (cJSON_IsArray(v)) {
        cJSON_AddStringToObject(s, "type", "array");
        if (v->child != NULL) {
            cJSON_AddItemToObject(s, "items",
                                  oa_value(v->child, mark, 0, NULL));
        }

    } else if (cJSON_IsString(v)) {
        cJSON_AddStringToObject(s, "type", "string");
        if (constants && v->valuestring[0] != '\001') {
            cJSON_AddStringToObject(s, "const", v->valuestring);
        }

    } else if (cJSON_IsNumber(v)) {
        cJSON_AddStringToObject(s, "type", "integer");
        if (constants && v->valuedouble != OA_MARK_NUM) {
            cJSON_AddNumberToObject(s, "const", v->valuedouble);
        }

    } else if (cJSON_IsBool(v)) {
        cJSON_AddStringToObject(s, "type", "boolean");

    } else {
        cJSON_AddStringToObject(s, "type", "null");
    }

    return s;
}


/* Merges schema b into a: members only b has are optional; a member
 * typed differently takes both types (a page's next: string or null). */
static void
oa_merge(cJSON *a, const cJSON *b)
{
    cJSON        *pa, *ta, *types, *x;
    const cJSON  *pb, *tb, *c;

    ta = cJSON_GetObjectItemCaseSensitive(a, "type");
    tb = cJSON_GetObjectItemCaseSensitive(b, "type");

    if (cJSON_IsString(ta) && cJSON_IsString(tb)
        && strcmp(ta->valuestring, tb->valuestring) != 0)
    {
        types = cJSON_CreateArray();
        cJSON_AddItemToArray(types, cJSON_CreateString(ta->valuestring));
        cJSON_AddItemToArray(types, cJSON_CreateString(tb->valuestring));
        cJSON_ReplaceItemInObjectCaseSensitive(a, "type", types);
        cJSON_DeleteItemFromObjectCaseSensitive(a, "const");
        return;
    }

    pa = cJSON_GetObjectItemCaseSensitive(a, "properties");
    pb = cJSON_GetObjectItemCaseSensitive(b, "properties");
    if (pa == NULL || pb == NULL) {
        return;
    }

    cJSON_ArrayForEach(c, pb) {
        x = cJSON_GetObjectItemCaseSensitive(pa, c->string);
        if (x != NULL) {
            oa_merge(x, c);
        } else {
            cJSON_AddItemToObject(pa, c->string, cJSON_Duplicate(c, 1));
        }
    }
}


/* Describes every member of the envelope; the data slot is "any". */
static void
oa_dialect_envelope(struct feat_oa *oa, struct feat_oa_dialect *od,
    const char *name)
{
    int     i;
    cJSON  *mark, *env, *s;

    mark = cJSON_CreateObject();
    env = od->d->envelope(mark);

    od->data.depth = -1;
    oa_find(oa->a, env, mark, &od->data, 0);

    s = oa_value(env, mark, 1, NULL);
    cJSON_AddStringToObject(s, "description",
        feat_arena_sprintf(oa->a, "The %s dialect's success: the answer's "
                           "data in its envelope.", od->d->name));
    cJSON_AddItemToObject(oa->schemas, name, s);
    cJSON_Delete(env);

    /* what the empty success puts where the data goes */
    env = od->d->envelope(NULL);
    od->empty = NULL;
    if (od->data.depth >= 0) {
        mark = env;
        for (i = 0; i < od->data.depth && mark != NULL; i++) {
            mark = cJSON_GetObjectItemCaseSensitive(mark, od->data.names[i]);
        }
        if (mark != NULL) {
            od->empty = oa_value(mark, NULL, 1, NULL);
        }
    }
    cJSON_Delete(env);

    if (od->empty == NULL) {
        od->empty = cJSON_CreateObject();
    }
}


/* The dialect's answer of a page, from its page writer on a request of
 * its own, in its envelope (which may leave a page as it is: admin's): a
 * first page of none (next and previous null) merged with a middle one
 * (both links). */
static void
oa_dialect_page(struct feat_oa *oa, struct feat_oa_dialect *od,
    const char *name)
{
    cJSON             *items, *obj, *page, *s, *s2;
    struct feat_req    r;
    struct feat_page   pg;

    memset(&r, 0, sizeof(r));
    r.arena = oa->a;
    r.indexed = 1;                      /* no params: no Host, no query */
    r.path = "/";
    r.query = "";
    r.dialect = od->d->id;

    pg.page = 2;
    pg.size = 1;
    pg.offset = 1;
    items = cJSON_CreateArray();
    obj = od->d->page(&r, &pg, 3, items);
    page = od->d->envelope(obj);
    od->items.depth = -1;
    oa_find(oa->a, page, items, &od->items, 0);
    s = oa_value(page, items, 1, obj);
    cJSON_Delete(page);

    pg.page = 1;
    pg.offset = 0;
    obj = od->d->page(&r, &pg, 0, cJSON_CreateArray());
    page = od->d->envelope(obj);
    s2 = oa_value(page, NULL, 1, obj);
    cJSON_Delete(page);
    oa_merge(s, s2);
    cJSON_Delete(s2);

    cJSON_AddStringToObject(s, "description",
        feat_arena_sprintf(oa->a, "A page of the %s dialect's lists, as "
                           "answered.", od->d->name));
    cJSON_AddItemToObject(oa->schemas, name, s);
}


/* "<code>" of row as a JSON value. */
static cJSON *
oa_code(const struct feat_dialect_error *row)
{
    return row->code != NULL ? cJSON_CreateString(row->code)
                             : cJSON_CreateNumber(row->num);
}


static int
oa_code_eq(const struct feat_dialect_error *x,
    const struct feat_dialect_error *y)
{
    return x->code != NULL ? (y->code != NULL && strcmp(x->code, y->code) == 0)
                           : (y->code == NULL && x->num == y->num);
}


/*
 * The codes of the dialect's table answered with status (0: any), as an
 * enum, and their meanings into *doc: one line per code with the errors
 * that give it and the dialect's texts.
 */
static cJSON *
oa_codes(struct feat_oa *oa, const struct feat_dialect *d, int status,
    const char **doc)
{
    int                               e, k, seen;
    cJSON                            *en;
    const char                       *text;
    const struct feat_dialect_error  *row, *other;

    en = cJSON_CreateArray();
    text = "";

    for (e = FEAT_E_NONE + 1; e < FEAT_E_LAST; e++) {
        row = feat_dialect_row(d, (enum feat_error) e);
        if (status != 0 && row->status != status) {
            continue;
        }

        seen = 0;
        for (k = FEAT_E_NONE + 1; k < e && !seen; k++) {
            other = feat_dialect_row(d, (enum feat_error) k);
            seen = (status == 0 || other->status == status)
                   && oa_code_eq(row, other);
        }

        if (!seen) {
            cJSON_AddItemToArray(en, oa_code(row));
            text = feat_arena_sprintf(oa->a, "%s%s- `%s%.0d`: %s / %s (%s",
                                      text, text[0] ? "\n" : "",
                                      row->code ? row->code : "",
                                      row->code ? 0 : row->num,
                                      feat_dialect_text(d, e, 0),
                                      feat_dialect_text(d, e, 1),
                                      feat_error_info(e)->name);
            for (k = e + 1; k < FEAT_E_LAST; k++) {
                other = feat_dialect_row(d, (enum feat_error) k);
                if ((status == 0 || other->status == status)
                    && oa_code_eq(row, other))
                {
                    text = feat_arena_sprintf(oa->a, "%s, %s", text,
                                              feat_error_info(k)->name);
                }
            }
            text = feat_arena_sprintf(oa->a, "%s)", text);
        }
    }

    *doc = text;
    return en;
}


/* The schema of the member at path in s (built by oa_value), or NULL. */
static cJSON *
oa_at(cJSON *s, const struct feat_oa_path *p)
{
    int  i;

    for (i = 0; i < p->depth && s != NULL; i++) {
        s = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(s, "properties"),
                p->names[i]);
    }

    return p->depth >= 0 ? s : NULL;
}


/* {"properties": {p0: {"properties": {p1: leaf}}}} along path. */
static cJSON *
oa_nest(const struct feat_oa_path *p, cJSON *leaf)
{
    int     i;
    cJSON  *o, *props;

    for (i = p->depth - 1; i >= 0; i--) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "object");
        props = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddItemToObject(props, p->names[i], leaf);
        leaf = o;
    }

    return leaf;
}


cJSON *
feat_oa_ref(struct feat_oa *oa, const char *kind, const char *name)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "$ref",
                            feat_arena_sprintf(oa->a, "#/components/%s/%s",
                                               kind, name));
    return o;
}


/* allOf [ $ref base, the path's member narrowed to leaf ] */
cJSON *
feat_oa_narrow(struct feat_oa *oa, const char *base,
    const struct feat_oa_path *p, cJSON *leaf)
{
    cJSON  *s, *all;

    if (p->depth <= 0) {
        return leaf;
    }

    s = cJSON_CreateObject();
    all = cJSON_AddArrayToObject(s, "allOf");
    cJSON_AddItemToArray(all, feat_oa_ref(oa, "schemas", base));
    cJSON_AddItemToArray(all, oa_nest(p, leaf));

    return s;
}


/* The error body (from the dialect's writer, with and without a field),
 * its code list, and one response per HTTP status the table uses. */
static void
oa_dialect_errors(struct feat_oa *oa, struct feat_oa_dialect *od)
{
    int                               e, k, st;
    cJSON                            *body, *s, *s2, *codes, *resp;
    const char                       *doc, *base, *name;
    struct feat_dialect_error         mark;
    const struct feat_dialect_error  *row;

    memset(&mark, 0, sizeof(mark));
    mark.status = 400;
    if (od->d->errors[FEAT_E_INTERNAL].code != NULL) {
        mark.code = OA_MARK_CODE;
    } else {
        mark.num = OA_MARK_NUM;
    }

    body = od->d->error(oa->a, &mark, OA_MARK_TEXT, NULL, NULL);
    od->code.depth = -1;
    oa_find_code(oa->a, body, &od->code, 0);
    s = oa_value(body, NULL, 0, NULL);
    cJSON_Delete(body);

    body = od->d->error(oa->a, &mark, OA_MARK_TEXT, OA_MARK_FIELD,
                        OA_MARK_TEXT);
    s2 = oa_value(body, NULL, 0, NULL);
    cJSON_Delete(body);
    oa_merge(s, s2);
    cJSON_Delete(s2);

    base = feat_arena_sprintf(oa->a, "%s.error", od->d->name);
    codes = oa_codes(oa, od->d, 0, &doc);
    s2 = oa_at(s, &od->code);
    if (s2 != NULL) {
        cJSON_AddItemToObject(s2, "enum", codes);
        cJSON_AddStringToObject(s2, "description", doc);
    } else {
        cJSON_Delete(codes);
    }
    cJSON_AddStringToObject(s, "description",
        feat_arena_sprintf(oa->a, "The %s dialect's error answer.",
                           od->d->name));
    cJSON_AddItemToObject(oa->schemas, base, s);

    for (e = FEAT_E_NONE + 1; e < FEAT_E_LAST; e++) {
        st = feat_dialect_row(od->d, (enum feat_error) e)->status;
        for (k = FEAT_E_NONE + 1; k < e; k++) {
            row = feat_dialect_row(od->d, (enum feat_error) k);
            if (row->status == st) {
                break;
            }
        }
        if (k < e) {
            continue;                   /* this status is done */
        }

        codes = oa_codes(oa, od->d, st, &doc);
        s = cJSON_CreateObject();
        cJSON_AddItemToObject(s, "enum", codes);
        name = feat_arena_sprintf(oa->a, "%s.error.%d", od->d->name, st);
        cJSON_AddItemToObject(oa->schemas, name,
                              feat_oa_narrow(oa, base, &od->code, s));

        resp = cJSON_CreateObject();
        cJSON_AddStringToObject(resp, "description",
            feat_arena_sprintf(oa->a, "HTTP %d in the %s dialect, with "
                               "one of these codes:\n\n%s", st,
                               od->d->name, doc));
        cJSON_AddItemToObject(
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(resp, "content"),
                                    "application/json"),
            "schema", feat_oa_ref(oa, "schemas", name));
        cJSON_AddItemToObject(oa->responses,
                              feat_arena_sprintf(oa->a, "%s.%d",
                                                 od->d->name, st),
                              resp);
    }
}


void
feat_oa_dialects(struct feat_oa *oa)
{
    const struct feat_dialect *const  *d;
    struct feat_oa_dialect                 *od;

    for (d = feat_dialects; *d != NULL; d++) {
        if (oa->ndialects == (int) FEAT_NELEMS(oa->dialects)) {
            feat_log(LOG_ALERT, 0, "openapi: more dialects than slots");
            break;
        }

        od = &oa->dialects[oa->ndialects++];
        od->d = *d;
        od->time = (*d)->time(oa->a, 1546344000);

        oa_dialect_envelope(oa, od,
                            feat_arena_sprintf(oa->a, "%s.envelope",
                                               (*d)->name));
        oa_dialect_page(oa, od,
                        feat_arena_sprintf(oa->a, "%s.page", (*d)->name));
        oa_dialect_errors(oa, od);
    }
}


struct feat_oa_dialect *
feat_oa_dialect_of(struct feat_oa *oa, unsigned id)
{
    int  i;

    for (i = 0; i < oa->ndialects; i++) {
        if (oa->dialects[i].d->id == id) {
            return &oa->dialects[i];
        }
    }

    return &oa->dialects[0];
}
