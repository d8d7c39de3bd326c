/*
 * multipart.c: multipart/form-data (RFC 7578 over RFC 2046) for a body that
 * is already in memory.  The boundary comes from the Content-Type
 * parameter; the body is split on CRLF "--" boundary delimiters, with the
 * preamble before the first one and the epilogue after the closing one
 * ignored.  Each part's headers are read up to a byte limit: a
 * Content-Disposition of type form-data with a name is required, the file
 * name is taken from filename*=UTF-8''... (RFC 5987) before filename=, and
 * Content-Type defaults to text/plain.  Part contents are not copied: they
 * point into the body and may hold any bytes, NULs included.  Every count
 * and size has a limit, and every refusal comes with a short reason the
 * caller can log.
 */

#include "config.h"

#include <string.h>
#include <strings.h>

#include "feat.h"

#define FEAT_MP_PARTS     32
#define FEAT_MP_HEADER    4096
#define FEAT_MP_BOUNDARY  70

struct feat_mp_param {
    const char  *name;     /* points into the header value */
    size_t       nlen;
    char        *value;    /* unescaped copy in the arena */
    size_t       vlen;
};


/* RFC 7230 tchar: what a header or parameter name is made of. */
static int
feat_mp_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


/* RFC 2046 bchars: what a boundary is made of (space, but not last). */
static int
feat_mp_bchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }
    return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}


static const char *
feat_mp_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    return p;
}


/* First occurrence of nd[0..m) in h[0..n), or NULL. */
static const char *
feat_mp_find(const char *h, size_t n, const char *nd, size_t m)
{
    const char  *p, *last;

    if (n < m) {
        return NULL;
    }

    p = h;
    last = h + (n - m);

    while (p <= last) {
        p = memchr(p, nd[0], (size_t) (last - p) + 1);
        if (p == NULL) {
            return NULL;
        }
        if (memcmp(p, nd, m) == 0) {
            return p;
        }
        p++;
    }

    return NULL;
}


/*
 * Reads the next "; name=value" of a header value at *pp: FEAT_OK with pr
 * filled, FEAT_DECLINED at the end of the value, FEAT_ERROR if it does not
 * parse.  A value is a quoted-string (backslash escapes any byte) or a run
 * of bytes up to ';' or white space (lenient: clients send bare file names
 * with characters a token may not hold).
 */
static int
feat_mp_param(struct feat_arena *a, const char **pp, const char *end,
    struct feat_mp_param *pr)
{
    const char  *p, *v;
    char        *d;

    p = feat_mp_skip_ws(*pp, end);
    if (p == end) {
        return FEAT_DECLINED;
    }
    if (*p != ';') {
        return FEAT_ERROR;
    }
    p = feat_mp_skip_ws(p + 1, end);
    if (p == end) {
        /* a trailing ';' is harmless */
        *pp = p;
        return FEAT_DECLINED;
    }

    pr->name = p;
    while (p < end && feat_mp_tchar((unsigned char) *p)) {
        p++;
    }
    pr->nlen = (size_t) (p - pr->name);
    if (pr->nlen == 0) {
        return FEAT_ERROR;
    }

    p = feat_mp_skip_ws(p, end);
    if (p == end || *p != '=') {
        return FEAT_ERROR;
    }
    p = feat_mp_skip_ws(p + 1, end);
    if (p == end) {
        return FEAT_ERROR;
    }

    if (*p == '"') {
        /* the unescaped value is never longer than the quoted one */
        d = feat_arena_alloc(a, (size_t) (end - p));
        pr->value = d;
        for (p++; p < end && *p != '"'; p++) {
            if (*p == '\\') {
                if (++p == end) {
                    return FEAT_ERROR;
                }
            }
            *d++ = *p;
        }
        if (p == end) {
            return FEAT_ERROR;
        }
        p++;
        pr->vlen = (size_t) (d - pr->value);
        *d = '\0';

    } else {
        v = p;
        while (p < end && *p != ';' && *p != ' ' && *p != '\t'
               && *p != '"')
        {
            p++;
        }
        if (p == v) {
            return FEAT_ERROR;
        }
        pr->vlen = (size_t) (p - v);
        pr->value = feat_arena_strndup(a, v, pr->vlen);
    }

    *pp = p;
    return FEAT_OK;
}


static int
feat_mp_is(const struct feat_mp_param *pr, const char *name)
{
    return pr->nlen == strlen(name)
           && strncasecmp(pr->name, name, pr->nlen) == 0;
}


/* The media type at the start of a header value matches type. */
static int
feat_mp_type(const char **pp, const char *end, const char *type)
{
    const char  *p, *t;

    p = feat_mp_skip_ws(*pp, end);
    t = p;
    while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
        p++;
    }

    if ((size_t) (p - t) != strlen(type)
        || strncasecmp(t, type, (size_t) (p - t)) != 0)
    {
        return 0;
    }

    *pp = p;
    return 1;
}


/*
 * The boundary of a multipart/form-data Content-Type: FEAT_OK,
 * FEAT_DECLINED for another media type, FEAT_ERROR for a missing or bad
 * boundary.
 */
static int
feat_mp_boundary(struct feat_arena *a, const char *ct, const char **b,
    size_t *blen, const char **reason)
{
    const char            *p, *end;
    struct feat_mp_param   pr;
    size_t                 i;
    int                    rc;

    if (ct == NULL) {
        *reason = "not multipart/form-data";
        return FEAT_DECLINED;
    }

    p = ct;
    end = ct + strlen(ct);
    if (!feat_mp_type(&p, end, "multipart/form-data")) {
        *reason = "not multipart/form-data";
        return FEAT_DECLINED;
    }

    *b = NULL;
    for ( ;; ) {
        rc = feat_mp_param(a, &p, end, &pr);
        if (rc == FEAT_DECLINED) {
            break;
        }
        if (rc != FEAT_OK) {
            *reason = "malformed Content-Type";
            return FEAT_ERROR;
        }
        if (feat_mp_is(&pr, "boundary")) {
            if (*b != NULL) {
                *reason = "two boundaries";
                return FEAT_ERROR;
            }
            *b = pr.value;
            *blen = pr.vlen;
        }
    }

    if (*b == NULL) {
        *reason = "no boundary";
        return FEAT_ERROR;
    }
    if (*blen < 1 || *blen > FEAT_MP_BOUNDARY || (*b)[*blen - 1] == ' ') {
        *reason = "bad boundary";
        return FEAT_ERROR;
    }
    for (i = 0; i < *blen; i++) {
        if (!feat_mp_bchar((unsigned char) (*b)[i])) {
            *reason = "bad boundary";
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


/* Valid UTF-8 (no overlongs, no surrogates) without control characters. */
static int
feat_mp_utf8_text(const unsigned char *s, size_t n)
{
    size_t    i, k, need;
    unsigned  cp, min;

    for (i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            if (s[i] < 0x20 || s[i] == 0x7f) {
                return 0;
            }
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0) {
            need = 1; cp = s[i] & 0x1f; min = 0x80;
        } else if ((s[i] & 0xf0) == 0xe0) {
            need = 2; cp = s[i] & 0x0f; min = 0x800;
        } else if ((s[i] & 0xf8) == 0xf0) {
            need = 3; cp = s[i] & 0x07; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < need) {
            return 0;
        }
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += need;
    }

    return 1;
}


/*
 * filename*=UTF-8'lang'%e2%82%ac.txt (RFC 5987): the decoded name, or NULL
 * when the charset is not UTF-8 or the value does not decode to clean
 * text, so that the plain filename= is used instead.
 */
static const char *
feat_mp_ext_value(struct feat_arena *a, const char *v, size_t n)
{
    const char  *q1, *q2, *end;
    char        *d, *out;
    int          hi, lo;

    end = v + n;
    q1 = memchr(v, '\'', n);
    if (q1 == NULL) {
        return NULL;
    }
    q2 = memchr(q1 + 1, '\'', (size_t) (end - q1 - 1));
    if (q2 == NULL) {
        return NULL;
    }
    if (q1 - v != 5 || strncasecmp(v, "UTF-8", 5) != 0) {
        return NULL;
    }

    out = feat_arena_alloc(a, (size_t) (end - q2));
    d = out;
    for (v = q2 + 1; v < end; v++) {
        if (*v == '%') {
            if (end - v < 3) {
                return NULL;
            }
            hi = feat_unhex((unsigned char) v[1]);
            lo = feat_unhex((unsigned char) v[2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            *d++ = (char) (hi << 4 | lo);
            v += 2;
        } else {
            *d++ = *v;
        }
    }
    *d = '\0';

    if (!feat_mp_utf8_text((unsigned char *) out, (size_t) (d - out))) {
        return NULL;
    }

    return out;
}


/* Content-Disposition: form-data; name="..."; filename="..." */
static int
feat_mp_disposition(struct feat_arena *a, const char *v, const char *end,
    struct feat_part *part, const char **reason)
{
    struct feat_mp_param   pr;
    const char            *ext;
    int                    rc, have_fn, have_ext;

    if (!feat_mp_type(&v, end, "form-data")) {
        *reason = "part is not form-data";
        return FEAT_ERROR;
    }

    ext = NULL;
    have_fn = 0;
    have_ext = 0;

    for ( ;; ) {
        rc = feat_mp_param(a, &v, end, &pr);
        if (rc == FEAT_DECLINED) {
            break;
        }
        if (rc != FEAT_OK) {
            *reason = "malformed Content-Disposition";
            return FEAT_ERROR;
        }

        if (feat_mp_is(&pr, "name")) {
            if (part->name != NULL) {
                *reason = "duplicate parameter";
                return FEAT_ERROR;
            }
            part->name = pr.value;

        } else if (feat_mp_is(&pr, "filename")) {
            /* header bytes were checked: no NUL or control character */
            if (have_fn++) {
                *reason = "duplicate parameter";
                return FEAT_ERROR;
            }
            part->filename = pr.value;

        } else if (feat_mp_is(&pr, "filename*")) {
            if (have_ext++) {
                *reason = "duplicate parameter";
                return FEAT_ERROR;
            }
            ext = feat_mp_ext_value(a, pr.value, pr.vlen);
        }
    }

    if (part->name == NULL) {
        *reason = "part without a name";
        return FEAT_ERROR;
    }

    if (ext != NULL) {
        part->filename = ext;
    }

    return FEAT_OK;
}


/*
 * Parses the header lines h[0..n) of one part (each ends in CRLF) into
 * part.  Control characters, folded lines and lines without a colon are
 * refused: no client needs them and they only serve smuggling.
 */
static int
feat_mp_headers(struct feat_arena *a, const char *h, size_t n,
    struct feat_part *part, const char **reason)
{
    const char  *p, *end, *eol, *colon, *v, *ve;
    size_t       i;
    int          have_cd, have_ct;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) h[i];

        if (c == '\r' && i + 1 < n && h[i + 1] == '\n') {
            i++;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            *reason = "malformed part header";
            return FEAT_ERROR;
        }
    }

    have_cd = 0;
    have_ct = 0;
    p = h;
    end = h + n;

    while (p < end) {
        eol = feat_mp_find(p, (size_t) (end - p), "\r\n", 2);
        if (eol == NULL) {
            *reason = "malformed part header";
            return FEAT_ERROR;
        }

        colon = p;
        while (colon < eol && feat_mp_tchar((unsigned char) *colon)) {
            colon++;
        }
        if (colon == p || colon == eol || *colon != ':') {
            *reason = "malformed part header";
            return FEAT_ERROR;
        }

        v = feat_mp_skip_ws(colon + 1, eol);
        ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
            ve--;
        }

        if ((size_t) (colon - p) == 19
            && strncasecmp(p, "Content-Disposition", 19) == 0)
        {
            if (have_cd++) {
                *reason = "two Content-Dispositions";
                return FEAT_ERROR;
            }
            if (feat_mp_disposition(a, v, ve, part, reason) != FEAT_OK) {
                return FEAT_ERROR;
            }

        } else if ((size_t) (colon - p) == 12
                   && strncasecmp(p, "Content-Type", 12) == 0)
        {
            if (have_ct++ || v == ve) {
                *reason = "bad part Content-Type";
                return FEAT_ERROR;
            }
            part->content_type = feat_arena_strndup(a, v,
                                                    (size_t) (ve - v));
        }

        p = eol + 2;
    }

    if (!have_cd) {
        *reason = "part without Content-Disposition";
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_multipart_parse(struct feat_arena *a, const char *content_type,
    const char *body, size_t len, const struct feat_multipart_limits *lim,
    struct feat_part **parts, size_t *nparts, const char **reason)
{
    const char        *b, *hend, *q;
    char              *delim;
    size_t             blen, dlen, pos, hmax, win, count, cap;
    size_t             max_parts, max_part;
    struct feat_part  *arr, *grown, *part;
    int                rc;

    *reason = NULL;
    max_parts = (lim != NULL && lim->max_parts) ? lim->max_parts
                                                : FEAT_MP_PARTS;
    hmax = (lim != NULL && lim->max_header) ? lim->max_header
                                            : FEAT_MP_HEADER;
    max_part = (lim != NULL && lim->max_part) ? lim->max_part : (size_t) -1;
    if (hmax > len) {
        hmax = len;    /* keeps hmax + 2 below from wrapping */
    }

    if (lim != NULL && lim->max_total && len > lim->max_total) {
        *reason = "body too large";
        return FEAT_ERROR;
    }

    rc = feat_mp_boundary(a, content_type, &b, &blen, reason);
    if (rc != FEAT_OK) {
        return FEAT_ERROR;
    }

    /* the delimiter is CRLF "--" boundary; the first may open the body */
    dlen = blen + 4;
    delim = feat_arena_alloc(a, dlen + 1);
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, b, blen);
    delim[dlen] = '\0';

    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        pos = dlen - 2;
    } else {
        q = feat_mp_find(body, len, delim, dlen);
        if (q == NULL) {
            *reason = "no boundary in the body";
            return FEAT_ERROR;
        }
        pos = (size_t) (q - body) + dlen;
    }

    count = 0;
    cap = 0;
    arr = NULL;

    for ( ;; ) {
        /* after a delimiter: "--" closes; else padding, then CRLF */
        if (len - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-') {
            break;
        }
        while (pos < len && (body[pos] == ' ' || body[pos] == '\t')) {
            pos++;
        }
        if (len - pos < 2 || body[pos] != '\r' || body[pos + 1] != '\n') {
            *reason = (len - pos < 2) ? "missing final boundary"
                                      : "malformed boundary line";
            return FEAT_ERROR;
        }
        pos += 2;

        if (count == max_parts) {
            *reason = "too many parts";
            return FEAT_ERROR;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            if (cap > max_parts) {
                cap = max_parts;
            }
            grown = feat_arena_alloc(a, cap * sizeof(struct feat_part));
            if (count) {
                memcpy(grown, arr, count * sizeof(struct feat_part));
            }
            arr = grown;
        }
        part = &arr[count];
        memset(part, 0, sizeof(*part));

        /* header lines, each with its CRLF, then an empty line */
        if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n') {
            *reason = "part without Content-Disposition";
            return FEAT_ERROR;
        }
        win = len - pos;
        if (win > hmax + 2) {
            win = hmax + 2;
        }
        hend = feat_mp_find(body + pos, win, "\r\n\r\n", 4);
        if (hend == NULL) {
            *reason = (len - pos > hmax + 2) ? "part headers too long"
                                             : "truncated part headers";
            return FEAT_ERROR;
        }
        if (feat_mp_headers(a, body + pos, (size_t) (hend - body) + 2 - pos,
                            part, reason)
            != FEAT_OK)
        {
            return FEAT_ERROR;
        }
        if (part->content_type == NULL) {
            part->content_type = "text/plain";
        }
        pos = (size_t) (hend - body) + 4;

        /*
         * The content runs to the next delimiter.  An empty content leaves
         * no CRLF of its own, so the search starts where the delimiter's
         * CRLF would be.
         */
        q = feat_mp_find(body + pos, len - pos, delim, dlen);
        if (q == NULL) {
            *reason = "missing final boundary";
            return FEAT_ERROR;
        }
        part->data = body + pos;
        part->len = (size_t) (q - (body + pos));
        if (part->len > max_part) {
            *reason = "part too large";
            return FEAT_ERROR;
        }

        count++;
        pos = (size_t) (q - body) + dlen;
    }

    if (count == 0) {
        *reason = "no parts";
        return FEAT_ERROR;
    }

    *parts = arr;
    *nparts = count;
    return FEAT_OK;
}


int
feat_req_multipart(struct feat_req *r, struct feat_part **parts, size_t *n,
    const char **reason)
{
    struct feat_multipart_limits   lim;
    const char                    *b;
    size_t                         blen;
    long long                      max;

    if (feat_mp_boundary(r->arena, r->content_type, &b, &blen, reason)
        == FEAT_DECLINED)
    {
        return FEAT_DECLINED;
    }

    /* 0 means no limit here: the body was read under the same one */
    max = feat_conf_size(FEAT_CONF_MAX_UPLOAD);

    memset(&lim, 0, sizeof(lim));
    lim.max_total = (size_t) max;
    lim.max_part = (size_t) max;

    if (r->body == NULL) {
        *reason = "empty body";
        return FEAT_ERROR;
    }

    return feat_multipart_parse(r->arena, r->content_type, r->body,
                                r->body_len, &lim, parts, n, reason);
}


const struct feat_part *
feat_part_find(const struct feat_part *parts, size_t n, const char *name)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(parts[i].name, name) == 0) {
            return &parts[i];
        }
    }

    return NULL;
}
