/*
 * conf-test.c: the config file and the typed options without a server:
 * defaults before any load, feat_conf_set, sizes with their suffixes,
 * paths resolved against the file's directory, the file's errors (an
 * unknown key, a bad value, a runtime's or a module's key alike), a failed
 * load that keeps the running values, and the options the runtime learns
 * from the modules' own lists.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "accounts/accounts.h"
#include "alipay/alipay.h"
#include "area/area.h"
#include "../tap.h"

#define SECRET "secret = 0123456789abcdef0123456789abcdef\n"

static char  tmpdir[] = "/tmp/feat-conf-XXXXXX";


static int
write_conf(const char *name, const char *text, char *path, size_t n)
{
    FILE  *f;

    snprintf(path, n, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fputs(text, f);
    fclose(f);

    return 0;
}


/* Nothing loaded: every accessor answers the declared default. */
static void
test_defaults(void)
{
    is_int(feat_conf_int(FEAT_CONF_WORKERS), 2, "INT default");
    is_int(feat_conf_size(FEAT_CONF_MAX_BODY), 1024 * 1024,
           "SIZE default \"1m\"");
    is_int(feat_conf_size(FEAT_CONF_MAX_UPLOAD), 10 * 1024 * 1024,
           "SIZE default \"10m\"");
    is_int(feat_conf_bool(FEAT_CONF_TESTING), 0, "BOOL default");
    is_str(feat_conf_str(FEAT_CONF_LOCALE), "zh", "STR default");
    is_str(feat_conf_str(FEAT_CONF_SECRET), "", "empty STR default");
    is_str(feat_conf_path(FEAT_CONF_DATABASE), "featcgi.db", "PATH default");
    is_int(feat_conf_int(FEAT_CONF_AMAP_TIMEOUT), 5000,
           "a module's INT default");
    is_str(feat_conf_str(FEAT_CONF_ALIPAY_GATEWAY),
           "https://openapi.alipay.com/gateway.do", "a module's STR default");
    is_int(feat_conf_int(FEAT_CONF_CODE_TTL), 300, "accounts' code.ttl");
}


static void
test_set(void)
{
    ok(feat_conf_set(FEAT_CONF_WORKERS, "8") == FEAT_OK
       && feat_conf_int(FEAT_CONF_WORKERS) == 8, "feat_conf_set an INT");
    ok(feat_conf_set(FEAT_CONF_WORKERS, "eight") == FEAT_ERROR
       && feat_conf_int(FEAT_CONF_WORKERS) == 8,
       "set checks the kind and keeps the value");
    ok(feat_conf_set(FEAT_CONF_TESTING, "yes") == FEAT_OK
       && feat_conf_bool(FEAT_CONF_TESTING) == 1, "BOOL yes");
    ok(feat_conf_set(FEAT_CONF_TESTING, "FALSE") == FEAT_OK
       && feat_conf_bool(FEAT_CONF_TESTING) == 0, "BOOL FALSE");
    ok(feat_conf_set(FEAT_CONF_AMAP_KEY, "k1") == FEAT_OK
       && strcmp(feat_conf_str(FEAT_CONF_AMAP_KEY), "k1") == 0,
       "set a module's STR");

    ok(feat_conf_set(FEAT_CONF_MAX_BODY, "512k") == FEAT_OK
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 512 * 1024, "size 512k");
    ok(feat_conf_set(FEAT_CONF_MAX_BODY, "2M") == FEAT_OK
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 2 * 1024 * 1024,
       "size 2M (either case)");
    ok(feat_conf_set(FEAT_CONF_MAX_BODY, "3g") == FEAT_OK
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 3LL * 1024 * 1024 * 1024,
       "size 3g");
    ok(feat_conf_set(FEAT_CONF_MAX_BODY, "10485760") == FEAT_OK
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 10485760, "size in bytes");
    ok(feat_conf_set(FEAT_CONF_MAX_BODY, "1q") == FEAT_ERROR
       && feat_conf_set(FEAT_CONF_MAX_BODY, "k") == FEAT_ERROR
       && feat_conf_set(FEAT_CONF_MAX_BODY, "-1k") == FEAT_ERROR
       && feat_conf_set(FEAT_CONF_MAX_BODY, "99999999999g") == FEAT_ERROR
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 10485760,
       "bad sizes refused, the value kept");

    feat_conf_free();
    ok(feat_conf_int(FEAT_CONF_WORKERS) == 2
       && feat_conf_size(FEAT_CONF_MAX_BODY) == 1024 * 1024
       && feat_conf_str(FEAT_CONF_AMAP_KEY)[0] == '\0',
       "feat_conf_free: the defaults hold again");
}


static void
test_errors(void)
{
    static const struct {
        const char  *text;
        const char  *want;   /* part of the error */
    } bad[] = {
        { SECRET "nope = 1\n", ":2: unknown key \"nope\"" },
        { SECRET "amap.kye = x\n", ":2: unknown key \"amap.kye\"" },
        { SECRET "code.ttl = soon\n", ":2: \"code.ttl\" must be an integer" },
        { SECRET "expose_codes = maybe\n",
          ":2: \"expose_codes\" must be on or off" },
        { SECRET "workers = x\n", ":2: \"workers\" must be an integer" },
        { SECRET "workers = 2\nworkers = 3\n", ":3: duplicate key" },
        { SECRET "amap.key = a\namap.key = b\n", ":3: duplicate key" },
        { SECRET "app_header = maybe\n", "must be on or off" },
        { SECRET "max_body = 1q\n", "must be a size" },
        { SECRET "max_body = k\n", "must be a size" },
        { SECRET "just words\n", ":2: expected \"key = value\"" },
        { SECRET "Workers = 2\n", ":2: bad key \"Workers\"" },
        { SECRET "locale = \"en\n", "unbalanced quotes" },
        { "workers = 2\n", "\"secret\" is missing" },
        { "secret = short\n", "shorter than 32" },
    };
    const char  *err;
    char         path[512];
    size_t       i;
    int          all;

    all = 1;
    for (i = 0; i < FEAT_NELEMS(bad); i++) {
        write_conf("bad.conf", bad[i].text, path, sizeof(path));
        err = NULL;
        if (feat_conf_load(path, feat_modules, &err) != FEAT_ERROR
            || err == NULL
            || strstr(err, bad[i].want) == NULL
            || strncmp(err, path, strlen(path)) != 0)
        {
            diag("case %zu: %s", i, err != NULL ? err : "(accepted)");
            all = 0;
        }
    }
    ok(all, "bad configs refused with file:line: reason (%zu cases)",
       FEAT_NELEMS(bad));

    ok(feat_conf_load("/nonexistent/featcgi.conf", feat_modules,
                      &err) == FEAT_ERROR,
       "a missing file");
    is_int(feat_conf_int(FEAT_CONF_WORKERS), 2,
           "nothing loaded after refused files");
}


static void
test_load(void)
{
    const char  *err, *s;
    char         path[512];

    write_conf("good.conf",
               "# comment\n"
               "  " SECRET
               "workers = 4   # four\n"
               "app_header = yes\n"
               "expose_codes = FALSE\n"
               "max_body = 512k\n"
               "max_upload = 10485760\n"
               "locale = \"en\"\n"
               "media_dir = files\n"
               "error_log = stderr\n"
               "access_log = /var/log/x.log\n"
               "listen = 127.0.0.1:9000\n"
               "mail.from = \"a#b@example.com\"\n"
               "amap.key = abc\n"
               "amap.cache_rows = 7\n"
               "alipay.private_key_file = keys/app.pem\n"
               "code.ttl = 120\n"
               "\n",
               path, sizeof(path));
    err = NULL;
    ok(feat_conf_load(path, feat_modules, &err) == FEAT_OK,
       "a good config loads, modules' keys with the runtime's");
    if (err != NULL) {
        diag("%s", err);
    }

    is_int(feat_conf_int(FEAT_CONF_WORKERS), 4, "integer, comment cut");
    is_int(feat_conf_bool(FEAT_CONF_APP_HEADER), 1, "yes is on");
    is_int(feat_conf_bool(feat_conf_find("expose_codes")), 0,
           "FALSE is off (a v1 key, declared in accounts/v1.c)");
    is_int(feat_conf_size(FEAT_CONF_MAX_BODY), 512 * 1024, "512k");
    is_int(feat_conf_size(FEAT_CONF_MAX_UPLOAD), 10485760, "plain bytes");
    is_str(feat_conf_str(FEAT_CONF_LOCALE), "en", "quotes removed");
    is_str(feat_conf_str(FEAT_CONF_MAIL_FROM), "a#b@example.com",
           "'#' inside a value stays");
    is_str(feat_conf_path(FEAT_CONF_ERROR_LOG), "stderr", "stderr kept");
    is_str(feat_conf_path(FEAT_CONF_ACCESS_LOG), "/var/log/x.log",
           "absolute path kept");
    is_str(feat_conf_path(FEAT_CONF_LISTEN), "127.0.0.1:9000",
           "host:port kept");
    ok(strstr(feat_conf_path(FEAT_CONF_MEDIA_DIR), "/files") != NULL
       && feat_conf_path(FEAT_CONF_MEDIA_DIR)[0] == '/',
       "relative path resolved against the file's directory");
    s = feat_conf_path(FEAT_CONF_ALIPAY_PRIVATE_KEY_FILE);
    ok(s[0] == '/' && strstr(s, "/keys/app.pem") != NULL,
       "a module's PATH resolved too");
    ok(feat_conf_path(FEAT_CONF_DATABASE)[0] == '/'
       && strstr(feat_conf_path(FEAT_CONF_DATABASE), "/featcgi.db") != NULL,
       "a PATH default resolved against the file's directory");
    is_str(feat_conf_path(FEAT_CONF_PID_FILE), "", "an empty PATH stays");
    is_str(feat_conf_str(FEAT_CONF_AMAP_KEY), "abc", "a module's STR");
    is_int(feat_conf_int(FEAT_CONF_AMAP_CACHE_ROWS), 7, "a module's INT");
    is_int(feat_conf_int(FEAT_CONF_CODE_TTL), 120, "accounts' code.ttl");
    is_int(feat_conf_int(FEAT_CONF_BUSY_TIMEOUT), 5000, "table default");
    is_int(feat_conf_int(FEAT_CONF_AMAP_TIMEOUT), 5000,
           "a module's default");
    is_str(feat_conf_str(FEAT_CONF_LISTEN_MODE), "0660",
           "listen_mode as written (the master reads it as octal)");
    is_str(feat_conf_str(FEAT_CONF_SMS_PROVIDER), "", "empty default");
    is_str(feat_conf_file(), path, "feat_conf_file");

    write_conf("bad.conf", SECRET "workers = x\n", path, sizeof(path));
    ok(feat_conf_load(path, feat_modules, &err) == FEAT_ERROR,
       "a bad file refused");
    ok(feat_conf_int(FEAT_CONF_WORKERS) == 4
       && strcmp(feat_conf_str(FEAT_CONF_AMAP_KEY), "abc") == 0,
       "a failed load keeps the running config");

    write_conf("bad.conf", SECRET "amap.cache_rows = many\n", path,
               sizeof(path));
    ok(feat_conf_load(path, feat_modules, &err) == FEAT_ERROR
       && feat_conf_int(FEAT_CONF_AMAP_CACHE_ROWS) == 7,
       "a bad module value refused, the running one kept");

    write_conf("next.conf", SECRET "workers = 3\n", path, sizeof(path));
    ok(feat_conf_load(path, feat_modules, &err) == FEAT_OK
       && feat_conf_int(FEAT_CONF_WORKERS) == 3
       && feat_conf_str(FEAT_CONF_AMAP_KEY)[0] == '\0'
       && feat_conf_int(FEAT_CONF_CODE_TTL) == 300,
       "a reload: keys left out take their defaults again");

    feat_conf_free();
}


/*
 * A load learns the options of the runtime and of the modules it is given:
 * every one is then known by its key, and nothing else; the runtime's
 * table holds none of the modules' keys.
 */
static void
test_learnt(void)
{
    size_t                                 i, n;
    int                                    all;
    const char                            *err;
    char                                   path[512];
    const struct feat_conf_option *const  *o;
    const struct feat_module *const       *m;

    write_conf("amap.conf", SECRET "amap.key = abc\n", path, sizeof(path));
    err = NULL;
    ok(feat_conf_load(path, NULL, &err) == FEAT_ERROR && err != NULL
       && strstr(err, ":2: unknown key \"amap.key\"") != NULL,
       "without the modules, a module's key is unknown");
    ok(feat_conf_load(path, feat_modules, &err) == FEAT_OK
       && strcmp(feat_conf_str(FEAT_CONF_AMAP_KEY), "abc") == 0,
       "with feat_modules, it loads");

    all = 1;
    n = 0;

    for (o = feat_conf_options; *o != NULL; o++, n++) {
        if (feat_conf_find((*o)->key) != *o) {
            diag("runtime option %s", (*o)->key);
            all = 0;
        }
    }

    for (m = feat_modules; *m != NULL; m++) {
        for (o = (*m)->conf; o != NULL && *o != NULL; o++, n++) {
            if (feat_conf_find((*o)->key) != *o) {
                diag("option %s of %s", (*o)->key, (*m)->name);
                all = 0;
            }
        }
    }

    ok(all && n > 60, "every option found by its key (%zu)", n);
    ok(feat_conf_find("amap.key") == FEAT_CONF_AMAP_KEY,
       "a module's key is known");
    ok(feat_conf_find("nope") == NULL && feat_conf_find("amap") == NULL,
       "an unknown key is not");

    /* the keys of feat_modules[] that the runtime's table no longer has */
    for (i = 0, o = feat_conf_options; *o != NULL; o++) {
        if (strncmp((*o)->key, "amap.", 5) == 0
            || strncmp((*o)->key, "alipay.", 7) == 0
            || strncmp((*o)->key, "code.", 5) == 0)
        {
            i++;
        }
    }
    is_int(i, 0, "modules' keys are the modules' own");

    feat_conf_free();
}


int
main(void)
{
    char  cmd[64];

    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    test_defaults();
    test_set();
    test_errors();
    test_load();
    test_learnt();

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0) {
        diag("could not remove %s", tmpdir);
    }

    return done_testing();
}
