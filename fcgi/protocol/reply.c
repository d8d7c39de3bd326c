/*
 * reply.c: writing every answer.
 *
 * A handler names an error of the vocabulary once and the request's
 * dialect (protocol/dialect.c) renders it: its status, its body, its
 * headers; a success gets the dialect's envelope.  An answer is written through
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


/* Writes the answer: status, headers, and text of type when not NULL.
 * Answers FEAT_OK. */
static int
feat_reply_raw(struct feat_req *r, int status, const char *type,
    const char *text, size_t len)
{
    struct feat_buf            b;
    FCGX_Stream               *out;
    const struct feat_header  *h;
    char                       line[16];
    size_t           n;
    int              i, k;

    memset(&b, 0, sizeof(b));
    b.a = r->arena;

    /* "Status: %d %s\r\n" without printf: ~1,000 instructions less */
    n = sizeof(line);
    k = (status > 0) ? status : 0;
    do {
        line[--n] = (char) ('0' + k % 10);
        k /= 10;
    } while (k > 0 && n > 0);
    feat_buf_add(&b, "Status: ", 8);
    feat_buf_add(&b, line + n, sizeof(line) - n);
    feat_buf_add(&b, " ", 1);
    feat_buf_str(&b, feat_status_text(status));
    feat_buf_add(&b, "\r\n", 2);

    if (text != NULL) {
        feat_buf_header(&b, "Content-Type", type);
    }
    feat_buf_header(&b, "X-Request-Id", r->request_id);

    /* the dialect's own, on every answer it gives (admin's) */
    h = feat_dialect(r->dialect)->headers;
    for (; h != NULL && h->name != NULL; h++) {
        feat_buf_header(&b, h->name, h->value);
    }

    for (i = 0; i < r->nheaders; i++) {
        feat_buf_header(&b, r->headers[i].name, r->headers[i].value);
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

    return FEAT_OK;
}


/* Writes the answer: status, headers, and body (consumed) when not NULL.
 * Answers FEAT_OK. */
static int
feat_reply_write(struct feat_req *r, int status, cJSON *body)
{
    char    *text;
    size_t   len;

    text = NULL;
    len = 0;

    if (body != NULL) {
        /* cJSON's bytes, printed into the arena (protocol/json.c) */
        text = feat_json_print(r->arena, body, &len);
        feat_arena_json_delete_now(r->arena, body);
        if (text == NULL) {
            feat_log(LOG_EMERG, 0, "an answer's JSON did not print");
            abort();
        }
    }

    return feat_reply_raw(r, status, "application/json; charset=utf-8",
                          text, len);
}


int
feat_reply_text(struct feat_req *r, int status, const char *type,
    const char *text)
{
    return feat_reply_raw(r, status, type, text, strlen(text));
}


int
feat_reply(struct feat_req *r, cJSON *data)
{
    return feat_reply_write(r, r->status != 0 ? r->status : 200,
                            feat_dialect(r->dialect)->envelope(data));
}


int
feat_reply_body(struct feat_req *r, int status, cJSON *body)
{
    if (body == NULL) {
        body = cJSON_CreateObject();
    }

    return feat_reply_write(r, status != 0 ? status : 200, body);
}


int
feat_reply_empty(struct feat_req *r, int status)
{
    return feat_reply_write(r, status != 0 ? status : 204, NULL);
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


/*
 * The error e in r's dialect: logged with msg at the vocabulary's level,
 * answered with text (NULL: the table's) and, for a field, field and
 * reason (NULL: the text).
 */
static int
feat_fail_write(struct feat_req *r, enum feat_error e, const char *msg,
    const char *text, const char *field, const char *reason)
{
    const struct feat_dialect        *d;
    const struct feat_error_info     *info;
    const struct feat_dialect_error  *row;

    info = feat_error_info(e);
    d = feat_dialect(r->dialect);
    row = feat_dialect_row(d, e);

    feat_log(info->level, 0, "%s: %s", info->name, msg);

    if (text == NULL) {
        text = feat_dialect_text(d, e, feat_dialect_locale_en());
    }

    if (d->error_headers != NULL) {
        d->error_headers(r, row);
    }

    return feat_reply_write(r, row->status,
                            d->error(r->arena, row, text, field, reason));
}


int
feat_fail(struct feat_req *r, enum feat_error e, const char *fmt, ...)
{
    char     msg[512];
    va_list  ap;

    msg[0] = '\0';
    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
    }

    if (e == FEAT_E_BAD_FIELD && r->bad_field != NULL) {
        return feat_fail_write(r, e, msg, NULL, r->bad_field, r->bad_reason);
    }

    return feat_fail_write(r, e, msg, NULL, NULL, NULL);
}


int
feat_fail_text(struct feat_req *r, enum feat_error e, const char *text)
{
    return feat_fail_write(r, e, text != NULL ? text : "-", text, NULL,
                           NULL);
}


int
feat_fail_at(struct feat_req *r, enum feat_error e, const char *field)
{
    return feat_fail_write(r, e, feat_arena_sprintf(r->arena, "field %s",
                                                    field),
                           NULL, field, NULL);
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


char *
feat_reply_page_url(struct feat_req *r, const char *arg, long long page)
{
    struct feat_buf  b;
    const char      *q, *amp, *eq;
    char             num[32];
    size_t           n, nlen, alen;
    int              first;

    memset(&b, 0, sizeof(b));
    b.a = r->arena;

    feat_buf_str(&b, feat_req_origin(r));
    feat_buf_urlenc(&b, r->path != NULL ? r->path : "/", "/!$&'()*+,;=:@");

    first = 1;
    alen = strlen(arg);

    for (q = r->query; *q != '\0'; q = (*amp == '&') ? amp + 1 : amp) {
        amp = q + strcspn(q, "&");
        n = (size_t) (amp - q);
        eq = memchr(q, '=', n);
        nlen = (eq != NULL) ? (size_t) (eq - q) : n;

        if (n == 0 || (nlen == alen && memcmp(q, arg, alen) == 0)) {
            continue;
        }

        feat_buf_add(&b, first ? "?" : "&", 1);
        feat_buf_add(&b, q, n);
        first = 0;
    }

    if (page > 1) {
        feat_buf_add(&b, first ? "?" : "&", 1);
        feat_buf_str(&b, arg);
        snprintf(num, sizeof(num), "=%lld", page);
        feat_buf_str(&b, num);
    }

    return b.s;
}
