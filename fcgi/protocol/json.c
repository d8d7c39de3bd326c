/*
 * json.c: a cJSON tree printed into the request's arena.
 *
 * cJSON_PrintUnformatted is where most of an answer's time went: it grows
 * its buffer with malloc and copies, and prints every number with
 * sprintf("%1.15g") read back with sscanf to check the round trip, some
 * 3,000 instructions for a "0".  feat_json_print writes the same bytes (a
 * unit test compares the two over many trees) into arena memory: strings
 * are copied in runs between the characters that need escaping, integers
 * below 10^15 (which "%1.15g" prints as plain digits) go through a digit
 * loop, and only other numbers take cJSON's own printf route.  Also here:
 * feat_json_add_str and feat_json_add_num, members added without cJSON's
 * copies of the key (and of a string), and feat_json_record, the members
 * every v2 row opens with.
 */

#include "config.h"

#include <float.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"


struct feat_json_out {
    struct feat_arena  *a;
    char               *s;
    size_t              len;
    size_t              cap;
};


/* Grows the buffer to hold n more bytes and a NUL (feat_json_room). */
static void
feat_json_grow(struct feat_json_out *o, size_t n)
{
    char    *p;
    size_t   cap;

    cap = o->cap * 2;
    while (cap < o->len + n + 1) {
        cap *= 2;
    }

    p = feat_arena_alloc(o->a, cap);
    memcpy(p, o->s, o->len);
    o->s = p;
    o->cap = cap;
}


/* Room for n more bytes and a NUL. */
static inline void
feat_json_room(struct feat_json_out *o, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        feat_json_grow(o, n);
    }
}


static void
feat_json_add(struct feat_json_out *o, const char *s, size_t n)
{
    feat_json_room(o, n);
    memcpy(o->s + o->len, s, n);
    o->len += n;
}


/* One byte: a call to memcpy() costs more than the byte. */
static inline void
feat_json_byte(struct feat_json_out *o, char c)
{
    feat_json_room(o, 1);
    o->s[o->len++] = c;
}


#define FEAT_JSON_ONES   0x0101010101010101ULL
#define FEAT_JSON_HIGHS  0x8080808080808080ULL

/*
 * Whether one of the eight bytes of w needs escaping: below 0x20, '"' or
 * '\\' (the "has a byte less than n" and "has a zero byte" word tricks;
 * exact for the word as a whole, and bytes of UTF-8 are never taken).
 */
static inline int
feat_json_word_special(uint64_t w)
{
    uint64_t  lt, dq, bs;

    lt = (w - FEAT_JSON_ONES * 0x20) & ~w;
    dq = w ^ (FEAT_JSON_ONES * '"');
    dq = (dq - FEAT_JSON_ONES) & ~dq;
    bs = w ^ (FEAT_JSON_ONES * '\\');
    bs = (bs - FEAT_JSON_ONES) & ~bs;

    return ((lt | dq | bs) & FEAT_JSON_HIGHS) != 0;
}


#if defined(__SSE2__)
#include <emmintrin.h>

/*
 * The bytes of p[0..15] that need escaping, one bit each (0: none): below
 * 0x20 (compared unsigned, so UTF-8's bytes never count), '"' or '\\'.
 */
static inline unsigned
feat_json_block_special(const unsigned char *p)
{
    __m128i  v, lt, dq, bs;

    v = _mm_loadu_si128((const __m128i *) (const void *) p);
    lt = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
    dq = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    bs = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));

    return (unsigned) _mm_movemask_epi8(_mm_or_si128(lt,
                                                     _mm_or_si128(dq, bs)));
}
#endif


/* The bytes that need escaping: one load instead of three tests. */
static const unsigned char  feat_json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1
};


/* cJSON's print_string_ptr: '"', '\\' and control characters escaped,
 * everything else (UTF-8 included) as it is; NULL prints "".  Room for
 * the worst case (every byte a \u00XX) is made once, then the bytes are
 * written through a pointer: sixteen at a time with SSE2 (x86-64 always
 * has it) and eight at a time otherwise, while none needs escaping,
 * the last few of a long string as the word that ends it (overlapping
 * bytes already written alike), the others one by one.  A member's key
 * comes with after ':', written after the closing quote; else after is
 * 0. */
static void
feat_json_string(struct feat_json_out *o, const char *s, char after)
{
    char                 *q;
    size_t                n, len;
    uint64_t              w;
    unsigned              c;
#if defined(__SSE2__)
    size_t                k;
    unsigned              m;
#endif
    const unsigned char  *p;
    static const char     hex[] = "0123456789abcdef";

    len = (s != NULL) ? strlen(s) : 0;
    feat_json_room(o, 6 * len + 3);

    q = o->s + o->len;
    *q++ = '"';
    p = (const unsigned char *) s;
    n = len;

    while (n > 0) {

#if defined(__SSE2__)
        /* sixteen at a time (room for the store was made above) */
        if (n >= 16) {
            m = feat_json_block_special(p);
            _mm_storeu_si128((__m128i *) (void *) q,
                             _mm_loadu_si128((const __m128i *)
                                             (const void *) p));
            if (m == 0) {
                q += 16;
                p += 16;
                n -= 16;

                /* the rest, as the last sixteen bytes of the string */
                if (n > 0 && n < 16
                    && feat_json_block_special(p + n - 16) == 0)
                {
                    _mm_storeu_si128((__m128i *) (void *) (q + n - 16),
                                     _mm_loadu_si128((const __m128i *)
                                                 (const void *) (p + n - 16)));
                    q += n;
                    break;
                }
                continue;
            }

            /* the plain bytes before the first special one are out */
            k = (size_t) __builtin_ctz(m);
            q += k;
            p += k;
            n -= k;
        }
#endif

        /* eight plain bytes at a time, the common case */
        if (n >= 8) {
            memcpy(&w, p, 8);
            if (!feat_json_word_special(w)) {
                memcpy(q, &w, 8);
                q += 8;
                p += 8;
                n -= 8;

                /* the rest, as the last eight bytes of the string */
                if (n > 0 && n < 8) {
                    memcpy(&w, p + n - 8, 8);
                    if (!feat_json_word_special(w)) {
                        memcpy(q + n - 8, &w, 8);
                        q += n;
                        break;
                    }
                }
                continue;
            }
        }

        c = *p++;
        n--;

        if (!feat_json_special[c]) {
            *q++ = (char) c;
            continue;
        }

        *q++ = '\\';

        switch (c) {
        case '"':
            *q++ = '"';
            break;
        case '\\':
            *q++ = '\\';
            break;
        case '\b':
            *q++ = 'b';
            break;
        case '\f':
            *q++ = 'f';
            break;
        case '\n':
            *q++ = 'n';
            break;
        case '\r':
            *q++ = 'r';
            break;
        case '\t':
            *q++ = 't';
            break;
        default:
            *q++ = 'u';
            *q++ = '0';
            *q++ = '0';
            *q++ = hex[c >> 4];
            *q++ = hex[c & 0x0f];
            break;
        }
    }

    *q++ = '"';
    if (after != 0) {
        *q++ = after;
    }
    o->len = (size_t) (q - o->s);
}


/* cJSON's print_number, with a short road for the integers "%1.15g"
 * prints as plain digits. */
static void
feat_json_number(struct feat_json_out *o, double d)
{
    char        buf[32], *q;
    double      test;
    long long   v;
    unsigned long long  u;

    if (isnan(d) || isinf(d)) {
        feat_json_add(o, "null", 4);
        return;
    }

    if (d > -1e15 && d < 1e15 && d == (double) (long long) d
        && !(d == 0 && signbit(d)))
    {
        v = (long long) d;
        u = (v < 0) ? (unsigned long long) -v : (unsigned long long) v;
        q = buf + sizeof(buf);
        do {
            *--q = (char) ('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (v < 0) {
            *--q = '-';
        }
        feat_json_add(o, q, (size_t) (buf + sizeof(buf) - q));
        return;
    }

    snprintf(buf, sizeof(buf), "%1.15g", d);
    test = strtod(buf, NULL);
    if (fabs(test - d) > fmax(fabs(test), fabs(d)) * DBL_EPSILON) {
        snprintf(buf, sizeof(buf), "%1.17g", d);
    }

    feat_json_add(o, buf, strlen(buf));
}


static int
feat_json_value(struct feat_json_out *o, const cJSON *item)
{
    const cJSON  *c;

    switch (item->type & 0xff) {

    case cJSON_NULL:
        feat_json_add(o, "null", 4);
        return FEAT_OK;

    case cJSON_False:
        feat_json_add(o, "false", 5);
        return FEAT_OK;

    case cJSON_True:
        feat_json_add(o, "true", 4);
        return FEAT_OK;

    case cJSON_Number:
        feat_json_number(o, item->valuedouble);
        return FEAT_OK;

    case cJSON_Raw:
        if (item->valuestring == NULL) {
            return FEAT_ERROR;
        }
        feat_json_add(o, item->valuestring, strlen(item->valuestring));
        return FEAT_OK;

    case cJSON_String:
        feat_json_string(o, item->valuestring, 0);
        return FEAT_OK;

    case cJSON_Array:
        feat_json_byte(o, '[');
        for (c = item->child; c != NULL; c = c->next) {
            if (feat_json_value(o, c) != FEAT_OK) {
                return FEAT_ERROR;
            }
            if (c->next != NULL) {
                feat_json_byte(o, ',');
            }
        }
        feat_json_byte(o, ']');
        return FEAT_OK;

    case cJSON_Object:
        feat_json_byte(o, '{');
        for (c = item->child; c != NULL; c = c->next) {
            feat_json_string(o, c->string, ':');
            if (feat_json_value(o, c) != FEAT_OK) {
                return FEAT_ERROR;
            }
            if (c->next != NULL) {
                feat_json_byte(o, ',');
            }
        }
        feat_json_byte(o, '}');
        return FEAT_OK;

    default:
        return FEAT_ERROR;
    }
}


char *
feat_json_print(struct feat_arena *a, const cJSON *item, size_t *len)
{
    struct feat_json_out  o;

    if (item == NULL) {
        return NULL;
    }

    o.a = a;
    o.cap = 4096 - 64;      /* most answers, in the arena's current block */
    o.s = feat_arena_alloc(a, o.cap);
    o.len = 0;

    if (feat_json_value(&o, item) != FEAT_OK) {
        return NULL;
    }

    o.s[o.len] = '\0';

    if (len != NULL) {
        *len = o.len;
    }

    return o.s;
}


void
feat_json_add_str(cJSON *o, const char *key, const char *s)
{
    cJSON  *item;

    if (s == NULL) {
        return;
    }

    /* a reference: printed alike, never freed by cJSON_Delete */
    item = cJSON_CreateStringReference(s);
    if (item == NULL || !cJSON_AddItemToObjectCS(o, key, item)) {
        cJSON_Delete(item);
    }
}


void
feat_json_add_num(cJSON *o, const char *key, double v)
{
    cJSON  *item;

    /* cJSON_AddNumberToObject less the copy of the key */
    item = cJSON_CreateNumber(v);
    if (item == NULL || !cJSON_AddItemToObjectCS(o, key, item)) {
        cJSON_Delete(item);
    }
}


cJSON *
feat_json_record(struct feat_req *r, sqlite3_int64 id, const char *app_id,
    time_t created_at, time_t updated_at)
{
    cJSON  *o;

    /* the times are arena strings, as the row's app_id: no copies */
    o = cJSON_CreateObject();
    feat_json_add_num(o, "id", (double) id);
    feat_json_add_str(o, "app_id", app_id);
    feat_json_add_str(o, "created_at", feat_time(r, created_at));
    feat_json_add_str(o, "updated_at", feat_time(r, updated_at));

    return o;
}


/* ---- the raw text of a member (signatures over a provider's bytes) ----- */

static const char *
feat_json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
    }

    return p;
}


/* Past the JSON string that starts at p ('"'), or NULL. */
static const char *
feat_json_skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }

    return NULL;
}


/* Past the JSON value that starts at p, or NULL.  The body already
 * parsed as JSON: this only has to find where a value ends. */
static const char *
feat_json_skip_value(const char *p, const char *end)
{
    int  depth;

    if (p < end && *p == '"') {
        return feat_json_skip_string(p, end);
    }

    if (p < end && (*p == '{' || *p == '[')) {
        depth = 0;

        while (p < end) {
            if (*p == '"') {
                p = feat_json_skip_string(p, end);
                if (p == NULL) {
                    return NULL;
                }
                continue;
            }

            if (*p == '{' || *p == '[') {
                depth++;
            } else if ((*p == '}' || *p == ']') && --depth == 0) {
                return p + 1;
            }

            p++;
        }

        return NULL;
    }

    while (p < end && strchr(",}] \t\r\n", *p) == NULL) {
        p++;
    }

    return p;
}


int
feat_json_raw_member(const char *body, size_t n, const char *key,
    const char **start, size_t *len)
{
    int          found, match;
    size_t       klen;
    const char  *p, *end, *k, *v;

    end = body + n;
    klen = strlen(key);
    found = 0;

    p = feat_json_ws(body, end);
    if (p == end || *p != '{') {
        return FEAT_ERROR;
    }

    p = feat_json_ws(p + 1, end);

    while (p < end && *p != '}') {
        if (*p != '"') {
            return FEAT_ERROR;
        }

        k = p;
        p = feat_json_skip_string(p, end);
        if (p == NULL) {
            return FEAT_ERROR;
        }

        match = ((size_t) (p - k) == klen + 2
                 && memcmp(k + 1, key, klen) == 0);

        p = feat_json_ws(p, end);
        if (p == end || *p != ':') {
            return FEAT_ERROR;
        }

        v = feat_json_ws(p + 1, end);
        p = feat_json_skip_value(v, end);
        if (p == NULL) {
            return FEAT_ERROR;
        }

        if (match) {
            if (found) {
                return FEAT_ERROR;
            }

            found = 1;
            *start = v;
            *len = (size_t) (p - v);
        }

        p = feat_json_ws(p, end);
        if (p < end && *p == ',') {
            p = feat_json_ws(p + 1, end);
        }
    }

    return found ? FEAT_OK : FEAT_DECLINED;
}
