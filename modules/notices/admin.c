/*
 * admin.c: activity notices in the admin dialect, the console's
 * (featcgi-api(7) "ADMIN API"): the app's notices in the order they were
 * published, one notice, and its creation, change and removal through
 * notices.h, which v1 /api/user/notice* reads.  Each write records
 * admin.notice.create / .update / .delete in the audit log in the
 * transaction of its change (feat_admin_write, fcgi/protocol/admin.c).
 *
 * The routes are a module of their own named "admin", as the admin
 * module's are: the OpenAPI document tags the console's operations by
 * that one name, whichever folder serves them.
 */

#include "config.h"

#include "feat.h"
#include "notices/notices.h"


#define ALWAYS  FEAT_ADMIN_ALWAYS

enum { NOTICE_TITLE, NOTICE_CONTENT, NOTICE_THUMBNAIL };

/* A new notice's fields (title required) and a change's (any; "" clears
 * content or thumbnail); in the same order. */
#define NOTICE_IN(title_flags)                                               \
    [NOTICE_TITLE] =                                                         \
    { "title", FEAT_FT_STR, title_flags, 1, FEAT_NOTICE_TITLE_MAX, NULL,     \
      "the title" },                                                         \
    [NOTICE_CONTENT] =                                                       \
    { "content", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0, FEAT_NOTICE_CONTENT_MAX,  \
      NULL, "the text" },                                                    \
    [NOTICE_THUMBNAIL] =                                                     \
    { "thumbnail", FEAT_FT_STR, FEAT_ALLOW_EMPTY, 0,                         \
      FEAT_NOTICE_THUMBNAIL_MAX, "uri",                                      \
      "an http or https URL, or a path from /" },                            \
    FEAT_NULL_FIELD

static const struct feat_field  notice_create_in[] = {
    NOTICE_IN(FEAT_REQUIRED)
};
static const struct feat_field  notice_update_in[] = { NOTICE_IN(0) };

static const struct feat_field  notice_out[] = {
    { "id", FEAT_FT_ID, ALWAYS, 0, 0, NULL, "the notice's id" },
    { "number", FEAT_FT_STR, ALWAYS, 0, 0, NULL,
      "the id zero-padded, as v1 shows it" },
    { "title", FEAT_FT_STR, ALWAYS, 0, FEAT_NOTICE_TITLE_MAX, NULL,
      "the title" },
    { "content", FEAT_FT_STR, ALWAYS, 0, FEAT_NOTICE_CONTENT_MAX, NULL,
      "the text" },
    { "thumbnail", FEAT_FT_STR, ALWAYS, 0, FEAT_NOTICE_THUMBNAIL_MAX, "uri",
      "or \"\"" },
    { "created_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "published" },
    { "updated_at", FEAT_FT_TIME, ALWAYS, 0, 0, NULL, "last changed" },
    FEAT_NULL_FIELD
};


/* A create's or a change's fields, as notice_input reads them. */
struct notice_admin_in {
    const char  *title;
    const char  *content;
    const char  *thumbnail;
};


static cJSON *
notice_object(struct feat_req *r, const void *item)
{
    cJSON                     *o;
    const struct feat_notice  *n;

    n = item;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) n->id);
    feat_json_add_str(o, "number", feat_notice_number(r->arena, n->id));
    feat_json_add_str(o, "title", n->title);
    feat_json_add_str(o, "content", n->content);
    feat_json_add_str(o, "thumbnail", n->thumbnail);
    feat_admin_json_time(r, o, "created_at", n->created_at);
    feat_admin_json_time(r, o, "updated_at", n->updated_at);

    return o;
}


/* The fields of a create or a change (the op's, NOTICE_IN's order). */
static int
notice_input(struct feat_req *r, struct feat_admin_write *w)
{
    struct notice_admin_in   *in;
    const struct feat_field  *f;

    in = w->in;
    f = w->op->fields;

    if (feat_in_field(r, &f[NOTICE_TITLE], &in->title) == FEAT_ERROR
        || feat_in_field(r, &f[NOTICE_CONTENT], &in->content) == FEAT_ERROR
        || feat_in_field(r, &f[NOTICE_THUMBNAIL], &in->thumbnail)
           == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* User 0: the administrator's view, nothing marked read. */
static enum feat_error
notice_entry_object(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    struct feat_notice  n;
    enum feat_error     e;

    e = feat_notice_get(feat_db(), r->arena, r->app->id, 0, id, 0, &n);
    if (e == FEAT_E_NONE) {
        *out = notice_object(r, &n);
    }

    return e;
}


static enum feat_error
notice_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    struct feat_notice  *list = NULL;
    enum feat_error      e;

    (void) status;

    e = feat_notice_list(feat_db(), r->arena, r->app->id, 0, pg->offset,
                         pg->size, total, &list, n);
    *items = list;

    return e;
}


static enum feat_error
notice_add(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    struct notice_admin_in  *in = w->in;

    return feat_notice_add(db, r->app->id, in->title, in->content,
                           in->thumbnail, &w->id, &w->bad);
}


static enum feat_error
notice_edit(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    struct notice_admin_in  *in = w->in;

    return feat_notice_edit(db, r->app->id, w->id, in->title, in->content,
                            in->thumbnail, &w->bad);
}


static enum feat_error
notice_remove(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    return feat_notice_remove(db, r->app->id, w->id);
}


static const struct feat_admin_list  notice_list_op = {
    .what = "notice", .read = notice_read, .size = sizeof(struct feat_notice),
    .object = notice_object,
};

static const struct feat_admin_op  notice_create_op = {
    .what = "notice", .action = "admin.notice.create", .status = 201,
    .fields = notice_create_in, .in_size = sizeof(struct notice_admin_in),
    .input = notice_input, .change = notice_add, .answer = notice_entry_object,
};

static const struct feat_admin_op  notice_update_op = {
    .what = "notice", .action = "admin.notice.update",
    .flags = FEAT_ADMIN_BY_ID, .fields = notice_update_in,
    .in_size = sizeof(struct notice_admin_in), .input = notice_input,
    .change = notice_edit, .answer = notice_entry_object,
};

static const struct feat_admin_op  notice_delete_op = {
    .what = "notice", .action = "admin.notice.delete",
    .flags = FEAT_ADMIN_BY_ID, .change = notice_remove,
};

static const struct feat_admin_op  notice_get_op = {
    .what = "notice", .answer = notice_entry_object,
};


static const struct feat_schema  notice_list_schema = {
    .summary = "The app's notices, oldest first as v1 lists them",
    .answer = notice_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  notice_create_schema = {
    .summary = "A new notice",
    .request = notice_create_in,
    .answer = notice_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  notice_get_schema = {
    .summary = "One notice",
    .answer = notice_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  notice_update_schema = {
    .summary = "Change the fields given of a notice",
    .request = notice_update_in,
    .answer = notice_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  notice_delete_schema = {
    .summary = "Remove a notice and its read states",
    .shape = FEAT_ANSWER_EMPTY,
};


static const struct feat_route  notice_admin_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "notices", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &notice_list_schema, &notice_list_op },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "notices", FEAT_ADMIN, feat_admin_write,
      FEAT_MANAGER, &notice_create_schema, &notice_create_op },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN,
      feat_admin_show, FEAT_MANAGER, &notice_get_schema, &notice_get_op },
    { FEAT_PUT, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &notice_update_schema,
      &notice_update_op },
    { FEAT_DELETE, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &notice_delete_schema,
      &notice_delete_op },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_notices_admin_module = {
    .name = "admin",
    .routes = notice_admin_routes,
};
