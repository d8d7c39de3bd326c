/*
 * text.c: the service module's texts and times: the seed's status names,
 * the strict ISO 8601 parser of close_at, and the case folding of the
 * square's search (SQLite's lower() folds ASCII only, and a title mixes
 * Chinese with Latin, Greek or Cyrillic letters and fullwidth forms).
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feat.h"
#include "service/service.h"
#include "service/internal.h"


static const struct {
    int          status;
    const char  *name;
    const char  *display;
} service_statuses[] = {
    { FEAT_SERVICE_DRAFT, "DRAFT", "草稿" },
    { FEAT_SERVICE_REVIEW, "REVIEW", "审核中" },
    { FEAT_SERVICE_OPEN, "OPEN", "已发布" },
    { FEAT_SERVICE_CLOSED, "CLOSED", "关闭" },
    { FEAT_SERVICE_COMPLETED, "COMPLETED", "已完成" },
    { FEAT_SERVICE_CANCELLED, "CANCELLED", "已取消" },
};


const char *
feat_service_status_name(int status)
{
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (service_statuses[i].status == status) {
            return service_statuses[i].display;
        }
    }

    return NULL;
}


int
feat_service_status_parse(const char *s, int *status)
{
    size_t     i;
    long long  v;
    char      *end;

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (strcasecmp(s, service_statuses[i].name) == 0) {
            *status = service_statuses[i].status;
            return FEAT_OK;
        }
    }

    if (*s < '0' || *s > '9' || strlen(s) > 3) {
        return FEAT_ERROR;
    }

    v = strtoll(s, &end, 10);
    if (*end != '\0') {
        return FEAT_ERROR;
    }

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (service_statuses[i].status == v) {
            *status = (int) v;
            return FEAT_OK;
        }
    }

    return FEAT_ERROR;
}


/* ---- text ---------------------------------------------------------------- */

/* The lower-case of code point c where a simple mapping exists in the
 * scripts a title is likely to mix with Chinese; c otherwise. */
static unsigned long
service_fold_cp(unsigned long c)
{
    if ((c >= 'A' && c <= 'Z')
        || (c >= 0xc0 && c <= 0xde && c != 0xd7)
        || (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
        || (c >= 0x410 && c <= 0x42f))
    {
        return c + 32;
    }

    if (c >= 0x400 && c <= 0x40f) {                 /* Ѐ..Џ */
        return c + 80;
    }

    if (c >= 0xff21 && c <= 0xff3a) {               /* fullwidth Ａ..Ｚ */
        return c + 32;
    }

    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) {
        return c | 1;                                /* Latin Extended-A */
    }

    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        && (c & 1))
    {
        return c + 1;
    }

    if (c == 0x178) {                                /* Ÿ */
        return 0xff;
    }

    return c;
}


/* A case-folded copy of valid UTF-8 s, in the arena. */
char *
feat_service_fold(struct feat_arena *a, const char *s)
{
    size_t          i, j, len;
    unsigned char  *out;
    const unsigned char  *p;
    unsigned long   c;
    int             n;

    p = (const unsigned char *) s;
    len = strlen(s);
    out = feat_arena_alloc(a, len * 2 + 1);

    for (i = 0, j = 0; i < len; i += (size_t) n) {
        if (p[i] < 0x80) {
            c = p[i];
            n = 1;
        } else if ((p[i] & 0xe0) == 0xc0 && i + 1 < len) {
            c = ((unsigned long) (p[i] & 0x1f) << 6) | (p[i + 1] & 0x3f);
            n = 2;
        } else if ((p[i] & 0xf0) == 0xe0 && i + 2 < len) {
            c = ((unsigned long) (p[i] & 0x0f) << 12)
                | ((unsigned long) (p[i + 1] & 0x3f) << 6)
                | (p[i + 2] & 0x3f);
            n = 3;
        } else {
            /* four bytes (or a stray byte): no case to fold, copied */
            n = ((p[i] & 0xf8) == 0xf0 && i + 3 < len) ? 4 : 1;
            memcpy(out + j, p + i, (size_t) n);
            j += (size_t) n;
            continue;
        }

        c = service_fold_cp(c);

        if (c < 0x80) {
            out[j++] = (unsigned char) c;
        } else if (c < 0x800) {
            out[j++] = (unsigned char) (0xc0 | (c >> 6));
            out[j++] = (unsigned char) (0x80 | (c & 0x3f));
        } else {
            out[j++] = (unsigned char) (0xe0 | (c >> 12));
            out[j++] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
            out[j++] = (unsigned char) (0x80 | (c & 0x3f));
        }
    }

    out[j] = '\0';

    return (char *) out;
}


/* ---- times --------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
service_days(long long y, unsigned m, unsigned d)
{
    long long  era;
    unsigned   yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long long) doe - 719468;
}


/* n digits of s as a number, or -1. */
static int
service_digits(const char *s, int n)
{
    int  i, v;

    v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }

    return v;
}


int
feat_service_parse_time(const char *s, time_t *t)
{
    int        y, mo, d, h, mi, sec, oh, om, sign;
    unsigned   mdays;
    const char *p;
    static const unsigned char  dim[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':')
    {
        return FEAT_ERROR;
    }

    y = service_digits(s, 4);
    mo = service_digits(s + 5, 2);
    d = service_digits(s + 8, 2);
    h = service_digits(s + 11, 2);
    mi = service_digits(s + 14, 2);
    sec = service_digits(s + 17, 2);

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23
        || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    {
        return FEAT_ERROR;
    }

    mdays = dim[mo - 1];
    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }
    if ((unsigned) d > mdays) {
        return FEAT_ERROR;
    }

    p = s + 19;

    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return FEAT_ERROR;
        }
        while (*p >= '0' && *p <= '9') {
            if (p - (s + 20) >= 9) {
                return FEAT_ERROR;
            }
            p++;
        }
    }

    if (p[0] == 'Z' && p[1] == '\0') {
        oh = 0;
        om = 0;
        sign = 1;

    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6
               && p[3] == ':')
    {
        sign = p[0] == '-' ? -1 : 1;
        oh = service_digits(p + 1, 2);
        om = service_digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return FEAT_ERROR;
        }

    } else {
        return FEAT_ERROR;
    }

    *t = (time_t) (service_days(y, (unsigned) mo, (unsigned) d) * 86400
                   + h * 3600 + mi * 60 + sec
                   - sign * (oh * 3600 + om * 60));

    return FEAT_OK;
}
