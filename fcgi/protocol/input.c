/*
 * input.c: typed request fields.
 *
 * Handlers read every field through feat_in_str/int/bool/page, which look
 * in the JSON object body, then the urlencoded body, then the query string
 * (FEAT_QUERY: the query string only), check type, UTF-8, length in code
 * points and range, and on failure set r->bad_field and a short English
 * r->bad_reason for feat_fail_field().  So a handler never walks cJSON and
 * never sees a malformed value.
 */

#include "config.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "runtime.h"

#define FEAT_PAGE_SIZE      20
#define FEAT_PAGE_SIZE_MAX  100
#define FEAT_PAGE_MAX       999999999999999LL  /* 15 digits */
#define FEAT_SAFE_INT       9007199254740992.0  /* 2^53 */

/* Where a field was found: a JSON item, or a string (form or query). */
struct feat_field {
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
 * Finds name by the lookup order: 1 when found, 0 when absent, -1 when the
 * body is JSON but no object (an array): a field cannot be looked up in
 * it, and taking it for "no fields" would let a PUT succeed doing nothing.
 */
static int
feat_field_find(struct feat_req *r, const char *name, unsigned flags,
    struct feat_field *f)
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


int
feat_in_str(struct feat_req *r, const char *name, const char **out,
    size_t max, unsigned flags)
{
    int                rc;
    struct feat_field  f;
    const char        *s;
    size_t             len;
    long               cp;

    rc = feat_field_find(r, name, flags, &f);
    if (rc < 0) {
        return feat_in_error(r, "body", "must be a JSON object");
    }
    if (rc == 0) {
        return feat_in_absent(r, name, flags);
    }

    if (f.json != NULL) {
        if (!cJSON_IsString(f.json) || f.json->valuestring == NULL) {
            return feat_in_error(r, name, "must be a string");
        }
        s = f.json->valuestring;
        len = strlen(s);
    } else {
        s = f.str;
        len = f.len;
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

    if (max > 0 && (size_t) cp > max) {
        return feat_in_error(r, name, "too long");
    }

    *out = s;
    return FEAT_OK;
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


int
feat_in_int(struct feat_req *r, const char *name, long long *out,
    long long min, long long max, unsigned flags)
{
    struct feat_field  f;
    const char        *s;
    size_t             len;
    long long          n;
    double             d;
    int                rc;

    rc = feat_field_find(r, name, flags, &f);
    if (rc < 0) {
        return feat_in_error(r, "body", "must be a JSON object");
    }
    if (rc == 0) {
        return feat_in_absent(r, name, flags);
    }

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
feat_in_bool(struct feat_req *r, const char *name, int *out, unsigned flags)
{
    int                rc;
    struct feat_field  f;

    rc = feat_field_find(r, name, flags, &f);
    if (rc < 0) {
        return feat_in_error(r, "body", "must be a JSON object");
    }
    if (rc == 0) {
        return feat_in_absent(r, name, flags);
    }

    if (f.json != NULL) {
        if (!cJSON_IsBool(f.json)) {
            return feat_in_error(r, name, "must be true or false");
        }
        *out = cJSON_IsTrue(f.json) ? 1 : 0;
        return FEAT_OK;
    }

    if ((f.len == 4 && memcmp(f.str, "true", 4) == 0)
        || (f.len == 1 && f.str[0] == '1'))
    {
        *out = 1;
        return FEAT_OK;
    }

    if ((f.len == 5 && memcmp(f.str, "false", 5) == 0)
        || (f.len == 1 && f.str[0] == '0'))
    {
        *out = 0;
        return FEAT_OK;
    }

    return feat_in_error(r, name, "must be true or false");
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
