/*
 * faq.c: the console's FAQ (featcgi-api(7) "ADMIN API"): the app's
 * entries newest first, one entry, and its creation, change and removal
 * through modules/faq/faq.h, which v2 /api/faq and v1 /faq read.  Each
 * write records admin.faq.create / .update / .delete in the audit log in
 * the transaction of its change (content.c).
 */

#include "config.h"

#include "feat.h"
#include "faq/faq.h"
#include "admin/admin.h"


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


static cJSON *
faq_object(struct feat_req *r, const struct feat_faq *f)
{
    cJSON  *o;

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


/* The fields of a create or a change (in, FAQ_IN's order): FEAT_OK, or
 * FEAT_ERROR with r->bad_field set. */
static int
faq_fields(struct feat_req *r, const struct feat_field *in,
    const char **title, const char **content, const char **category,
    const char **link)
{
    *title = NULL;
    *content = NULL;
    *category = NULL;
    *link = NULL;

    if (feat_in_field(r, &in[FAQ_TITLE], title) == FEAT_ERROR
        || feat_in_field(r, &in[FAQ_CONTENT], content) == FEAT_ERROR
        || feat_in_field(r, &in[FAQ_CATEGORY], category) == FEAT_ERROR
        || feat_in_field(r, &in[FAQ_LINK], link) == FEAT_ERROR)
    {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Entry id as the answers show it, into *out (the caller's): a write
 * reads it inside its transaction, so that nothing fails after the
 * commit. */
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


static int
faq_list(struct feat_req *r)
{
    cJSON             *list;
    size_t             i, n;
    long long          total;
    struct feat_faq   *items;
    struct feat_page   pg;
    enum feat_error    e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_faq_list(feat_db(), r->arena, r->app->id, pg.offset, pg.size,
                      &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: faq list");
    }

    list = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, faq_object(r, &items[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


static int
faq_get(struct feat_req *r)
{
    cJSON            *o;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "faq", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    e = faq_entry_object(r, id, &o);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: faq %lld", (long long) id);
    }

    return feat_reply(r, o);
}


static int
faq_create(struct feat_req *r)
{
    cJSON            *o;
    sqlite3          *db;
    const char       *title, *content, *category, *link, *bad;
    sqlite3_int64     id;
    enum feat_error   e;

    if (faq_fields(r, faq_create_in, &title, &content, &category, &link)
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
    e = feat_faq_add(db, r->app->id, title, content, category, link, &id,
                     &bad);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.faq.create", "i", "faq", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e == FEAT_E_NONE) {
        e = faq_entry_object(r, id, &o);
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(o);
        return feat_admin_fail(r, e, bad, "faq", id);
    }

    r->status = 201;

    return feat_reply(r, o);
}


static int
faq_update(struct feat_req *r)
{
    cJSON            *o;
    sqlite3          *db;
    const char       *title, *content, *category, *link, *bad;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "faq", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    if (faq_fields(r, faq_update_in, &title, &content, &category, &link)
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
    e = feat_faq_edit(db, r->app->id, id, title, content, category, link,
                      &bad);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.faq.update", "i", "faq", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e == FEAT_E_NONE) {
        e = faq_entry_object(r, id, &o);
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(o);
        return feat_admin_fail(r, e, bad, "faq", id);
    }

    return feat_reply(r, o);
}


static int
faq_delete(struct feat_req *r)
{
    sqlite3          *db;
    sqlite3_int64     id;
    enum feat_error   e;

    if (feat_admin_path_id(r, "faq", &id) != FEAT_OK) {
        return FEAT_OK;
    }

    db = feat_db();

    if (feat_db_hold(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "admin: begin");
    }

    e = feat_faq_remove(db, r->app->id, id);

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.faq.delete", "i", "faq", id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        return feat_admin_fail(r, e, NULL, "faq", id);
    }

    return feat_reply_empty(r, 204);
}


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


const struct feat_route  admin_faq_routes[] = {
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "faq", FEAT_ADMIN, faq_list,
      FEAT_MANAGER, &faq_list_schema },
    { FEAT_POST, FEAT_ADMIN_APP_PREFIX "faq", FEAT_ADMIN, faq_create,
      FEAT_MANAGER, &faq_create_schema },
    { FEAT_GET, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN, faq_get,
      FEAT_MANAGER, &faq_get_schema },
    { FEAT_PUT, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN, faq_update,
      FEAT_MANAGER, &faq_update_schema },
    { FEAT_DELETE, FEAT_ADMIN_APP_PREFIX "faq/{id}", FEAT_ADMIN, faq_delete,
      FEAT_MANAGER, &faq_delete_schema },
    FEAT_NULL_ROUTE
};
