/*
 * conf.c: the configuration file and the table of every option.
 *
 * feat_conf_options[] lists each key with its kind, default and a line of
 * documentation (featcgi.conf(5) is written from it).  It is kept sorted by
 * key so that a lookup, which runs on every request, is one bsearch; the
 * values live in an array indexed like the table.  A load parses the whole
 * file into a fresh value set and swaps it in only when every line parsed,
 * so a SIGHUP with a broken file leaves the running config untouched.
 * Kinds: 's' string, 'i' integer, 'b' on/off, 'z' size with an optional
 * k/m/g suffix, 'p' path resolved against the config file's directory.
 */

#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_CONF_LINE_MAX    4096
#define FEAT_CONF_SECRET_MIN  32

/* Sorted by key (strcmp order): feat_conf_index() relies on it. */
const struct feat_conf_option feat_conf_options[] = {
    { "access_log", "off", 'p', "access log path, or off" },
    { "alipay.app_id", "", 's', "Alipay open platform app id" },
    { "alipay.gateway", "https://openapi.alipay.com/gateway.do", 's',
      "Alipay gateway URL (https; plain http to loopback only)" },
    { "alipay.private_key_file", "", 'p',
      "PEM RSA private key that signs Alipay requests" },
    { "alipay.public_key_file", "", 'p',
      "PEM Alipay public key that verifies its answers" },
    { "alipay.timeout", "10000", 'i', "Alipay gateway timeout (ms)" },
    { "amap.base_url", "https://restapi.amap.com", 's',
      "AMap web service URL (v1 /area)" },
    { "amap.cache_rows", "10000", 'i', "most /area answers cached" },
    { "amap.cache_ttl", "86400", 'i', "lifetime of a cached /area answer (s)" },
    { "amap.ip_limit", "60", 'i', "/area calls per client address a minute" },
    { "amap.key", "", 's', "AMap web service key" },
    { "amap.timeout", "5000", 'i', "AMap timeout (ms)" },
    { "app_header", "off", 'b',
      "X-App-Id picks the app when no FEAT_APP_ID is set" },
    { "busy_timeout", "5000", 'i', "SQLite busy timeout (ms)" },
    { "code.daily_limit", "10", 'i', "verification codes per account a day" },
    { "code.hourly_limit", "5", 'i',
      "verification codes per account an hour" },
    { "code.ip_hourly_limit", "20", 'i',
      "verification codes per client address an hour" },
    { "code.max_attempts", "5", 'i', "wrong tries that burn a code" },
    { "code.resend_interval", "60", 'i',
      "seconds between two codes to one account" },
    { "code.ttl", "300", 'i', "verification code lifetime (s)" },
    { "database", "featcgi.db", 'p', "SQLite database file" },
    { "dialects", "v2 v1 feat", 's', "dialects served (v2 v1 feat)" },
    { "error_log", "stderr", 'p', "error log path, or stderr" },
    { "expose_codes", "off", 'b',
      "v1 get_verify_code answers the code (development only)" },
    { "jobs.interval", "30", 'i', "seconds between the jobs process sweeps" },
    { "listen", "featcgi.sock", 'p', "unix socket path, or host:port" },
    { "listen_mode", "0660", 's', "unix socket mode (octal)" },
    { "locale", "zh", 's', "message language: zh or en" },
    { "log_level", "info", 's', "lowest level logged (syslog name)" },
    { "login.ip_max_failures", "30", 'i',
      "failed logins per client address in a window" },
    { "login.max_failures", "5", 'i', "failed logins per account in a window" },
    { "login.window", "900", 'i', "failed-login window and lockout (s)" },
    { "mail.from", "", 's', "sender address of mail" },
    { "mail.password", "", 's', "SMTP password" },
    { "mail.provider", "", 's', "mail delivery: log or smtp (none if empty)" },
    { "mail.smtp_url", "", 's', "SMTP server URL (smtps://host:465)" },
    { "mail.timeout", "10000", 'i', "SMTP timeout (ms)" },
    { "mail.username", "", 's', "SMTP user name" },
    { "max_body", "1m", 'z', "body limit of ordinary requests" },
    { "max_upload", "10m", 'z', "body limit of uploads" },
    { "media_dir", "media", 'p', "directory of uploaded files" },
    { "media_url", "/media/", 's', "public URL prefix of media_dir" },
    { "open_login.ip_limit", "30", 'i',
      "v1 get_token_by_open calls per client address an hour" },
    { "pid_file", "", 'p', "file the master writes its pid to" },
    { "public_url", "", 's',
      "scheme://host of absolute URLs in answers (default: from Host)" },
    { "reset_password.recent_auth", "off", 'b',
      "v1 reset_password needs a JWT issued in the last 10 minutes" },
    { "scrypt.ln", "15", 'i', "scrypt cost: log2 N" },
    { "scrypt.max_concurrent", "2", 'i',
      "password hashes running at once, per install" },
    { "scrypt.p", "3", 'i', "scrypt parallelism p" },
    { "scrypt.r", "8", 'i', "scrypt block size r" },
    { "sds.allow_from", "127.0.0.0/8 ::1", 's',
      "addresses (CIDR list) /sds_check_token answers" },
    { "sds.ip_limit", "600", 'i',
      "/sds_check_token calls per client address a minute" },
    { "secret", "", 's',
      "install secret, at least 32 characters (required)" },
    { "session.access_ttl", "604800", 'i', "access token lifetime (s)" },
    { "session.grace", "10", 'i',
      "seconds a rotated refresh token still answers the same pair" },
    { "session.refresh_ttl", "2592000", 'i', "refresh token lifetime (s)" },
    { "sms.http_key", "", 's', "SMS gateway API key" },
    { "sms.http_timeout", "5000", 'i', "SMS gateway timeout (ms)" },
    { "sms.http_url", "", 's', "SMS gateway URL" },
    { "sms.log_path", "sms.log", 'p', "file of the log provider" },
    { "sms.provider", "", 's', "SMS code delivery: log or http" },
    { "synchronous", "normal", 's', "SQLite synchronous: normal or full" },
    { "testing", "off", 'b',
      "test mode: honours FEAT_CLOCK_SHIFT (never in production)" },
    { "timezone", "Asia/Shanghai", 's', "time zone of rendered times" },
    { "workers", "2", 'i', "worker processes" },
    { NULL, NULL, 0, NULL }
};

#define FEAT_CONF_N  (FEAT_NELEMS(feat_conf_options) - 1)

struct feat_conf_value {
    char       *str;     /* malloc'd; "" when empty */
    long long   num;     /* 'i', 'b', 'z' */
    int         line;    /* where the file set it, 0: default */
};

struct feat_conf {
    char                    *path;
    struct feat_conf_value   v[FEAT_CONF_N];
};

static struct feat_conf  *feat_conf_current;
static char               feat_conf_errbuf[512];


static int
feat_conf_cmp(const void *key, const void *opt)
{
    return strcmp(key, ((const struct feat_conf_option *) opt)->key);
}


/* The option's index in the table, or -1. */
static int
feat_conf_index(const char *key)
{
    const struct feat_conf_option  *o;

    o = bsearch(key, feat_conf_options, FEAT_CONF_N,
                sizeof(struct feat_conf_option), feat_conf_cmp);

    return o == NULL ? -1 : (int) (o - feat_conf_options);
}


static void
feat_conf_destroy(struct feat_conf *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < FEAT_CONF_N; i++) {
        free(c->v[i].str);
    }

    free(c->path);
    free(c);
}


static char *
feat_conf_strdup(const char *s)
{
    char  *p;

    p = strdup(s);
    if (p == NULL) {
        feat_log(LOG_EMERG, errno, "strdup() failed");
        abort();
    }

    return p;
}


static int
feat_conf_parse_int(const char *s, long long *out)
{
    char       *end;
    long long   n;

    if (*s == '\0' || isspace((unsigned char) *s) || *s == '+') {
        return FEAT_ERROR;
    }

    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return FEAT_ERROR;
    }

    *out = n;
    return FEAT_OK;
}


static int
feat_conf_parse_bool(const char *s, long long *out)
{
    static const char *const  yes[] = { "on", "yes", "true", "1" };
    static const char *const  no[] = { "off", "no", "false", "0" };
    size_t                    i;

    for (i = 0; i < FEAT_NELEMS(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return FEAT_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return FEAT_OK;
        }
    }

    return FEAT_ERROR;
}


/* "10485760", "512k", "1m", "2g" into bytes. */
static int
feat_conf_parse_size(const char *s, long long *out)
{
    char                digits[32];
    size_t              len;
    long long           n, mult;
    unsigned char       last;

    len = strlen(s);
    if (len == 0 || len >= sizeof(digits)) {
        return FEAT_ERROR;
    }

    memcpy(digits, s, len + 1);
    mult = 1;
    last = (unsigned char) tolower((unsigned char) digits[len - 1]);

    switch (last) {
    case 'k':
        mult = 1024;
        break;
    case 'm':
        mult = 1024 * 1024;
        break;
    case 'g':
        mult = 1024 * 1024 * 1024;
        break;
    }

    if (mult != 1) {
        digits[--len] = '\0';
    }

    if (len == 0 || strspn(digits, "0123456789") != len
        || feat_conf_parse_int(digits, &n) != FEAT_OK || n > LLONG_MAX / mult)
    {
        return FEAT_ERROR;
    }

    *out = n * mult;
    return FEAT_OK;
}


/*
 * A path relative to dir.  Kept as is: absolute paths, the words the log
 * options use ("stderr", "off"), "" (unset), and host:port for listen.
 */
static char *
feat_conf_resolve(const char *key, const char *value, const char *dir)
{
    size_t  n;
    char   *p;

    if (value[0] == '/' || value[0] == '\0' || strcmp(value, "stderr") == 0
        || strcmp(value, "off") == 0 || dir == NULL
        || (strcmp(key, "listen") == 0 && strchr(value, ':') != NULL
            && strchr(value, '/') == NULL))
    {
        return feat_conf_strdup(value);
    }

    n = strlen(dir) + strlen(value) + 2;
    p = malloc(n);
    if (p == NULL) {
        feat_log(LOG_EMERG, errno, "malloc(%zu) failed", n);
        abort();
    }

    snprintf(p, n, "%s/%s", dir, value);
    return p;
}


/* Checks value against the option's kind and stores it in *v. */
static int
feat_conf_assign(struct feat_conf_value *v, int i, const char *value,
    const char *dir, const char **reason)
{
    const struct feat_conf_option  *o;
    long long                       n;

    o = &feat_conf_options[i];
    n = 0;

    switch (o->kind) {
    case 'i':
        if (feat_conf_parse_int(value, &n) != FEAT_OK) {
            *reason = "an integer";
            return FEAT_ERROR;
        }
        break;
    case 'b':
        if (feat_conf_parse_bool(value, &n) != FEAT_OK) {
            *reason = "on or off";
            return FEAT_ERROR;
        }
        value = n ? "on" : "off";
        break;
    case 'z':
        if (feat_conf_parse_size(value, &n) != FEAT_OK) {
            *reason = "a size (\"1m\", \"512k\", \"10485760\")";
            return FEAT_ERROR;
        }
        break;
    }

    free(v->str);
    v->str = (o->kind == 'p') ? feat_conf_resolve(o->key, value, dir)
                              : feat_conf_strdup(value);
    v->num = n;

    return FEAT_OK;
}


/* A config holding every default; paths resolved against dir. */
static struct feat_conf *
feat_conf_defaults(const char *dir)
{
    struct feat_conf  *c;
    const char        *reason;
    size_t             i;

    c = calloc(1, sizeof(struct feat_conf));
    if (c == NULL) {
        feat_log(LOG_EMERG, errno, "calloc() failed");
        abort();
    }

    for (i = 0; i < FEAT_CONF_N; i++) {
        if (feat_conf_assign(&c->v[i], (int) i, feat_conf_options[i].def,
                             dir, &reason)
            != FEAT_OK)
        {
            /* a default that does not parse is a bug in the table */
            feat_log(LOG_ALERT, 0, "bad default of \"%s\"",
                     feat_conf_options[i].key);
            c->v[i].str = feat_conf_strdup("");
        }
    }

    return c;
}


static char *
feat_conf_trim(char *s)
{
    char  *e;

    while (isspace((unsigned char) *s)) {
        s++;
    }

    e = s + strlen(s);
    while (e > s && isspace((unsigned char) e[-1])) {
        *--e = '\0';
    }

    return s;
}


/*
 * Cuts a comment off a value: '#' starts one when it opens the value or
 * follows a blank, outside double quotes (so a secret may hold '#').
 */
static void
feat_conf_uncomment(char *s)
{
    int    quoted;
    char  *p;

    quoted = 0;

    for (p = s; *p != '\0'; p++) {
        if (*p == '"') {
            quoted = !quoted;

        } else if (*p == '#' && !quoted
                   && (p == s || isspace((unsigned char) p[-1])))
        {
            *p = '\0';
            return;
        }
    }
}


static int
feat_conf_key_ok(const char *k)
{
    return *k != '\0' && strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._")
                             == strlen(k);
}


static int feat_conf_fail(const char **err, const char *path, int line,
    const char *fmt, ...) FEAT_PRINTF(4, 5);

static int
feat_conf_fail(const char **err, const char *path, int line,
    const char *fmt, ...)
{
    int      n;
    va_list  ap;

    n = snprintf(feat_conf_errbuf, sizeof(feat_conf_errbuf), "%s:%d: ", path,
                 line);
    if (n < 0 || (size_t) n >= sizeof(feat_conf_errbuf)) {
        n = 0;
    }

    va_start(ap, fmt);
    vsnprintf(feat_conf_errbuf + n, sizeof(feat_conf_errbuf) - n, fmt, ap);
    va_end(ap);

    if (err != NULL) {
        *err = feat_conf_errbuf;
    }

    return FEAT_ERROR;
}


/* The directory of path, absolute when it can be made so; malloc'd. */
static char *
feat_conf_dir(const char *path)
{
    char        *copy, *slash, *dir, cwd[PATH_MAX], *abs;
    size_t       n;

    copy = feat_conf_strdup(path);
    slash = strrchr(copy, '/');

    if (slash == NULL) {
        strcpy(copy, ".");
    } else if (slash == copy) {
        copy[1] = '\0';
    } else {
        *slash = '\0';
    }

    dir = realpath(copy, NULL);
    if (dir != NULL) {
        free(copy);
        return dir;
    }

    /* the directory exists (the file was read): fall back to cwd/dir */
    if (copy[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
        n = strlen(cwd) + strlen(copy) + 2;
        abs = malloc(n);
        if (abs == NULL) {
            abort();
        }
        snprintf(abs, n, "%s/%s", cwd, copy);
        free(copy);
        return abs;
    }

    return copy;
}


static int
feat_conf_parse_line(struct feat_conf *c, char *buf, const char *path,
    int line, const char *dir, const char **err)
{
    char        *key, *value, *eq;
    const char  *reason;
    size_t       len;
    int          i;

    feat_conf_uncomment(buf);
    key = feat_conf_trim(buf);
    if (*key == '\0') {
        return FEAT_OK;
    }

    eq = strchr(key, '=');
    if (eq == NULL) {
        return feat_conf_fail(err, path, line, "expected \"key = value\"");
    }

    *eq = '\0';
    key = feat_conf_trim(key);
    value = feat_conf_trim(eq + 1);

    if (!feat_conf_key_ok(key)) {
        return feat_conf_fail(err, path, line, "bad key \"%s\"", key);
    }

    len = strlen(value);
    if (len > 0 && value[0] == '"') {
        if (len < 2 || value[len - 1] != '"') {
            return feat_conf_fail(err, path, line,
                                  "unbalanced quotes in \"%s\"", key);
        }
        value[len - 1] = '\0';
        value++;
    }

    i = feat_conf_index(key);
    if (i < 0) {
        return feat_conf_fail(err, path, line, "unknown key \"%s\"", key);
    }

    if (c->v[i].line != 0) {
        return feat_conf_fail(err, path, line, "duplicate key \"%s\"", key);
    }

    if (feat_conf_assign(&c->v[i], i, value, dir, &reason) != FEAT_OK) {
        return feat_conf_fail(err, path, line, "\"%s\" must be %s", key,
                              reason);
    }

    c->v[i].line = line;
    return FEAT_OK;
}


int
feat_conf_load(const char *path, const char **err)
{
    FILE              *f;
    struct feat_conf  *c;
    char              *dir, buf[FEAT_CONF_LINE_MAX + 2];
    size_t             len;
    int                line, rc, s, eof;

    f = fopen(path, "re");
    if (f == NULL) {
        snprintf(feat_conf_errbuf, sizeof(feat_conf_errbuf),
                 "%s: %s", path, strerror(errno));
        if (err != NULL) {
            *err = feat_conf_errbuf;
        }
        return FEAT_ERROR;
    }

    dir = feat_conf_dir(path);
    c = feat_conf_defaults(dir);
    rc = FEAT_OK;
    line = 0;

    while (fgets(buf, sizeof(buf), f) != NULL) {
        line++;
        len = strlen(buf);
        eof = feof(f);

        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
        } else if (!eof) {
            rc = feat_conf_fail(err, path, line, "line too long");
            break;
        }

        rc = feat_conf_parse_line(c, buf, path, line, dir, err);
        if (rc != FEAT_OK) {
            break;
        }
    }

    if (rc == FEAT_OK && ferror(f)) {
        rc = feat_conf_fail(err, path, line, "read error");
    }

    fclose(f);
    free(dir);

    if (rc == FEAT_OK) {
        s = feat_conf_index("secret");
        if (c->v[s].line == 0) {
            rc = feat_conf_fail(err, path, line, "\"secret\" is missing");
        } else if (strlen(c->v[s].str) < FEAT_CONF_SECRET_MIN) {
            rc = feat_conf_fail(err, path, c->v[s].line,
                                "\"secret\" is shorter than %d characters",
                                FEAT_CONF_SECRET_MIN);
        }
    }

    if (rc != FEAT_OK) {
        feat_conf_destroy(c);
        return FEAT_ERROR;
    }

    c->path = feat_conf_strdup(path);
    feat_conf_destroy(feat_conf_current);
    feat_conf_current = c;

    /* localtime_r() renders every dialect's times in this zone */
    setenv("TZ", c->v[feat_conf_index("timezone")].str, 1);
    tzset();

    return FEAT_OK;
}


int
feat_conf_set(const char *key, const char *value)
{
    const char  *reason;
    int          i;

    i = feat_conf_index(key);
    if (i < 0) {
        feat_log(LOG_ERR, 0, "unknown config key \"%s\"", key);
        return FEAT_ERROR;
    }

    if (feat_conf_current == NULL) {
        feat_conf_current = feat_conf_defaults(NULL);
    }

    if (feat_conf_assign(&feat_conf_current->v[i], i, value, NULL, &reason)
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "config \"%s\" must be %s", key, reason);
        return FEAT_ERROR;
    }

    if (strcmp(key, "timezone") == 0) {
        setenv("TZ", value, 1);
        tzset();
    }

    return FEAT_OK;
}


const char *
feat_conf_path(void)
{
    return feat_conf_current == NULL ? NULL : feat_conf_current->path;
}


void
feat_conf_free(void)
{
    feat_conf_destroy(feat_conf_current);
    feat_conf_current = NULL;
}


/*
 * The value of a known key: the loaded one, else the table's default;
 * NULL for an unknown key.  num gets the number of 'i', 'b' and 'z' kinds.
 */
static const char *
feat_conf_lookup(const char *key, long long *num, char *kind)
{
    const struct feat_conf_option  *o;
    int                             i;
    long long                       n;

    i = feat_conf_index(key);
    if (i < 0) {
        return NULL;
    }

    o = &feat_conf_options[i];
    *kind = o->kind;

    if (feat_conf_current != NULL) {
        *num = feat_conf_current->v[i].num;
        return feat_conf_current->v[i].str;
    }

    /* nothing loaded yet (featctl's early steps, unit tests) */
    n = 0;
    switch (o->kind) {
    case 'i':
        feat_conf_parse_int(o->def, &n);
        break;
    case 'b':
        feat_conf_parse_bool(o->def, &n);
        break;
    case 'z':
        feat_conf_parse_size(o->def, &n);
        break;
    }

    *num = n;
    return o->def;
}


const char *
feat_conf_str(const char *key, const char *def)
{
    const char  *s;
    long long    n;
    char         kind;

    s = feat_conf_lookup(key, &n, &kind);

    return s == NULL ? def : s;
}


long long
feat_conf_int(const char *key, long long def)
{
    const char  *s;
    char        *end;
    long long    n;
    char         kind;

    s = feat_conf_lookup(key, &n, &kind);
    if (s == NULL) {
        return def;
    }

    if (kind == 'i' || kind == 'b' || kind == 'z') {
        return n;
    }

    /* a string option read as a number: base 0, so "0660" is octal */
    errno = 0;
    n = strtoll(s, &end, 0);

    return (errno != 0 || end == s || *end != '\0') ? def : n;
}


int
feat_conf_bool(const char *key, int def)
{
    const char  *s;
    long long    n;
    char         kind;

    s = feat_conf_lookup(key, &n, &kind);
    if (s == NULL) {
        return def;
    }

    if (kind == 'b') {
        return n != 0;
    }

    return feat_conf_parse_bool(s, &n) == FEAT_OK ? (int) n : def;
}
