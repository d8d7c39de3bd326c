/*
 * reply.c: the error table and every answer's envelope.
 *
 * The error rows come from FEAT_FOR_EACH_ERROR, so a handler names an error
 * once and each dialect renders it: v2 {"code","message","data":{}} and v1
 * {"code","message"} with HTTP 200 (404, 405, 413, 415 and 500 excepted),
 * feat an HTTP status with {"detail","code"} (+ "errors" for a field).
 * Successes get the dialect's envelope.  An answer is written through
 * libfcgi as headers then body; with no FastCGI request (unit tests) it is
 * kept in the arena for feat_reply_captured().  The replies own the cJSON
 * they are given and free it once printed.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "runtime.h"

static const struct feat_error_info  feat_errors[] = {
#define FEAT_X(nm, v2c, v1c, st, cd, zhm, enm)                                \
    { #nm, v2c, v1c, st, cd, zhm, enm },
    FEAT_FOR_EACH_ERROR(FEAT_X)
#undef FEAT_X
};

/* the last answer written without FastCGI, for the unit tests */
static const struct feat_req  *feat_captured_req;
static const char             *feat_captured;

/* A string grown in the arena (headers, URLs). */
struct feat_buf {
    struct feat_arena  *a;
    char               *s;
    size_t              len;
    size_t              cap;
};


const struct feat_error_info *
feat_error_info(enum feat_error e)
{
    if (e <= FEAT_E_NONE || e >= FEAT_E_LAST) {
        feat_log(LOG_ALERT, 0, "no error %d in the table", (int) e);
        e = FEAT_E_INTERNAL;
    }

    return &feat_errors[e - 1];
}


const char *
feat_reply_captured(struct feat_req *r)
{
    return (r == feat_captured_req) ? feat_captured : NULL;
}


static void
feat_buf_add(struct feat_buf *b, const char *s, size_t n)
{
    char    *p;
    size_t   cap;

    if (b->len + n + 1 > b->cap) {
        cap = (b->cap == 0) ? 256 : b->cap;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = feat_arena_alloc(b->a, cap);
        if (b->len > 0) {
            memcpy(p, b->s, b->len);
        }
        b->s = p;
        b->cap = cap;
    }

    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}


static void
feat_buf_str(struct feat_buf *b, const char *s)
{
    feat_buf_add(b, s, strlen(s));
}


static const char *
feat_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default:  return "Unknown";
    }
}


/* A header line only when neither part could split the header block. */
static void
feat_buf_header(struct feat_buf *b, const char *name, const char *value)
{
    if (name == NULL || value == NULL || strpbrk(name, "\r\n:") != NULL
        || strpbrk(value, "\r\n") != NULL)
    {
        feat_log(LOG_ALERT, 0, "reply header \"%s\" dropped: CR, LF or NULL",
                 name != NULL ? name : "(null)");
        return;
    }

    feat_buf_str(b, name);
    feat_buf_add(b, ": ", 2);
    feat_buf_str(b, value);
    feat_buf_add(b, "\r\n", 2);
}


/*
 * Writes the answer: status, headers, and body (consumed) when not NULL.
 * extra is one more header ("WWW-Authenticate") or NULL.  Answers FEAT_OK.
 */
static int
feat_reply_write(struct feat_req *r, int status, cJSON *body,
    const char *extra_name, const char *extra_value)
{
    struct feat_buf  b;
    FCGX_Stream     *out;
    char             line[64];
    char            *text;
    size_t           len;
    int              i;

    text = NULL;
    len = 0;

    if (body != NULL) {
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (text == NULL) {
            feat_log(LOG_EMERG, 0, "cJSON_PrintUnformatted() failed");
            abort();
        }
        len = strlen(text);
    }

    memset(&b, 0, sizeof(b));
    b.a = r->arena;

    snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
             feat_status_text(status));
    feat_buf_str(&b, line);

    if (text != NULL) {
        feat_buf_header(&b, "Content-Type", "application/json; charset=utf-8");
    }
    feat_buf_header(&b, "X-Request-Id", r->request_id);

    for (i = 0; i < r->nheaders; i++) {
        feat_buf_header(&b, r->headers[i].name, r->headers[i].value);
    }

    if (extra_name != NULL) {
        feat_buf_header(&b, extra_name, extra_value);
    }

    feat_buf_add(&b, "\r\n", 2);
    r->status = status;

    if (r->fcgi != NULL) {
        out = ((FCGX_Request *) r->fcgi)->out;
        FCGX_PutStr(b.s, (int) b.len, out);
        if (text != NULL) {
            /* bodies are far below INT_MAX: max_body bounds their input */
            FCGX_PutStr(text, (int) len, out);
        }
    } else {
        if (text != NULL) {
            feat_buf_add(&b, text, len);
        }
        feat_captured_req = r;
        feat_captured = b.s;
    }

    free(text);

    return FEAT_OK;
}


static int
feat_locale_en(void)
{
    return strcmp(feat_conf_str(FEAT_CONF_LOCALE), "en") == 0;
}


int
feat_reply(struct feat_req *r, cJSON *data)
{
    cJSON  *env;

    env = cJSON_CreateObject();

    switch (r->dialect) {
    case FEAT_V1:
        cJSON_AddNumberToObject(env, "code", 0);
        cJSON_AddItemToObject(env, "message",
                              data != NULL ? data : cJSON_CreateString(""));
        break;

    case FEAT_FEAT:
        cJSON_AddItemToObject(env, "data",
                              data != NULL ? data : cJSON_CreateObject());
        break;

    default:
        cJSON_AddNumberToObject(env, "code", 0);
        cJSON_AddStringToObject(env, "message", "success");
        cJSON_AddItemToObject(env, "data",
                              data != NULL ? data : cJSON_CreateObject());
        break;
    }

    return feat_reply_write(r, r->status != 0 ? r->status : 200, env, NULL,
                            NULL);
}


int
feat_reply_body(struct feat_req *r, int status, cJSON *body)
{
    if (body == NULL) {
        body = cJSON_CreateObject();
    }

    return feat_reply_write(r, status != 0 ? status : 200, body, NULL, NULL);
}


int
feat_reply_empty(struct feat_req *r, int status)
{
    return feat_reply_write(r, status != 0 ? status : 204, NULL, NULL, NULL);
}


void
feat_reply_header(struct feat_req *r, const char *name, const char *value)
{
    if (r->nheaders == (int) FEAT_NELEMS(r->headers)) {
        feat_log(LOG_ALERT, 0, "too many reply headers, \"%s\" dropped", name);
        return;
    }

    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
}


/* The HTTP status of an error in v1 and v2: 200 but for transport-like
 * failures the client cannot act on through the code. */
static int
feat_error_v_status(enum feat_error e)
{
    switch (e) {
    case FEAT_E_NO_ROUTE:
        return 404;
    case FEAT_E_METHOD:
        return 405;
    case FEAT_E_TOO_LARGE:
        return 413;
    case FEAT_E_MEDIA_TYPE:
        return 415;
    case FEAT_E_INTERNAL:
        return 500;
    default:
        return 200;
    }
}


int
feat_fail(struct feat_req *r, enum feat_error e, const char *fmt, ...)
{
    const struct feat_error_info  *info;
    const char                    *text;
    char                           msg[512];
    cJSON                         *body, *errors, *reasons;
    va_list                        ap;
    int                            level;

    info = feat_error_info(e);

    msg[0] = '\0';
    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
    }

    level = (e == FEAT_E_INTERNAL) ? LOG_ERR
            : (info->status >= 500) ? LOG_WARNING
                                    : LOG_INFO;
    feat_log(level, 0, "%s: %s", info->name, msg);

    text = feat_locale_en() ? info->en : info->zh;
    body = cJSON_CreateObject();

    if (r->dialect == FEAT_FEAT) {
        cJSON_AddStringToObject(body, "detail", text);
        cJSON_AddStringToObject(body, "code", info->code);

        if (e == FEAT_E_BAD_FIELD && r->bad_field != NULL) {
            errors = cJSON_AddObjectToObject(body, "errors");
            reasons = cJSON_AddArrayToObject(errors, r->bad_field);
            cJSON_AddItemToArray(reasons,
                                 cJSON_CreateString(r->bad_reason != NULL
                                                        ? r->bad_reason
                                                        : text));
        }

        if (info->status == 401) {
            return feat_reply_write(r, info->status, body, "WWW-Authenticate",
                                    "Bearer");
        }

        return feat_reply_write(r, info->status, body, NULL, NULL);
    }

    if (e == FEAT_E_BAD_FIELD && r->bad_field != NULL) {
        text = feat_arena_sprintf(r->arena, "%s: %s", text, r->bad_field);
    }

    cJSON_AddNumberToObject(body, "code",
                            r->dialect == FEAT_V1 ? info->v1 : info->v2);
    cJSON_AddStringToObject(body, "message", text);
    if (r->dialect != FEAT_V1) {
        cJSON_AddObjectToObject(body, "data");
    }

    return feat_reply_write(r, feat_error_v_status(e), body, NULL, NULL);
}


int
feat_fail_field(struct feat_req *r)
{
    return feat_fail(r, FEAT_E_BAD_FIELD, "field \"%s\" %s",
                     r->bad_field != NULL ? r->bad_field : "?",
                     r->bad_reason != NULL ? r->bad_reason : "is invalid");
}


int
feat_fail_bad(struct feat_req *r, const char *field, const char *reason)
{
    r->bad_field = field;
    r->bad_reason = reason;

    return feat_fail_field(r);
}


/* Appends s percent-encoding what may not stand in a URL path or query. */
static void
feat_buf_urlenc(struct feat_buf *b, const char *s, const char *keep)
{
    static const char  hex[] = "0123456789ABCDEF";
    char               esc[3];
    unsigned char      c;

    for (; *s != '\0'; s++) {
        c = (unsigned char) *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || strchr("-._~", c) != NULL
            || strchr(keep, c) != NULL)
        {
            feat_buf_add(b, (const char *) &c, 1);
        } else {
            esc[0] = '%';
            esc[1] = hex[c >> 4];
            esc[2] = hex[c & 0xf];
            feat_buf_add(b, esc, 3);
        }
    }
}


/*
 * The absolute URL of this list at page (feat's next/previous): the
 * request's scheme, host and path, its other query arguments as sent, and
 * page=N (none for page 1, as Django REST framework does).
 */
static char *
feat_page_url(struct feat_req *r, long long page)
{
    struct feat_buf  b;
    const char      *q, *amp, *eq;
    char             num[32];
    size_t           n, nlen;
    int              first;

    memset(&b, 0, sizeof(b));
    b.a = r->arena;

    feat_buf_str(&b, feat_req_origin(r));
    feat_buf_urlenc(&b, r->path != NULL ? r->path : "/", "/!$&'()*+,;=:@");

    first = 1;

    for (q = r->query; *q != '\0'; q = (*amp == '&') ? amp + 1 : amp) {
        amp = q + strcspn(q, "&");
        n = (size_t) (amp - q);
        eq = memchr(q, '=', n);
        nlen = (eq != NULL) ? (size_t) (eq - q) : n;

        if (n == 0 || (nlen == 4 && memcmp(q, "page", 4) == 0)) {
            continue;
        }

        feat_buf_add(&b, first ? "?" : "&", 1);
        feat_buf_add(&b, q, n);
        first = 0;
    }

    if (page > 1) {
        snprintf(num, sizeof(num), "%spage=%lld", first ? "?" : "&", page);
        feat_buf_str(&b, num);
    }

    return b.s;
}


cJSON *
feat_page_object(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items)
{
    cJSON      *o;
    long long   pages;

    if (items == NULL) {
        items = cJSON_CreateArray();
    }

    o = cJSON_CreateObject();

    if (total < 0) {
        total = 0;
    }

    if (r->dialect == FEAT_FEAT) {
        cJSON_AddNumberToObject(o, "count", (double) total);

        /* more rows after this page; offset saturates for absurd pages */
        if (pg->offset < total - pg->size && pg->page < (1LL << 53)) {
            cJSON_AddStringToObject(o, "next",
                                    feat_page_url(r, pg->page + 1));
        } else {
            cJSON_AddNullToObject(o, "next");
        }

        if (pg->page > 1 && pg->page < (1LL << 53)) {
            cJSON_AddStringToObject(o, "previous",
                                    feat_page_url(r, pg->page - 1));
        } else {
            cJSON_AddNullToObject(o, "previous");
        }

        cJSON_AddItemToObject(o, "results", items);
        return o;
    }

    pages = (pg->size > 0) ? total / pg->size + (total % pg->size != 0) : 0;

    cJSON_AddNumberToObject(o, "total", (double) total);
    cJSON_AddNumberToObject(o, "pages", (double) pages);
    cJSON_AddNumberToObject(o, "current_page", (double) pg->page);
    cJSON_AddNumberToObject(o, "page_size", (double) pg->size);
    cJSON_AddItemToObject(o, "data", items);

    return o;
}
