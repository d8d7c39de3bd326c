/*
 * fuzz-pay-xml.c: libFuzzer target for feat_wx_parse, the reader of
 * WeChat Pay API v2's flat XML (modules/pay/parse.c), which every
 * WeChat notify and gateway answer goes through before its signature is
 * checked.  A message it accepts must have unique names of
 * [A-Za-z0-9_], NUL-terminated UTF-8 values, and must read back the same
 * after feat_wx_xml writes it (what we sign and send is what we read).
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "pay/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


static void
check(const struct feat_wx_params *p)
{
    size_t  i, j;

    if (p->n > FEAT_WX_PARAMS_MAX) {
        abort();
    }

    for (i = 0; i < p->n; i++) {
        if (p->kv[i].name[0] == '\0'
            || strspn(p->kv[i].name, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
               != strlen(p->kv[i].name)
            || feat_utf8_len(p->kv[i].value, strlen(p->kv[i].value)) < 0)
        {
            abort();
        }
        for (j = 0; j < i; j++) {
            if (strcmp(p->kv[i].name, p->kv[j].name) == 0) {
                abort();
            }
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 i;
    const char            *xml;
    struct feat_wx_params  p, q;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    if (feat_wx_parse(arena, (const char *) data, size, &p) == FEAT_OK) {
        check(&p);

        xml = feat_wx_xml(arena, &p);
        if (feat_wx_parse(arena, xml, strlen(xml), &q) != FEAT_OK
            || q.n != p.n)
        {
            abort();
        }
        for (i = 0; i < p.n; i++) {
            if (strcmp(p.kv[i].name, q.kv[i].name) != 0
                || strcmp(p.kv[i].value, q.kv[i].value) != 0)
            {
                abort();
            }
        }
    }

    feat_arena_reset(arena);
    return 0;
}
