/*
 * fuzz-image.c: libFuzzer target for feat_image_inspect and
 * feat_image_strip (fcgi/media/image.c).  What inspect refuses, strip
 * refuses the same way; what it accepts fits image.max_side and
 * image.max_pixels and must strip; the stripped copy must be no longer, be
 * accepted again as the same type and size, strip to itself (stripping is
 * idempotent), and hold none of the blocks stripping removes by a walker
 * of the target's own (metadata_left).
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


/*
 * The rewriter's oracle, a walker of its own over a stripped copy (which
 * inspect has proved): 1 if a block that must go is left, or anything
 * follows the end marker.  PNG: ancillary chunks but tRNS, gAMA, cHRM,
 * sRGB, iCCP, pHYs; JPEG: COM, APPn but APP0 JFIF, APP2 ICC_PROFILE,
 * APP14 Adobe; GIF: comment (FE) and application (FF) extensions but the
 * bare NETSCAPE2.0 loop block.
 */
static int
metadata_left(int type, const unsigned char *p, size_t n)
{
    static const char *const  png_kept[] = {
        "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "pHYs", NULL
    };
    size_t                    pos, len, ct;
    int                       i, m, kept;

    switch (type) {

    case FEAT_IMAGE_PNG:
        for (pos = 8; pos + 12 <= n; pos += 12 + len) {
            len = (size_t) p[pos] << 24 | (size_t) p[pos + 1] << 16
                  | (size_t) p[pos + 2] << 8 | p[pos + 3];
            if (memcmp(p + pos + 4, "IEND", 4) == 0) {
                return pos + 12 != n;
            }
            if (p[pos + 4] >= 'a' && p[pos + 4] <= 'z') {
                kept = 0;
                for (i = 0; png_kept[i] != NULL; i++) {
                    kept |= memcmp(p + pos + 4, png_kept[i], 4) == 0;
                }
                if (!kept) {
                    return 1;
                }
            }
        }
        return 1;

    case FEAT_IMAGE_JPEG:
        pos = 2;
        while (pos + 1 < n) {
            while (pos < n && p[pos] == 0xff) {
                pos++;
            }
            m = p[pos++];
            if (m == 0xd9) {
                return pos != n;
            }
            if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
                continue;
            }
            len = (size_t) p[pos] << 8 | p[pos + 1];
            if (m == 0xfe
                || (m >= 0xe0 && m <= 0xef
                    && !(m == 0xe0 && len >= 7
                         && memcmp(p + pos + 2, "JFIF", 5) == 0)
                    && !(m == 0xe2 && len >= 14
                         && memcmp(p + pos + 2, "ICC_PROFILE", 12) == 0)
                    && !(m == 0xee && len >= 7
                         && memcmp(p + pos + 2, "Adobe", 5) == 0)))
            {
                return 1;
            }
            pos += len;
            if (m == 0xda) {
                /* the entropy data: to a marker not 00 or RSTn */
                while (pos + 1 < n
                       && !(p[pos] == 0xff && p[pos + 1] != 0x00
                            && !(p[pos + 1] >= 0xd0 && p[pos + 1] <= 0xd7)))
                {
                    pos++;
                }
            }
        }
        return 1;

    default:
        pos = 13;
        if (p[10] & 0x80) {
            pos += (size_t) 3 << ((p[10] & 7) + 1);
        }
        while (pos < n) {
            m = p[pos++];
            if (m == 0x3b) {
                return pos != n;
            }
            if (m == 0x21) {
                m = p[pos++];
                if (m == 0xfe
                    || (m == 0xff
                        && !(pos + 17 <= n && p[pos] == 0x0b
                             && memcmp(p + pos + 1, "NETSCAPE2.0", 11) == 0
                             && p[pos + 12] == 3 && p[pos + 13] == 1
                             && p[pos + 16] == 0)))
                {
                    return 1;
                }
            } else {
                ct = (p[pos + 8] & 0x80)
                     ? (size_t) 3 << ((p[pos + 8] & 7) + 1) : 0;
                pos += 9 + ct + 1;
            }
            /* the sub-blocks */
            while (pos < n && p[pos] != 0) {
                pos += 1 + (size_t) p[pos];
            }
            pos++;
        }
        return 1;
    }
}


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
        || outn2 != outn || memcmp(out, out2, outn) != 0
        || metadata_left(info.type, out, outn))
    {
        abort();
    }

    feat_arena_reset(arena);
    return 0;
}
