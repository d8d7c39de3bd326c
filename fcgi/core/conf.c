/*
 * conf.c: the configuration file and the options it may set.
 *
 * Every option is an object made by an X-macro list (see feat.h): the
 * runtime's own list is FEAT_FOR_EACH_CONF, and each module hands its list
 * to the runtime in struct feat_module's conf.  Before a parse the runtime
 * learns them all, from the module list its caller passes (feat_modules[],
 * which this layer may not name), into one array sorted by key (refusing a
 * key declared twice or a default that does not parse), so a file may set
 * a module's keys and nothing else.  An option's live value sits in the
 * object's own slot: the accessors read it in O(1), with no lookup by
 * name; the slots that hold a value are chained, for feat_conf_free.  A
 * load parses the whole file into a fresh value set and swaps it into the
 * slots only when every line parsed, so a SIGHUP with a broken file leaves
 * the running config untouched.  Before any load, an accessor answers the
 * option's default.
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

FEAT_FOR_EACH_CONF(FEAT_CONF_DEFINE)

const struct feat_conf_option *const  feat_conf_options[] = {
    FEAT_FOR_EACH_CONF(FEAT_CONF_ENTRY)
    NULL
};

/* The runtime's options and those of feat_conf_mods, sorted by key. */
static const struct feat_conf_option  **feat_conf_known;
static size_t                           feat_conf_nknown;
static const struct feat_module *const *feat_conf_mods;

/* The slots holding a value (a load's or a set's), chained by next. */
static struct feat_conf_value          *feat_conf_held;

static char                            *feat_conf_file_path;
static char                             feat_conf_errbuf[512];

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
feat_conf_resolve(const struct feat_conf_option *o, const char *value,
    const char *dir)
{
    size_t  n;
    char   *p;

    if (value[0] == '/' || value[0] == '\0' || strcmp(value, "stderr") == 0
        || strcmp(value, "off") == 0 || dir == NULL
        || (o == FEAT_CONF_LISTEN && strchr(value, ':') != NULL
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


/* Checks value against the option's kind: FEAT_OK with *num, or
 * FEAT_ERROR with *reason. */
static int
feat_conf_check(const struct feat_conf_option *o, const char *value,
    long long *num, const char **reason)
{
    *num = 0;

    switch (o->kind) {
    case FEAT_CONF_T_INT:
        if (feat_conf_parse_int(value, num) != FEAT_OK) {
            *reason = "an integer";
            return FEAT_ERROR;
        }
        break;
    case FEAT_CONF_T_BOOL:
        if (feat_conf_parse_bool(value, num) != FEAT_OK) {
            *reason = "on or off";
            return FEAT_ERROR;
        }
        break;
    case FEAT_CONF_T_SIZE:
        if (feat_conf_parse_size(value, num) != FEAT_OK) {
            *reason = "a size (\"1m\", \"512k\", \"10485760\")";
            return FEAT_ERROR;
        }
        break;
    case FEAT_CONF_T_STR:
    case FEAT_CONF_T_PATH:
        break;
    }

    return FEAT_OK;
}


/* Checks value against the option's kind and stores it in *v. */
static int
feat_conf_assign(struct feat_conf_value *v, const struct feat_conf_option *o,
    const char *value, const char *dir, const char **reason)
{
    long long  n;

    if (feat_conf_check(o, value, &n, reason) != FEAT_OK) {
        return FEAT_ERROR;
    }

    if (o->kind == FEAT_CONF_T_BOOL) {
        value = n ? "on" : "off";
    }

    if (v->str == NULL && v == o->value) {
        /* a live slot takes its first value: chain it for feat_conf_free */
        v->next = feat_conf_held;
        feat_conf_held = v;
    }

    free(v->str);
    v->str = (o->kind == FEAT_CONF_T_PATH) ? feat_conf_resolve(o, value, dir)
                                           : feat_conf_strdup(value);
    v->num = n;

    return FEAT_OK;
}


static int
feat_conf_cmp(const void *a, const void *b)
{
    const struct feat_conf_option  *x, *y;

    x = *(const struct feat_conf_option *const *) a;
    y = *(const struct feat_conf_option *const *) b;

    return strcmp(x->key, y->key);
}


static int
feat_conf_cmp_key(const void *key, const void *b)
{
    return strcmp(key, (*(const struct feat_conf_option *const *) b)->key);
}


static void
feat_conf_add(size_t *n, const struct feat_conf_option *const *list)
{
    for ( /* void */ ; list != NULL && *list != NULL; list++) {
        if (feat_conf_known != NULL) {
            feat_conf_known[*n] = *list;
        }
        (*n)++;
    }
}


static void
feat_conf_forget(void)
{
    free(feat_conf_known);
    feat_conf_known = NULL;
    feat_conf_nknown = 0;
    feat_conf_mods = NULL;
}


/*
 * Learns the runtime's options and those of mods (a NULL-terminated list,
 * or NULL) into feat_conf_known, sorted by key, unless they are learnt
 * already.  A key declared twice or a default that does not parse is a
 * bug: FEAT_ERROR, logged at LOG_ALERT.
 */
static int
feat_conf_learn(const struct feat_module *const *mods)
{
    size_t                           n, i;
    long long                        num;
    const char                      *reason;
    const struct feat_module *const  *m;

    if (feat_conf_known != NULL && feat_conf_mods == mods) {
        return FEAT_OK;
    }

    feat_conf_forget();

    /* once to count, once to fill */
    for (i = 0; i < 2; i++) {
        n = 0;
        feat_conf_add(&n, feat_conf_options);
        for (m = mods; m != NULL && *m != NULL; m++) {
            feat_conf_add(&n, (*m)->conf);
        }

        if (i == 0) {
            feat_conf_known = calloc(n, sizeof(*feat_conf_known));
            if (feat_conf_known == NULL) {
                feat_log(LOG_EMERG, errno, "calloc() failed");
                abort();
            }
        }
    }

    feat_conf_nknown = n;
    qsort(feat_conf_known, n, sizeof(*feat_conf_known), feat_conf_cmp);

    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(feat_conf_known[i - 1]->key,
                            feat_conf_known[i]->key) == 0)
        {
            feat_log(LOG_ALERT, 0, "config key \"%s\" declared twice",
                     feat_conf_known[i]->key);
            break;
        }

        if (feat_conf_check(feat_conf_known[i], feat_conf_known[i]->def,
                            &num, &reason)
            != FEAT_OK)
        {
            feat_log(LOG_ALERT, 0, "the default of config \"%s\" is not %s",
                     feat_conf_known[i]->key, reason);
            break;
        }
    }

    if (i < n) {
        feat_conf_forget();
        return FEAT_ERROR;
    }

    feat_conf_mods = mods;
    return FEAT_OK;
}


/* The index of key in feat_conf_known, or -1. */
static int
feat_conf_index(const char *key)
{
    const struct feat_conf_option *const  *o;

    o = bsearch(key, feat_conf_known, feat_conf_nknown,
                sizeof(*feat_conf_known), feat_conf_cmp_key);

    return o == NULL ? -1 : (int) (o - feat_conf_known);
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


/* A parse in progress: a value and the line that set it, per option. */
struct feat_conf_parsed {
    struct feat_conf_value  *v;
    int                     *line;
};


static int
feat_conf_parse_line(struct feat_conf_parsed *c, char *buf, const char *path,
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

    if (c->line[i] != 0) {
        return feat_conf_fail(err, path, line, "duplicate key \"%s\"", key);
    }

    if (feat_conf_assign(&c->v[i], feat_conf_known[i], value, dir, &reason)
        != FEAT_OK)
    {
        return feat_conf_fail(err, path, line, "\"%s\" must be %s", key,
                              reason);
    }

    c->line[i] = line;
    return FEAT_OK;
}


/* Moves the parsed value p into the live slot v. */
static void
feat_conf_take(struct feat_conf_value *v, struct feat_conf_value *p)
{
    if (v->str == NULL) {
        v->next = feat_conf_held;
        feat_conf_held = v;
    }

    free(v->str);
    v->str = p->str;
    v->num = p->num;
    p->str = NULL;
}


/* Parses the open file f into c (defaults first): FEAT_OK or FEAT_ERROR. */
static int
feat_conf_parse(struct feat_conf_parsed *c, FILE *f, const char *path,
    const char *dir, const char **err)
{
    char         buf[FEAT_CONF_LINE_MAX + 2];
    const char  *reason, *bad;
    size_t       len, i;
    int          line, rc, s;

    for (i = 0; i < feat_conf_nknown; i++) {
        /* the defaults parsed when they were learnt */
        (void) feat_conf_assign(&c->v[i], feat_conf_known[i],
                                feat_conf_known[i]->def, dir, &reason);
    }

    rc = FEAT_OK;
    line = 0;

    while (fgets(buf, sizeof(buf), f) != NULL) {
        line++;
        len = strlen(buf);

        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';
        } else if (!feof(f)) {
            return feat_conf_fail(err, path, line, "line too long");
        }

        rc = feat_conf_parse_line(c, buf, path, line, dir, err);
        if (rc != FEAT_OK) {
            return rc;
        }
    }

    if (ferror(f)) {
        return feat_conf_fail(err, path, line, "read error");
    }

    s = feat_conf_index(FEAT_CONF_SECRET->key);

    if (c->line[s] == 0) {
        return feat_conf_fail(err, path, line, "\"secret\" is missing");
    }

    if (strlen(c->v[s].str) < FEAT_CONF_SECRET_MIN) {
        return feat_conf_fail(err, path, c->line[s],
                              "\"secret\" is shorter than %d characters",
                              FEAT_CONF_SECRET_MIN);
    }

    /* A proxy list that does not parse would trust nobody, or worse. */
    s = feat_conf_index(FEAT_CONF_TRUSTED_PROXIES->key);
    if (c->line[s] != 0
        && feat_addr_in_list(c->v[s].str, "", &bad) < 0)
    {
        return feat_conf_fail(err, path, c->line[s],
                              "\"trusted_proxies\": bad entry at \"%.64s\"",
                              bad);
    }

    return FEAT_OK;
}


int
feat_conf_load(const char *path, const struct feat_module *const *mods,
    const char **err)
{
    FILE                  *f;
    char                  *dir;
    size_t                 i;
    int                    rc;
    struct feat_conf_parsed  c;

    if (feat_conf_learn(mods) != FEAT_OK) {
        snprintf(feat_conf_errbuf, sizeof(feat_conf_errbuf),
                 "the table of config options is broken (see the log)");
        if (err != NULL) {
            *err = feat_conf_errbuf;
        }
        return FEAT_ERROR;
    }

    f = fopen(path, "re");
    if (f == NULL) {
        snprintf(feat_conf_errbuf, sizeof(feat_conf_errbuf),
                 "%s: %s", path, strerror(errno));
        if (err != NULL) {
            *err = feat_conf_errbuf;
        }
        return FEAT_ERROR;
    }

    c.v = calloc(feat_conf_nknown, sizeof(struct feat_conf_value));
    c.line = calloc(feat_conf_nknown, sizeof(int));
    if (c.v == NULL || c.line == NULL) {
        feat_log(LOG_EMERG, errno, "calloc() failed");
        abort();
    }

    dir = feat_conf_dir(path);
    rc = feat_conf_parse(&c, f, path, dir, err);
    fclose(f);
    free(dir);

    for (i = 0; i < feat_conf_nknown; i++) {
        if (rc == FEAT_OK) {
            /* the swap: every option takes its new value */
            feat_conf_take(feat_conf_known[i]->value, &c.v[i]);
        } else {
            free(c.v[i].str);
        }
    }

    free(c.v);
    free(c.line);

    if (rc != FEAT_OK) {
        return FEAT_ERROR;
    }

    free(feat_conf_file_path);
    feat_conf_file_path = feat_conf_strdup(path);

    /* localtime_r() renders every dialect's times in this zone; the
     * logs keep the zone the process started in */
    feat_time_keep_system_zone();
    setenv("TZ", FEAT_CONF_TIMEZONE->value->str, 1);
    tzset();

    return FEAT_OK;
}


int
feat_conf_set(const struct feat_conf_option *o, const char *value)
{
    const char  *reason;

    if (feat_conf_assign(o->value, o, value, NULL, &reason) != FEAT_OK) {
        feat_log(LOG_ERR, 0, "config \"%s\" must be %s", o->key, reason);
        return FEAT_ERROR;
    }

    if (o == FEAT_CONF_TIMEZONE) {
        feat_time_keep_system_zone();
        setenv("TZ", value, 1);
        tzset();
    }

    return FEAT_OK;
}


const struct feat_conf_option *
feat_conf_find(const char *key)
{
    int  i;

    if (feat_conf_learn(feat_conf_mods) != FEAT_OK) {
        return NULL;
    }

    i = feat_conf_index(key);

    return i < 0 ? NULL : feat_conf_known[i];
}


int
feat_conf_print(FILE *f, const struct feat_module *const *mods)
{
    size_t                          i;
    const char                     *kind;
    const struct feat_conf_option  *o;

    if (feat_conf_learn(mods) != FEAT_OK) {
        return FEAT_ERROR;
    }

    for (i = 0; i < feat_conf_nknown; i++) {
        o = feat_conf_known[i];

        switch (o->kind) {
        case FEAT_CONF_T_INT:
            kind = "integer";
            break;
        case FEAT_CONF_T_BOOL:
            kind = "boolean";
            break;
        case FEAT_CONF_T_SIZE:
            kind = "size";
            break;
        case FEAT_CONF_T_PATH:
            kind = "path";
            break;
        default:
            kind = "string";
            break;
        }

        fprintf(f, "%s\t%s\t%s\t%s\n", o->key, kind, o->def, o->doc);
    }

    return FEAT_OK;
}


const char *
feat_conf_file(void)
{
    return feat_conf_file_path;
}


void
feat_conf_free(void)
{
    struct feat_conf_value  *v, *next;

    for (v = feat_conf_held; v != NULL; v = next) {
        next = v->next;
        free(v->str);
        v->str = NULL;
        v->num = 0;
        v->next = NULL;
    }

    feat_conf_held = NULL;
    feat_conf_forget();

    free(feat_conf_file_path);
    feat_conf_file_path = NULL;
}


/* A read of o as another kind than its own: a bug in the caller. */
static void
feat_conf_misread(const struct feat_conf_option *o, const char *as)
{
    feat_log(LOG_ALERT, 0, "config \"%s\" read as %s", o->key, as);
}


/* The number of an INT, BOOL or SIZE option. */
static long long
feat_conf_num(const struct feat_conf_option *o)
{
    long long    n;
    const char  *reason;

    if (o->value->str != NULL) {
        return o->value->num;
    }

    /* nothing loaded yet (featctl's early steps, unit tests) */
    if (feat_conf_check(o, o->def, &n, &reason) != FEAT_OK) {
        n = 0;
    }

    return n;
}


const char *
feat_conf_str(const struct feat_conf_option *o)
{
    if (o->kind != FEAT_CONF_T_STR) {
        feat_conf_misread(o, "a string");
    }

    return o->value->str != NULL ? o->value->str : o->def;
}


const char *
feat_conf_path(const struct feat_conf_option *o)
{
    if (o->kind != FEAT_CONF_T_PATH) {
        feat_conf_misread(o, "a path");
    }

    return o->value->str != NULL ? o->value->str : o->def;
}


long long
feat_conf_int(const struct feat_conf_option *o)
{
    if (o->kind != FEAT_CONF_T_INT) {
        feat_conf_misread(o, "an integer");
    }

    return feat_conf_num(o);
}


int
feat_conf_bool(const struct feat_conf_option *o)
{
    if (o->kind != FEAT_CONF_T_BOOL) {
        feat_conf_misread(o, "a boolean");
    }

    return feat_conf_num(o) != 0;
}


long long
feat_conf_size(const struct feat_conf_option *o)
{
    if (o->kind != FEAT_CONF_T_SIZE) {
        feat_conf_misread(o, "a size");
    }

    return feat_conf_num(o);
}
