/*
 * notices.c: the console's activity notices (featcgi-api(7) "ADMIN
 * API"): the app's notices in the order they were published, one notice,
 * and its creation, change and removal through modules/notices/notices.h,
 * which v1 /api/user/notice* reads.  Each write records
 * admin.notice.create / .update / .delete in the audit log in the
 * transaction of its change (content.c).
 */

#include "config.h"

#include "feat.h"
#include "notices/notices.h"
#include "admin/admin.h"


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


static cJSON *
notice_object(struct feat_req *r, const struct feat_notice *n)
{
    cJSON  *o;

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


/* The fields of a create or a change (in, NOTICE_IN's order): FEAT_OK,
 * or FEAT_ERROR with r->bad_field set. */
static int
notice_fields(struct feat_req *r, const struct feat_field *in,
    const char **title, const char **content, const char **thumbnail)
{
    *title = NULL;
    *content = NULL;
    *thumbnail = NULL;

    if (feat_in_field(r, &in[NOTICE_TITLE], title) == FEAT_ERROR
        || feat_in_field(r, &in[NOTICE_CONTENT], content) == FEAT_ERROR
        || feat_in_field(r, &in[NOTICE_THUMBNAIL], thumbnail) == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Notice id as the answers show it, into *out (the caller's): a write
 * reads it inside its transaction, so that nothing fails after the
 * commit.  User 0: the administrator's view, nothing marked read. */
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


static int
notice_list(struct feat_req *r)
{
    cJSON               *list;
    size_t               i, n;
    long long            total;
    struct feat_page     pg;
    struct feat_notice  *items;
    enum feat_error      e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_notice_list(feat_db(), r->arena, r->app->id, 0, pg.offset,
                         pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: notice list");
    }

    list = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, notice_object(r, &items[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


static int
notice_get(struct feat_req *r)
{
    cJSON            *o;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "notice", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    e = notice_entry_object(r, id, &o);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: notice %lld", (long long) id);
    }

    return feat_reply(r, o);
}


static int
notice_create(struct feat_req *r)
{
    cJSON            *o;
    sqlite3          *db;
    const char       *title, *content, *thumbnail, *bad;
    sqlite3_int64     id;
    enum feat_error   e;

    if (notice_fields(r, notice_create_in, &title, &content, &thumbnail)
        != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    db = feat_db();
    o = NULL;

    if (feat_db_hold(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "admin: begin");
    }

    bad = NULL;
    id = 0;
    e = feat_notice_add(db, r->app->id, title, content, thumbnail, &id,
                        &bad);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.notice.create", "i", "notice", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e == FEAT_E_NONE) {
        e = notice_entry_object(r, id, &o);
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(o);
        return feat_admin_fail(r, e, bad, "notice", id);
    }

    r->status = 201;

    return feat_reply(r, o);
}


static int
notice_update(struct feat_req *r)
{
    cJSON            *o;
    sqlite3          *db;
    const char       *title, *content, *thumbnail, *bad;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "notice", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    if (notice_fields(r, notice_update_in, &title, &content, &thumbnail)
        != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    db = feat_db();
    o = NULL;

    if (feat_db_hold(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "admin: begin");
    }

    bad = NULL;
    e = feat_notice_edit(db, r->app->id, id, title, content, thumbnail,
                         &bad);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.notice.update", "i", "notice", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e == FEAT_E_NONE) {
        e = notice_entry_object(r, id, &o);
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(o);
        return feat_admin_fail(r, e, bad, "notice", id);
    }

    return feat_reply(r, o);
}


static int
notice_delete(struct feat_req *r)
{
    sqlite3          *db;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "notice", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    db = feat_db();

    if (feat_db_hold(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "admin: begin");
    }

    e = feat_notice_remove(db, r->app->id, id);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.notice.delete", "i", "notice", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        return feat_admin_fail(r, e, NULL, "notice", id);
    }

    return feat_reply_empty(r, 204);
}


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


const struct feat_route  admin_notice_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "notices", FEAT_ADMIN, notice_list,
      FEAT_MANAGER, &notice_list_schema },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "notices", FEAT_ADMIN, notice_create,
      FEAT_MANAGER, &notice_create_schema },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN, notice_get,
      FEAT_MANAGER, &notice_get_schema },
    { FEAT_PUT, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN,
      notice_update, FEAT_MANAGER, &notice_update_schema },
    { FEAT_DELETE, FEAT_ADMIN_APP_PREFIX "notices/{id}", FEAT_ADMIN,
      notice_delete, FEAT_MANAGER, &notice_delete_schema },
    FEAT_NULL_ROUTE
};
