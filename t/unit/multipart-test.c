/*
 * multipart-test.c: the multipart/form-data parser (fcgi/protocol/multipart.c):
 * fields, binary files with NULs, boundary forms, RFC 5987 file names,
 * preamble and epilogue, every limit and a handful of malformed bodies.
 */

#include "config.h"

#include <string.h>

#include "runtime.h"
#include "../tap.h"

#define CT  "multipart/form-data; boundary=XyZ"

struct mp {
    struct feat_part  *parts;
    size_t             n;
    const char        *reason;
};


static int
parse(struct feat_arena *a, const char *ct, const char *body, size_t len,
    const struct feat_multipart_limits *lim, struct mp *m)
{
    m->parts = NULL;
    m->n = 0;
    m->reason = NULL;
    return feat_multipart_parse(a, ct, body, len, lim, &m->parts, &m->n,
                                &m->reason);
}


static int
part_is(const struct feat_part *p, const char *data)
{
    return p != NULL && p->len == strlen(data)
           && memcmp(p->data, data, p->len) == 0;
}


static void
test_fields(struct feat_arena *a)
{
    static const char  body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n"
        "\r\n"
        "hello\r\n"
        "--XyZ\r\n"
        "content-disposition: FORM-DATA; NAME=desc\r\n"
        "\r\n"
        "two\r\nlines\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"empty\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n";
    struct mp  m;

    ok(parse(a, CT, body, sizeof(body) - 1, NULL, &m) == FEAT_OK,
       "simple fields parse");
    is_int((long long) m.n, 3, "three parts");
    ok(m.n == 3 && strcmp(m.parts[0].name, "title") == 0
       && part_is(&m.parts[0], "hello"), "first field");
    ok(m.n == 3 && strcmp(m.parts[1].name, "desc") == 0
       && part_is(&m.parts[1], "two\r\nlines"),
       "token name, case-insensitive header and type, CRLF inside");
    ok(m.n == 3 && part_is(&m.parts[2], ""), "empty field");
    ok(m.n == 3 && m.parts[0].filename == NULL
       && strcmp(m.parts[0].content_type, "text/plain") == 0,
       "no filename, default content type");
    ok(part_is(feat_part_find(m.parts, m.n, "desc"), "two\r\nlines"),
       "feat_part_find");
    ok(feat_part_find(m.parts, m.n, "nope") == NULL,
       "feat_part_find misses");
}


static void
test_file(struct feat_arena *a)
{
    static const char  body[] =
        "preamble to ignore\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"img\"; "
        "filename=\"a \\\"b\\\".png\"\r\n"
        "Content-Type: image/png\r\n"
        "X-Other: ignored\r\n"
        "\r\n"
        "\x89PNG\0\0\r\n--Xy\0\xff\r\n"
        "--XyZ--\r\n"
        "epilogue\r\n--XyZ\r\nnot a part";
    static const char  data[] = "\x89PNG\0\0\r\n--Xy\0\xff";
    struct mp  m;

    ok(parse(a, CT, body, sizeof(body) - 1, NULL, &m) == FEAT_OK,
       "file part parses");
    ok(m.n == 1, "preamble and epilogue ignored");
    ok(m.n == 1 && m.parts[0].len == sizeof(data) - 1
       && memcmp(m.parts[0].data, data, sizeof(data) - 1) == 0,
       "binary content with NULs kept exactly");
    ok(m.n == 1 && m.parts[0].data > body
       && m.parts[0].data < body + sizeof(body),
       "content points into the body");
    ok(m.n == 1 && m.parts[0].filename != NULL
       && strcmp(m.parts[0].filename, "a \"b\".png") == 0,
       "quoted filename with escapes");
    ok(m.n == 1 && strcmp(m.parts[0].content_type, "image/png") == 0,
       "part content type");
}


static void
test_boundaries(struct feat_arena *a)
{
    static const char  body[] =
        "--a'b (c)?\r\n"
        "Content-Disposition: form-data; name=x\r\n"
        "\r\n"
        "1\r\n"
        "--a'b (c)?--";
    static const char  padded[] =
        "--XyZ \t\r\n"
        "Content-Disposition: form-data; name=x\r\n"
        "\r\n"
        "1\r\n"
        "--XyZ--";
    struct mp  m;
    char       ct[128];

    ok(parse(a, "multipart/form-data; boundary=\"a'b (c)?\"", body,
             sizeof(body) - 1, NULL, &m) == FEAT_OK && m.n == 1
       && part_is(&m.parts[0], "1"), "quoted boundary with specials");
    ok(parse(a, "Multipart/Form-Data ; charset=utf-8; BOUNDARY=XyZ",
             padded, sizeof(padded) - 1, NULL, &m) == FEAT_OK && m.n == 1,
       "case-insensitive type and parameter, transport padding");

    ok(parse(a, "multipart/form-data", padded, sizeof(padded) - 1, NULL, &m)
       == FEAT_ERROR, "no boundary refused");
    ok(parse(a, "multipart/form-data; boundary=\"\"", padded,
             sizeof(padded) - 1, NULL, &m) == FEAT_ERROR,
       "empty boundary refused");
    memset(ct, 0, sizeof(ct));
    memcpy(ct, "multipart/form-data; boundary=", 30);
    memset(ct + 30, 'b', 71);
    ok(parse(a, ct, padded, sizeof(padded) - 1, NULL, &m) == FEAT_ERROR,
       "71-character boundary refused");
    ok(parse(a, "multipart/form-data; boundary=\"a\x01\"", padded,
             sizeof(padded) - 1, NULL, &m) == FEAT_ERROR,
       "boundary with a control character refused");
    ok(parse(a, "multipart/mixed; boundary=XyZ", padded, sizeof(padded) - 1,
             NULL, &m) == FEAT_ERROR && m.reason != NULL,
       "another media type refused, with a reason");
    ok(parse(a, NULL, padded, sizeof(padded) - 1, NULL, &m) == FEAT_ERROR,
       "no content type refused");
}


static void
test_filename_ext(struct feat_arena *a)
{
    static const char  body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"f\"; filename=\"plain.txt\";"
        " filename*=UTF-8''%e2%82%ac%20rates.txt\r\n"
        "\r\n"
        "x\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"g\"; "
        "filename*=iso-8859-1'en'%A3.txt; filename=\"fallback.txt\"\r\n"
        "\r\n"
        "y\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"h\"; filename=\"ok.txt\"; "
        "filename*=utf-8''bad%00nul\r\n"
        "\r\n"
        "z\r\n"
        "--XyZ--\r\n";
    struct mp  m;

    ok(parse(a, CT, body, sizeof(body) - 1, NULL, &m) == FEAT_OK && m.n == 3,
       "RFC 5987 body parses");
    ok(m.n == 3 && strcmp(m.parts[0].filename,
                          "\xe2\x82\xac rates.txt") == 0,
       "filename* UTF-8 preferred and percent-decoded");
    ok(m.n == 3 && strcmp(m.parts[1].filename, "fallback.txt") == 0,
       "filename* in another charset falls back to filename");
    ok(m.n == 3 && strcmp(m.parts[2].filename, "ok.txt") == 0,
       "filename* decoding to a NUL falls back to filename");
}


static void
test_malformed(struct feat_arena *a)
{
    static const char  no_final[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "cut off here";
    static const char  no_final2[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "1\r\n"
        "--XyZ";
    static const char  no_cd[] =
        "--XyZ\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  no_name[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; filename=\"a\"\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  attachment[] =
        "--XyZ\r\n"
        "Content-Disposition: attachment; name=\"a\"\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  folded[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data;\r\n"
        " name=\"a\"\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  nul_header[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\0b\"\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  unterminated[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\r\n"
        "\r\n"
        "1\r\n--XyZ--";
    static const char  bad_line[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "1\r\n--XyZjunk\r\n--XyZ--";
    static const char  empty_close[] = "--XyZ--\r\n";
    static const char  garbage[] = "\xff\xfe\0garbage\r\n\r\n--";
    struct mp  m;

    ok(parse(a, CT, no_final, sizeof(no_final) - 1, NULL, &m) == FEAT_ERROR
       && m.reason != NULL, "missing final boundary refused");
    ok(parse(a, CT, no_final2, sizeof(no_final2) - 1, NULL, &m)
       == FEAT_ERROR, "delimiter without -- or CRLF refused");
    ok(parse(a, CT, no_cd, sizeof(no_cd) - 1, NULL, &m) == FEAT_ERROR,
       "part without Content-Disposition refused");
    ok(parse(a, CT, no_name, sizeof(no_name) - 1, NULL, &m) == FEAT_ERROR,
       "part without a name refused");
    ok(parse(a, CT, attachment, sizeof(attachment) - 1, NULL, &m)
       == FEAT_ERROR, "disposition other than form-data refused");
    ok(parse(a, CT, folded, sizeof(folded) - 1, NULL, &m) == FEAT_ERROR,
       "folded header refused");
    ok(parse(a, CT, nul_header, sizeof(nul_header) - 1, NULL, &m)
       == FEAT_ERROR, "NUL in a header refused");
    ok(parse(a, CT, unterminated, sizeof(unterminated) - 1, NULL, &m)
       == FEAT_ERROR, "unterminated quoted string refused");
    ok(parse(a, CT, bad_line, sizeof(bad_line) - 1, NULL, &m) == FEAT_ERROR,
       "boundary followed by junk refused");
    ok(parse(a, CT, empty_close, sizeof(empty_close) - 1, NULL, &m)
       == FEAT_ERROR, "a body with no part refused");
    ok(parse(a, CT, garbage, sizeof(garbage) - 1, NULL, &m) == FEAT_ERROR,
       "garbage refused");
    ok(parse(a, CT, "", 0, NULL, &m) == FEAT_ERROR, "empty body refused");
}


static void
test_limits(struct feat_arena *a)
{
    struct feat_multipart_limits  lim;
    struct mp                     m;
    char                         *body, *p, *hdr;
    size_t                        i;

    /* 33 parts against the default 32 */
    body = feat_arena_alloc(a, 33 * 64 + 16);
    p = body;
    for (i = 0; i < 33; i++) {
        p += sprintf(p, "--XyZ\r\nContent-Disposition: form-data; "
                     "name=\"f%zu\"\r\n\r\nv\r\n", i);
    }
    p += sprintf(p, "--XyZ--");
    ok(parse(a, CT, body, (size_t) (p - body), NULL, &m) == FEAT_ERROR
       && m.reason != NULL && strstr(m.reason, "many") != NULL,
       "33 parts refused by default");

    memset(&lim, 0, sizeof(lim));
    lim.max_parts = 40;
    ok(parse(a, CT, body, (size_t) (p - body), &lim, &m) == FEAT_OK
       && m.n == 33, "33 parts fine with max_parts 40");

    /* exactly 32 is fine */
    p = body;
    for (i = 0; i < 32; i++) {
        p += sprintf(p, "--XyZ\r\nContent-Disposition: form-data; "
                     "name=\"f%zu\"\r\n\r\nv\r\n", i);
    }
    p += sprintf(p, "--XyZ--");
    ok(parse(a, CT, body, (size_t) (p - body), NULL, &m) == FEAT_OK
       && m.n == 32, "32 parts accepted");

    body = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
           "0123456789\r\n--XyZ--";
    memset(&lim, 0, sizeof(lim));
    lim.max_part = 9;
    ok(parse(a, CT, body, strlen(body), &lim, &m) == FEAT_ERROR
       && strstr(m.reason, "large") != NULL, "oversize part refused");
    lim.max_part = 10;
    ok(parse(a, CT, body, strlen(body), &lim, &m) == FEAT_OK,
       "part of exactly max_part accepted");

    memset(&lim, 0, sizeof(lim));
    lim.max_total = strlen(body) - 1;
    ok(parse(a, CT, body, strlen(body), &lim, &m) == FEAT_ERROR,
       "body over max_total refused");

    /* a header block of 5000 bytes against the default 4096 */
    hdr = feat_arena_alloc(a, 6000);
    p = hdr;
    p += sprintf(p, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n"
                 "X-Pad: ");
    memset(p, 'x', 5000);
    p += 5000;
    p += sprintf(p, "\r\n\r\nv\r\n--XyZ--");
    ok(parse(a, CT, hdr, (size_t) (p - hdr), NULL, &m) == FEAT_ERROR
       && strstr(m.reason, "headers") != NULL, "header too long refused");
    memset(&lim, 0, sizeof(lim));
    lim.max_header = 8192;
    ok(parse(a, CT, hdr, (size_t) (p - hdr), &lim, &m) == FEAT_OK,
       "the same header fits a larger limit");
    memset(&lim, 0, sizeof(lim));
    lim.max_header = (size_t) -1;
    lim.max_parts = (size_t) -1;
    lim.max_part = (size_t) -1;
    lim.max_total = (size_t) -1;
    ok(parse(a, CT, hdr, (size_t) (p - hdr), &lim, &m) == FEAT_OK,
       "limits of SIZE_MAX do not wrap");
}


static void
test_req(struct feat_arena *a)
{
    struct feat_req     r;
    struct feat_part   *parts;
    size_t              n;
    const char         *reason;
    static char         body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"img\"; "
        "filename=\"x.gif\"\r\n\r\nGIF\r\n--XyZ--";

    memset(&r, 0, sizeof(r));
    r.arena = a;
    r.content_type = CT;
    r.body = body;
    r.body_len = sizeof(body) - 1;
    ok(feat_req_multipart(&r, &parts, &n, &reason) == FEAT_OK && n == 1
       && strcmp(parts[0].filename, "x.gif") == 0, "feat_req_multipart");

    r.content_type = "application/json";
    ok(feat_req_multipart(&r, &parts, &n, &reason) == FEAT_DECLINED,
       "feat_req_multipart declines another type");

    ok(feat_conf_set(FEAT_CONF_MAX_UPLOAD, "16") == FEAT_OK, "max_upload 16");
    r.content_type = CT;
    ok(feat_req_multipart(&r, &parts, &n, &reason) == FEAT_ERROR,
       "feat_req_multipart applies max_upload");
}


int
main(void)
{
    struct feat_arena  *a;

    a = feat_arena_create();

    test_fields(a);
    test_file(a);
    test_boundaries(a);
    test_filename_ext(a);
    test_malformed(a);
    test_limits(a);
    test_req(a);

    feat_arena_destroy(a);
    feat_conf_free();
    return done_testing();
}
