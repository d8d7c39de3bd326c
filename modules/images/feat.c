/*
 * images/feat.c: the feat dialect's user images (API.md "User images",
 * seeds/002): GET/POST /api/user/user-image/ and GET/PATCH/DELETE
 * /api/user/user-image/{id}/.  An upload is multipart/form-data with the
 * file in field "image" and optional "title" and "description" parts; it
 * answers 201 and the object {id, url, width, height, size, content_type,
 * title, description, created_at}.  The list is the caller's images,
 * paged; another user's id is not found.  The domain is images.c.
 */

#include "config.h"

#include <limits.h>
#include <string.h>

#include "feat.h"
#include "images/images.h"


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers; the OpenAPI document is made from them.  An upload's
 * fields are multipart parts, which feat_in_field does not read: the
 * handler finds each part by its row's name and holds a text to its
 * row's max (image_part_text).  A PATCH reads its fields through the
 * rows.  In an answer FEAT_REQUIRED says the member is always there.
 */
#define IMAGE_ALWAYS  FEAT_REQUIRED

enum { IMAGE_IN_FILE, IMAGE_IN_TITLE, IMAGE_IN_DESC };

static const struct feat_field  image_create_in[] = {
    [IMAGE_IN_FILE] =
    { "image", FEAT_FT_FILE, FEAT_REQUIRED, 0, 0, NULL,
      "a PNG, JPEG or GIF, judged by its bytes; stripped of metadata" },
    [IMAGE_IN_TITLE] =
    { "title", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_USER_IMAGE_TITLE_MAX, NULL, "a title" },
    [IMAGE_IN_DESC] =
    { "description", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_USER_IMAGE_DESC_MAX, NULL, "a description" },
    FEAT_NULL_FIELD
};

enum { IMAGE_PATCH_TITLE, IMAGE_PATCH_DESC };

static const struct feat_field  image_patch_in[] = {
    [IMAGE_PATCH_TITLE] =
    { "title", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_USER_IMAGE_TITLE_MAX, NULL, "a new title" },
    [IMAGE_PATCH_DESC] =
    { "description", FEAT_FT_STR, FEAT_ALLOW_EMPTY,
      0, FEAT_USER_IMAGE_DESC_MAX, NULL, "a new description" },
    FEAT_NULL_FIELD
};

static const struct feat_field  image_out[] = {
    { "id", FEAT_FT_ID, IMAGE_ALWAYS, 0, 0, NULL, "the image's id" },
    { "url", FEAT_FT_STR, IMAGE_ALWAYS, 0, 0, "uri",
      "where nginx serves it, under /media/" },
    { "width", FEAT_FT_INT, IMAGE_ALWAYS, 1, INT_MAX, NULL, "in pixels" },
    { "height", FEAT_FT_INT, IMAGE_ALWAYS, 1, INT_MAX, NULL, "in pixels" },
    { "size", FEAT_FT_INT, IMAGE_ALWAYS, 1, LLONG_MAX, NULL,
      "bytes as stored" },
    { "content_type", FEAT_FT_STR, IMAGE_ALWAYS, 0, 0, NULL,
      "image/png, image/jpeg or image/gif" },
    { "title", FEAT_FT_STR, IMAGE_ALWAYS, 0, FEAT_USER_IMAGE_TITLE_MAX, NULL,
      "its title, or \"\"" },
    { "description", FEAT_FT_STR, IMAGE_ALWAYS,
      0, FEAT_USER_IMAGE_DESC_MAX, NULL, "its description, or \"\"" },
    { "created_at", FEAT_FT_TIME, IMAGE_ALWAYS, 0, 0, NULL, "uploaded" },
    FEAT_NULL_FIELD
};


static cJSON *
image_object(struct feat_req *r, const struct feat_user_image *m)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) m->id);
    cJSON_AddStringToObject(o, "url", feat_user_image_url(r, m->relpath));
    cJSON_AddNumberToObject(o, "width", m->width);
    cJSON_AddNumberToObject(o, "height", m->height);
    cJSON_AddNumberToObject(o, "size", (double) m->size);
    cJSON_AddStringToObject(o, "content_type", m->content_type);
    cJSON_AddStringToObject(o, "title", m->title);
    cJSON_AddStringToObject(o, "description", m->description);
    cJSON_AddStringToObject(o, "created_at", feat_time(r, m->created_at));

    return o;
}


/* Answers the caller's image id as stored (after a change: read back). */
static int
image_reply(struct feat_req *r, sqlite3_int64 id)
{
    enum feat_error         e;
    struct feat_user_image  m;

    e = feat_user_image_get(feat_db(), r->arena, r->app->id, r->user_id, id,
                            &m);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "image %lld", (long long) id);
    }

    return feat_reply(r, image_object(r, &m));
}


/* Fails a domain error, naming the field of a FEAT_E_BAD_FIELD. */
static int
image_fail(struct feat_req *r, enum feat_error e, const char *bad)
{
    if (e == FEAT_E_BAD_FIELD) {
        r->bad_field = bad;
        r->bad_reason = strcmp(bad, "image") == 0
                        ? "image too large"
                        : strcmp(bad, "title") == 0
                        ? "at most 64 characters of text"
                        : "at most 512 characters of text";
        return feat_fail_field(r);
    }

    return feat_fail(r, e, "user image of user %lld",
                     (long long) r->user_id);
}


/*
 * The optional text part of row f (its name, at most its max code points
 * of text): FEAT_OK with *out (NULL when absent), or FEAT_ERROR with the
 * field named.
 */
static int
image_part_text(struct feat_req *r, const struct feat_part *parts, size_t n,
    const struct feat_field *f, const char **out)
{
    const struct feat_part  *p;

    *out = NULL;

    p = feat_part_find(parts, n, f->name);
    if (p == NULL) {
        return FEAT_OK;
    }

    if (!feat_user_image_text_ok(p->data, p->len, (long) f->max)) {
        r->bad_field = f->name;
        r->bad_reason = (f->max == FEAT_USER_IMAGE_TITLE_MAX)
                        ? "at most 64 characters of text"
                        : "at most 512 characters of text";
        return FEAT_ERROR;
    }

    *out = feat_arena_strndup(r->arena, p->data, p->len);

    return FEAT_OK;
}


static int
feat_image_create(struct feat_req *r)
{
    int                      rc;
    size_t                   n;
    const char              *reason, *title, *description, *bad;
    enum feat_error          e;
    struct feat_part        *parts;
    const struct feat_part  *img;
    struct feat_user_image   m;

    rc = feat_req_multipart(r, &parts, &n, &reason);

    if (rc == FEAT_DECLINED) {
        return feat_fail(r, FEAT_E_MEDIA_TYPE, "upload is not multipart");
    }

    if (rc != FEAT_OK) {
        return feat_fail_bad(r, "image", reason);
    }

    img = feat_part_find(parts, n, image_create_in[IMAGE_IN_FILE].name);
    if (img == NULL || img->len == 0) {
        return feat_fail_bad(r, "image", "required");
    }

    if (image_part_text(r, parts, n, &image_create_in[IMAGE_IN_TITLE],
                        &title)
            != FEAT_OK
        || image_part_text(r, parts, n, &image_create_in[IMAGE_IN_DESC],
                           &description)
            != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    bad = "image";
    e = feat_user_image_add(feat_db(), r->arena, r->app->id, r->user_id,
                            (const unsigned char *) img->data, img->len,
                            title, description, &m, &bad);

    if (e == FEAT_E_UPLOAD) {
        return feat_fail_bad(r, "image", "not a PNG, JPEG or GIF image");
    }

    if (e != FEAT_E_NONE) {
        return image_fail(r, e, bad);
    }

    r->status = 201;

    return feat_reply(r, image_object(r, &m));
}


static int
feat_image_list(struct feat_req *r)
{
    size_t                   i, n;
    long long                total;
    cJSON                   *items;
    enum feat_error          e;
    struct feat_page         pg;
    struct feat_user_image  *list;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_user_image_list(feat_db(), r->arena, r->app->id, r->user_id,
                             pg.offset, pg.size, &total, &list, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "images of user %lld",
                         (long long) r->user_id);
    }

    items = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(items, image_object(r, &list[i]));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, items));
}


static int
feat_image_get(struct feat_req *r)
{
    sqlite3_int64  id;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad image id");
    }

    return image_reply(r, id);
}


static int
feat_image_patch(struct feat_req *r)
{
    sqlite3_int64     id;
    const char       *title, *description, *bad;
    enum feat_error   e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad image id");
    }

    title = NULL;
    description = NULL;

    if (feat_in_field(r, &image_patch_in[IMAGE_PATCH_TITLE], &title)
            == FEAT_ERROR
        || feat_in_field(r, &image_patch_in[IMAGE_PATCH_DESC], &description)
            == FEAT_ERROR)
    {
        return feat_fail_field(r);
    }

    bad = "title";
    e = feat_user_image_update(feat_db(), r->app->id, r->user_id, id, title,
                               description, &bad);
    if (e != FEAT_E_NONE) {
        return image_fail(r, e, bad);
    }

    return image_reply(r, id);
}


static int
feat_image_delete(struct feat_req *r)
{
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "bad image id");
    }

    e = feat_user_image_delete(feat_db(), r->app->id, r->user_id, id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "image %lld", (long long) id);
    }

    return feat_reply_empty(r, 204);
}


static const struct feat_schema  image_list_schema = {
    .summary = "The caller's images, newest first",
    .answer = image_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  image_create_schema = {
    .summary = "Upload an image: multipart/form-data (201)",
    .request = image_create_in,
    .answer = image_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  image_get_schema = {
    .summary = "One of the caller's images",
    .answer = image_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  image_patch_schema = {
    .summary = "Change one's image's title or description",
    .request = image_patch_in,
    .answer = image_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  image_delete_schema = {
    .summary = "Delete one's image (204); its URL stops serving",
    .shape = FEAT_ANSWER_EMPTY,
};


static const struct feat_route  images_routes[] = {
    { FEAT_GET, "/api/user/user-image/", FEAT_FEAT,
      feat_image_list, FEAT_USER_SESSION,
      &image_list_schema },
    { FEAT_POST, "/api/user/user-image/", FEAT_FEAT,
      feat_image_create, FEAT_USER_SESSION | FEAT_UPLOAD,
      &image_create_schema },
    { FEAT_GET, "/api/user/user-image/{id}/", FEAT_FEAT,
      feat_image_get, FEAT_USER_SESSION,
      &image_get_schema },
    { FEAT_PATCH, "/api/user/user-image/{id}/", FEAT_FEAT,
      feat_image_patch, FEAT_USER_SESSION,
      &image_patch_schema },
    { FEAT_DELETE, "/api/user/user-image/{id}/", FEAT_FEAT,
      feat_image_delete, FEAT_USER_SESSION,
      &image_delete_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_images_module = {
    .name = "images",
    .routes = images_routes,
};
