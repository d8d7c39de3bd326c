/*
 * admin.c: the FAQ in the admin dialect, the console's (featcgi-api(7)
 * "ADMIN API"): the app's entries newest first, one entry, and its
 * creation, change and removal through faq.h, which v2 /api/faq and v1
 * /faq read.  Each write records admin.faq.create / .update / .delete in
 * the audit log in the transaction of its change (feat_admin_write,
 * fcgi/protocol/admin.c).
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include "feat.h"
#include "faq/faq.h"


#define ALWAYS  FEAT_ADMIN_ALWAYS

enum { FAQ_TITLE, FAQ_CONTENT, FAQ_CATEGORY, FAQ_LINK };

/* A new entry's fields (title required) and a change's (any; "" clears
 * all but the title); in the same order. */
#define FAQ_IN(title_flags)                                                  \
    [FAQ_TITLE] =                                                            \
    { "title", FEAT_FT_STR, title_flags, 1, FEAT_FAQ_TITLE_MAX, NULL,        \
      "the question" },                                                      \
    [FAQ_CONTENT] =                                                          \
    { "content", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_FAQ_CONTENT_MAX,     \
      NULL, "the answer" },                                                  \
    [FAQ_CATEGORY] =                                                         \
    { "category", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_FAQ_CATEGORY_MAX,   \
      NULL, "free text" },                                                   \
    [FAQ_LINK] =                                                             \
    { "external_link", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_FAQ_LINK_MAX,  \
      "uri", "an http or https URL the app opens" },                         \
    FEAT_NULL_FIELD

static const struct feat_field  faq_create_in[] = { FAQ_IN(FEAT_REQUIRED) };
static const struct feat_field  faq_update_in[] = { FAQ_IN(0) };

static const struct feat_field  faq_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the entry's id" },
    { "title", FEAT_FT_STR, ALWAYS, 0, FEAT_FAQ_TITLE_MAX, NULL,
      "the question" },
    { "content", FEAT_FT_STR, ALWAYS, 0, FEAT_FAQ_CONTENT_MAX, NULL,
      "the answer" },
    { "category", FEAT_FT_STR, ALWAYS, 0, FEAT_FAQ_CATEGORY_MAX, NULL,
      "free text" },
    { "external_link", FEAT_FT_STR, ALWAYS, 0, FEAT_FAQ_LINK_MAX, "uri",
      "a URL, or \"\"" },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "written" },
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "last changed" },
    FEAT_NULL_FIELD
};

/* A create's or a change's fields, as faq_input reads them. */
struct faq_admin_in {
    const char  *title;
    const char  *content;
    const char  *category;
    const char  *link;
};


static cJSON *
faq_object(struct feat_req *r, const void *item)
{
    cJSON                  *o;
    const struct feat_faq  *f;

    f = item;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) f->id);
    feat_json_add_str(o, "title", f->title);
    feat_json_add_str(o, "content", f->content);
    feat_json_add_str(o, "category", f->category);
    feat_json_add_str(o, "external_link", f->external_link);
    feat_admin_json_time(r, o, "created_at", f->created_at);
    feat_admin_json_time(r, o, "updated_at", f->updated_at);

    return o;
}


/* The fields of a create or a change (the op's, FAQ_IN's order). */
static int
faq_input(struct feat_req *r, struct feat_admin_write *w)
{
    struct faq_admin_in      *in;
    const struct feat_field  *f;

    in = w->in;
    f = w->op->fields;

    if (feat_in_field(r, &f[FAQ_TITLE], &in->title) == FEAT_ERROR
        || feat_in_field(r, &f[FAQ_CONTENT], &in->content) == FEAT_ERROR
        || feat_in_field(r, &f[FAQ_CATEGORY], &in->category) == FEAT_ERROR
        || feat_in_field(r, &f[FAQ_LINK], &in->link) == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static enum feat_error
faq_entry_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    struct feat_faq  f;
    enum feat_error  e;

    e = feat_faq_get(feat_db(), r->arena, r->app->id, id, &f);
    if (e == FEAT_E_NONE) {
        *out = faq_object(r, &f);
    }

    return e;
}


static enum feat_error
faq_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_faq  *f = NULL;
    enum feat_error   e;

    (void) status;

    e = feat_faq_list(feat_db(), r->arena, r->app->id, pg->offset,
                      pg->size, total, &f, n);
    *items = f;

    return e;
}


static enum feat_error
faq_add(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    struct faq_admin_in  *in = w->in;

    return feat_faq_add(db, r->app->id, in->title, in->content, in->category,
                        in->link, &w->id, &w->bad);
}


static enum feat_error
faq_edit(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    struct faq_admin_in  *in = w->in;

    return feat_faq_edit(db, r->app->id, w->id, in->title, in->content,
                         in->category, in->link, &w->bad);
}


static enum feat_error
faq_remove(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    return feat_faq_remove(db, r->app->id, w->id);
}


static const struct feat_admin_list  faq_list_op = {
    .what = "faq", .read = faq_read, .size = sizeof(struct feat_faq),
    .object = faq_object,
};

static const struct feat_admin_op  faq_create_op = {
    .what = "faq", .action = "admin.faq.create", .status = 201,
    .fields = faq_create_in, .in_size = sizeof(struct faq_admin_in),
    .input = faq_input, .change = faq_add, .answer = faq_entry_object,
};

static const struct feat_admin_op  faq_update_op = {
    .what = "faq", .action = "admin.faq.update", .flags = FEAT_ADMIN_BY_ID,
    .fields = faq_update_in, .in_size = sizeof(struct faq_admin_in),
    .input = faq_input, .change = faq_edit, .answer = faq_entry_object,
};

static const struct feat_admin_op  faq_delete_op = {
    .what = "faq", .action = "admin.faq.delete", .flags = FEAT_ADMIN_BY_ID,
    .change = faq_remove,
};

static const struct feat_admin_op  faq_get_op = {
    .what = "faq", .answer = faq_entry_object,
};


static const struct feat_schema  faq_list_schema = {
    .summary = "The app's FAQ, newest first",
    .answer = faq_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  faq_create_schema = {
    .summary = "A new FAQ entry",
    .request = faq_create_in,
    .answer = faq_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  faq_get_schema = {
    .summary = "One FAQ entry",
    .answer = faq_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  faq_update_schema = {
    .summary = "Change the fields given of a FAQ entry",
    .request = faq_update_in,
    .answer = faq_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  faq_delete_schema = {
    .summary = "Remove a FAQ entry",
    .shape = FEAT_ANSWER_EMPTY,
};


static const struct feat_route  faq_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "faq", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &faq_list_schema, &faq_list_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "faq", FEAT_ADMIN, feat_admin_write,
      FEAT_MANAGER, &faq_create_schema, &faq_create_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN, feat_admin_show,
      FEAT_MANAGER, &faq_get_schema, &faq_get_op },
    { FEAT_PUT, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN, feat_admin_write,
      FEAT_MANAGER, &faq_update_schema, &faq_update_op },
    { FEAT_DELETE, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &faq_delete_schema, &faq_delete_op },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_faq_admin_module = {
    .name = "admin",
    .routes = faq_admin_routes,
};
