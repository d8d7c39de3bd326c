/*
 * fuzz-image.c: libFuzzer target for feat_image_inspect and
 * feat_image_strip (fcgi/media/image.c).  Whatever inspect accepts must strip;
 * the stripped copy must be no longer, be accepted again as the same type
 * and size, and strip to itself (stripping is idempotent).
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
    struct feat_image_info   info, again;
    unsigned char           *out, *out2;
    size_t                   outn, outn2;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    if (feat_image_inspect(data, size, &info) != FEAT_OK) {
        if (feat_image_strip(arena, data, size, &out, &outn)
            != FEAT_DECLINED)
        {
            abort();
        }
        feat_arena_reset(arena);
        return 0;
    }

    if (info.width == 0 || info.height == 0
        || info.width > FEAT_IMAGE_MAX_SIDE
        || info.height > FEAT_IMAGE_MAX_SIDE)
    {
        abort();
    }

    if (feat_image_strip(arena, data, size, &out, &outn) != FEAT_OK
        || outn > size
        || feat_image_inspect(out, outn, &again) != FEAT_OK
        || again.type != info.type
        || again.width != info.width || again.height != info.height
        || feat_image_strip(arena, out, outn, &out2, &outn2) != FEAT_OK
        || outn2 != outn || memcmp(out, out2, outn) != 0)
    {
        abort();
    }

    feat_arena_reset(arena);
    return 0;
}
