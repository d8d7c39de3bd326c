/*
 * fuzz-urlencoded.c: libFuzzer target for feat_parse_urlencoded and
 * feat_url_decode (fcgi/protocol/request.c).  Every pair must have a name, a value
 * whose length fits, and the decoder must never grow its input.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feat_kv  *kv;
    size_t           i, n, m, sum;
    char            *copy;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    kv = NULL;
    n = 0;
    sum = 0;
    if (feat_parse_urlencoded(arena, (const char *) data, size, &kv, &n)
        == FEAT_OK)
    {
        if (n > 0 && kv == NULL) {
            abort();
        }
        for (i = 0; i < n; i++) {
            if (kv[i].name == NULL || kv[i].value == NULL) {
                abort();
            }
            sum += strlen(kv[i].name);
            if (kv[i].len > 0) {
                /* the whole value must be readable, and NUL-terminated */
                sum += (unsigned char) kv[i].value[kv[i].len - 1];
            }
            if (kv[i].value[kv[i].len] != '\0') {
                abort();
            }
        }
    }

    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        abort();
    }
    memcpy(copy, data, size);
    m = feat_url_decode(copy, size);
    if (m > size) {
        abort();
    }
    free(copy);

    (void) sum;
    feat_arena_reset(arena);
    return 0;
}
