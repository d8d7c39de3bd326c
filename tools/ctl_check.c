/*
 * ctl_check.c: "featctl check", featcgi's "nginx -t".
 *
 *   check
 *
 * Reads the configuration as featcgi would (featctl has already loaded
 * it: a file that does not parse never gets here, and featctl says why),
 * then judges what a load cannot: the secret's strength, the modes of the
 * files that hold secrets or users' data (the config file itself, the
 * database with its -wal and -shm, media_dir, private key files) against
 * core/files.c's rules (0600 and 0700, or 0640 and 0750 with file_group
 * for the database, media_group for media_dir; the config file may be
 * 0640, for a service that reads a root-owned file through its group),
 * the groups, the image limits, public_url and server_names, backup.*
 * (bounds, and whether backup.dir takes a file: one is made and removed
 * there), and every app's stored settings against their declarations (a
 * value its type now refuses, a secret that no longer opens under this
 * install's secret, a key no module declares).  Each finding is one line
 * on stderr, "featctl: warning: ..." or "featctl: error: ..."; the last
 * line says whether the test is successful.  The exit status is 1 when
 * there was an error, 0 otherwise (warnings included).  The database is
 * opened read only and never created.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime.h"
#include "featctl.h"

/* Estimated bits below which a secret is a warning, and an error. */
#define CTL_CHECK_SECRET_WARN   128
#define CTL_CHECK_SECRET_ERROR  100

struct ctl_check {
    int  errors;
    int  warnings;
};


static int ctl_check(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_check_commands[] = {
    { "check", "", ctl_check, "",
      "test the configuration like nginx -t: the config, the secret's"
      " strength, file modes and groups, every app's settings;"
      " exits 1 on an error" },
    FEAT_CTL_NULL_COMMAND
};


static void ctl_check_say(struct ctl_check *c, int error, const char *fmt,
    ...) FEAT_PRINTF(3, 4);

static void
ctl_check_say(struct ctl_check *c, int error, const char *fmt, ...)
{
    va_list  ap;

    if (error) {
        c->errors++;
    } else {
        c->warnings++;
    }

    fprintf(stderr, "featctl: %s: ", error ? "error" : "warning");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


/* ---- the secret ---------------------------------------------------------- */

/*
 * A secret's strength as a generator of its alphabet would give it:
 * length times log2 of the distinct characters used.  A hex string of 64
 * is 256 bits; 32 characters over 8 symbols 96.
 */
static void
ctl_check_secret(struct ctl_check *c)
{
    int          seen[256], distinct;
    size_t       i, n;
    double       bits;
    const char  *s;

    s = feat_conf_str(FEAT_CONF_SECRET);
    n = strlen(s);

    memset(seen, 0, sizeof(seen));
    distinct = 0;
    for (i = 0; i < n; i++) {
        if (!seen[(unsigned char) s[i]]++) {
            distinct++;
        }
    }

    bits = (distinct > 1) ? (double) n * log2((double) distinct) : 0;

    /* the example of featcgi.conf(5), or any sentence left in place */
    if (strstr(s, "paste") != NULL || strstr(s, "random characters") != NULL
        || strchr(s, ' ') != NULL)
    {
        ctl_check_say(c, 1, "\"secret\" is a sentence, not random "
                      "characters (openssl rand -hex 32 makes one)");

    } else if (bits < CTL_CHECK_SECRET_ERROR) {
        ctl_check_say(c, 1, "\"secret\" is weak: %zu characters of %d "
                      "kinds, about %.0f bits (openssl rand -hex 32 makes "
                      "one of 256)", n, distinct, bits);

    } else if (bits < CTL_CHECK_SECRET_WARN) {
        ctl_check_say(c, 0, "\"secret\" has about %.0f bits, below %d "
                      "(openssl rand -hex 32 makes one of 256)", bits,
                      CTL_CHECK_SECRET_WARN);
    }
}


/* ---- file modes ---------------------------------------------------------- */

/*
 * Warns when path (what: its role) is wider open than files.c makes it
 * with group (the option naming the group that may read it, or NULL: only
 * group read is allowed); a missing file is said only when must_exist.
 */
static void
ctl_check_mode(struct ctl_check *c, const struct feat_conf_option *group,
    const char *what, const char *path, int dir, int must_exist)
{
    mode_t       want;
    mode_t       loose;
    struct stat  st;

    if (path == NULL || path[0] == '\0') {
        return;
    }

    if (stat(path, &st) != 0) {
        if (errno != ENOENT || must_exist) {
            ctl_check_say(c, 1, "%s \"%s\": %s", what, path, strerror(errno));
        }
        return;
    }

    if (dir != !!S_ISDIR(st.st_mode)) {
        ctl_check_say(c, 1, "%s \"%s\" is not a %s", what, path,
                      dir ? "directory" : "file");
        return;
    }

    if (group != NULL) {
        want = feat_file_mode(group, dir);
        loose = feat_file_loose(group, st.st_mode, dir);
    } else {
        want = dir ? 0750 : 0640;
        loose = st.st_mode & 0777 & ~want;
    }

    if (loose != 0) {
        ctl_check_say(c, 0, "%s \"%s\" is mode %04o: %s may %s it (at "
                      "most %04o; chmod %04o \"%s\")", what, path,
                      (unsigned) (st.st_mode & 07777),
                      (loose & 07) ? "anyone" : "its group",
                      (loose & 0222) ? "write" : dir ? "list" : "read",
                      (unsigned) want, (unsigned) want, path);
    }
}


static void
ctl_check_files(struct ctl_check *c, struct feat_ctl *ctl)
{
    char                           name[4096];
    gid_t                          gid;
    size_t                         i;
    const char                    *db;
    const struct feat_conf_option *o;
    static const char *const       keys[] = {
        "alipay.private_key_file", NULL
    };
    const struct feat_conf_option *groups[] = {
        FEAT_CONF_FILE_GROUP, FEAT_CONF_MEDIA_GROUP, NULL
    };

    for (i = 0; groups[i] != NULL; i++) {
        if (feat_file_gid(groups[i], &gid) == FEAT_ERROR) {
            ctl_check_say(c, 1, "\"%s\" \"%s\" is no group",
                          groups[i]->key, feat_conf_str(groups[i]));
        }
    }

    ctl_check_mode(c, NULL, "the config file (it holds the secret)",
                   ctl->conf_path, 0, 1);

    db = feat_conf_path(FEAT_CONF_DATABASE);
    ctl_check_mode(c, FEAT_CONF_FILE_GROUP, "the database", db, 0, 0);
    (void) snprintf(name, sizeof(name), "%s-wal", db);
    ctl_check_mode(c, FEAT_CONF_FILE_GROUP, "the database's WAL", name, 0,
                   0);
    (void) snprintf(name, sizeof(name), "%s-shm", db);
    ctl_check_mode(c, FEAT_CONF_FILE_GROUP, "the database's shared memory",
                   name, 0, 0);

    ctl_check_mode(c, FEAT_CONF_MEDIA_GROUP, "media_dir",
                   feat_conf_path(FEAT_CONF_MEDIA_DIR), 1, 0);

    for (i = 0; keys[i] != NULL; i++) {
        o = feat_conf_find(keys[i]);
        if (o != NULL && o->kind == FEAT_CONF_T_PATH) {
            ctl_check_mode(c, NULL, keys[i], feat_conf_path(o), 0, 1);
        }
    }
}


/* ---- other options ------------------------------------------------------- */

static void
ctl_check_options(struct ctl_check *c)
{
    char         why[512];
    const char  *url, *names;

    if (feat_conf_int(FEAT_CONF_IMAGE_MAX_SIDE) < 1
        || feat_conf_int(FEAT_CONF_IMAGE_MAX_PIXELS) < 1)
    {
        ctl_check_say(c, 1, "\"image.max_side\" and \"image.max_pixels\" "
                      "must be at least 1 (every upload is refused)");
    }

    url = feat_conf_str(FEAT_CONF_PUBLIC_URL);
    names = feat_conf_str(FEAT_CONF_SERVER_NAMES);

    if (url[0] != '\0') {
        if ((strncmp(url, "https://", 8) != 0
             && strncmp(url, "http://", 7) != 0)
            || strchr(url + 8, '/') != NULL)
        {
            ctl_check_say(c, 1, "\"public_url\" must be scheme://host[:port]"
                          " without a path: \"%s\"", url);
        }

    } else if (names[strspn(names, " \t,")] == '\0') {
        ctl_check_say(c, 0, "\"public_url\" and \"server_names\" are both "
                      "empty: absolute URLs in answers take whatever Host "
                      "a client sends");
    }

    /* bounds are errors; a backup.dir no backup can go to, a warning */
    switch (feat_backup_check(why, sizeof(why))) {
    case FEAT_ERROR:
        ctl_check_say(c, 1, "%s", why);
        break;
    case FEAT_DECLINED:
        ctl_check_say(c, 0, "%s", why);
        break;
    default:
        break;
    }
}


/* ---- per-app settings ---------------------------------------------------- */

static void
ctl_check_settings(struct ctl_check *c, struct feat_ctl *ctl)
{
    int                         rc;
    char                       *open;
    size_t                      len;
    sqlite3                    *db;
    sqlite3_stmt               *st;
    const char                 *app, *key, *value, *norm, *reason, *path;
    const void                 *sealed;
    const struct feat_setting  *s;

    path = feat_conf_path(FEAT_CONF_DATABASE);

    db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
        ctl_check_say(c, 0, "the database \"%s\" does not open (%s): "
                      "settings not checked", path,
                      db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return;
    }
    sqlite3_busy_timeout(db, 5000);

    if (sqlite3_prepare_v2(db, "SELECT app_id, key, value, sealed"
                           " FROM app_settings ORDER BY app_id, key", -1,
                           &st, NULL) != SQLITE_OK)
    {
        ctl_check_say(c, 0, "the database \"%s\" has no settings table "
                      "(run featctl db migrate): settings not checked",
                      path);
        sqlite3_close(db);
        return;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        app = (const char *) sqlite3_column_text(st, 0);
        key = (const char *) sqlite3_column_text(st, 1);
        value = (const char *) sqlite3_column_text(st, 2);
        sealed = sqlite3_column_blob(st, 3);
        len = (size_t) sqlite3_column_bytes(st, 3);

        s = feat_setting_find(key);
        if (s == NULL) {
            ctl_check_say(c, 0, "app \"%s\": setting \"%s\" is no module's "
                          "(featctl app unset %s %s)", app, key,
                          app[0] ? app : "''", key);
            continue;
        }

        open = NULL;
        if (value == NULL) {
            if (feat_setting_open(app, key, sealed, len, &open, &len)
                != FEAT_OK)
            {
                ctl_check_say(c, 1, "app \"%s\": the secret \"%s\" does not "
                              "open under this install's secret (was "
                              "\"secret\" changed?)", app, key);
                continue;
            }
            value = open;

        } else if (s->flags & FEAT_SETTING_SECRET) {
            ctl_check_say(c, 0, "app \"%s\": the secret \"%s\" is stored in "
                          "the clear (set it again)", app, key);
        }

        if (feat_setting_check(ctl->arena, s, value, &norm, &reason)
            != FEAT_OK)
        {
            ctl_check_say(c, 1, "app \"%s\": \"%s\" is %s", app, key,
                          reason != NULL ? reason : "invalid");
        }

        if (open != NULL) {
            feat_cleanse(open, strlen(open));
            free(open);
        }
    }

    if (rc != SQLITE_DONE) {
        ctl_check_say(c, 1, "reading the settings of \"%s\": %s", path,
                      sqlite3_errmsg(db));
    }

    sqlite3_finalize(st);
    sqlite3_close(db);
}


static int
ctl_check(struct feat_ctl *ctl, int argc, char **argv)
{
    struct ctl_check  c;

    if (feat_ctl_args(ctl, argc, argv, NULL, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    memset(&c, 0, sizeof(c));

    fprintf(stderr, "featctl: the configuration file %s syntax is ok\n",
            ctl->conf_path);

    ctl_check_secret(&c);
    ctl_check_options(&c);
    ctl_check_files(&c, ctl);
    ctl_check_settings(&c, ctl);

    if (c.errors > 0) {
        fprintf(stderr, "featctl: configuration file %s test failed "
                "(%d error%s, %d warning%s)\n", ctl->conf_path, c.errors,
                c.errors == 1 ? "" : "s", c.warnings,
                c.warnings == 1 ? "" : "s");
        return FEAT_CTL_FAIL;
    }

    fprintf(stderr, "featctl: configuration file %s test is successful"
            "%s\n", ctl->conf_path, c.warnings > 0 ? " (with warnings)" : "");
    return FEAT_CTL_OK;
}
