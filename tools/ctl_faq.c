/*
 * ctl_faq.c: featctl's "faq" commands (add, edit, rm, list) over the FAQ
 * of sql/0004_faq.sql, which every user of the app reads through GET
 * /api/faq.  The commands call the domain functions of modules/faq/faq.h,
 * so a title or link featctl accepts is exactly one the module would:
 * title 1..200 characters, content up to 20000, category (free text) up
 * to 64, external_link an http or https URL up to 1024.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "featctl.h"
#include "faq/faq.h"

#define CTL_FAQ_LIMIT  100     /* default rows of "faq list" */


static int ctl_faq_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_faq_edit(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_faq_rm(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_faq_list(struct feat_ctl *ctl, int argc, char **argv);
static enum feat_error ctl_faq_page(struct feat_ctl *ctl, sqlite3 *db,
    const char *app, long long offset, long long limit, cJSON *rows);
static int ctl_faq_show(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, const char *verb);
static int ctl_faq_bad(const char *bad);
static cJSON *ctl_faq_object(struct feat_ctl *ctl, const struct feat_faq *f);


const struct feat_ctl_command  feat_ctl_faq_commands[] = {
    { "faq", "add", ctl_faq_add,
      "--title T [--content C] [--category C] [--external-link URL] "
      "[--app ID]",
      "add a FAQ entry" },
    { "faq", "edit", ctl_faq_edit,
      "ID [--title T] [--content C] [--category C] [--external-link URL] "
      "[--app ID]",
      "change the fields given (\"\" clears all but the title)" },
    { "faq", "rm", ctl_faq_rm, "ID [--app ID]",
      "remove a FAQ entry" },
    { "faq", "list", ctl_faq_list,
      "[--app ID] [--limit N] [--offset N]",
      "list the app's FAQ, newest first (default limit 100)" },
    FEAT_CTL_NULL_COMMAND
};


/* The options of "faq add" and "faq edit"; NULL when not given. */
struct ctl_faq_fields {
    const char  *app;           /* "" when not given */
    const char  *title;
    const char  *content;
    const char  *category;
    const char  *link;
};


/*
 * Reads the options of "faq add" and "faq edit" into *f and npos
 * positional words into pos: FEAT_OK, or FEAT_ERROR once the reason and
 * the usage have been printed.
 */
static int
ctl_faq_fields(struct feat_ctl *ctl, int argc, char **argv,
    struct ctl_faq_fields *f, const char **pos, int npos)
{
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, &f->app },
        { "title", 1, &f->title },
        { "content", 1, &f->content },
        { "category", 1, &f->category },
        { "external-link", 1, &f->link },
        { NULL, 0, NULL }
    };

    f->app = "";
    f->title = NULL;
    f->content = NULL;
    f->category = NULL;
    f->link = NULL;

    return feat_ctl_args(ctl, argc, argv, opts, pos, npos);
}


/*
 * The end of "faq add" and "faq edit": the entry id as stored, shown with
 * done ("added"), or the domain's refusal e (bad names the field) while
 * doing ("adding the FAQ entry").
 */
static int
ctl_faq_written(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, enum feat_error e, const char *bad, const char *doing,
    const char *done)
{
    if (e == FEAT_E_BAD_FIELD) {
        return ctl_faq_bad(bad);
    }
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no FAQ entry %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, doing);
    }

    return ctl_faq_show(ctl, db, app, id, done);
}


static int
ctl_faq_add(struct feat_ctl *ctl, int argc, char **argv)
{
    sqlite3                *db;
    const char             *bad;
    sqlite3_int64           id;
    enum feat_error         e;
    struct ctl_faq_fields   f;

    if (ctl_faq_fields(ctl, argc, argv, &f, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (f.title == NULL) {
        return feat_ctl_fail("faq add needs --title");
    }

    db = feat_ctl_app_db(ctl, f.app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    id = 0;
    e = feat_faq_add(db, f.app, f.title, f.content, f.category, f.link, &id,
                     &bad);

    return ctl_faq_written(ctl, db, f.app, id, e, bad,
                           "adding the FAQ entry", "added");
}


static int
ctl_faq_edit(struct feat_ctl *ctl, int argc, char **argv)
{
    sqlite3                *db;
    const char             *arg, *bad;
    sqlite3_int64           id;
    enum feat_error         e;
    struct ctl_faq_fields   f;

    if (ctl_faq_fields(ctl, argc, argv, &f, &arg, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_id(arg, &id) != FEAT_OK) {
        return feat_ctl_fail("bad FAQ id \"%s\"", arg);
    }

    if (f.title == NULL && f.content == NULL && f.category == NULL
        && f.link == NULL)
    {
        return feat_ctl_fail("faq edit needs at least one of --title, "
                             "--content, --category, --external-link");
    }

    db = feat_ctl_app_db(ctl, f.app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    bad = NULL;
    e = feat_faq_edit(db, f.app, id, f.title, f.content, f.category, f.link,
                      &bad);

    return ctl_faq_written(ctl, db, f.app, id, e, bad,
                           "editing the FAQ entry", "changed");
}


static int
ctl_faq_rm(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    sqlite3                   *db;
    const char                *app;
    sqlite3_int64              id;
    enum feat_error            e;

    rc = feat_ctl_app_item(ctl, argc, argv, "FAQ", &app, &id, &db);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    e = feat_faq_remove(db, app, id);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no FAQ entry %lld in app \"%s\"",
                             (long long) id, app);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "removing the FAQ entry");
    }

    feat_ctl_print_removed(ctl, "faq", id, app);

    return FEAT_CTL_OK;
}


/* One page of "faq list": the domain's rows as featctl shows them. */
static enum feat_error
ctl_faq_page(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    long long offset, long long limit, cJSON *rows)
{
    size_t            i, n;
    long long         total;
    struct feat_faq  *items;
    enum feat_error   e;

    e = feat_faq_list(db, ctl->arena, app, offset, limit, &total, &items,
                      &n);
    if (e != FEAT_E_NONE) {
        return e;
    }

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(rows, ctl_faq_object(ctl, &items[i]));
    }

    return FEAT_E_NONE;
}


static int
ctl_faq_list(struct feat_ctl *ctl, int argc, char **argv)
{
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "category", "CATEGORY", NULL },
        { "title", "TITLE", NULL },
        { "external_link", "LINK", NULL },
        { "updated_at", "UPDATED", NULL },
    };
    static const struct feat_ctl_list    list = {
        CTL_FAQ_LIMIT, FEAT_FAQ_LIST_MAX, "listing the FAQ", ctl_faq_page,
        cols, FEAT_NELEMS(cols)
    };

    return feat_ctl_app_list(ctl, argc, argv, &list);
}


/*
 * Reads an entry back and prints it: the answer shows what was stored,
 * times included.
 */
static int
ctl_faq_show(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    sqlite3_int64 id, const char *verb)
{
    char             msg[96];
    struct feat_faq  f;

    if (feat_faq_get(db, ctl->arena, app, id, &f) != FEAT_E_NONE) {
        return feat_ctl_fail("reading FAQ entry %lld back failed",
                             (long long) id);
    }

    snprintf(msg, sizeof(msg), "faq %lld %s", (long long) id, verb);
    feat_ctl_print_result(ctl, ctl_faq_object(ctl, &f), msg);

    return FEAT_CTL_OK;
}


/* The field the domain refused, in the words of the command line. */
static int
ctl_faq_bad(const char *bad)
{
    if (bad != NULL && strcmp(bad, "external_link") == 0) {
        return feat_ctl_fail("bad --external-link: an http:// or https:// "
                             "URL of at most %d characters",
                             FEAT_FAQ_LINK_MAX);
    }

    if (bad != NULL && strcmp(bad, "content") == 0) {
        return feat_ctl_fail("bad --content: valid UTF-8 of at most %d "
                             "characters", FEAT_FAQ_CONTENT_MAX);
    }

    if (bad != NULL && strcmp(bad, "category") == 0) {
        return feat_ctl_fail("bad --category: valid UTF-8 of at most %d "
                             "characters", FEAT_FAQ_CATEGORY_MAX);
    }

    return feat_ctl_fail("bad --title: 1 to %d characters of valid UTF-8",
                         FEAT_FAQ_TITLE_MAX);
}


static cJSON *
ctl_faq_object(struct feat_ctl *ctl, const struct feat_faq *f)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) f->id);
    cJSON_AddStringToObject(o, "app_id", f->app_id);
    cJSON_AddStringToObject(o, "title", f->title);
    cJSON_AddStringToObject(o, "content", f->content);
    cJSON_AddStringToObject(o, "category", f->category);
    cJSON_AddStringToObject(o, "external_link", f->external_link);
    cJSON_AddStringToObject(o, "created_at",
                            feat_ctl_time(ctl, f->created_at));
    cJSON_AddStringToObject(o, "updated_at",
                            feat_ctl_time(ctl, f->updated_at));

    return o;
}
