/*
 * input.c: typed request fields.
 *
 * Handlers read every field through feat_in_field (a row of the route's
 * declared schema, struct feat_field) or feat_in_str/int/bool/page, which
 * look in the JSON object body, then the urlencoded body, then the query
 * string (FEAT_QUERY: the query string only), check type, UTF-8, length
 * in code points and range, and on failure set r->bad_field and a short
 * English r->bad_reason for feat_fail_field().  So a handler never walks
 * cJSON and never sees a malformed value.  feat_schema_check, which the
 * router runs on every route at start, keeps the declared rows sound.
 */

#include "config.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "runtime.h"

#define FEAT_SAFE_INT       9007199254740992.0  /* 2^53 */

/* Where a field was found: a JSON item, or a string (form or query). */
struct feat_found {
    cJSON       *json;
    const char  *str;
    size_t       len;
};


long
feat_utf8_len(const char *s, size_t n)
{
    const unsigned char  *p, *end;
    unsigned              c, min;
    long                  count;
    int                   k, i;

    p = (const unsigned char *) s;
    end = p + n;
    count = 0;

    while (p < end) {
        c = *p++;

        if (c < 0x80) {
            count++;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            c &= 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            c &= 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            c &= 0x07;
            min = 0x10000;
        } else {
            return -1;  /* a continuation byte, 0xc0/0xc1, or above 0xf4 */
        }

        if (end - p < k) {
            return -1;
        }

        for (i = 0; i < k; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return -1;
            }
            c = (c << 6) | (p[i] & 0x3f);
        }

        /* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
        if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
            return -1;
        }

        p += k;
        count++;
    }

    return count;
}


int
feat_utf8_ok(const char *s, long max, int required)
{
    long  n;

    if (s == NULL) {
        return !required;
    }

    n = feat_utf8_len(s, strlen(s));

    return n >= (required ? 1 : 0) && n <= max;
}


static const struct feat_kv *
feat_kv_find(const struct feat_kv *kv, size_t n, const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(kv[i].name, name) == 0) {
            return &kv[i];
        }
    }

    return NULL;
}


/*
 * Finds name by the lookup order: 1 when found, 0 when absent (or a JSON
 * null under FEAT_NULLABLE), -1 when the body is JSON but no object (an
 * array): a field cannot be looked up in it, and taking it for "no
 * fields" would let a PUT succeed doing nothing.
 */
static int
feat_in_find(struct feat_req *r, const char *name, unsigned flags,
    struct feat_found *f)
{
    const struct feat_kv  *kv;
    cJSON                 *item;

    memset(f, 0, sizeof(*f));

    if (!(flags & FEAT_QUERY)) {
        if (r->json != NULL && !cJSON_IsObject(r->json)) {
            return -1;
        }

        if (cJSON_IsObject(r->json)) {
            item = cJSON_GetObjectItemCaseSensitive(r->json, name);
            if (item != NULL && cJSON_IsNull(item)
                && (flags & FEAT_NULLABLE))
            {
                return 0;
            }
            if (item != NULL) {
                f->json = item;
                return 1;
            }
        }

        kv = feat_kv_find(r->form, r->nform, name);
        if (kv != NULL) {
            f->str = kv->value;
            f->len = kv->len;
            return 1;
        }
    }

    kv = feat_kv_find(r->args, r->nargs, name);
    if (kv != NULL) {
        f->str = kv->value;
        f->len = kv->len;
        return 1;
    }

    return 0;
}


static int
feat_in_error(struct feat_req *r, const char *name, const char *reason)
{
    r->bad_field = name;
    r->bad_reason = reason;

    return FEAT_ERROR;
}


/* Absent: FEAT_ERROR when required, else FEAT_DECLINED. */
static int
feat_in_absent(struct feat_req *r, const char *name, unsigned flags)
{
    if (flags & FEAT_REQUIRED) {
        return feat_in_error(r, name, "is required");
    }

    return FEAT_DECLINED;
}


/* Looks name up: FEAT_OK with *f, else what a reader answers. */
static int
feat_in_lookup(struct feat_req *r, const char *name, unsigned flags,
    struct feat_found *f)
{
    int  rc;

    rc = feat_in_find(r, name, flags, f);
    if (rc < 0) {
        return feat_in_error(r, "body", "must be a JSON object");
    }
    if (rc == 0) {
        return feat_in_absent(r, name, flags);
    }

    return FEAT_OK;
}


/* A found value as a string of [min, max] code points (max 0: any; min
 * not applied to ""). */
static int
feat_in_str_value(struct feat_req *r, const char *name,
    const struct feat_found *f, size_t min, size_t max, unsigned flags,
    const char **out)
{
    const char  *s;
    size_t       len;
    long         cp;

    if (f->json != NULL) {
        if (!cJSON_IsString(f->json) || f->json->valuestring == NULL) {
            return feat_in_error(r, name, "must be a string");
        }
        s = f->json->valuestring;
        len = strlen(s);
    } else {
        s = f->str;
        len = f->len;
        if (memchr(s, '\0', len) != NULL) {
            return feat_in_error(r, name, "must not contain NUL");
        }
    }

    cp = feat_utf8_len(s, len);
    if (cp < 0) {
        return feat_in_error(r, name, "must be valid UTF-8");
    }

    if (cp == 0 && (flags & FEAT_REQUIRED) && !(flags & FEAT_ALLOW_EMPTY)) {
        return feat_in_error(r, name, "must not be empty");
    }

    if (cp > 0 && (size_t) cp < min) {
        return feat_in_error(r, name, "too short");
    }

    if (max > 0 && (size_t) cp > max) {
        return feat_in_error(r, name, "too long");
    }

    *out = s;
    return FEAT_OK;
}


int
feat_in_str(struct feat_req *r, const char *name, const char **out,
    size_t max, unsigned flags)
{
    int                rc;
    struct feat_found  f;

    rc = feat_in_lookup(r, name, flags, &f);
    if (rc != FEAT_OK) {
        return rc;
    }

    return feat_in_str_value(r, name, &f, 0, max, flags, out);
}


/* Decimal digits with an optional '-': FEAT_OK, FEAT_DECLINED when it is
 * no integer, FEAT_BUSY when it is one beyond long long. */
static int
feat_parse_decimal(const char *s, size_t len, long long *out)
{
    unsigned long long  n, limit;
    size_t              i;
    int                 neg;

    neg = (len > 0 && s[0] == '-');
    i = (size_t) neg;

    if (i == len) {
        return FEAT_DECLINED;
    }

    limit = neg ? (unsigned long long) LLONG_MAX + 1 : LLONG_MAX;
    n = 0;

    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return FEAT_DECLINED;
        }
        if (n > (limit - (unsigned) (s[i] - '0')) / 10) {
            /* keep checking the rest is digits: "99...9x" is no integer */
            for (i++; i < len; i++) {
                if (s[i] < '0' || s[i] > '9') {
                    return FEAT_DECLINED;
                }
            }
            return FEAT_BUSY;
        }
        n = n * 10 + (unsigned) (s[i] - '0');
    }

    *out = neg ? (long long) (0 - n) : (long long) n;
    return FEAT_OK;
}


/* A found value as an integer in [min, max]. */
static int
feat_in_int_value(struct feat_req *r, const char *name,
    const struct feat_found *fd, long long min, long long max,
    long long *out)
{
    struct feat_found  f;
    const char        *s;
    size_t             len;
    long long          n;
    double             d;
    int                rc;

    f = *fd;

    if (f.json != NULL && cJSON_IsNumber(f.json)) {
        d = f.json->valuedouble;
        if (!isfinite(d) || floor(d) != d) {
            return feat_in_error(r, name, "must be an integer");
        }
        /* beyond 2^53 a double is no longer an exact integer */
        if (d < -FEAT_SAFE_INT || d > FEAT_SAFE_INT) {
            return feat_in_error(r, name, "out of range");
        }
        n = (long long) d;

    } else {
        if (f.json != NULL) {
            if (!cJSON_IsString(f.json) || f.json->valuestring == NULL) {
                return feat_in_error(r, name, "must be an integer");
            }
            s = f.json->valuestring;
            len = strlen(s);
        } else {
            s = f.str;
            len = f.len;
        }

        rc = feat_parse_decimal(s, len, &n);
        if (rc == FEAT_DECLINED) {
            return feat_in_error(r, name, "must be an integer");
        }
        if (rc == FEAT_BUSY) {
            return feat_in_error(r, name, "out of range");
        }
    }

    if (n < min || n > max) {
        return feat_in_error(r, name, "out of range");
    }

    *out = n;
    return FEAT_OK;
}


int
feat_in_int(struct feat_req *r, const char *name, long long *out,
    long long min, long long max, unsigned flags)
{
    int                rc;
    struct feat_found  f;

    rc = feat_in_lookup(r, name, flags, &f);
    if (rc != FEAT_OK) {
        return rc;
    }

    return feat_in_int_value(r, name, &f, min, max, out);
}


/* A found value as a boolean. */
static int
feat_in_bool_value(struct feat_req *r, const char *name,
    const struct feat_found *f, int *out)
{
    if (f->json != NULL) {
        if (!cJSON_IsBool(f->json)) {
            return feat_in_error(r, name, "must be true or false");
        }
        *out = cJSON_IsTrue(f->json) ? 1 : 0;
        return FEAT_OK;
    }

    if ((f->len == 4 && memcmp(f->str, "true", 4) == 0)
        || (f->len == 1 && f->str[0] == '1'))
    {
        *out = 1;
        return FEAT_OK;
    }

    if ((f->len == 5 && memcmp(f->str, "false", 5) == 0)
        || (f->len == 1 && f->str[0] == '0'))
    {
        *out = 0;
        return FEAT_OK;
    }

    return feat_in_error(r, name, "must be true or false");
}


int
feat_in_bool(struct feat_req *r, const char *name, int *out, unsigned flags)
{
    int                rc;
    struct feat_found  f;

    rc = feat_in_lookup(r, name, flags, &f);
    if (rc != FEAT_OK) {
        return rc;
    }

    return feat_in_bool_value(r, name, &f, out);
}


int
feat_in_page(struct feat_req *r, struct feat_page *pg)
{
    const char                 *page_name, *size_name;
    long long                   page, size;
    const struct feat_dialect  *d;

    d = feat_dialect(r->dialect);
    page_name = d->page_arg;
    size_name = d->size_arg;      /* NULL: the size is fixed (v1) */

    page = 1;
    size = FEAT_PAGE_SIZE;

    /*
     * The page is echoed as current_page, and cJSON prints numbers beyond
     * int with "%1.15g": only 15 significant digits come back exactly.  A
     * larger page is out of range rather than answered as a number the
     * client did not send.
     */
    if (feat_in_int(r, page_name, &page, 1, FEAT_PAGE_MAX, 0) == FEAT_ERROR) {
        return FEAT_ERROR;
    }

    if (size_name != NULL
        && feat_in_int(r, size_name, &size, 1, LLONG_MAX, 0) == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    if (size > FEAT_PAGE_SIZE_MAX) {
        size = FEAT_PAGE_SIZE_MAX;
    }

    pg->page = page;
    pg->size = size;

    /* a page past any table: offset saturates, the list comes back empty */
    pg->offset = (page - 1 > LLONG_MAX / size) ? LLONG_MAX
                                               : (page - 1) * size;

    return FEAT_OK;
}


/* ---- declared fields ----------------------------------------------------- */

static const char *const  feat_field_type_name[] = {
    "?", "STR", "INT", "ID", "BOOL", "NUM", "TIME", "OBJ", "ARRAY", "FILE"
};


/*
 * A row read by a reader of another type: the handler's variable and its
 * declaration disagree, a bug.  The client gets a field error; the alert
 * fails the tests.
 */
static int
feat_in_field_mismatch(struct feat_req *r, const struct feat_field *f,
    const char *reader)
{
    unsigned  t;

    t = (unsigned) f->type;
    feat_log(LOG_ALERT, 0, "field \"%s\" of type %s read as %s", f->name,
             feat_field_type_name[t < FEAT_NELEMS(feat_field_type_name)
                                  ? t : 0],
             reader);

    return feat_in_error(r, f->name, "cannot be read");
}


int
feat_in_field_str(struct feat_req *r, const struct feat_field *f,
    const char **out)
{
    int                rc;
    struct feat_found  found;

    if (f->type != FEAT_FT_STR) {
        return feat_in_field_mismatch(r, f, "a string");
    }

    rc = feat_in_lookup(r, f->name, f->flags, &found);
    if (rc != FEAT_OK) {
        return rc;
    }

    /* feat_schema_check has made sure 0 <= min and max */
    return feat_in_str_value(r, f->name, &found, (size_t) f->min,
                             (size_t) f->max, f->flags, out);
}


/* An INT's range, or an ID's. */
static void
feat_field_range(const struct feat_field *f, long long *min, long long *max)
{
    if (f->type == FEAT_FT_ID) {
        *min = 1;
        *max = LLONG_MAX;
    } else {
        *min = f->min;
        *max = f->max;
    }
}


int
feat_in_field_int(struct feat_req *r, const struct feat_field *f,
    long long *out)
{
    int                rc;
    long long          min, max;
    struct feat_found  found;

    if (f->type != FEAT_FT_INT && f->type != FEAT_FT_ID) {
        return feat_in_field_mismatch(r, f, "an integer");
    }

    rc = feat_in_lookup(r, f->name, f->flags, &found);
    if (rc != FEAT_OK) {
        return rc;
    }

    feat_field_range(f, &min, &max);

    return feat_in_int_value(r, f->name, &found, min, max, out);
}


int
feat_in_field_bool(struct feat_req *r, const struct feat_field *f, int *out)
{
    int                rc;
    struct feat_found  found;

    if (f->type != FEAT_FT_BOOL) {
        return feat_in_field_mismatch(r, f, "a boolean");
    }

    rc = feat_in_lookup(r, f->name, f->flags, &found);
    if (rc != FEAT_OK) {
        return rc;
    }

    return feat_in_bool_value(r, f->name, &found, out);
}


/*
 * Checks one element of the array named name against the row el, when el
 * is a scalar the readers know; other elements (objects) are the
 * handler's to walk.
 */
static int
feat_in_element(struct feat_req *r, const char *name,
    const struct feat_field *el, cJSON *item)
{
    const char         *s;
    long long           n, min, max;
    int                 b;
    struct feat_found   found;

    memset(&found, 0, sizeof(found));
    found.json = item;

    switch (el->type) {

    case FEAT_FT_STR:
        return feat_in_str_value(r, name, &found, (size_t) el->min,
                                 (size_t) el->max, el->flags, &s);

    case FEAT_FT_INT:
    case FEAT_FT_ID:
        feat_field_range(el, &min, &max);
        return feat_in_int_value(r, name, &found, min, max, &n);

    case FEAT_FT_BOOL:
        return feat_in_bool_value(r, name, &found, &b);

    default:
        return FEAT_OK;
    }
}


int
feat_in_field_json(struct feat_req *r, const struct feat_field *f,
    cJSON **out)
{
    int                rc;
    long long          n;
    cJSON             *item;
    struct feat_found  found;

    if (f->type != FEAT_FT_OBJ && f->type != FEAT_FT_ARRAY) {
        return feat_in_field_mismatch(r, f, "JSON");
    }

    rc = feat_in_lookup(r, f->name, f->flags, &found);
    if (rc != FEAT_OK) {
        return rc;
    }

    if (f->type == FEAT_FT_OBJ) {
        if (!cJSON_IsObject(found.json)) {
            return feat_in_error(r, f->name, "must be an object");
        }
        *out = found.json;
        return FEAT_OK;
    }

    /* a form or a query string holds no arrays: found.json is NULL */
    if (!cJSON_IsArray(found.json)) {
        return feat_in_error(r, f->name, "must be an array");
    }

    n = cJSON_GetArraySize(found.json);

    if (n < f->min) {
        return feat_in_error(r, f->name, "too few elements");
    }
    if (f->max > 0 && n > f->max) {
        return feat_in_error(r, f->name, "too many elements");
    }

    cJSON_ArrayForEach(item, found.json) {
        if (f->sub != NULL
            && feat_in_element(r, f->name, f->sub, item) != FEAT_OK)
        {
            return FEAT_ERROR;
        }
    }

    *out = found.json;
    return FEAT_OK;
}


#define FEAT_FIELD_FLAGS  (FEAT_REQUIRED | FEAT_ALLOW_EMPTY | FEAT_QUERY    \
                           | FEAT_NULLABLE)
#define FEAT_FIELD_DEPTH  8
#define FEAT_ANSWER_ALL   (FEAT_ANSWER_OBJECT | FEAT_ANSWER_PAGE            \
                           | FEAT_ANSWER_LIST | FEAT_ANSWER_VALUE          \
                           | FEAT_ANSWER_EMPTY | FEAT_ANSWER_RAW)


/* One row (and what it holds): FEAT_OK, or FEAT_ERROR with *why. */
static int
feat_field_check(const struct feat_field *f, int depth,
    const struct feat_field **bad, const char **why);


/* A list ending in a NULL name. */
static int
feat_fields_check(const struct feat_field *f, int depth,
    const struct feat_field **bad, const char **why)
{
    for (; f->name != NULL; f++) {
        if (feat_field_check(f, depth, bad, why) != FEAT_OK) {
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


static int
feat_field_check(const struct feat_field *f, int depth,
    const struct feat_field **bad, const char **why)
{
    *bad = f;

    if (depth > FEAT_FIELD_DEPTH) {
        *why = "nests too deep";
        return FEAT_ERROR;
    }

    if (f->type < FEAT_FT_STR || f->type > FEAT_FT_FILE) {
        *why = "has no known type";
        return FEAT_ERROR;
    }

    if (f->flags & ~(unsigned) FEAT_FIELD_FLAGS) {
        *why = "has an unknown flag";
        return FEAT_ERROR;
    }

    switch (f->type) {

    case FEAT_FT_INT:
        if (f->min > f->max) {
            *why = "has min above max";
            return FEAT_ERROR;
        }
        break;

    case FEAT_FT_STR:
    case FEAT_FT_ARRAY:
        if (f->min < 0 || f->max < 0 || (f->max > 0 && f->min > f->max)) {
            *why = "has a negative limit or min above max";
            return FEAT_ERROR;
        }
        if (f->type == FEAT_FT_ARRAY) {
            if (f->sub == NULL) {
                *why = "is an array without its element";
                return FEAT_ERROR;
            }
            return feat_field_check(f->sub, depth + 1, bad, why);
        }
        break;

    case FEAT_FT_OBJ:
        if (f->sub != NULL) {
            return feat_fields_check(f->sub, depth + 1, bad, why);
        }
        break;

    default:
        break;
    }

    return FEAT_OK;
}


int
feat_schema_check(const struct feat_schema *s, const char **field,
    const char **why)
{
    const struct feat_field  *bad;

    *field = "";
    bad = NULL;

    if (s->shape == 0 || (s->shape & ~(unsigned) FEAT_ANSWER_ALL)) {
        *why = "has no shape or an unknown one";
        return FEAT_ERROR;
    }

    if (s->status != 0 && (s->status < 200 || s->status > 299)) {
        *why = "has a success status outside 2xx";
        return FEAT_ERROR;
    }

    if ((s->shape & FEAT_ANSWER_VALUE)
        && (s->answer == NULL || s->answer[0].name == NULL))
    {
        *why = "answers a value but declares none";
        return FEAT_ERROR;
    }

    if ((s->request != NULL
         && feat_fields_check(s->request, 0, &bad, why) != FEAT_OK)
        || (s->answer != NULL
            && feat_fields_check(s->answer, 0, &bad, why) != FEAT_OK))
    {
        *field = (bad != NULL && bad->name != NULL) ? bad->name : "(element)";
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
