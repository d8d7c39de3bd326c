/*
 * fuzz-multipart.c: libFuzzer target for fcgi/protocol/multipart.c.  An input that
 * starts with "Content-Type: ...\n" names its own content type; any other
 * input is a body under "multipart/form-data; boundary=XyZ".  Each body is
 * parsed with the default limits and with tight ones, through
 * feat_req_multipart too; every part must lie inside the body, and each
 * file part goes through feat_image_inspect and feat_image_strip.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define DEFAULT_CT  "multipart/form-data; boundary=XyZ"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


static void
check_parts(const char *body, size_t len, struct feat_part *parts, size_t n)
{
    struct feat_image_info   info;
    unsigned char           *out;
    size_t                   i, outn, sum;

    sum = 0;
    for (i = 0; i < n; i++) {
        if (parts[i].name == NULL || parts[i].content_type == NULL
            || parts[i].data < body
            || parts[i].len > (size_t) (body + len - parts[i].data))
        {
            abort();
        }
        /* touch every byte so ASan sees an out-of-bounds part */
        if (parts[i].len > 0) {
            sum += (unsigned char) parts[i].data[0]
                   + (unsigned char) parts[i].data[parts[i].len - 1];
        }
        sum += strlen(parts[i].name) + strlen(parts[i].content_type);
        if (parts[i].filename != NULL) {
            sum += strlen(parts[i].filename);
        }

        if (parts[i].filename != NULL
            && feat_image_inspect((const unsigned char *) parts[i].data,
                                  parts[i].len, &info) == FEAT_OK)
        {
            if (feat_image_strip(arena,
                                 (const unsigned char *) parts[i].data,
                                 parts[i].len, &out, &outn) != FEAT_OK
                || outn > parts[i].len)
            {
                abort();
            }
        }
    }

    if (feat_part_find(parts, n, "img") != NULL) {
        sum++;
    }
    (void) sum;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feat_multipart_limits   tight;
    struct feat_part              *parts;
    struct feat_req                r;
    const char                    *reason, *in, *nl;
    char                          *ct, *body;
    size_t                         n, len;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    in = (const char *) data;
    len = size;
    ct = NULL;

    if (len > 14 && memcmp(in, "Content-Type: ", 14) == 0) {
        nl = memchr(in, '\n', len < 256 ? len : 256);
        if (nl != NULL) {
            ct = feat_arena_strndup(arena, in + 14, (size_t) (nl - in) - 14);
            len -= (size_t) (nl + 1 - in);
            in = nl + 1;
        }
    }
    if (ct == NULL) {
        ct = feat_arena_strdup(arena, DEFAULT_CT);
    }

    /* an exact-size copy, not NUL-terminated: overreads hit ASan */
    body = malloc(len ? len : 1);
    if (body == NULL) {
        abort();
    }
    memcpy(body, in, len);

    if (feat_multipart_parse(arena, ct, body, len, NULL, &parts, &n,
                             &reason) == FEAT_OK)
    {
        if (n == 0 || n > 32) {
            abort();
        }
        check_parts(body, len, parts, n);
    } else if (reason == NULL) {
        abort();
    }

    memset(&tight, 0, sizeof(tight));
    tight.max_parts = 3;
    tight.max_header = 80;
    tight.max_part = 64;
    tight.max_total = 1024;
    if (feat_multipart_parse(arena, ct, body, len, &tight, &parts, &n,
                             &reason) == FEAT_OK)
    {
        if (n > 3 || len > 1024) {
            abort();
        }
        check_parts(body, len, parts, n);
    }

    memset(&r, 0, sizeof(r));
    r.arena = arena;
    r.content_type = ct;
    r.body = body;
    r.body_len = len;
    if (feat_req_multipart(&r, &parts, &n, &reason) == FEAT_OK) {
        check_parts(body, len, parts, n);
    }

    free(body);
    feat_arena_reset(arena);
    return 0;
}
