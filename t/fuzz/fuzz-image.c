/*
 * fuzz-image.c: libFuzzer target for feat_image_inspect and
 * feat_image_strip (fcgi/media/image.c).  What inspect refuses, strip
 * refuses the same way; what it accepts fits image.max_side and
 * image.max_pixels and must strip; the stripped copy must be no longer, be
 * accepted again as the same type and size, and strip to itself (stripping
 * is idempotent).
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
    int                      rc;
    struct feat_image_info   info, again;
    unsigned char           *out, *out2;
    size_t                   outn, outn2;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    rc = feat_image_inspect(data, size, &info);
    if (rc != FEAT_OK) {
        /* not an image (DECLINED) or too large (ERROR): strip agrees */
        if ((rc != FEAT_DECLINED && rc != FEAT_ERROR)
            || feat_image_strip(arena, data, size, &out, &outn) != rc)
        {
            abort();
        }
        feat_arena_reset(arena);
        return 0;
    }

    /* what is accepted is within image.max_side and image.max_pixels */
    if (info.width == 0 || info.height == 0
        || info.width > feat_conf_int(FEAT_CONF_IMAGE_MAX_SIDE)
        || info.height > feat_conf_int(FEAT_CONF_IMAGE_MAX_SIDE)
        || (long long) info.width * info.height
           > feat_conf_int(FEAT_CONF_IMAGE_MAX_PIXELS))
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
