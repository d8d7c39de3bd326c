/*
 * fuzz-pay-form.c: libFuzzer target for feat_ali_form_parse, the reader
 * of Alipay's notify form (modules/pay/parse.c), which reads every
 * POST /api/pay/notify/alipay/ before its signature is checked.  A form
 * it accepts must have 1 to FEAT_WX_PARAMS_MAX unique names of
 * [A-Za-z0-9_] and NUL-free UTF-8 values, each read in full.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "pay/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 i, j, sum;
    struct feat_wx_params  p;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    sum = 0;
    if (feat_ali_form_parse(arena, (const char *) data, size, &p)
        == FEAT_OK)
    {
        if (p.n == 0 || p.n > FEAT_WX_PARAMS_MAX) {
            abort();
        }
        for (i = 0; i < p.n; i++) {
            if (p.kv[i].name[0] == '\0'
                || strspn(p.kv[i].name, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
                   != strlen(p.kv[i].name)
                || strlen(p.kv[i].value) != p.kv[i].len
                || feat_utf8_len(p.kv[i].value, p.kv[i].len) < 0)
            {
                abort();
            }
            /* the whole value must be readable */
            if (p.kv[i].len > 0) {
                sum += (unsigned char) p.kv[i].value[p.kv[i].len - 1];
            }
            for (j = 0; j < i; j++) {
                if (strcmp(p.kv[i].name, p.kv[j].name) == 0) {
                    abort();
                }
            }
        }
    }

    (void) sum;
    feat_arena_reset(arena);
    return 0;
}
