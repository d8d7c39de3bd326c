/*
 * image.c: uploaded images, judged by their bytes and never by a name or a
 * declared type.  PNG, JPEG and GIF are recognized by their signatures and
 * then walked to the end marker with every length checked against the
 * buffer, so a truncated or corrupt file is refused like a non-image; the
 * width and height come from IHDR, the SOFn segment or the GIF screen
 * descriptor, and an image larger than image.max_side or image.max_pixels
 * is refused from them.  Stripping is the same walk again over the proved
 * structure, copying in one pass only the pieces that draw the picture:
 * what can locate or identify the uploader (EXIF with its GPS position,
 * XMP, comments, text chunks, timestamps, vendor blocks, anything after
 * the end marker) is left behind, the rest is copied byte for byte: no
 * pixel is decoded or re-encoded.
 * Storing writes a file with a random name under media_dir through a temp
 * file, fsync and rename, so nginx never serves half a file.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_IMAGE_NAME  32

/* Where a strip copies the pieces a walk keeps. */
struct feat_image_out {
    const unsigned char  *src;
    unsigned char        *dst;
    size_t                len;
};


/* Appends src[start..end) to o's copy; a walk without o only checks. */
static void
feat_image_emit(struct feat_image_out *o, size_t start, size_t end)
{
    if (o != NULL && end > start) {
        memcpy(o->dst + o->len, o->src + start, end - start);
        o->len += end - start;
    }
}


static unsigned
feat_be16(const unsigned char *p)
{
    return (unsigned) p[0] << 8 | p[1];
}


static unsigned
feat_le16(const unsigned char *p)
{
    return (unsigned) p[1] << 8 | p[0];
}


static uint32_t
feat_be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


/*
 * 1 if a picture of w x h stays within image.max_side and image.max_pixels:
 * what a decoder would allocate for it is judged from the header alone,
 * before anything (a thumbnailer, a client) decodes a pixel.
 */
static int
feat_image_fits(unsigned long w, unsigned long h)
{
    long long  side, pixels;

    side = feat_conf_int(FEAT_CONF_IMAGE_MAX_SIDE);
    pixels = feat_conf_int(FEAT_CONF_IMAGE_MAX_PIXELS);

    return (long long) w <= side && (long long) h <= side
           && (long long) w * (long long) h <= pixels;
}


/* FEAT_OK; FEAT_DECLINED for a side of 0; FEAT_ERROR when it does not fit. */
static int
feat_image_dims(struct feat_image_info *info, unsigned long w,
    unsigned long h)
{
    if (w == 0 || h == 0) {
        return FEAT_DECLINED;
    }
    if (!feat_image_fits(w, h)) {
        return FEAT_ERROR;
    }

    info->width = (unsigned) w;
    info->height = (unsigned) h;
    return FEAT_OK;
}


/* ---- PNG ----------------------------------------------------------------- */

static const unsigned char  feat_png_sig[8] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};


static int
feat_png_type_ok(const unsigned char *t)
{
    int  i;

    for (i = 0; i < 4; i++) {
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z'))) {
            return 0;
        }
    }
    return 1;
}


/*
 * 1 for a chunk a stored copy keeps: every critical chunk (upper-case
 * first letter: IHDR, PLTE, IDAT, IEND, and any a decoder must refuse if
 * it does not know it) and the ancillary chunks that change how pixels
 * look: transparency, gamma, chromaticities, sRGB, the ICC profile and
 * the pixel size.  Every other ancillary chunk goes: text (tEXt, zTXt,
 * iTXt), eXIf, tIME, and whatever private chunk a camera or an editor
 * wrote.
 */
static int
feat_png_keep(const unsigned char *t)
{
    static const char *const  kept[] = {
        "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "pHYs", NULL
    };
    int                        i;

    if (t[0] >= 'A' && t[0] <= 'Z') {
        return 1;
    }
    for (i = 0; kept[i] != NULL; i++) {
        if (memcmp(t, kept[i], 4) == 0) {
            return 1;
        }
    }
    return 0;
}


/*
 * Walks the chunks from the signature to IEND: IHDR first (13 bytes, sane
 * depth and colour type, a size within the limits), at least one IDAT,
 * every length within the buffer.  With o, hands it the signature and
 * every chunk feat_png_keep keeps, in order; what follows IEND is never
 * handed on.
 */
static int
feat_png_walk(const unsigned char *p, size_t n, struct feat_image_info *info,
    struct feat_image_out *o)
{
    int       rc, idat;
    size_t    pos;
    uint32_t  len;
    unsigned  depth, color;

    if (n < 8 || memcmp(p, feat_png_sig, 8) != 0) {
        return FEAT_DECLINED;
    }
    feat_image_emit(o, 0, 8);

    pos = 8;
    idat = 0;

    for ( ;; ) {
        if (n - pos < 12) {
            return FEAT_DECLINED;
        }
        len = feat_be32(p + pos);
        if (len > 0x7fffffff || len > n - pos - 12
            || !feat_png_type_ok(p + pos + 4))
        {
            return FEAT_DECLINED;
        }

        if (pos == 8) {
            if (memcmp(p + pos + 4, "IHDR", 4) != 0 || len != 13) {
                return FEAT_DECLINED;
            }
            depth = p[pos + 16];
            color = p[pos + 17];
            if ((depth != 1 && depth != 2 && depth != 4 && depth != 8
                 && depth != 16)
                || (color != 0 && color != 2 && color != 3 && color != 4
                    && color != 6))
            {
                return FEAT_DECLINED;
            }
            rc = feat_image_dims(info, feat_be32(p + 16), feat_be32(p + 20));
            if (rc != FEAT_OK) {
                return rc;
            }

        } else if (memcmp(p + pos + 4, "IHDR", 4) == 0) {
            return FEAT_DECLINED;

        } else if (memcmp(p + pos + 4, "IDAT", 4) == 0) {
            idat = 1;

        } else if (memcmp(p + pos + 4, "IEND", 4) == 0) {
            if (len != 0 || !idat) {
                return FEAT_DECLINED;
            }
            feat_image_emit(o, pos, pos + 12);
            return FEAT_OK;
        }

        if (feat_png_keep(p + pos + 4)) {
            feat_image_emit(o, pos, pos + 12 + (size_t) len);
        }
        pos += 12 + (size_t) len;
    }
}


/* ---- JPEG ---------------------------------------------------------------- */

/* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
static int
feat_jpeg_sof(int m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}


/* 1 if the segment's data (after its length) starts with id, NUL included. */
static int
feat_jpeg_id(const unsigned char *data, size_t len, const char *id,
    size_t idlen)
{
    return len >= idlen && memcmp(data, id, idlen) == 0;
}


/*
 * 1 for a segment a stored copy keeps: everything but APPn and COM, and of
 * the APPn only those a decoder needs to show the pixels right: APP0 JFIF,
 * APP2 ICC_PROFILE and APP14 Adobe (the colour transform).  EXIF (with its
 * GPS position and the camera's serial), XMP, MPF, JFXX thumbnails, vendor
 * segments and comments go.
 */
static int
feat_jpeg_keep(int m, const unsigned char *data, size_t len)
{
    if (m == 0xfe) {
        return 0;
    }
    if (m < 0xe0 || m > 0xef) {
        return 1;
    }

    return (m == 0xe0 && feat_jpeg_id(data, len, "JFIF", 5))
           || (m == 0xe2 && feat_jpeg_id(data, len, "ICC_PROFILE", 12))
           || (m == 0xee && feat_jpeg_id(data, len, "Adobe", 5));
}


/*
 * Where the entropy-coded data starting at pos ends: at the first 0xFF
 * that is neither a stuffed 0xFF00 nor a restart marker.  0 if the data
 * runs off the end.
 */
static size_t
feat_jpeg_scan_end(const unsigned char *p, size_t n, size_t pos)
{
    const unsigned char  *q;
    unsigned              m;

    while (pos < n) {
        q = memchr(p + pos, 0xff, n - pos);
        if (q == NULL || (size_t) (q - p) + 1 >= n) {
            return 0;
        }
        pos = (size_t) (q - p);
        m = p[pos + 1];
        if (m == 0x00 || (m >= 0xd0 && m <= 0xd7)) {
            pos += 2;
            continue;
        }
        return pos;
    }

    return 0;
}


/*
 * Walks a JPEG from SOI to EOI.  Refuses a second SOI, an SOS before the
 * frame header, several frame headers, a frame over the limits, no scan,
 * a length running off the buffer, and a missing EOI.  With o, hands it
 * in order SOI, each kept marker segment with the fill bytes before it,
 * the entropy data after each SOS, and EOI; what follows EOI is never
 * handed on.
 */
static int
feat_jpeg_walk(const unsigned char *p, size_t n, struct feat_image_info *info,
    struct feat_image_out *o)
{
    size_t    pos, start, end;
    unsigned  len;
    int       rc, m, sof, sos;

    if (n < 4 || p[0] != 0xff || p[1] != 0xd8) {
        return FEAT_DECLINED;
    }
    feat_image_emit(o, 0, 2);

    pos = 2;
    sof = 0;
    sos = 0;

    for ( ;; ) {
        start = pos;
        if (pos >= n || p[pos] != 0xff) {
            return FEAT_DECLINED;
        }
        while (pos < n && p[pos] == 0xff) {
            pos++;
        }
        if (pos == n) {
            return FEAT_DECLINED;
        }
        m = p[pos++];

        if (m == 0xd9) {
            /* an image has a frame header and at least one scan */
            if (!sof || !sos) {
                return FEAT_DECLINED;
            }
            feat_image_emit(o, start, pos);
            return FEAT_OK;
        }
        if (m == 0x00 || m == 0xd8) {
            return FEAT_DECLINED;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
            /* standalone markers: no length */
            feat_image_emit(o, start, pos);
            continue;
        }

        if (n - pos < 2) {
            return FEAT_DECLINED;
        }
        len = feat_be16(p + pos);
        if (len < 2 || len > n - pos) {
            return FEAT_DECLINED;
        }
        end = pos + len;

        if (feat_jpeg_sof(m)) {
            if (sof++ || len < 8) {
                return FEAT_DECLINED;
            }
            rc = feat_image_dims(info, feat_be16(p + pos + 5),
                                 feat_be16(p + pos + 3));
            if (rc != FEAT_OK) {
                return rc;
            }
        }

        if (feat_jpeg_keep(m, p + pos + 2, len - 2)) {
            feat_image_emit(o, start, end);
        }
        pos = end;

        if (m == 0xda) {
            if (!sof) {
                return FEAT_DECLINED;
            }
            sos = 1;
            end = feat_jpeg_scan_end(p, n, pos);
            if (end == 0) {
                return FEAT_DECLINED;
            }
            feat_image_emit(o, pos, end);
            pos = end;
        }
    }
}


/* ---- GIF ----------------------------------------------------------------- */

/* Skips a chain of data sub-blocks ending in a zero-length one. */
static int
feat_gif_blocks(const unsigned char *p, size_t n, size_t *pos)
{
    size_t  sz;

    for ( ;; ) {
        if (*pos >= n) {
            return FEAT_DECLINED;
        }
        sz = p[(*pos)++];
        if (sz == 0) {
            return FEAT_OK;
        }
        if (sz > n - *pos) {
            return FEAT_DECLINED;
        }
        *pos += sz;
    }
}


/*
 * 1 for an extension a stored copy keeps, given its label and its bytes
 * from the label to the end of its sub-blocks.  Comments (FE) go, and
 * application extensions (FF: XMP, ICC, vendor data) but the NETSCAPE2.0
 * loop block as browsers know it: an 11-byte identifier, then exactly one
 * 3-byte sub-block starting 01 (the loop count).  Graphic control (F9)
 * and plain text (01) are rendering, and stay.
 */
static int
feat_gif_keep(const unsigned char *e, size_t len)
{
    static const unsigned char  loop[] = {
        0xff, 0x0b, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0',
        0x03, 0x01
    };

    switch (e[0]) {

    case 0xfe:
        return 0;

    case 0xff:
        /* the label, the identifier block, 03 01 lo hi, the terminator */
        return len == sizeof(loop) + 3
               && memcmp(e, loop, sizeof(loop)) == 0 && e[len - 1] == 0;

    default:
        return 1;
    }
}


/*
 * Walks a GIF from its header to the trailer: every frame within the
 * limits (its offset plus its size), at least one frame, every colour
 * table and sub-block within the buffer.  With o, hands it the header
 * with the global colour table, each frame, each kept extension and the
 * trailer; what follows the trailer is never handed on.
 */
static int
feat_gif_walk(const unsigned char *p, size_t n, struct feat_image_info *info,
    struct feat_image_out *o)
{
    int       rc, images;
    size_t    pos, start, ct;
    unsigned  flags;

    if (n < 13 || (memcmp(p, "GIF87a", 6) != 0 && memcmp(p, "GIF89a", 6) != 0))
    {
        return FEAT_DECLINED;
    }
    rc = feat_image_dims(info, feat_le16(p + 6), feat_le16(p + 8));
    if (rc != FEAT_OK) {
        return rc;
    }

    pos = 13;
    flags = p[10];
    if (flags & 0x80) {
        ct = (size_t) 3 << ((flags & 7) + 1);
        if (ct > n - pos) {
            return FEAT_DECLINED;
        }
        pos += ct;
    }
    feat_image_emit(o, 0, pos);

    images = 0;

    for ( ;; ) {
        if (pos >= n) {
            return FEAT_DECLINED;
        }
        start = pos;

        switch (p[pos++]) {

        case 0x3b:  /* trailer */
            if (!images) {
                return FEAT_DECLINED;
            }
            feat_image_emit(o, start, pos);
            return FEAT_OK;

        case 0x21:  /* extension: label, then sub-blocks */
            if (pos >= n) {
                return FEAT_DECLINED;
            }
            pos++;
            if (feat_gif_blocks(p, n, &pos) != FEAT_OK) {
                return FEAT_DECLINED;
            }
            if (feat_gif_keep(p + start + 1, pos - start - 1)) {
                feat_image_emit(o, start, pos);
            }
            break;

        case 0x2c:  /* image descriptor, colour table, LZW size, data */
            if (n - pos < 10) {
                return FEAT_DECLINED;
            }
            /*
             * Each frame is judged on its own: a decoder allocates what
             * the frame claims (and where it lies), whatever the screen
             * says.
             */
            if (!feat_image_fits(
                    (unsigned long) feat_le16(p + pos) + feat_le16(p + pos + 4),
                    (unsigned long) feat_le16(p + pos + 2)
                    + feat_le16(p + pos + 6)))
            {
                return FEAT_ERROR;
            }
            flags = p[pos + 8];
            pos += 9;
            if (flags & 0x80) {
                ct = (size_t) 3 << ((flags & 7) + 1);
                if (ct > n - pos) {
                    return FEAT_DECLINED;
                }
                pos += ct;
            }
            if (pos >= n) {
                return FEAT_DECLINED;
            }
            pos++;
            if (feat_gif_blocks(p, n, &pos) != FEAT_OK) {
                return FEAT_DECLINED;
            }
            feat_image_emit(o, start, pos);
            images++;
            break;

        default:
            return FEAT_DECLINED;
        }
    }
}


/* ---- inspect and strip --------------------------------------------------- */

/*
 * Walks p as whichever type its signature names, o as for the walks:
 * FEAT_OK with *info, FEAT_DECLINED, or FEAT_ERROR (too large).
 */
static int
feat_image_walk(const unsigned char *p, size_t n,
    struct feat_image_info *info, struct feat_image_out *o)
{
    int                     rc;
    struct feat_image_info  in;

    if (p == NULL) {
        return FEAT_DECLINED;
    }

    memset(&in, 0, sizeof(in));

    /* each walk declines at once what does not start with its signature */
    if ((rc = feat_png_walk(p, n, &in, o)) != FEAT_DECLINED) {
        in.type = FEAT_IMAGE_PNG;
        in.content_type = "image/png";
        in.ext = "png";

    } else if ((rc = feat_jpeg_walk(p, n, &in, o)) != FEAT_DECLINED) {
        in.type = FEAT_IMAGE_JPEG;
        in.content_type = "image/jpeg";
        in.ext = "jpg";

    } else if ((rc = feat_gif_walk(p, n, &in, o)) != FEAT_DECLINED) {
        in.type = FEAT_IMAGE_GIF;
        in.content_type = "image/gif";
        in.ext = "gif";

    } else {
        return FEAT_DECLINED;
    }

    if (rc != FEAT_OK) {
        /* too large: refused before anything else is looked at */
        return rc;
    }

    *info = in;
    return FEAT_OK;
}


int
feat_image_inspect(const unsigned char *p, size_t n,
    struct feat_image_info *info)
{
    return feat_image_walk(p, n, info, NULL);
}


int
feat_image_strip(struct feat_arena *a, const unsigned char *p, size_t n,
    unsigned char **out, size_t *outn)
{
    int                     rc;
    struct feat_image_info  info;
    struct feat_image_out   o;

    /*
     * The whole structure is proved first, so the rewrite below never
     * meets a length it has not checked; it then copies the kept pieces
     * in one pass, and only removes bytes: n is always enough.
     */
    rc = feat_image_inspect(p, n, &info);
    if (rc != FEAT_OK) {
        return rc;
    }

    o.src = p;
    o.dst = feat_arena_alloc(a, n);
    o.len = 0;

    rc = feat_image_walk(p, n, &info, &o);
    if (rc != FEAT_OK) {
        feat_log(LOG_ALERT, 0, "an inspected image did not walk again");
        return FEAT_DECLINED;
    }

    *out = o.dst;
    *outn = o.len;
    return FEAT_OK;
}


/* ---- files --------------------------------------------------------------- */

/*
 * mkdir -p: every missing directory of path, private (0700, or 0750 with
 * media_group: core/files.c), so no one but featcgi (and nginx, in
 * media_group) lists or reads the uploads.
 */
static int
feat_image_mkdirs(struct feat_arena *a, const char *path)
{
    char  *s, *q;

    s = feat_arena_strdup(a, path);

    for (q = s + 1; ; q++) {
        if (*q == '/' || *q == '\0') {
            char  c = *q;

            *q = '\0';
            if (feat_file_mkdir(FEAT_CONF_MEDIA_GROUP, s) == FEAT_ERROR) {
                feat_log(LOG_ERR, errno, "mkdir(\"%s\") failed", s);
                return FEAT_ERROR;
            }
            *q = c;
            if (c == '\0') {
                return FEAT_OK;
            }
        }
    }
}


static int
feat_image_write(int fd, const unsigned char *p, size_t n)
{
    ssize_t  w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return FEAT_ERROR;
        }
        p += w;
        n -= (size_t) w;
    }

    return FEAT_OK;
}


int
feat_image_store(struct feat_arena *a, const unsigned char *p, size_t n,
    const struct feat_image_info *info, const char **relpath)
{
    const char  *dir;
    char         name[FEAT_IMAGE_NAME + 1], tmpname[16 + 1];
    char        *sub, *tmp, *path;
    int          fd, dfd;

    dir = feat_conf_path(FEAT_CONF_MEDIA_DIR);
    if (dir == NULL || dir[0] == '\0') {
        feat_log(LOG_ERR, 0, "media_dir is empty");
        return FEAT_ERROR;
    }

    feat_random_base62(name, FEAT_IMAGE_NAME);
    feat_random_base62(tmpname, sizeof(tmpname) - 1);

    /* two characters of the name spread files over 3844 directories */
    sub = feat_arena_sprintf(a, "%s/%.2s", dir, name);
    if (feat_file_mkdir(FEAT_CONF_MEDIA_GROUP, sub) == FEAT_ERROR
        && feat_image_mkdirs(a, sub) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    tmp = feat_arena_sprintf(a, "%s/.tmp-%s", sub, tmpname);
    path = feat_arena_sprintf(a, "%s/%s.%s", sub, name, info->ext);

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
              feat_file_mode(FEAT_CONF_MEDIA_GROUP, 0));
    if (fd < 0) {
        feat_log(LOG_ERR, errno, "open(\"%s\") failed", tmp);
        return FEAT_ERROR;
    }

    /*
     * Private whatever the umask: 0600, or 0640 and media_group, the
     * group nginx reads media_dir under when it runs as another user.
     */
    if (feat_file_private(FEAT_CONF_MEDIA_GROUP, fd, tmp, 0) != FEAT_OK
        || feat_image_write(fd, p, n) != FEAT_OK
        || fsync(fd) != 0)
    {
        feat_log(LOG_ERR, errno, "writing \"%s\" failed", tmp);
        goto failed;
    }
    if (close(fd) != 0) {
        fd = -1;
        feat_log(LOG_ERR, errno, "close(\"%s\") failed", tmp);
        goto failed;
    }
    fd = -1;

    if (rename(tmp, path) != 0) {
        feat_log(LOG_ERR, errno, "rename(\"%s\", \"%s\") failed", tmp, path);
        goto failed;
    }

    /* the rename itself must survive a crash once we answer the URL */
    dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void) fsync(dfd);
        (void) close(dfd);
    }

    *relpath = feat_arena_sprintf(a, "%.2s/%s.%s", name, name, info->ext);
    return FEAT_OK;

failed:

    if (fd >= 0) {
        (void) close(fd);
    }
    (void) unlink(tmp);
    return FEAT_ERROR;
}


int
feat_image_remove(const char *relpath)
{
    const char  *dir, *s;
    char         path[4096];
    int          n;

    if (relpath == NULL || relpath[0] == '\0' || relpath[0] == '/'
        || strstr(relpath, "..") != NULL)
    {
        /* the path itself is not logged: it may hold anything */
        feat_log(LOG_ERR, 0, "refused a media path");
        return FEAT_ERROR;
    }
    for (s = relpath; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9')
              || *s == '.' || *s == '/' || *s == '_' || *s == '-'))
        {
            feat_log(LOG_ERR, 0, "refused a media path");
            return FEAT_ERROR;
        }
    }

    dir = feat_conf_path(FEAT_CONF_MEDIA_DIR);
    n = snprintf(path, sizeof(path), "%s/%s", dir, relpath);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        feat_log(LOG_ERR, 0, "media path too long");
        return FEAT_ERROR;
    }

    if (unlink(path) != 0) {
        if (errno == ENOENT) {
            return FEAT_DECLINED;
        }
        feat_log(LOG_ERR, errno, "unlink(\"%s\") failed", path);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
