/*
 * time.c: the clock and the dialects' time forms.
 *
 * Times are stored as unix seconds and rendered in the configured time zone
 * (conf.c sets TZ after a load, so localtime_r() does the zone work): v2
 * "YYYY-MM-DD HH:MM:SS", v1 ISO with microseconds (always ".000000": we keep
 * seconds), feat ISO 8601 with the zone's offset; which dialect uses which
 * is its table's say (protocol/dialect.c, feat_time).  feat_now() can be
 * shifted by FEAT_CLOCK_SHIFT seconds, but only when the config says
 * testing = on, so a production environment variable can never move the
 * clock.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"


time_t
feat_now(void)
{
    const char  *s;
    char        *end;
    long long    shift;
    time_t       now;

    now = time(NULL);

    if (!feat_conf_bool(FEAT_CONF_TESTING)) {
        return now;
    }

    s = getenv("FEAT_CLOCK_SHIFT");
    if (s == NULL || *s == '\0') {
        return now;
    }

    errno = 0;
    shift = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || shift > 100LL * 366 * 86400
        || shift < -100LL * 366 * 86400)
    {
        return now;
    }

    return now + (time_t) shift;
}


/* "YYYY-MM-DD<sep>HH:MM:SS<suffix>" of t in local time, in the arena. */
static const char *
feat_time_format(struct feat_arena *a, time_t t, char sep,
    const char *suffix)
{
    char       buf[80];
    struct tm  tm;

    if (localtime_r(&t, &tm) == NULL) {
        return feat_arena_strdup(a, "");
    }

    snprintf(buf, sizeof(buf), "%04d-%02d-%02d%c%02d:%02d:%02d%s",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep, tm.tm_hour,
             tm.tm_min, tm.tm_sec, suffix);

    return feat_arena_strdup(a, buf);
}


const char *
feat_time_v2(struct feat_arena *a, time_t t)
{
    return feat_time_format(a, t, ' ', "");
}


const char *
feat_time_v1(struct feat_arena *a, time_t t)
{
    return feat_time_format(a, t, 'T', ".000000");
}


const char *
feat_time_iso(struct feat_arena *a, time_t t)
{
    char       tz[8];
    long       off;
    struct tm  tm;

    if (localtime_r(&t, &tm) == NULL) {
        return feat_arena_strdup(a, "");
    }

    /* "+08:00", as the seeds show, rather than strftime's "+0800" */
    off = tm.tm_gmtoff / 60;
    snprintf(tz, sizeof(tz), "%c%02ld:%02ld", off < 0 ? '-' : '+',
             (off < 0 ? -off : off) / 60 % 100, (off < 0 ? -off : off) % 60);

    return feat_time_format(a, t, 'T', tz);
}


int
feat_parse_date(const char *s)
{
    static const int  days[12] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };
    int               i, y, m, d, leap;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return FEAT_ERROR;
    }

    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return FEAT_ERROR;
        }
    }

    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');

    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) {
        return FEAT_ERROR;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (d > days[m - 1] + (m == 2 && leap)) {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
