/*
 * image-test.c: image recognition, metadata stripping and storage
 * (fcgi/media/image.c) over tiny PNG, JPEG and GIF files built here byte by byte
 * (PNG CRCs computed with python3's zlib): dimensions, refusals of
 * non-images and damaged files, byte-exact stripping, and store/remove in
 * a temporary media_dir.
 */

#include "config.h"

#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "../tap.h"

struct buf {
    unsigned char  b[4096];
    size_t         n;
};

static const unsigned char png_sig[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a
};
/* IHDR: 3 x 2, depth 8, RGB */
static const unsigned char png_ihdr[] = {
    0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xf1,
    0x4d
};
/* tEXt "Comment" = "secret place" */
static const unsigned char png_text[] = {
    0x00, 0x00, 0x00, 0x14, 0x74, 0x45, 0x58, 0x74, 0x43, 0x6f, 0x6d, 0x6d,
    0x65, 0x6e, 0x74, 0x00, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x20, 0x70,
    0x6c, 0x61, 0x63, 0x65, 0x68, 0x0f, 0xa9, 0x8d
};
static const unsigned char png_phys[] = {
    0x00, 0x00, 0x00, 0x09, 0x70, 0x48, 0x59, 0x73, 0x00, 0x00, 0x0b, 0x13,
    0x00, 0x00, 0x0b, 0x13, 0x01, 0x00, 0x9a, 0x9c, 0x18
};
static const unsigned char png_time[] = {
    0x00, 0x00, 0x00, 0x07, 0x74, 0x49, 0x4d, 0x45, 0x07, 0xea, 0x0b, 0x17,
    0x00, 0x00, 0x00, 0xc1, 0x15, 0xcc, 0x73
};
static const unsigned char png_idat[] = {
    0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
    0xcf, 0xc0, 0x00, 0x41, 0x0c, 0x70, 0x16, 0x00, 0x41, 0xd2, 0x05, 0xfb,
    0x87, 0xf0, 0xb9, 0x48
};
static const unsigned char png_exif[] = {
    0x00, 0x00, 0x00, 0x0a, 0x65, 0x58, 0x49, 0x66, 0x4d, 0x4d, 0x00, 0x2a,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0xbe, 0xa0, 0xf2, 0xaf
};
static const unsigned char png_iend[] = {
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};

static const unsigned char jpg_soi[] = { 0xff, 0xd8 };
static const unsigned char jpg_eoi[] = { 0xff, 0xd9 };
static const unsigned char jpg_app0[] = {
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00,
    0x00, 0x01, 0x00, 0x01, 0x00, 0x00
};
/* APP1 "Exif" with a GPS position in it */
static const unsigned char jpg_app1[] = {
    0xff, 0xe1, 0x00, 0x20, 0x45, 0x78, 0x69, 0x66, 0x00, 0x00, 0x4d, 0x4d,
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, 0x47, 0x50, 0x53, 0x20, 0x33, 0x31,
    0x2e, 0x32, 0x4e, 0x20, 0x31, 0x32, 0x31, 0x2e, 0x34, 0x45
};
static const unsigned char jpg_dqt[] = {
    0xff, 0xdb, 0x00, 0x43, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
    0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40
};
/* SOF0: height 2, width 3, one component */
static const unsigned char jpg_sof[] = {
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11,
    0x00
};
static const unsigned char jpg_dht[] = {
    0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};
static const unsigned char jpg_com[] = {
    0xff, 0xfe, 0x00, 0x07, 0x68, 0x65, 0x6c, 0x6c, 0x6f
};
/* APP14 Adobe (the colour transform a decoder needs) */
static const unsigned char jpg_app14[] = {
    0xff, 0xee, 0x00, 0x0b, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x78, 0x6d,
    0x70
};
static const unsigned char jpg_sos[] = {
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00
};
/* entropy data with a stuffed 0xff00 and a restart marker */
static const unsigned char jpg_data[] = {
    0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78, 0x9a
};

/* GIF89a 1 x 1, two-colour table, graphic control extension */
static const unsigned char gif_1x1[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
};


#define ADD(bf, arr)  add(bf, arr, sizeof(arr))

static void
add(struct buf *bf, const unsigned char *p, size_t n)
{
    memcpy(bf->b + bf->n, p, n);
    bf->n += n;
}


static int
contains(const unsigned char *p, size_t n, const char *s)
{
    size_t  i, k;

    k = strlen(s);
    for (i = 0; i + k <= n; i++) {
        if (memcmp(p + i, s, k) == 0) {
            return 1;
        }
    }
    return 0;
}


static int
inspect(const struct buf *bf, struct feat_image_info *info)
{
    return feat_image_inspect(bf->b, bf->n, info);
}


static void
test_png(struct feat_arena *a)
{
    struct buf              in, want, t;
    struct feat_image_info  info;
    unsigned char          *out;
    size_t                  outn;

    memset(&in, 0, sizeof(in));
    ADD(&in, png_sig); ADD(&in, png_ihdr); ADD(&in, png_text);
    ADD(&in, png_phys); ADD(&in, png_time); ADD(&in, png_idat);
    ADD(&in, png_exif); ADD(&in, png_iend);

    memset(&want, 0, sizeof(want));
    ADD(&want, png_sig); ADD(&want, png_ihdr); ADD(&want, png_phys);
    ADD(&want, png_idat); ADD(&want, png_iend);

    ok(inspect(&in, &info) == FEAT_OK, "PNG recognized");
    ok(info.type == FEAT_IMAGE_PNG && strcmp(info.ext, "png") == 0
       && strcmp(info.content_type, "image/png") == 0, "PNG type");
    ok(info.width == 3 && info.height == 2, "PNG is 3 x 2");

    ok(feat_image_strip(a, in.b, in.n, &out, &outn) == FEAT_OK,
       "PNG strips");
    ok(outn == want.n && memcmp(out, want.b, want.n) == 0,
       "PNG loses tEXt, tIME, eXIf and keeps the rest byte-exact");

    t = in;
    add(&t, (const unsigned char *) "trailing", 8);
    ok(feat_image_strip(a, t.b, t.n, &out, &outn) == FEAT_OK
       && outn == want.n, "PNG bytes after IEND dropped");

    t = in;
    t.n -= 5;
    ok(inspect(&t, &info) == FEAT_DECLINED, "truncated PNG refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, png_sig); ADD(&t, png_ihdr); ADD(&t, png_idat);
    ok(inspect(&t, &info) == FEAT_DECLINED, "PNG without IEND refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, png_sig); ADD(&t, png_ihdr); ADD(&t, png_iend);
    ok(inspect(&t, &info) == FEAT_DECLINED, "PNG without IDAT refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, png_sig); ADD(&t, png_idat); ADD(&t, png_iend);
    ok(inspect(&t, &info) == FEAT_DECLINED, "PNG without IHDR refused");

    t = in;
    t.b[16] = 0; t.b[17] = 0; t.b[18] = 0; t.b[19] = 0;
    ok(inspect(&t, &info) == FEAT_DECLINED, "PNG 0 wide refused");

    t = in;
    t.b[8] = 0xff;    /* IHDR length 0xff00000d */
    ok(inspect(&t, &info) == FEAT_DECLINED, "PNG huge chunk length refused");
}


static void
test_jpeg(struct feat_arena *a)
{
    struct buf              in, want, t;
    struct feat_image_info  info;
    unsigned char          *out;
    size_t                  outn;

    memset(&in, 0, sizeof(in));
    ADD(&in, jpg_soi); ADD(&in, jpg_app0); ADD(&in, jpg_app1);
    ADD(&in, jpg_dqt); ADD(&in, jpg_sof); ADD(&in, jpg_dht);
    ADD(&in, jpg_com); ADD(&in, jpg_app14); ADD(&in, jpg_sos);
    ADD(&in, jpg_data); ADD(&in, jpg_eoi);

    memset(&want, 0, sizeof(want));
    ADD(&want, jpg_soi); ADD(&want, jpg_app0); ADD(&want, jpg_dqt);
    ADD(&want, jpg_sof); ADD(&want, jpg_dht); ADD(&want, jpg_app14);
    ADD(&want, jpg_sos); ADD(&want, jpg_data); ADD(&want, jpg_eoi);

    ok(inspect(&in, &info) == FEAT_OK, "JPEG recognized");
    ok(info.type == FEAT_IMAGE_JPEG && strcmp(info.ext, "jpg") == 0
       && strcmp(info.content_type, "image/jpeg") == 0, "JPEG type");
    ok(info.width == 3 && info.height == 2, "JPEG is 3 x 2");

    ok(feat_image_strip(a, in.b, in.n, &out, &outn) == FEAT_OK,
       "JPEG strips");
    ok(outn == want.n && memcmp(out, want.b, want.n) == 0,
       "EXIF APP1 and COM removed, Adobe APP14 kept, the rest byte-identical");
    ok(!contains(out, outn, "GPS"), "no GPS text left");

    ok(feat_image_strip(a, want.b, want.n, &out, &outn) == FEAT_OK
       && outn == want.n && memcmp(out, want.b, want.n) == 0,
       "a clean JPEG comes back unchanged");

    /* fill bytes before a kept marker stay; before a dropped one go */
    memset(&t, 0, sizeof(t));
    ADD(&t, jpg_soi);
    add(&t, (const unsigned char *) "\xff\xff", 2); ADD(&t, jpg_app1);
    add(&t, (const unsigned char *) "\xff", 1); ADD(&t, jpg_sof);
    ADD(&t, jpg_sos); ADD(&t, jpg_data); ADD(&t, jpg_eoi);
    ok(feat_image_strip(a, t.b, t.n, &out, &outn) == FEAT_OK
       && outn == t.n - 2 - sizeof(jpg_app1)
       && memcmp(out + 2, "\xff\xff\xc0", 3) == 0, "fill bytes handled");

    t = in;
    t.n -= 2;
    ok(inspect(&t, &info) == FEAT_DECLINED, "JPEG without EOI refused");
    t.n -= 4;
    ok(inspect(&t, &info) == FEAT_DECLINED, "JPEG cut in the scan refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, jpg_soi); ADD(&t, jpg_app0); ADD(&t, jpg_sos);
    ADD(&t, jpg_data); ADD(&t, jpg_eoi);
    ok(inspect(&t, &info) == FEAT_DECLINED, "JPEG without SOF refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, jpg_soi); ADD(&t, jpg_sof); ADD(&t, jpg_sof); ADD(&t, jpg_sos);
    ADD(&t, jpg_data); ADD(&t, jpg_eoi);
    ok(inspect(&t, &info) == FEAT_DECLINED, "two frame headers refused");

    t = in;
    t.b[2 + 2] = 0xff;    /* APP0 length 0xff10 */
    ok(inspect(&t, &info) == FEAT_DECLINED,
       "JPEG segment running off the end refused");

    t = in;
    t.b[2 + 3] = 0x01;    /* APP0 length 1 */
    t.b[2 + 2] = 0x00;
    ok(inspect(&t, &info) == FEAT_DECLINED, "JPEG length below 2 refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, jpg_soi); ADD(&t, jpg_eoi);
    ok(inspect(&t, &info) == FEAT_DECLINED, "SOI EOI alone refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, jpg_soi); ADD(&t, jpg_sof); ADD(&t, jpg_eoi);
    ok(inspect(&t, &info) == FEAT_DECLINED, "JPEG without a scan refused");
}


static void
test_gif(struct feat_arena *a)
{
    struct buf              t;
    struct feat_image_info  info;
    unsigned char          *out;
    size_t                  outn;

    memset(&t, 0, sizeof(t));
    ADD(&t, gif_1x1);
    ok(inspect(&t, &info) == FEAT_OK && info.type == FEAT_IMAGE_GIF
       && info.width == 1 && info.height == 1
       && strcmp(info.content_type, "image/gif") == 0, "GIF 1 x 1");

    ok(feat_image_strip(a, t.b, t.n, &out, &outn) == FEAT_OK
       && outn == t.n && memcmp(out, t.b, t.n) == 0,
       "GIF without metadata unchanged");

    t.b[6] = 5; t.b[8] = 7;
    ok(inspect(&t, &info) == FEAT_OK && info.width == 5 && info.height == 7,
       "GIF logical screen size");

    memcpy(t.b, "GIF87a", 6);
    ok(inspect(&t, &info) == FEAT_OK, "GIF87a recognized");

    t.n -= 1;
    ok(inspect(&t, &info) == FEAT_DECLINED, "GIF without trailer refused");
    t.n = 20;
    ok(inspect(&t, &info) == FEAT_DECLINED, "truncated GIF refused");

    memset(&t, 0, sizeof(t));
    ADD(&t, gif_1x1);
    t.b[10] = 0x87;   /* a 256-colour table the file does not hold */
    ok(inspect(&t, &info) == FEAT_DECLINED, "GIF colour table overrun");
}


/* ---- metadata stripping, block by block (issue 12, finding 5) ----------- */

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
    uint32_t  c;
    size_t    i;
    int       k;

    c = 0xffffffff;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320 & (0 - (c & 1)));
        }
    }
    return c ^ 0xffffffff;
}


/* Appends a PNG chunk of type with data (and its real CRC). */
static void
png_chunk(struct buf *bf, const char *type, const char *data, size_t n)
{
    unsigned char  *c;
    uint32_t        crc;

    c = bf->b + bf->n;
    c[0] = (unsigned char) (n >> 24); c[1] = (unsigned char) (n >> 16);
    c[2] = (unsigned char) (n >> 8);  c[3] = (unsigned char) n;
    memcpy(c + 4, type, 4);
    memcpy(c + 8, data, n);
    crc = crc32_of(c + 4, 4 + n);
    c[8 + n] = (unsigned char) (crc >> 24);
    c[9 + n] = (unsigned char) (crc >> 16);
    c[10 + n] = (unsigned char) (crc >> 8);
    c[11 + n] = (unsigned char) crc;
    bf->n += 12 + n;
}


/* Appends a JPEG marker segment with data. */
static void
jpg_seg(struct buf *bf, int m, const char *data, size_t n)
{
    unsigned char  *c;

    c = bf->b + bf->n;
    c[0] = 0xff;
    c[1] = (unsigned char) m;
    c[2] = (unsigned char) ((n + 2) >> 8);
    c[3] = (unsigned char) (n + 2);
    memcpy(c + 4, data, n);
    bf->n += 4 + n;
}


/*
 * Strips in, and checks the copy is want byte for byte, is still an image
 * of the same type and size, and strips to itself.
 */
static void
strip_is(struct feat_arena *a, const struct buf *in, const struct buf *want,
    const char *what)
{
    struct feat_image_info  i1, i2;
    unsigned char          *out, *out2;
    size_t                  outn, outn2;

    ok(inspect(in, &i1) == FEAT_OK
       && feat_image_strip(a, in->b, in->n, &out, &outn) == FEAT_OK
       && outn == want->n && memcmp(out, want->b, want->n) == 0
       && feat_image_inspect(out, outn, &i2) == FEAT_OK
       && i2.type == i1.type && i2.width == i1.width
       && i2.height == i1.height
       && feat_image_strip(a, out, outn, &out2, &outn2) == FEAT_OK
       && outn2 == outn && memcmp(out2, out, outn) == 0,
       "%s", what);
}


static void
test_strip_png(struct feat_arena *a)
{
    static const char *const  kept[] = {
        "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "pHYs", NULL
    };
    static const char *const  dropped[] = {
        "tEXt", "zTXt", "iTXt", "eXIf", "tIME", "bKGD", "hIST", "sBIT",
        "sPLT", "acTL", "prVt", "caNv", NULL
    };
    struct buf                in, want;
    char                      what[80];
    int                       i;

    for (i = 0; kept[i] != NULL; i++) {
        memset(&in, 0, sizeof(in));
        ADD(&in, png_sig); ADD(&in, png_ihdr);
        png_chunk(&in, kept[i], "\0\0\0\1", 4);
        ADD(&in, png_idat); ADD(&in, png_iend);
        snprintf(what, sizeof(what), "PNG %s kept", kept[i]);
        strip_is(a, &in, &in, what);
    }

    memset(&want, 0, sizeof(want));
    ADD(&want, png_sig); ADD(&want, png_ihdr); ADD(&want, png_idat);
    ADD(&want, png_iend);

    for (i = 0; dropped[i] != NULL; i++) {
        memset(&in, 0, sizeof(in));
        ADD(&in, png_sig); ADD(&in, png_ihdr);
        png_chunk(&in, dropped[i], "where=31.2N,121.4E", 18);
        ADD(&in, png_idat);
        png_chunk(&in, dropped[i], "after the data", 14);
        ADD(&in, png_iend);
        snprintf(what, sizeof(what), "PNG %s removed before and after IDAT",
                 dropped[i]);
        strip_is(a, &in, &want, what);
    }

    /* a critical chunk stays: a decoder must see what it cannot skip */
    memset(&in, 0, sizeof(in));
    ADD(&in, png_sig); ADD(&in, png_ihdr);
    png_chunk(&in, "PLTE", "\0\0\0", 3);
    ADD(&in, png_idat); ADD(&in, png_iend);
    strip_is(a, &in, &in, "PNG PLTE kept");

    memset(&in, 0, sizeof(in));
    ADD(&in, png_sig); ADD(&in, png_ihdr); ADD(&in, png_idat);
    ADD(&in, png_iend);
    add(&in, (const unsigned char *) "GPS 31.2N 121.4E", 16);
    ok(!contains(want.b, want.n, "GPS"), "(the data after IEND is marked)");
    strip_is(a, &in, &want, "PNG data after IEND removed");
    ADD(&in, png_idat); ADD(&in, png_iend);
    strip_is(a, &in, &want, "PNG chunks after IEND removed");
}


static void
test_strip_jpeg(struct feat_arena *a)
{
    struct buf  in, want, tail;

    memset(&tail, 0, sizeof(tail));
    ADD(&tail, jpg_dqt); ADD(&tail, jpg_sof); ADD(&tail, jpg_dht);
    ADD(&tail, jpg_sos); ADD(&tail, jpg_data); ADD(&tail, jpg_eoi);

#define JPEG_CASE(seg, segn, keep, what)                                       \
    memset(&in, 0, sizeof(in));                                             \
    ADD(&in, jpg_soi); seg; add(&in, tail.b, tail.n);                       \
    memset(&want, 0, sizeof(want));                                         \
    ADD(&want, jpg_soi);                                                    \
    if (keep) { add(&want, in.b + 2, segn); }                               \
    add(&want, tail.b, tail.n);                                             \
    strip_is(a, &in, &want, what)

    JPEG_CASE(jpg_seg(&in, 0xe0, "JFIF\0\1\1\0\0\1\0\1\0\0", 14), 18, 1,
              "JPEG APP0 JFIF kept");
    JPEG_CASE(jpg_seg(&in, 0xe0, "JFXX\0\x10thumbnail", 15), 19, 0,
              "JPEG APP0 JFXX (a thumbnail) removed");
    JPEG_CASE(jpg_seg(&in, 0xe1, "Exif\0\0MM\0*GPS", 13), 17, 0,
              "JPEG APP1 Exif removed");
    JPEG_CASE(jpg_seg(&in, 0xe1, "http://ns.adobe.com/xap/1.0/\0<x/>", 33),
              37, 0, "JPEG APP1 XMP removed");
    JPEG_CASE(jpg_seg(&in, 0xe2, "ICC_PROFILE\0\1\1prof", 18), 22, 1,
              "JPEG APP2 ICC_PROFILE kept");
    JPEG_CASE(jpg_seg(&in, 0xe2, "MPF\0II*\0", 8), 12, 0,
              "JPEG APP2 MPF removed");
    JPEG_CASE(jpg_seg(&in, 0xed, "Photoshop 3.0\0", 14), 18, 0,
              "JPEG APP13 Photoshop (IPTC) removed");
    JPEG_CASE(jpg_seg(&in, 0xee, "Adobe\0\x64\0\0\0\0\1", 12), 16, 1,
              "JPEG APP14 Adobe kept");
    JPEG_CASE(jpg_seg(&in, 0xee, "Ducky\0", 6), 10, 0,
              "JPEG APP14 that is not Adobe removed");
    JPEG_CASE(jpg_seg(&in, 0xef, "vendor", 6), 10, 0,
              "JPEG APP15 removed");
    JPEG_CASE(jpg_seg(&in, 0xfe, "taken at home", 13), 17, 0,
              "JPEG COM removed");
#undef JPEG_CASE

    memset(&in, 0, sizeof(in));
    ADD(&in, jpg_soi); add(&in, tail.b, tail.n);
    want = in;
    add(&in, (const unsigned char *) "GPS 31.2N 121.4E", 16);
    strip_is(a, &in, &want, "JPEG data after EOI removed");

    /* a COM between two scans of a progressive file goes too */
    memset(&in, 0, sizeof(in));
    ADD(&in, jpg_soi); ADD(&in, jpg_sof); ADD(&in, jpg_sos);
    ADD(&in, jpg_data); ADD(&in, jpg_com); ADD(&in, jpg_sos);
    ADD(&in, jpg_data); ADD(&in, jpg_eoi);
    memset(&want, 0, sizeof(want));
    ADD(&want, jpg_soi); ADD(&want, jpg_sof); ADD(&want, jpg_sos);
    ADD(&want, jpg_data); ADD(&want, jpg_sos); ADD(&want, jpg_data);
    ADD(&want, jpg_eoi);
    strip_is(a, &in, &want, "JPEG COM between scans removed");
}


static void
test_strip_gif(struct feat_arena *a)
{
    /* the 1 x 1 GIF's parts: header and table, GCE, frame, trailer */
    static const unsigned char  loop[] = {
        0x21, 0xff, 0x0b, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.',
        '0', 0x03, 0x01, 0x00, 0x00, 0x00
    };
    static const unsigned char  loop_more[] = {
        0x21, 0xff, 0x0b, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.',
        '0', 0x03, 0x01, 0x00, 0x00, 0x04, 'G', 'P', 'S', '!', 0x00
    };
    static const unsigned char  xmp[] = {
        0x21, 0xff, 0x0b, 'X', 'M', 'P', ' ', 'D', 'a', 't', 'a', 'X', 'M',
        'P', 0x05, '<', 'x', '/', '>', ' ', 0x00
    };
    static const unsigned char  comment[] = {
        0x21, 0xfe, 0x09, 't', 'a', 'k', 'e', 'n', ' ', 'G', 'P', 'S',
        0x04, 'h', 'o', 'm', 'e', 0x00
    };
    struct buf                  in, want, head, frame;

    memset(&head, 0, sizeof(head));
    add(&head, gif_1x1, 19);
    memset(&frame, 0, sizeof(frame));
    add(&frame, gif_1x1 + 19, sizeof(gif_1x1) - 19 - 1);

    memset(&want, 0, sizeof(want));
    add(&want, head.b, head.n); add(&want, frame.b, frame.n);
    add(&want, (const unsigned char *) "\x3b", 1);

    memset(&in, 0, sizeof(in));
    add(&in, head.b, head.n); ADD(&in, comment); add(&in, frame.b, frame.n);
    ADD(&in, comment); add(&in, (const unsigned char *) "\x3b", 1);
    strip_is(a, &in, &want, "GIF comment extensions removed");

    memset(&in, 0, sizeof(in));
    add(&in, head.b, head.n); ADD(&in, xmp); add(&in, frame.b, frame.n);
    add(&in, (const unsigned char *) "\x3b", 1);
    strip_is(a, &in, &want, "GIF application extension (XMP) removed");

    memset(&in, 0, sizeof(in));
    add(&in, head.b, head.n); ADD(&in, loop_more);
    add(&in, frame.b, frame.n); add(&in, (const unsigned char *) "\x3b", 1);
    strip_is(a, &in, &want,
             "GIF NETSCAPE2.0 block carrying more than the loop removed");

    memset(&in, 0, sizeof(in));
    add(&in, head.b, head.n); add(&in, frame.b, frame.n);
    add(&in, (const unsigned char *) "\x3bGPS 31.2N 121.4E", 17);
    strip_is(a, &in, &want, "GIF data after the trailer removed");

    memset(&in, 0, sizeof(in));
    add(&in, head.b, head.n); ADD(&in, loop); ADD(&in, comment);
    add(&in, frame.b, frame.n); add(&in, (const unsigned char *) "\x3b", 1);
    memset(&want, 0, sizeof(want));
    add(&want, head.b, head.n); ADD(&want, loop); add(&want, frame.b, frame.n);
    add(&want, (const unsigned char *) "\x3b", 1);
    strip_is(a, &in, &want, "GIF NETSCAPE2.0 loop block kept");
}


static void
set_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24); p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);  p[3] = (unsigned char) v;
}


/*
 * Decompression bombs: sides and areas are judged from the header, by
 * image.max_side (10000) and image.max_pixels (40000000), on every frame
 * of a GIF; a refusal is FEAT_ERROR, not "not an image".
 */
static void
test_bombs(struct feat_arena *a)
{
    struct buf              png, jpg, gif, t;
    struct feat_image_info  info;
    unsigned char          *out;
    size_t                  outn;

    memset(&png, 0, sizeof(png));
    ADD(&png, png_sig); ADD(&png, png_ihdr); ADD(&png, png_idat);
    ADD(&png, png_iend);

    t = png;
    set_be32(t.b + 16, 20000); set_be32(t.b + 20, 20000);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 20000 x 20000 refused");
    ok(feat_image_strip(a, t.b, t.n, &out, &outn) == FEAT_ERROR,
       "... by strip too");
    set_be32(t.b + 16, 10001); set_be32(t.b + 20, 1);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 10001 wide refused");
    set_be32(t.b + 16, 1); set_be32(t.b + 20, 10001);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 10001 high refused");
    set_be32(t.b + 16, 10000); set_be32(t.b + 20, 4000);
    ok(inspect(&t, &info) == FEAT_OK && info.width == 10000
       && info.height == 4000, "PNG 10000 x 4000 (40000000) accepted");
    set_be32(t.b + 16, 10000); set_be32(t.b + 20, 4001);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 10000 x 4001 refused");
    set_be32(t.b + 16, 0xffffffff); set_be32(t.b + 20, 0xffffffff);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 2^32-1 square refused");
    t.n -= 12;
    ok(inspect(&t, &info) == FEAT_ERROR,
       "a huge PNG is refused from IHDR, before the rest is read");

    memset(&jpg, 0, sizeof(jpg));
    ADD(&jpg, jpg_soi); ADD(&jpg, jpg_sof); ADD(&jpg, jpg_sos);
    ADD(&jpg, jpg_data); ADD(&jpg, jpg_eoi);
    ok(inspect(&jpg, &info) == FEAT_OK, "small JPEG accepted");
    t = jpg;
    t.b[2 + 5] = 0x4e; t.b[2 + 6] = 0x20;    /* height 20000 */
    t.b[2 + 7] = 0x4e; t.b[2 + 8] = 0x20;    /* width 20000 */
    ok(inspect(&t, &info) == FEAT_ERROR, "JPEG 20000 x 20000 refused");
    t.b[2 + 5] = 0x00; t.b[2 + 6] = 0x02;
    ok(inspect(&t, &info) == FEAT_ERROR, "JPEG 20000 wide refused");
    t.b[2 + 7] = 0xff; t.b[2 + 8] = 0xff;
    t.b[2 + 5] = 0xff; t.b[2 + 6] = 0xff;
    ok(inspect(&t, &info) == FEAT_ERROR, "JPEG 65535 x 65535 refused");

    memset(&gif, 0, sizeof(gif));
    ADD(&gif, gif_1x1);
    t = gif;
    t.b[6] = 0xff; t.b[7] = 0xff; t.b[8] = 0xff; t.b[9] = 0xff;
    ok(inspect(&t, &info) == FEAT_ERROR, "GIF screen 65535 x 65535 refused");

    /* the descriptor: 0x2c at 27, left 28, top 30, width 32, height 34 */
    t = gif;
    t.b[32] = 0xff; t.b[33] = 0xff; t.b[34] = 0xff; t.b[35] = 0xff;
    ok(inspect(&t, &info) == FEAT_ERROR,
       "GIF frame of 65535 x 65535 in a 1 x 1 screen refused");
    t = gif;
    t.b[28] = 0x10; t.b[29] = 0x27;          /* left 10000, 1 wide */
    ok(inspect(&t, &info) == FEAT_ERROR,
       "GIF frame ending past image.max_side refused");

    /* a second frame is judged too */
    memset(&t, 0, sizeof(t));
    add(&t, gif_1x1, sizeof(gif_1x1) - 1);
    add(&t, gif_1x1 + 27, sizeof(gif_1x1) - 27);
    ok(inspect(&t, &info) == FEAT_OK, "two-frame GIF accepted");
    t.b[sizeof(gif_1x1) - 1 + 5] = 0x00; t.b[sizeof(gif_1x1) - 1 + 6] = 0x60;
    t.b[sizeof(gif_1x1) - 1 + 7] = 0x00; t.b[sizeof(gif_1x1) - 1 + 8] = 0x60;
    ok(inspect(&t, &info) == FEAT_ERROR,
       "GIF second frame of 24576 x 24576 refused");

    /* the limits are the config's */
    ok(feat_conf_set(FEAT_CONF_IMAGE_MAX_SIDE, "30000") == FEAT_OK
       && feat_conf_set(FEAT_CONF_IMAGE_MAX_PIXELS, "400000000") == FEAT_OK,
       "limits raised");
    t = png;
    set_be32(t.b + 16, 20000); set_be32(t.b + 20, 20000);
    ok(inspect(&t, &info) == FEAT_OK && info.width == 20000,
       "PNG 20000 x 20000 accepted under raised limits");
    ok(feat_conf_set(FEAT_CONF_IMAGE_MAX_SIDE, "100") == FEAT_OK,
       "max_side 100");
    set_be32(t.b + 16, 101); set_be32(t.b + 20, 1);
    ok(inspect(&t, &info) == FEAT_ERROR, "PNG 101 wide refused under 100");
    ok(feat_conf_set(FEAT_CONF_IMAGE_MAX_SIDE, "10000") == FEAT_OK
       && feat_conf_set(FEAT_CONF_IMAGE_MAX_PIXELS, "40000000") == FEAT_OK,
       "limits back to their defaults");
}


static void
test_not_images(struct feat_arena *a)
{
    struct feat_image_info  info;
    unsigned char          *out;
    size_t                  outn;
    static const char       text[] = "hello, I am img.png";

    ok(feat_image_inspect((const unsigned char *) text, sizeof(text) - 1,
                          &info) == FEAT_DECLINED,
       "text named .png refused");
    ok(feat_image_inspect(png_sig, sizeof(png_sig), &info) == FEAT_DECLINED,
       "a bare PNG signature refused");
    ok(feat_image_inspect((const unsigned char *) "GIF89a", 6, &info)
       == FEAT_DECLINED, "a bare GIF signature refused");
    ok(feat_image_inspect(jpg_soi, 2, &info) == FEAT_DECLINED,
       "a bare SOI refused");
    ok(feat_image_inspect((const unsigned char *) "", 0, &info)
       == FEAT_DECLINED, "empty refused");
    ok(feat_image_strip(a, (const unsigned char *) text, sizeof(text) - 1,
                        &out, &outn) == FEAT_DECLINED,
       "strip refuses a non-image");
}


static void
test_store(struct feat_arena *a)
{
    struct buf              in;
    struct feat_image_info  info;
    char                    dir[] = "/tmp/feat-image-XXXXXX";
    char                    path[512], buf[4096];
    const char             *rel, *rel2;
    struct stat             st;
    FILE                   *f;
    size_t                  n, i;
    int                     good;

    memset(&in, 0, sizeof(in));
    ADD(&in, png_sig); ADD(&in, png_ihdr); ADD(&in, png_idat);
    ADD(&in, png_iend);
    ok(inspect(&in, &info) == FEAT_OK, "store: PNG inspected");

    if (mkdtemp(dir) == NULL) {
        ok(0, "mkdtemp");
        return;
    }
    snprintf(path, sizeof(path), "%s/media/sub", dir);
    ok(feat_conf_set(FEAT_CONF_MEDIA_DIR, path) == FEAT_OK, "media_dir set");

    rel = NULL;
    ok(feat_image_store(a, in.b, in.n, &info, &rel) == FEAT_OK
       && rel != NULL, "stored");

    good = rel != NULL && strlen(rel) == 2 + 1 + 32 + 4
           && rel[2] == '/' && memcmp(rel, rel + 3, 2) == 0
           && strcmp(rel + 35, ".png") == 0;
    for (i = 3; good && i < 35; i++) {
        good = (rel[i] >= '0' && rel[i] <= '9')
               || (rel[i] >= 'a' && rel[i] <= 'z')
               || (rel[i] >= 'A' && rel[i] <= 'Z');
    }
    ok(good, "relpath is xx/<32 base62>.png: %s", rel ? rel : "(null)");
    if (rel == NULL) {
        return;
    }

    snprintf(path, sizeof(path), "%s/media/sub/%s", dir, rel);
    ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600
       && (size_t) st.st_size == in.n, "file is there, mode 0600");
    {
        char         d[1024];
        struct stat  ds;

        snprintf(d, sizeof(d), "%s/media/sub/%.2s", dir, rel);
        ok(stat(d, &ds) == 0 && (ds.st_mode & 07777) == 0700,
           "its directory is 0700");
        snprintf(d, sizeof(d), "%s/media/sub", dir);
        ok(stat(d, &ds) == 0 && (ds.st_mode & 07777) == 0700,
           "media_dir made on the way is 0700");
    }
    f = fopen(path, "rb");
    n = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f) {
        fclose(f);
    }
    ok(n == in.n && memcmp(buf, in.b, n) == 0, "content written exactly");

    ok(feat_image_store(a, in.b, in.n, &info, &rel2) == FEAT_OK
       && strcmp(rel, rel2) != 0, "a second store gets another name");

    /* with media_group (the test's own group): 0640, that group */
    {
        const char    *rel3;
        char           p3[1024];
        struct group  *g;

        g = getgrgid(getgid());
        ok(g != NULL && feat_conf_set(FEAT_CONF_MEDIA_GROUP, g->gr_name)
                        == FEAT_OK, "media_group set to our group");
        rel3 = NULL;
        ok(feat_image_store(a, in.b, in.n, &info, &rel3) == FEAT_OK,
           "stored with media_group");
        snprintf(p3, sizeof(p3), "%s/media/sub/%s", dir,
                 rel3 ? rel3 : "-");
        ok(stat(p3, &st) == 0 && (st.st_mode & 07777) == 0640
           && st.st_gid == getgid(), "... mode 0640, the group's");
        ok(feat_file_mkdir(FEAT_CONF_MEDIA_GROUP, dir) == FEAT_DECLINED,
           "an existing directory is left as it is");
        snprintf(p3, sizeof(p3), "%s/media/g", dir);
        ok(feat_file_mkdir(FEAT_CONF_MEDIA_GROUP, p3) == FEAT_OK
           && stat(p3, &st) == 0
           && (st.st_mode & 07777) == 0750, "a new directory is 0750");
        rmdir(p3);
        ok(rel3 != NULL && feat_image_remove(rel3) == FEAT_OK,
           "... removed");
        if (rel3 != NULL) {
            snprintf(p3, sizeof(p3), "%s/media/sub/%.2s", dir, rel3);
            rmdir(p3);
        }
        ok(feat_conf_set(FEAT_CONF_MEDIA_GROUP, "") == FEAT_OK,
           "media_group emptied");
    }

    ok(feat_image_remove(rel) == FEAT_OK, "removed");
    ok(stat(path, &st) != 0, "file gone");
    ok(feat_image_remove(rel) == FEAT_DECLINED, "second remove declines");
    ok(feat_image_remove(rel2) == FEAT_OK, "second file removed");

    ok(feat_image_remove("../etc/passwd") == FEAT_ERROR, "'..' refused");
    ok(feat_image_remove("ab/..") == FEAT_ERROR, "trailing '..' refused");
    ok(feat_image_remove("/etc/passwd") == FEAT_ERROR,
       "absolute path refused");
    ok(feat_image_remove("ab/c d.png") == FEAT_ERROR, "space refused");
    ok(feat_image_remove("ab/c\n.png") == FEAT_ERROR, "newline refused");
    ok(feat_image_remove("") == FEAT_ERROR, "empty refused");
    ok(feat_image_remove(NULL) == FEAT_ERROR, "NULL refused");

    /* leave nothing behind: two-level dirs, then the tree */
    snprintf(path, sizeof(path), "%s/media/sub/%.2s", dir, rel);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/media/sub/%.2s", dir, rel2);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/media/sub", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/media", dir);
    rmdir(path);
    ok(rmdir(dir) == 0, "no stray temp files");
}


int
main(void)
{
    struct feat_arena  *a;

    a = feat_arena_create();

    test_png(a);
    test_jpeg(a);
    test_gif(a);
    test_bombs(a);
    test_strip_png(a);
    test_strip_jpeg(a);
    test_strip_gif(a);
    test_not_images(a);
    test_store(a);

    feat_arena_destroy(a);
    feat_conf_free();
    return done_testing();
}
