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
 * clock.  The logs' stamps are in the zone the process started in, the
 * system's, as nginx's logs beside them are, never the apps' zone.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
/*
 * The zone's offset by local day.  localtime_r() costs some 4,000
 * instructions a call in glibc once a time lies after the zone file's last
 * transition (it parses the file's TZ rule again at every call), and a
 * page of 20 rows formats 40 times.  An offset is taken from the cache
 * when the UTC day of t was seen, and that day's offset was the same at
 * its first and last second: no zone changes its offset twice within a
 * day, so the offset then holds all day.  The cache belongs to one zone
 * and empties when tzset() describes another.
 */
#define FEAT_TZ_SLOTS  32

struct feat_tz_day {
    long long  day;            /* t / 86400 (floor); -1: empty */
    long       gmtoff;
};

static struct feat_tz_day  feat_tz_days[FEAT_TZ_SLOTS];
/* the zone the cache was filled in, as tzset() last described it */
static const char         *feat_tz_std;
static const char         *feat_tz_dst;
static long                feat_tz_west;
static int                 feat_tz_daylight;
static int                 feat_tz_ready;


/* The offset of t in seconds east of UTC: FEAT_OK, or FEAT_ERROR when the
 * day holds a change of offset (or localtime_r fails): ask localtime_r. */
static int
feat_tz_offset(time_t t, long *gmtoff)
{
    int                  i;
    time_t               first, last;
    long long            day;
    struct tm            a, b;
    struct feat_tz_day  *d;

    /*
     * conf.c calls tzset() whenever it sets TZ, which renews these; a
     * worker never sees another zone (a reload forks new workers), but
     * featctl and the unit tests do.  getenv() each time would cost what
     * half a lookup saves.
     */
    if (!feat_tz_ready || tzname[0] != feat_tz_std
        || tzname[1] != feat_tz_dst || timezone != feat_tz_west
        || daylight != feat_tz_daylight)
    {
        for (i = 0; i < FEAT_TZ_SLOTS; i++) {
            feat_tz_days[i].day = -1;
        }
        feat_tz_std = tzname[0];
        feat_tz_dst = tzname[1];
        feat_tz_west = timezone;
        feat_tz_daylight = daylight;
        feat_tz_ready = 1;
    }

    day = (long long) t / 86400 - ((long long) t % 86400 < 0);
    if (day < 0) {
        return FEAT_ERROR;
    }

    d = &feat_tz_days[day % FEAT_TZ_SLOTS];
    if (d->day == day) {
        *gmtoff = d->gmtoff;
        return FEAT_OK;
    }

    first = (time_t) (day * 86400);
    last = first + 86399;
    if (localtime_r(&first, &a) == NULL || localtime_r(&last, &b) == NULL
        || a.tm_gmtoff != b.tm_gmtoff)
    {
        return FEAT_ERROR;
    }

    d->day = day;
    d->gmtoff = a.tm_gmtoff;
    *gmtoff = a.tm_gmtoff;

    return FEAT_OK;
}


/* Local broken-down time of t, as localtime_r() would answer for the
 * fields formatted here (civil date from days: Howard Hinnant's method). */
static int
feat_time_local(time_t t, struct tm *tm)
{
    long       off;
    long long  s, days, secs, z, era, doe, yoe, doy, mp, y;

    if (feat_tz_offset(t, &off) != FEAT_OK) {
        return localtime_r(&t, tm) != NULL ? FEAT_OK : FEAT_ERROR;
    }

    s = (long long) t + off;
    days = s / 86400 - (s % 86400 < 0);
    secs = s - days * 86400;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    tm->tm_mday = (int) (doy - (153 * mp + 2) / 5 + 1);
    tm->tm_mon = (int) (mp < 10 ? mp + 2 : mp - 10);
    tm->tm_year = (int) (y + (tm->tm_mon <= 1) - 1900);
    tm->tm_hour = (int) (secs / 3600);
    tm->tm_min = (int) (secs / 60 % 60);
    tm->tm_sec = (int) (secs % 60);
    tm->tm_gmtoff = off;

    return FEAT_OK;
}


/* "00" to "99": two digits a load, where a loop took a division each. */
static const char  feat_time_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";


/* v in 0..99 as two digits at p. */
static inline void
feat_time_two(char *p, int v)
{
    memcpy(p, feat_time_pairs + 2 * v, 2);
}


static const char *
feat_time_format(struct feat_arena *a, time_t t, char sep,
    const char *suffix)
{
    char       *p;
    size_t      n;
    struct tm   tm;

    if (feat_time_local(t, &tm) != FEAT_OK) {
        return feat_arena_strdup(a, "");
    }

    /* "%04d-%02d-%02d%c%02d:%02d:%02d%s": years 0..9999 only here */
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        return feat_arena_sprintf(a, "%04d-%02d-%02d%c%02d:%02d:%02d%s",
                                  tm.tm_year + 1900, tm.tm_mon + 1,
                                  tm.tm_mday, sep, tm.tm_hour, tm.tm_min,
                                  tm.tm_sec, suffix);
    }

    n = strlen(suffix);
    p = feat_arena_alloc(a, 19 + n + 1);
    feat_time_two(p, (tm.tm_year + 1900) / 100);
    feat_time_two(p + 2, (tm.tm_year + 1900) % 100);
    p[4] = '-';
    feat_time_two(p + 5, tm.tm_mon + 1);
    p[7] = '-';
    feat_time_two(p + 8, tm.tm_mday);
    p[10] = sep;
    feat_time_two(p + 11, tm.tm_hour);
    p[13] = ':';
    feat_time_two(p + 14, tm.tm_min);
    p[16] = ':';
    feat_time_two(p + 17, tm.tm_sec);
    memcpy(p + 19, suffix, n + 1);

    return p;
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

    if (feat_time_local(t, &tm) != FEAT_OK) {
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


/* ---- the logs' clock ----------------------------------------------------- */

static int    feat_sys_tz_kept;
static char  *feat_sys_tz;          /* TZ at start; NULL: it was unset */


void
feat_time_keep_system_zone(void)
{
    const char  *s;

    if (feat_sys_tz_kept) {
        return;
    }

    s = getenv("TZ");
    if (s != NULL) {
        feat_sys_tz = strdup(s);
        if (feat_sys_tz == NULL) {
            abort();
        }
    }

    feat_sys_tz_kept = 1;
}


/*
 * The system zone's offset at t, in seconds east of UTC.  The process's TZ
 * names the apps' zone, and glibc has no other way to a second zone than
 * TZ itself: so TZ is switched to the system's, asked, and put back, at
 * most once every quarter of an hour (offsets change on such boundaries),
 * in a single-threaded moment of a single-threaded process.
 */
static long
feat_time_system_offset(time_t t)
{
    char         *app;
    const char   *cur;
    struct tm     tm;
    static long   off;
    static time_t from = 1, to = 0;

    if (t >= from && t < to) {
        return off;
    }

    cur = getenv("TZ");

    if (!feat_sys_tz_kept
        || (cur == NULL && feat_sys_tz == NULL)
        || (cur != NULL && feat_sys_tz != NULL
            && strcmp(cur, feat_sys_tz) == 0))
    {
        off = localtime_r(&t, &tm) != NULL ? tm.tm_gmtoff : 0;

    } else {
        app = (cur != NULL) ? strdup(cur) : NULL;

        if (feat_sys_tz != NULL) {
            setenv("TZ", feat_sys_tz, 1);
        } else {
            unsetenv("TZ");
        }
        tzset();

        off = localtime_r(&t, &tm) != NULL ? tm.tm_gmtoff : 0;

        if (app != NULL) {
            setenv("TZ", app, 1);
            free(app);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }

    from = t - ((t % 900) + 900) % 900;
    to = from + 900;

    return off;
}


size_t
feat_time_log_stamp(time_t t, char *buf, size_t n)
{
    int        k;
    long       off, a;
    time_t     local;
    struct tm  tm;

    off = feat_time_system_offset(t);
    local = t + off;
    gmtime_r(&local, &tm);
    a = off < 0 ? -off : off;

    k = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', a / 3600 % 100,
                 a / 60 % 60);

    return (k > 0 && (size_t) k < n) ? (size_t) k : 0;
}
