/*
 * ctl_notice.c: featctl's "notice" commands (add, edit, rm, list) over the
 * activity notices of sql/0020_notices.sql, which every user of the app
 * reads through v1's GET /api/user/notice.  The commands call the domain
 * functions of modules/notices/notices.h, so what featctl accepts is
 * exactly what the module would: title 1..200 characters, content up to
 * 20000, thumbnail an http(s) URL or an absolute path up to 1024.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "notices/notices.h"

#define CTL_NOTICE_LIMIT  100     /* default rows of "notice list" */


static int ctl_notice_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_notice_edit(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_notice_rm(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_notice_list(struct feat_ctl *ctl, int argc, char **argv);
static enum feat_error ctl_notice_page(struct feat_ctl *ctl, sqlite3 *db,
    const char *app, long long offset, long long limit, cJSON *rows);
static int ctl_notice_bad(const char *bad);
static int ctl_notice_show(struct feat_ctl *ctl, sqlite3 *db,
    const char *app, sqlite3_int64 id, const char *verb);
static cJSON *ctl_notice_object(struct feat_ctl *ctl,
    const struct feat_notice *n);


const struct feat_ctl_command  feat_ctl_notice_commands[] = {
    { "notice", "add", ctl_notice_add,
      "--title T [--content C] [--thumbnail URL] [--app ID]",
      "publish an activity notice (v1 /api/user/notice)" },
    { "notice", "edit", ctl_notice_edit,
      "ID [--title T] [--content C] [--thumbnail URL] [--app ID]",
      "change the fields given (\"\" clears content or thumbnail)" },
    { "notice", "rm", ctl_notice_rm, "ID [--app ID]",
      "remove a notice and its read states" },
    { "notice", "list", ctl_notice_list,
      "[--app ID] [--limit N] [--offset N]",
      "list the app's notices, oldest first (default limit 100)" },
    FEAT_CTL_NULL_COMMAND
};


/* The options of "notice add" and "notice edit"; NULL when not given. */
struct ctl_notice_fields {
    const char  *app;           /* "" when not given */
    const char  *title;
    const char  *content;
    const char  *thumbnail;
};


/*
 * Reads the options of "notice add" and "notice edit" into *f and npos
 * positional words into pos: FEAT_OK, or FEAT_ERROR once the reason and
 * the usage have been printed.
 */
static int
ctl_notice_fields(struct feat_ctl *ctl, int argc, char **argv,
    struct ctl_notice_fields *f, const char **pos, int npos)
{
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, &f->app },
        { "title", 1, &f->title },
        { "content", 1, &f->content },
        { "thumbnail", 1, &f->thumbnail },
        { NULL, 0, NULL }
    };

    f->app = "";
    f->title = NULL;
    f->content = NULL;
    f->thumbnail = NULL;

    return feat_ctl_args(ctl, argc, argv, opts, pos, npos);
}


/*
 * The end of "notice add" and "notice edit": the notice id as stored,
 * shown with done ("added"), or the domain's refusal e (bad names the
 * field) while doing ("adding the notice").
 */
static int
ctl_notice_written(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, enum feat_error e, const char *bad, const char *doing,
    const char *done)
{
    if (e == FEAT_E_BAD_FIELD) {
        return ctl_notice_bad(bad);
    }
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no notice %lld in app \"%s\"", (long long) id,
                             app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, doing);
    }

    return ctl_notice_show(ctl, db, app, id, done);
}


static int
ctl_notice_add(struct feat_ctl *ctl, int argc, char **argv)
{
    sqlite3                   *db;
    const char                *bad;
    sqlite3_int64              id;
    enum feat_error            e;
    struct ctl_notice_fields   f;

    if (ctl_notice_fields(ctl, argc, argv, &f, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (f.title == NULL) {
        return feat_ctl_fail("notice add needs --title");
    }

    db = feat_ctl_app_db(ctl, f.app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    id = 0;
    e = feat_notice_add(db, f.app, f.title, f.content, f.thumbnail, &id,
                        &bad);

    return ctl_notice_written(ctl, db, f.app, id, e, bad,
                              "adding the notice", "added");
}


static int
ctl_notice_edit(struct feat_ctl *ctl, int argc, char **argv)
{
    sqlite3                   *db;
    const char                *arg, *bad;
    sqlite3_int64              id;
    enum feat_error            e;
    struct ctl_notice_fields   f;

    if (ctl_notice_fields(ctl, argc, argv, &f, &arg, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_id(arg, &id) != FEAT_OK) {
        return feat_ctl_fail("bad notice id \"%s\"", arg);
    }

    if (f.title == NULL && f.content == NULL && f.thumbnail == NULL) {
        return feat_ctl_fail("notice edit needs at least one of --title, "
                             "--content, --thumbnail");
    }

    db = feat_ctl_app_db(ctl, f.app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_notice_edit(db, f.app, id, f.title, f.content, f.thumbnail,
                         &bad);

    return ctl_notice_written(ctl, db, f.app, id, e, bad,
                              "editing the notice", "changed");
}


static int
ctl_notice_rm(struct feat_ctl *ctl, int argc, char **argv)
{
    int                         rc;
    sqlite3                    *db;
    const char                 *app;
    sqlite3_int64               id;
    enum feat_error             e;

    rc = feat_ctl_app_item(ctl, argc, argv, "notice", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_notice_remove(db, app, id);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no notice %lld in app \"%s\"", (long long) id,
                             app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "removing the notice");
    }

    feat_ctl_print_removed(ctl, "notice", id, app);

    return FEAT_CTL_OK;
}


/* One page of "notice list"; user 0: the administrator's view, without
 * anybody's read state. */
static enum feat_error
ctl_notice_page(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    long long offset, long long limit, cJSON *rows)
{
    size_t               i, n;
    long long            total;
    struct feat_notice  *items;
    enum feat_error      e;

    e = feat_notice_list(db, ctl->arena, app, 0, offset, limit, &total,
                         &items, &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows, ctl_notice_object(ctl, &items[i]));
    }

    return FEAT_E_NONE;
}


static int
ctl_notice_list(struct feat_ctl *ctl, int argc, char **argv)
{
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "number", "NUMBER", NULL },
        { "title", "TITLE", NULL },
        { "thumbnail", "THUMBNAIL", NULL },
        { "updated_at", "UPDATED", NULL },
    };
    static const struct feat_ctl_list    list = {
        CTL_NOTICE_LIMIT, FEAT_NOTICE_LIST_MAX, "listing the notices",
        ctl_notice_page, cols, FEAT_NELEMS(cols)
    };

    return feat_ctl_app_list(ctl, argc, argv, &list);
}


/* Reads a notice back and prints it: the answer shows what was stored. */
static int
ctl_notice_show(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, const char *verb)
{
    char                msg[96];
    struct feat_notice  n;

    if (feat_notice_get(db, ctl->arena, app, 0, id, 0, &n) != FEAT_E_NONE) {
        return feat_ctl_fail("reading notice %lld back failed",
                             (long long) id);
    }

    snprintf(msg, sizeof(msg), "notice %lld %s", (long long) id, verb);
    feat_ctl_print_result(ctl, ctl_notice_object(ctl, &n), msg);

    return FEAT_CTL_OK;
}


/* The field the domain refused, in the words of the command line. */
static int
ctl_notice_bad(const char *bad)
{
    if (bad != NULL && strcmp(bad, "thumbnail") == 0) {
        return feat_ctl_fail("bad --thumbnail: an http:// or https:// URL "
                             "or a path starting with /, of at most %d "
                             "characters without blanks",
                             FEAT_NOTICE_THUMBNAIL_MAX);
    }

    if (bad != NULL && strcmp(bad, "content") == 0) {
        return feat_ctl_fail("bad --content: valid UTF-8 of at most %d "
                             "characters", FEAT_NOTICE_CONTENT_MAX);
    }

    return feat_ctl_fail("bad --title: 1 to %d characters of valid UTF-8",
                         FEAT_NOTICE_TITLE_MAX);
}


static cJSON *
ctl_notice_object(struct feat_ctl *ctl, const struct feat_notice *n)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) n->id);
    cJSON_AddStringToObject(o, "app_id", n->app_id);
    cJSON_AddStringToObject(o, "number",
                            feat_notice_number(ctl->arena, n->id));
    cJSON_AddStringToObject(o, "title", n->title);
    cJSON_AddStringToObject(o, "content", n->content);
    cJSON_AddStringToObject(o, "thumbnail", n->thumbnail);
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, n->created_at));
    cJSON_AddStringToObject(o, "updated_at",
                            feat_ctl_time(ctl, n->updated_at));

    return o;
}
