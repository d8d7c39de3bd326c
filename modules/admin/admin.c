/*
 * admin.c: the admin module (the console's API, admin.h): its config
 * options, its sweep, and its one route table gathered from the tables of
 * its files.
 *
 * Each file of the module keeps its routes next to its handlers, in a
 * table of its own (admin_session_routes, ...), so the helpers who write
 * them never edit one shared list.  The router takes one table per
 * module, so admin_tables[] below names them, and admin_gather() copies
 * their rows into admin_routes[] when the program is loaded (a
 * constructor: before main, so before any route table is built).  A table
 * is one line of admin_tables[].
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "admin/admin.h"

#define ADMIN_ROUTES_MAX  128

FEAT_ADMIN_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  admin_conf[] = {
    FEAT_ADMIN_CONF(FEAT_CONF_ENTRY) NULL
};

static const struct feat_route *const  admin_tables[] = {
    admin_session_routes,
    admin_users_routes,
    admin_settings_routes,
    admin_audit_routes,
    NULL
};

/* the gathered table, ending in FEAT_NULL_ROUTE (static: zeroed) */
static struct feat_route  admin_routes[ADMIN_ROUTES_MAX + 1];


__attribute__((constructor))
static void
admin_gather(void)
{
    size_t                    i, n;
    const struct feat_route  *rt;

    n = 0;

    for (i = 0; admin_tables[i] != NULL; i++) {
        for (rt = admin_tables[i]; rt->pattern != NULL; rt++) {
            if (n == ADMIN_ROUTES_MAX) {
                /* a build with more routes than room: a bug, at once */
                fprintf(stderr, "admin: more than %d routes\n",
                        ADMIN_ROUTES_MAX);
                abort();
            }
            admin_routes[n++] = *rt;
        }
    }
}


static void
admin_sweep(sqlite3 *db, time_t now)
{
    feat_admin_sweep(db, now);
}


const struct feat_module  feat_admin_module = {
    .name = "admin",
    .routes = admin_routes,
    .authenticate = feat_admin_authenticate,
    .auth_flags = FEAT_MANAGER,
    .sweep = admin_sweep,
    .conf = admin_conf,
};
