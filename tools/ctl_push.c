/*
 * ctl_push.c: featctl's "push send", which records a push from a manager
 * to every user of an app (--all, push_scope 0) or to the users listed
 * (--user ID ..., push_scope 1), through feat_push_send of
 * modules/push/push.h.
 *
 * The push is stored with push_status 0 (queued), with one outbox row per
 * device it reaches (1 at once when there is none), and shows at once in
 * the push log (GET /api/push/log) of the users it reaches; delivering it
 * to their devices is the jobs process's work, which drains the outbox.
 * Those rows are the seam between the two, so this command never talks to
 * a push service itself.
 *
 * --user may be repeated and each value may hold a comma-separated list,
 * so a long list needs no more than featctl's sixteen words.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "push/push.h"


struct ctl_push_users {
    sqlite3_int64  *ids;
    size_t          n;
};


static int ctl_push_send(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_push_args(struct feat_ctl *ctl, int argc, char **argv,
    const char **app, const char **title, const char **body, int *all,
    const char **manager, struct ctl_push_users *users);
static int ctl_push_user_list(struct feat_ctl *ctl, const char *s,
    struct ctl_push_users *users);
static int ctl_push_usage(struct feat_ctl *ctl);


const struct feat_ctl_command  feat_ctl_push_commands[] = {
    { "push", "send", ctl_push_send,
      "--title T --body B (--all | --user ID[,ID...] ...) [--manager ID] "
      "[--app ID]",
      "record a push (queued) to every user of the app or to those listed" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_push_send(struct feat_ctl *ctl, int argc, char **argv)
{
    int                    all;
    char                   msg[128];
    cJSON                 *res, *list;
    size_t                 i;
    sqlite3               *db;
    const char            *app, *title, *body, *manager_opt, *bad;
    sqlite3_int64          manager, id, reached, status;
    enum feat_error        e;
    struct ctl_push_users  users;

    app = "";
    title = NULL;
    body = NULL;
    manager_opt = NULL;
    all = 0;
    users.ids = NULL;
    users.n = 0;

    if (ctl_push_args(ctl, argc, argv, &app, &title, &body, &all,
                      &manager_opt, &users)
        != FEAT_OK)
    {
        return FEAT_CTL_USAGE;
    }

    if (title == NULL || body == NULL) {
        return feat_ctl_fail("push send needs --title and --body");
    }

    /* an empty list must never mean "everybody": that takes --all */
    if (all == (users.n > 0)) {
        return feat_ctl_fail("push send needs either --all or --user ID, "
                             "not both");
    }

    if (feat_ctl_app_manager(ctl, app, manager_opt, &db, &manager)
        != FEAT_CTL_OK)
    {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_push_send(db, app, manager, title, body, users.ids, users.n,
                       &id, &bad);

    if (e == FEAT_E_BAD_FIELD) {
        if (bad != NULL && strcmp(bad, "push_body") == 0) {
            return feat_ctl_fail("bad --body: valid UTF-8 of at most %d "
                                 "characters", FEAT_PUSH_BODY_MAX);
        }
        if (bad != NULL && strcmp(bad, "user_id") == 0) {
            return feat_ctl_fail("too many users: at most %d",
                                 FEAT_PUSH_TARGETS_MAX);
        }
        return feat_ctl_fail("bad --title: 1 to %d characters of valid "
                             "UTF-8", FEAT_PUSH_TITLE_MAX);
    }
    if (e == FEAT_E_NOT_FOUND) {
        /* the manager was checked: a listed user is not of the app */
        return feat_ctl_fail("a user listed is not a user of app \"%s\"",
                             app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "recording the push");
    }

    if (all) {
        if (feat_db_int(db, &reached,
                        "SELECT count(*) FROM users WHERE app_id = ?", "s",
                        app)
            != FEAT_OK)
        {
            reached = -1;
        }
    } else {
        if (feat_db_int(db, &reached,
                        "SELECT count(*) FROM push_target WHERE push_id = ?",
                        "i", id)
            != FEAT_OK)
        {
            reached = -1;
        }
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddNumberToObject(res, "manager_id", (double) manager);
    cJSON_AddStringToObject(res, "push_title", title);
    cJSON_AddStringToObject(res, "push_body", body);
    cJSON_AddNumberToObject(res, "push_scope", all ? FEAT_PUSH_SCOPE_ALL
                                                   : FEAT_PUSH_SCOPE_LISTED);
    /* 1 at once when none of the users has a device to deliver to */
    if (feat_db_int(db, &status, "SELECT status FROM push WHERE id = ?",
                    "i", id)
        != FEAT_OK)
    {
        status = FEAT_PUSH_QUEUED;
    }
    cJSON_AddNumberToObject(res, "push_status", (double) status);
    cJSON_AddNumberToObject(res, "users", (double) reached);

    if (!all) {
        list = cJSON_AddArrayToObject(res, "user_ids");
        for (i = 0; i < users.n; i++) {
            cJSON_AddItemToArray(list,
                                 cJSON_CreateNumber((double) users.ids[i]));
        }
    }

    snprintf(msg, sizeof(msg), "push %lld queued for %lld user%s",
             (long long) id, (long long) reached, reached == 1 ? "" : "s");
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/*
 * push send's own option walk: feat_ctl_args keeps one value per option,
 * and --user repeats.  "--name VALUE" and "--name=VALUE" as there.
 */
static int
ctl_push_args(struct feat_ctl *ctl, int argc, char **argv, const char **app,
    const char **title, const char **body, int *all, const char **manager,
    struct ctl_push_users *users)
{
    int           i;
    size_t        len;
    const char   *a, *eq, *v, **dst;

    if (argc > FEAT_CTL_MAX_ARGS) {
        fprintf(stderr, "featctl: too many arguments (list users as "
                        "--user 1,2,3)\n");
        return ctl_push_usage(ctl);
    }

    for (i = 0; i < argc; i++) {
        a = argv[i];

        if (strcmp(a, "--json") == 0) {
            ctl->json = 1;
            continue;
        }

        if (strcmp(a, "--all") == 0) {
            *all = 1;
            continue;
        }

        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "featctl: unexpected argument \"%s\"\n", a);
            return ctl_push_usage(ctl);
        }

        a += 2;
        eq = strchr(a, '=');
        len = eq != NULL ? (size_t) (eq - a) : strlen(a);

        if (len == 3 && strncmp(a, "app", 3) == 0) {
            dst = app;
        } else if (len == 5 && strncmp(a, "title", 5) == 0) {
            dst = title;
        } else if (len == 4 && strncmp(a, "body", 4) == 0) {
            dst = body;
        } else if (len == 7 && strncmp(a, "manager", 7) == 0) {
            dst = manager;
        } else if (len == 4 && strncmp(a, "user", 4) == 0) {
            dst = NULL;
        } else {
            fprintf(stderr, "featctl: unknown option \"%s\"\n", argv[i]);
            return ctl_push_usage(ctl);
        }

        if (eq != NULL) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            fprintf(stderr, "featctl: --%.*s needs a value\n", (int) len, a);
            return ctl_push_usage(ctl);
        }

        if (dst != NULL) {
            *dst = v;
            continue;
        }

        if (ctl_push_user_list(ctl, v, users) != FEAT_OK) {
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


/* Adds "ID" or "ID,ID,..." to users; FEAT_ERROR after saying why. */
static int
ctl_push_user_list(struct feat_ctl *ctl, const char *s,
    struct ctl_push_users *users)
{
    char           *copy, *p, *next;
    sqlite3_int64   id;

    if (users->ids == NULL) {
        users->ids = feat_arena_alloc(ctl->arena, FEAT_PUSH_TARGETS_MAX
                                                  * sizeof(sqlite3_int64));
    }

    copy = feat_arena_strdup(ctl->arena, s);

    for (p = copy; p != NULL; p = next) {
        next = strchr(p, ',');
        if (next != NULL) {
            *next++ = '\0';
        }

        if (feat_ctl_id(p, &id) != FEAT_OK) {
            fprintf(stderr, "featctl: bad --user \"%s\": user ids, "
                            "comma-separated\n", s);
            return ctl_push_usage(ctl);
        }

        if (users->n == FEAT_PUSH_TARGETS_MAX) {
            fprintf(stderr, "featctl: too many users: at most %d\n",
                    FEAT_PUSH_TARGETS_MAX);
            return FEAT_ERROR;
        }

        users->ids[users->n++] = id;
    }

    return FEAT_OK;
}


static int
ctl_push_usage(struct feat_ctl *ctl)
{
    fprintf(stderr, "usage: featctl [-c FILE] [--json] %s %s %s\n",
            ctl->cmd->group, ctl->cmd->verb, ctl->cmd->usage);

    return FEAT_ERROR;
}
