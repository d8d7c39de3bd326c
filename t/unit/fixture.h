/*
 * fixture.h: the unit tests' runtime over a real database.  Writes a
 * config into a fresh directory under /tmp (the test's own lines after
 * the common ones), loads it, builds the per-app settings table, opens
 * the log and the database and applies every migration; bails out (TAP)
 * when any step fails.  Include after tap.h, with runtime.h.
 */

#ifndef FEAT_T_FIXTURE_H
#define FEAT_T_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/*
 * dir is a mkdtemp() template ("/tmp/feat-NAME-XXXXXX"), filled in;
 * extra more config lines ("" for none).  Answers the open connection.
 */
static sqlite3 *
fixture_setup(char *dir, const char *extra)
{
    FILE        *f;
    char         path[160];
    const char  *err;
    int          applied;

    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp %s\n", dir);
        exit(1);
    }

    snprintf(path, sizeof(path), "%s/featcgi.conf", dir);
    f = fopen(path, "w");
    if (f == NULL) {
        printf("Bail out! %s\n", path);
        exit(1);
    }

    fprintf(f, "secret = 0123456789abcdef0123456789abcdef-test\n"
               "database = %s/featcgi.db\n"
               "error_log = %s/error.log\n"
               "log_level = debug\n%s", dir, dir, extra);
    fclose(f);

    if (feat_conf_load(path, feat_modules, &err) != FEAT_OK) {
        printf("Bail out! config: %s\n", err);
        exit(1);
    }

    /* handlers read the apps' settings (accounts' scopes, review...) */
    if (feat_settings_init(feat_modules) != FEAT_OK) {
        printf("Bail out! settings table\n");
        exit(1);
    }

    feat_log_open();

    if (feat_db_open() != FEAT_OK
        || feat_db_migrate(feat_db(), &applied) != FEAT_OK)
    {
        printf("Bail out! database\n");
        exit(1);
    }

    return feat_db();
}

#endif /* FEAT_T_FIXTURE_H */
