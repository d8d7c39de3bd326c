/*
 * main.c: featcgi's command line.
 *
 *     featcgi [-c FILE] [-t] [-R] [-E] [-C] [-D nginx-maps] [-v]
 *
 * Without -t, -R, -E, -C, -D or -v it runs the master in the foreground.
 * -t checks the config, the route table and the migrations (that they
 * apply to an empty database, and that the configured database is not
 * newer than this binary) without touching the database; -R prints the
 * merged route table; -E every dialect's error table (for featcgi-api(7));
 * -C every config option, the runtime's and the modules' (checked against
 * featcgi.conf(5)); -D nginx-maps the nginx maps made from the dialect
 * tables (nginx/featcgi-maps.conf); -v the version.  Errors end with exit
 * status 1 and one line.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

/* The build sets it from sysconfdir: $(sysconfdir)/featcgi/featcgi.conf. */
#ifndef FEAT_CONF_FILE
#define FEAT_CONF_FILE  "/etc/featcgi/featcgi.conf"
#endif


static void
feat_usage(FILE *f)
{
    fprintf(f, "usage: featcgi [-c FILE] [-t] [-R] [-E] [-C] "
               "[-D nginx-maps] [-v]\n"
               "  -c FILE  config file (default %s)\n"
               "  -t       check the config and the route table, then exit\n"
               "  -R       print the merged route table\n"
               "  -E       print the error tables (dialect name status code "
               "zh en,\n"
               "           tab-separated)\n"
               "  -C       print the config options (key kind default doc,\n"
               "           tab-separated)\n"
               "  -D nginx-maps\n"
               "           print the nginx maps of the dialects "
               "(featcgi-maps.conf)\n"
               "  -v       print the version\n", FEAT_CONF_FILE);
}


/* The highest migration this binary knows. */
static int
feat_known_version(void)
{
    int                           v;
    const struct feat_migration  *m;

    v = 0;
    for (m = feat_migrations; m->name != NULL; m++) {
        if (m->version > v) {
            v = m->version;
        }
    }

    return v;
}


/*
 * The migrations must apply to an empty database (checked in memory), and
 * an existing database must not come from a newer featcgi.  The database
 * is opened read-only: -t changes nothing.
 */
static int
feat_check_migrations(const char **why)
{
    int                           version;
    char                         *msg;
    sqlite3                      *db;
    const char                   *path;
    const struct feat_migration  *m;
    static char                   reason[256];

    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL)
        != SQLITE_OK)
    {
        sqlite3_close(db);
        *why = "cannot open an in-memory database";
        return FEAT_ERROR;
    }

    /* Applied by hand, not by feat_db_migrate(), which logs each one. */
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);

    for (m = feat_migrations; m->name != NULL; m++) {
        msg = NULL;
        if (sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(reason, sizeof(reason), "migration %s does not apply: "
                     "%s", m->name, msg != NULL ? msg : "?");
            sqlite3_free(msg);
            sqlite3_close(db);
            *why = reason;
            return FEAT_ERROR;
        }
    }

    sqlite3_close(db);

    path = feat_conf_path(FEAT_CONF_DATABASE);
    if (access(path, F_OK) != 0) {
        return FEAT_OK;         /* created at the first start */
    }

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)
        != SQLITE_OK)
    {
        sqlite3_close(db);
        *why = "the database cannot be opened";
        return FEAT_ERROR;
    }

    sqlite3_busy_timeout(db, 5000);
    version = feat_db_version(db);
    sqlite3_close(db);

    if (version < 0) {
        *why = "the database cannot be read";
        return FEAT_ERROR;
    }

    if (version > feat_known_version()) {
        *why = "the database is from a newer featcgi";
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
main(int argc, char **argv)
{
    int                 c, test, routes, maps, explicit;
    char                why[512];
    const char         *path, *err;
    struct feat_arena  *a;

    path = FEAT_CONF_FILE;
    test = 0;
    routes = 0;
    maps = 0;
    explicit = 0;

    while ((c = getopt(argc, argv, "c:tRECD:vh")) != -1) {
        switch (c) {

        case 'c':
            path = optarg;
            explicit = 1;
            break;

        case 't':
            test = 1;
            break;

        case 'R':
            routes = 1;
            break;

        case 'E':
            /* the tables are built in: no config, no route table */
            if (feat_dialect_check() != FEAT_OK) {
                return 1;
            }
            feat_dialect_print_errors(stdout);
            return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;

        case 'C':
            /* the options are built in: no config file is read */
            if (feat_conf_print(stdout, feat_modules) != FEAT_OK) {
                fprintf(stderr, "featcgi: the config options do not "
                        "build\n");
                return 1;
            }
            feat_conf_free();
            return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;

        case 'D':
            if (strcmp(optarg, "nginx-maps") != 0) {
                fprintf(stderr, "featcgi: -D %s: only nginx-maps is known\n",
                        optarg);
                return 1;
            }
            maps = 1;
            break;

        case 'v':
#ifdef FEAT_FAULT_INJECTION
            /* The tests tell a fault-injection build by this. */
            printf("featcgi %s (fault-injection)\n", PACKAGE_VERSION);
#else
            printf("featcgi %s\n", PACKAGE_VERSION);
#endif
            return 0;

        case 'h':
            feat_usage(stdout);
            return 0;

        default:
            feat_usage(stderr);
            return 1;
        }
    }

    if (optind != argc) {
        feat_usage(stderr);
        return 1;
    }

    if (!test && !routes && !maps) {
        return feat_master_main(path, argv);
    }

    feat_log_set_role("featcgi");

    /* The route table is built in: -R and -D can do without a config. */
    if (feat_conf_load(path, feat_modules, &err) != FEAT_OK
        && (test || explicit))
    {
        fprintf(stderr, "featcgi: %s\n", err);
        return 1;
    }

    if (feat_router_build(feat_modules) != FEAT_OK) {
        fprintf(stderr, "featcgi: the route table does not build\n");
        return 1;
    }

    if (feat_settings_init(feat_modules) != FEAT_OK) {
        fprintf(stderr, "featcgi: the settings table does not build\n");
        feat_router_free();
        return 1;
    }

    if (routes) {
        feat_router_print(stdout);
        fflush(stdout);
    }

    if (maps) {
        a = feat_arena_create();
        feat_dialect_print_nginx(stdout, a);
        feat_arena_destroy(a);
        fflush(stdout);
    }

    if (test) {
        if (feat_check_migrations(&err) != FEAT_OK) {
            fprintf(stderr, "featcgi: %s\n", err);
            feat_router_free();
            return 1;
        }

        /* backup.*: bounds are errors; a backup.dir not writable now is
         * a warning (it may be mounted or made before the next backup) */
        switch (feat_backup_check(why, sizeof(why))) {
        case FEAT_ERROR:
            fprintf(stderr, "featcgi: %s\n", why);
            feat_router_free();
            return 1;
        case FEAT_DECLINED:
            fprintf(stderr, "featcgi: warning: %s\n", why);
            break;
        default:
            break;
        }

        printf("featcgi: configuration %s is ok\n", path);
    }

    feat_router_free();
    feat_conf_free();

    return 0;
}
