/*
 * settings.c: per-app settings (sql/0043_app_settings.sql), the runtime's
 * half of "featctl app set APP KEY=VALUE", beside app.c, whose tenants
 * they belong to: the key table, the defaults, the per-process cache and
 * the readers.  Checking, sealing and storing a value is settings_set.c.
 *
 * Modules declare the keys they read in their struct feat_module; at start
 * the runtime merges those tables into one sorted table and refuses a key
 * declared twice, as the router refuses a route.  Values are checked
 * against their declaration when they are set (feat_setting_check), never
 * when they are read.  Secret values are sealed with AES-256-GCM under a
 * key derived from the install secret, with "app id NUL key" as the
 * associated data, so a sealed value copied to another app or key does not
 * open.
 *
 * Each process keeps the apps it has served and their values (secrets
 * opened) in memory.  Every change to apps or app_settings bumps one
 * counter (triggers in the migration, so even a hand-made UPDATE counts);
 * a process reads that counter at most once a second, between requests,
 * and forgets everything when it moved.  The request path therefore runs
 * no query for the app in the common case, and a change is seen within a
 * second or two without a restart.  Forgotten secrets are wiped.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

/*
 * The cache's own reads are not the request's work and happen at moments
 * no test can predict (once a second, after a change), so injected step
 * faults must not land on them: they step SQLite directly.
 */
#ifdef sqlite3_step
#undef sqlite3_step
#endif

#define FEAT_SETTINGS_MAX       256

struct feat_setting_val {
    char    *value;       /* NULL: none */
    size_t   len;
    int      secret;      /* wiped when forgotten */
    int      broken;      /* stored but unusable: no value, no default */
};

struct feat_app_entry {
    struct feat_app_entry    *next;
    struct feat_app           app;
    /* one per table entry; value NULL: the app has none of its own */
    struct feat_setting_val  *vals;
};

/* The merged table, sorted by key. */
static const struct feat_setting  *feat_settings[FEAT_SETTINGS_MAX];
static size_t                      feat_nsettings;
static int                         feat_settings_built;

/* This process's cache. */
static struct feat_app_entry      *feat_apps;
static struct feat_setting_val    *feat_defaults;   /* resolved lazily */
static sqlite3_int64               feat_settings_version = -1;
static time_t                      feat_settings_checked;


static void *
feat_settings_alloc(size_t n)
{
    void  *p;

    p = calloc(1, n);
    if (p == NULL) {
        feat_log(LOG_EMERG, errno, "calloc(%zu) failed", n);
        abort();
    }

    return p;
}


static char *
feat_settings_dup(const char *s, size_t n)
{
    char  *p;

    p = feat_settings_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';

    return p;
}


static int
feat_setting_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct feat_setting *const *) a)->key,
                  (*(const struct feat_setting *const *) b)->key);
}


int
feat_settings_init(const struct feat_module *const *mods)
{
    size_t                            i;
    const char                       *norm, *reason;
    struct feat_arena                *a;
    const struct feat_setting        *s;
    const struct feat_module *const  *all;

    /* values cached under an older table are indexed by it */
    feat_settings_flush();

    all = mods;

    feat_nsettings = 0;
    feat_settings_built = 1;

    for (; *mods != NULL; mods++) {
        for (s = (*mods)->settings; s != NULL && s->key != NULL; s++) {
            if (feat_nsettings == FEAT_SETTINGS_MAX) {
                feat_log(LOG_EMERG, 0, "more than %d settings",
                         FEAT_SETTINGS_MAX);
                return FEAT_ERROR;
            }
            feat_settings[feat_nsettings++] = s;
        }
    }

    qsort(feat_settings, feat_nsettings, sizeof(feat_settings[0]),
          feat_setting_cmp);

    a = feat_arena_create();

    for (i = 0; i < feat_nsettings; i++) {
        s = feat_settings[i];

        if (i > 0 && strcmp(feat_settings[i - 1]->key, s->key) == 0) {
            feat_log(LOG_EMERG, 0, "setting \"%s\" is declared twice",
                     s->key);
            goto failed;
        }

        if (s->type < FEAT_SETTING_STR || s->type > FEAT_SETTING_ENUM
            || (s->type == FEAT_SETTING_ENUM && s->values == NULL)
            || (s->def != NULL
                && feat_setting_check(a, s, s->def, &norm, &reason)
                   != FEAT_OK))
        {
            feat_log(LOG_EMERG, 0, "setting \"%s\" is badly declared",
                     s->key);
            goto failed;
        }
    }

    feat_arena_destroy(a);

    /* which channels an app's pushes are written for follows its
     * settings (the providers' credentials) */
    feat_outbox_providers(all);

    return FEAT_OK;

failed:

    feat_arena_destroy(a);
    feat_nsettings = 0;
    return FEAT_ERROR;
}


/* The table is the modules', which this layer cannot name: the program
 * must have called feat_settings_init() (process/, featctl, tests). */
static void
feat_settings_build(void)
{
    if (!feat_settings_built) {
        feat_settings_built = 1;
        feat_log(LOG_ALERT, 0, "settings read before feat_settings_init()");
    }
}


size_t
feat_settings_count(void)
{
    feat_settings_build();
    return feat_nsettings;
}


const struct feat_setting *
feat_setting_at(size_t i)
{
    feat_settings_build();
    return i < feat_nsettings ? feat_settings[i] : NULL;
}


static long
feat_setting_index(const char *key)
{
    size_t  lo, hi, mid;
    int     c;

    feat_settings_build();

    lo = 0;
    hi = feat_nsettings;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(key, feat_settings[mid]->key);
        if (c == 0) {
            return (long) mid;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return -1;
}


const struct feat_setting *
feat_setting_find(const char *key)
{
    long  i;

    i = feat_setting_index(key);

    return i < 0 ? NULL : feat_settings[i];
}


/* ---- defaults ----------------------------------------------------------- */

/* The value of config option o as text, whatever its kind; "" for none. */
static const char *
feat_settings_conf_text(const struct feat_conf_option *o, char buf[32])
{
    switch (o->kind) {

    case FEAT_CONF_T_PATH:
        return feat_conf_path(o);

    case FEAT_CONF_T_INT:
        snprintf(buf, 32, "%lld", feat_conf_int(o));
        return buf;

    case FEAT_CONF_T_SIZE:
        snprintf(buf, 32, "%lld", feat_conf_size(o));
        return buf;

    case FEAT_CONF_T_BOOL:
        return feat_conf_bool(o) ? "on" : "off";

    default:
        return feat_conf_str(o);
    }
}


/*
 * The file a FEAT_SETTING_CONF_FILE default names, whole, into *out
 * (malloc'd): FEAT_OK, or FEAT_ERROR (logged) when it cannot be read or is
 * too large.
 */
static int
feat_settings_slurp(const char *path, const char *conf, char **out,
    size_t *outlen)
{
    FILE    *f;
    char    *buf;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        feat_log(LOG_ERR, errno, "cannot read %s \"%s\"", conf, path);
        return FEAT_ERROR;
    }

    buf = feat_settings_alloc(FEAT_SETTING_VALUE_MAX + 1);
    n = fread(buf, 1, FEAT_SETTING_VALUE_MAX + 1, f);

    if (ferror(f) || n > FEAT_SETTING_VALUE_MAX || memchr(buf, 0, n)) {
        feat_log(LOG_ERR, 0, "%s \"%s\" is unreadable or larger than"
                 " %d bytes", conf, path, FEAT_SETTING_VALUE_MAX);
        fclose(f);
        free(buf);
        return FEAT_ERROR;
    }

    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *outlen = n;

    return FEAT_OK;
}


int
feat_setting_default(const struct feat_setting *s, const char **value,
    size_t *len, const char **origin)
{
    long                      i;
    char                     *buf, num[32];
    size_t                    n;
    const char               *c;
    struct feat_setting_val  *d;

    i = feat_setting_index(s->key);
    if (i < 0) {
        return FEAT_DECLINED;
    }

    if (feat_defaults == NULL) {
        feat_defaults = feat_settings_alloc(
                            (feat_nsettings + 1) * sizeof(*feat_defaults));
    }

    d = &feat_defaults[i];

    if (d->value == NULL) {
        c = s->conf != NULL ? feat_settings_conf_text(s->conf, num) : NULL;

        if (c != NULL && c[0] != '\0' && (s->flags & FEAT_SETTING_CONF_FILE))
        {
            if (feat_settings_slurp(c, s->conf->key, &buf, &n) == FEAT_OK)
            {
                d->value = buf;
                d->len = n;
                d->secret = (s->flags & FEAT_SETTING_SECRET) != 0;
            }

        } else if (c != NULL && c[0] != '\0') {
            d->value = feat_settings_dup(c, strlen(c));
            d->len = strlen(c);

        } else if (s->def != NULL) {
            d->value = feat_settings_dup(s->def, strlen(s->def));
            d->len = strlen(s->def);
        }
    }

    if (origin != NULL) {
        c = s->conf != NULL ? feat_settings_conf_text(s->conf, num) : NULL;
        *origin = (c != NULL && c[0] != '\0') ? s->conf->key : "default";
    }

    if (d->value == NULL) {
        return FEAT_DECLINED;
    }

    *value = d->value;
    *len = d->len;

    return FEAT_OK;
}


/* ---- the cache ---------------------------------------------------------- */

static void
feat_settings_val_free(struct feat_setting_val *v)
{
    if (v->value == NULL) {
        return;
    }

    if (v->secret) {
        feat_cleanse(v->value, v->len);
    }

    free(v->value);
    v->value = NULL;
}


static void
feat_settings_entry_free(struct feat_app_entry *e)
{
    size_t  i;

    for (i = 0; i < feat_nsettings; i++) {
        feat_settings_val_free(&e->vals[i]);
    }

    free(e->vals);
    free((char *) e->app.id);
    free(e);
}


void
feat_settings_flush(void)
{
    size_t                  i;
    struct feat_app_entry  *e, *next;

    for (e = feat_apps; e != NULL; e = next) {
        next = e->next;
        feat_settings_entry_free(e);
    }

    feat_apps = NULL;

    if (feat_defaults != NULL) {
        for (i = 0; i < feat_nsettings; i++) {
            feat_settings_val_free(&feat_defaults[i]);
        }
        free(feat_defaults);
        feat_defaults = NULL;
    }
}


void
feat_settings_recheck(void)
{
    feat_settings_checked = -1;
}


void
feat_settings_refresh(sqlite3 *db)
{
    int              rc;
    sqlite3_int64    v;
    sqlite3_stmt    *st;
    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);

    if (feat_settings_version >= 0 && now.tv_sec == feat_settings_checked) {
        return;
    }

    feat_settings_checked = now.tv_sec;

    st = feat_db_query(db, "SELECT version FROM app_settings_version", "");
    if (st == NULL) {
        return;
    }

    rc = sqlite3_step(st);
    v = (rc == SQLITE_ROW) ? sqlite3_column_int64(st, 0) : -1;
    feat_db_done(st);

    if (rc != SQLITE_ROW) {
        /* keep what is cached; the next second tries again */
        feat_log(LOG_ERR, 0, "reading the settings version failed: %s",
                 sqlite3_errmsg(db));
        return;
    }

    if (v != feat_settings_version) {
        feat_settings_flush();
        feat_settings_version = v;
    }
}


/* Reads one row of app_settings into e: unknown keys and values that do
 * not open are logged and left out. */
static void
feat_settings_row(struct feat_app_entry *e, sqlite3_stmt *st)
{
    long                        i;
    const char                 *key, *value;
    const struct feat_setting  *s;
    struct feat_setting_val    *v;

    key = (const char *) sqlite3_column_text(st, 0);
    i = key != NULL ? feat_setting_index(key) : -1;

    if (i < 0) {
        feat_log(LOG_WARNING, 0, "app \"%s\" holds setting \"%s\", which"
                 " no module declares: ignored", e->app.id,
                 key != NULL ? key : "");
        return;
    }

    s = feat_settings[i];
    v = &e->vals[i];

    if (s->flags & FEAT_SETTING_SECRET) {
        if (sqlite3_column_type(st, 2) != SQLITE_BLOB
            || feat_setting_open(e->app.id, key, sqlite3_column_blob(st, 2),
                                 (size_t) sqlite3_column_bytes(st, 2),
                                 &v->value, &v->len)
               != FEAT_OK)
        {
            /* never the default instead: it may be another app's */
            feat_log(LOG_ERR, 0, "app \"%s\": setting \"%s\" does not open"
                     " (another install's secret, or moved): no value",
                     e->app.id, key);
            v->broken = 1;
            return;
        }
        v->secret = 1;
        return;
    }

    value = (const char *) sqlite3_column_text(st, 1);
    if (value == NULL) {
        feat_log(LOG_ERR, 0, "app \"%s\": setting \"%s\" has no value:"
                 " ignored", e->app.id, key);
        return;
    }

    v->len = (size_t) sqlite3_column_bytes(st, 1);
    v->value = feat_settings_dup(value, v->len);
}


/*
 * Loads app id and its values into the cache: FEAT_OK with *out,
 * FEAT_DECLINED when there is no such app, FEAT_ERROR (logged).
 */
static int
feat_settings_load(sqlite3 *db, const char *id, struct feat_app_entry **out)
{
    int                     rc;
    sqlite3_stmt           *st;
    struct feat_app_entry  *e;

    st = feat_db_query(db, "SELECT 1 FROM apps WHERE id = ?", "s", id);
    if (st == NULL) {
        return FEAT_ERROR;
    }

    rc = sqlite3_step(st);
    feat_db_done(st);

    if (rc == SQLITE_DONE) {
        return FEAT_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "apps lookup failed: %s", sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    e = feat_settings_alloc(sizeof(*e));
    e->app.id = feat_settings_dup(id, strlen(id));
    e->vals = feat_settings_alloc((feat_nsettings + 1) * sizeof(*e->vals));

    st = feat_db_query(db,
                       "SELECT key, value, sealed FROM app_settings"
                       " WHERE app_id = ?", "s", id);
    if (st == NULL) {
        rc = SQLITE_ERROR;
        goto failed;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        feat_settings_row(e, st);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "reading the settings of app \"%s\" failed:"
                 " %s", id, sqlite3_errmsg(db));
        goto failed;
    }

    e->next = feat_apps;
    feat_apps = e;
    *out = e;

    return FEAT_OK;

failed:

    feat_settings_entry_free(e);
    return FEAT_ERROR;
}


int
feat_settings_app(sqlite3 *db, const char *id, const struct feat_app **app)
{
    int                     rc;
    struct feat_app_entry  *e;

    for (e = feat_apps; e != NULL; e = e->next) {
        if (strcmp(e->app.id, id) == 0) {
            *app = &e->app;
            return FEAT_OK;
        }
    }

    /* an unknown id is not remembered: it may be added at any moment */
    rc = feat_settings_load(db, id, &e);
    if (rc == FEAT_OK) {
        *app = &e->app;
    }

    return rc;
}


/* ---- reading values ----------------------------------------------------- */

int
feat_setting_get(const char *app, const char *key, const char **value,
    size_t *len)
{
    long                    i;
    sqlite3                *db;
    struct feat_app_entry  *e;

    i = feat_setting_index(key);
    if (i < 0) {
        feat_log(LOG_ALERT, 0, "setting \"%s\" is read but no module"
                 " declares it", key);
        return FEAT_DECLINED;
    }

    for (e = feat_apps; e != NULL; e = e->next) {
        if (strcmp(e->app.id, app) == 0) {
            break;
        }
    }

    if (e == NULL && (db = feat_db()) != NULL
        && feat_settings_load(db, app, &e) != FEAT_OK)
    {
        e = NULL;
    }

    if (e != NULL && e->vals[i].value != NULL) {
        *value = e->vals[i].value;
        *len = e->vals[i].len;
        return FEAT_OK;
    }

    if (e != NULL && e->vals[i].broken) {
        return FEAT_DECLINED;
    }

    return feat_setting_default(feat_settings[i], value, len, NULL);
}


const char *
feat_setting_str(const char *app, const char *key)
{
    size_t       len;
    const char  *v;

    return feat_setting_get(app, key, &v, &len) == FEAT_OK ? v : "";
}


long long
feat_setting_int(const char *app, const char *key)
{
    size_t       len;
    long long    n;
    const char  *v;

    if (feat_setting_get(app, key, &v, &len) != FEAT_OK
        || feat_setting_parse_int(v, &n) != FEAT_OK)
    {
        return 0;
    }

    return n;
}


int
feat_setting_bool(const char *app, const char *key)
{
    int          b;
    size_t       len;
    const char  *v;

    if (feat_setting_get(app, key, &v, &len) != FEAT_OK
        || feat_setting_parse_bool(v, &b) != FEAT_OK)
    {
        return 0;
    }

    return b;
}
