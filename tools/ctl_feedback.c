/*
 * ctl_feedback.c: featctl's "feedback" commands (list, show, reply, close)
 * and "feedback-category" commands (add, rm, list) over
 * sql/0005_feedback.sql.  They are the administrator's side of the v2
 * feedback routes and call the same domain functions
 * (modules/feedback/feedback.h) with FEAT_FEEDBACK_ANY_USER, the owner
 * filter only administrators may lift.
 *
 * A reply sets the feedback's status to replied and stays unread until
 * its user fetches it (GET /api/feedback/reply/{id}); until then it counts
 * in that user's message/count.  A reply is recorded under a manager:
 * --manager ID, or the app's only manager when it has one.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "feedback/feedback.h"

#define CTL_FEEDBACK_LIMIT    100    /* default rows of the lists */
#define CTL_FEEDBACK_PREVIEW  40     /* code points of content in tables */


static int ctl_feedback_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_feedback_show(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_feedback_reply(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_feedback_close(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_category_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_category_rm(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_category_list(struct feat_ctl *ctl, int argc, char **argv);
static enum feat_error ctl_category_page(struct feat_ctl *ctl, sqlite3 *db,
    const char *app, long long offset, long long limit, cJSON *rows);
static cJSON *ctl_feedback_object(struct feat_ctl *ctl,
    const struct feat_feedback *f, int preview);
static cJSON *ctl_reply_object(struct feat_ctl *ctl,
    const struct feat_feedback_reply *p);


const struct feat_ctl_command  feat_ctl_feedback_commands[] = {
    { "feedback", "list", ctl_feedback_list,
      "[--app ID] [--status N] [--user ID] [--limit N] [--offset N]",
      "list feedback, newest first; status 0 new, 1 replied, 2 closed" },
    { "feedback", "show", ctl_feedback_show, "ID [--app ID]",
      "show one feedback and its replies" },
    { "feedback", "reply", ctl_feedback_reply,
      "ID TEXT [--app ID] [--manager ID]",
      "reply to a feedback (status becomes replied; unread until fetched)" },
    { "feedback", "close", ctl_feedback_close, "ID [--app ID]",
      "close a feedback (no more replies)" },
    { "feedback-category", "add", ctl_category_add,
      "NAME [--description TEXT] [--app ID]",
      "add a feedback category" },
    { "feedback-category", "rm", ctl_category_rm, "ID [--app ID]",
      "remove a category (its feedback stays, without a category)" },
    { "feedback-category", "list", ctl_category_list,
      "[--app ID] [--limit N] [--offset N]",
      "list the app's feedback categories, newest first" },
    FEAT_CTL_NULL_COMMAND
};


static int
ctl_feedback_list(struct feat_ctl *ctl, int argc, char **argv)
{
    size_t                               i, n;
    cJSON                               *rows;
    sqlite3                             *db;
    long long                            limit, offset, total, status;
    const char                          *app, *status_opt, *user_opt;
    const char                          *limit_opt, *offset_opt;
    sqlite3_int64                        user;
    struct feat_feedback                *items;
    enum feat_error                      e;
    const struct feat_ctl_opt            opts[] = {
        { "app", 1, &app },
        { "status", 1, &status_opt },
        { "user", 1, &user_opt },
        { "limit", 1, &limit_opt },
        { "offset", 1, &offset_opt },
        { NULL, 0, NULL }
    };
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "user_id", "USER", NULL },
        { "status", "STATUS", NULL },
        { "category_id", "CATEGORY", NULL },
        { "contact_phone", "PHONE", NULL },
        { "content", "CONTENT", NULL },
        { "created_at", "CREATED", NULL },
    };

    app = "";
    status_opt = NULL;
    user_opt = NULL;
    limit_opt = NULL;
    offset_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    status = -1;
    if (status_opt != NULL
        && feat_ctl_int(status_opt, 0, 2, &status) != FEAT_OK)
    {
        return feat_ctl_fail("bad --status \"%s\": 0 new, 1 replied, "
                             "2 closed", status_opt);
    }

    user = FEAT_FEEDBACK_ANY_USER;
    if (user_opt != NULL && feat_ctl_id(user_opt, &user) != FEAT_OK) {
        return feat_ctl_fail("bad --user \"%s\": a user id", user_opt);
    }

    if (feat_ctl_paging(limit_opt, offset_opt, CTL_FEEDBACK_LIMIT,
                        FEAT_FEEDBACK_LIST_MAX, &limit, &offset)
        != FEAT_OK)
    {
        return FEAT_CTL_FAIL;
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    e = feat_feedback_list(db, ctl->arena, app, user, (int) status, offset,
                           limit, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "listing the feedback");
    }

    rows = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows,
                             ctl_feedback_object(ctl, &items[i], !ctl->json));
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


static int
ctl_feedback_show(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    size_t                               i, n;
    cJSON                               *obj, *rows;
    sqlite3                             *db;
    long long                            total;
    const char                          *app;
    sqlite3_int64                        id;
    struct feat_feedback                 f;
    struct feat_feedback_reply          *items;
    enum feat_error                      e;
    static const struct feat_ctl_column  cols[] = {
        { "id", "REPLY", NULL },
        { "manager_id", "MANAGER", NULL },
        { "is_read", "READ", NULL },
        { "created_at", "CREATED", NULL },
        { "content", "CONTENT", NULL },
    };

    rc = feat_ctl_app_item(ctl, argc, argv, "feedback", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_feedback_get(db, ctl->arena, app, FEAT_FEEDBACK_ANY_USER, id,
                          &f);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no feedback %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "reading the feedback");
    }

    /* reading them here marks nothing: only the user's fetch does */
    e = feat_feedback_reply_list(db, ctl->arena, app, FEAT_FEEDBACK_ANY_USER,
                                 id, 0, FEAT_FEEDBACK_LIST_MAX, &total,
                                 &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "listing the replies");
    }

    obj = ctl_feedback_object(ctl, &f, 0);
    rows = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows, ctl_reply_object(ctl, &items[i]));
    }

    if (ctl->json) {
        cJSON_AddItemToObject(obj, "replies", rows);
        feat_ctl_print_object(ctl, obj);
        return FEAT_CTL_OK;
    }

    cJSON_AddNumberToObject(obj, "replies", (double) total);
    feat_ctl_print_object(ctl, obj);

    if (n > 0) {
        putchar('\n');
        feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));
    } else {
        cJSON_Delete(rows);
    }

    return FEAT_CTL_OK;
}


static int
ctl_feedback_reply(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    char                       msg[128];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *app, *manager_opt, *bad, *pos[2];
    sqlite3_int64              id, manager, reply;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, &app },
        { "manager", 1, &manager_opt },
        { NULL, 0, NULL }
    };

    app = "";
    manager_opt = NULL;

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "feedback", pos, 2, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (feat_ctl_app_manager(ctl, app, manager_opt, &db, &manager)
        != FEAT_CTL_OK)
    {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_feedback_reply_add(db, app, id, manager, pos[1], &reply, &bad);

    switch (e) {

    case FEAT_E_NONE:
        break;

    case FEAT_E_BAD_FIELD:
        return feat_ctl_fail("bad reply text: 1 to %d characters of valid "
                             "UTF-8", FEAT_FEEDBACK_REPLY_MAX);

    case FEAT_E_NOT_FOUND:
        return feat_ctl_fail("no feedback %lld in app \"%s\"",
                             (long long) id, app);

    case FEAT_E_WRONG_STATE:
        return feat_ctl_fail("feedback %lld is closed", (long long) id);

    default:
        return feat_ctl_domain_fail(e, "replying");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) reply);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddNumberToObject(res, "feedback_id", (double) id);
    cJSON_AddNumberToObject(res, "manager_id", (double) manager);
    cJSON_AddStringToObject(res, "content", pos[1]);
    cJSON_AddNumberToObject(res, "feedback_status", FEAT_FEEDBACK_REPLIED);

    snprintf(msg, sizeof(msg), "reply %lld to feedback %lld added",
             (long long) reply, (long long) id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_feedback_close(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    char                       msg[96];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *app;
    sqlite3_int64              id;
    enum feat_error            e;

    rc = feat_ctl_app_item(ctl, argc, argv, "feedback", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_feedback_close(db, app, id);

    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no feedback %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e == FEAT_E_WRONG_STATE) {
        return feat_ctl_fail("feedback %lld is already closed",
                             (long long) id);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "closing the feedback");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddNumberToObject(res, "feedback_status", FEAT_FEEDBACK_CLOSED);

    snprintf(msg, sizeof(msg), "feedback %lld closed", (long long) id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_category_add(struct feat_ctl *ctl, int argc, char **argv)
{
    char                       msg[96];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *app, *name, *desc, *bad;
    sqlite3_int64              id;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, &app },
        { "description", 1, &desc },
        { NULL, 0, NULL }
    };

    app = "";
    desc = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, &name, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_feedback_category_add(db, app, name, desc, &id, &bad);

    if (e == FEAT_E_BAD_FIELD) {
        if (bad != NULL && strcmp(bad, "description") == 0) {
            return feat_ctl_fail("bad --description: valid UTF-8 of at most "
                                 "%d characters",
                                 FEAT_FEEDBACK_CATEGORY_DESC_MAX);
        }
        return feat_ctl_fail("bad category name: 1 to %d characters of "
                             "valid UTF-8", FEAT_FEEDBACK_CATEGORY_NAME_MAX);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "adding the category");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddStringToObject(res, "name", name);
    cJSON_AddStringToObject(res, "description", desc != NULL ? desc : "");

    snprintf(msg, sizeof(msg), "feedback category %lld added",
             (long long) id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_category_rm(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    sqlite3                   *db;
    const char                *app;
    sqlite3_int64              id;
    enum feat_error            e;

    rc = feat_ctl_app_item(ctl, argc, argv, "category", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_feedback_category_remove(db, app, id);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no feedback category %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "removing the category");
    }

    feat_ctl_print_removed(ctl, "feedback category", id, app);

    return FEAT_CTL_OK;
}


/* One page of "feedback-category list". */
static enum feat_error
ctl_category_page(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    long long offset, long long limit, cJSON *rows)
{
    size_t                          i, n;
    cJSON                          *row;
    long long                       total;
    struct feat_feedback_category  *items;
    enum feat_error                 e;

    e = feat_feedback_category_list(db, ctl->arena, app, offset, limit,
                                    &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    for (i = 0; i < n; i++) {
        row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "id", (double) items[i].id);
        cJSON_AddStringToObject(row, "app_id", items[i].app_id);
        cJSON_AddStringToObject(row, "name", items[i].name);
        cJSON_AddStringToObject(row, "description", items[i].description);
        cJSON_AddStringToObject(row, "created_at",
                                feat_ctl_time(ctl, items[i].created_at));
        cJSON_AddItemToArray(rows, row);
    }

    return FEAT_E_NONE;
}


static int
ctl_category_list(struct feat_ctl *ctl, int argc, char **argv)
{
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "name", "NAME", NULL },
        { "description", "DESCRIPTION", NULL },
        { "created_at", "CREATED", NULL },
    };
    static const struct feat_ctl_list    list = {
        CTL_FEEDBACK_LIMIT, FEAT_FEEDBACK_LIST_MAX, "listing the categories",
        ctl_category_page, cols, FEAT_NELEMS(cols)
    };

    return feat_ctl_app_list(ctl, argc, argv, &list);
}


/*
 * A feedback row; with preview the content is cut to a table's width
 * (at a code point boundary, "..." appended).  Category none is null.
 */
static cJSON *
ctl_feedback_object(struct feat_ctl *ctl, const struct feat_feedback *f,
    int preview)
{
    size_t       i, cps;
    cJSON       *o;
    const char  *content;

    content = f->content;

    if (preview) {
        for (i = 0, cps = 0; content[i] != '\0'; i++) {
            if (((unsigned char) content[i] & 0xc0) != 0x80
                && cps++ == CTL_FEEDBACK_PREVIEW)
            {
                content = feat_arena_sprintf(ctl->arena, "%.*s...", (int) i,
                                             f->content);
                break;
            }
        }
    }

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) f->id);
    cJSON_AddStringToObject(o, "app_id", f->app_id);
    cJSON_AddNumberToObject(o, "user_id", (double) f->user_id);
    cJSON_AddNumberToObject(o, "status", f->status);

    if (f->category_id > 0) {
        cJSON_AddNumberToObject(o, "category_id", (double) f->category_id);
    } else {
        cJSON_AddNullToObject(o, "category_id");
    }

    cJSON_AddStringToObject(o, "title", f->title);
    cJSON_AddStringToObject(o, "content", content);
    cJSON_AddStringToObject(o, "contact_phone", f->contact_phone);
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, f->created_at));
    cJSON_AddStringToObject(o, "updated_at",
                            feat_ctl_time(ctl, f->updated_at));

    return o;
}


static cJSON *
ctl_reply_object(struct feat_ctl *ctl, const struct feat_feedback_reply *p)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) p->id);
    cJSON_AddNumberToObject(o, "feedback_id", (double) p->feedback_id);
    cJSON_AddNumberToObject(o, "manager_id", (double) p->manager_id);
    cJSON_AddStringToObject(o, "content", p->content);
    cJSON_AddBoolToObject(o, "is_read", p->is_read != 0);
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, p->created_at));

    return o;
}
