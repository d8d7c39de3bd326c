/*
 * v1.c: v1's picture upload (seeds/003): POST /api/user/img, a
 * multipart/form-data body with the file in field "img", answered with
 * the public URL as the whole message.  The picture goes through the
 * images domain (images.h) like a feat upload: judged by its bytes alone
 * (PNG, JPEG or GIF, whatever its name says), stripped of metadata,
 * stored under a random name and recorded as one of the caller's images.
 * Every refusal of the upload itself answers v1's 10010; a body without
 * an "img" part is the seed's 10012 缺少字段.
 */

#include "config.h"

#include "feat.h"
#include "images/images.h"


/*
 * The declared fields (feat.h, struct feat_field); the OpenAPI document
 * is made from them.  The upload is a multipart part, which feat_in_field
 * does not read: the handler finds it by its row's name.  The answer is
 * v1's: the URL as the message.
 */
enum { V1_IN_IMG };

static const struct feat_field  v1_img_in[] = {
    [V1_IN_IMG] =
    { "img", FEAT_FT_FILE, FEAT_REQUIRED, 0, 0, NULL,
      "a PNG, JPEG or GIF, judged by its bytes; stripped of metadata" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v1_img_out[] = {
    { "url", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, "uri",
      "where nginx serves it, under /media/" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  v1_img_upload_schema = {
    .summary = "Upload a picture: multipart/form-data; its URL answers",
    .request = v1_img_in,
    .answer = v1_img_out,
    .shape = FEAT_ANSWER_VALUE,
};


/* POST /api/user/img */
static int
v1_img_upload(struct feat_req *r)
{
    int                      rc;
    size_t                   n;
    const char              *reason, *bad;
    enum feat_error          e;
    struct feat_part        *parts;
    const struct feat_part  *img;
    struct feat_user_image   m;

    rc = feat_req_multipart(r, &parts, &n, &reason);

    if (rc == FEAT_DECLINED) {
        return feat_fail(r, FEAT_E_UPLOAD, "img upload is not multipart");
    }

    if (rc != FEAT_OK) {
        return feat_fail(r, FEAT_E_UPLOAD, "img upload: %s", reason);
    }

    img = feat_part_find(parts, n, v1_img_in[V1_IN_IMG].name);
    /* the seed's 10012 缺少字段: the field is missing, not the file bad */
    if (img == NULL) {
        return feat_fail_bad(r, "img", "is required");
    }

    if (img->len == 0) {
        return feat_fail(r, FEAT_E_UPLOAD, "img upload with an empty \"img\"");
    }

    bad = NULL;
    e = feat_user_image_add(feat_db(), r->arena, r->app->id, r->user_id,
                            (const unsigned char *) img->data, img->len,
                            NULL, NULL, &m, &bad);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "img of user %lld not stored",
                         (long long) r->user_id);
    }

    return feat_reply(r, cJSON_CreateString(feat_user_image_url(r,
                                                                m.relpath)));
}


static const struct feat_route  images_v1_routes[] = {
    { FEAT_POST, "/api/user/img", FEAT_V1, v1_img_upload,
      FEAT_JWT | FEAT_UPLOAD, &v1_img_upload_schema },
    FEAT_NULL_ROUTE
};


static const struct feat_prefix  images_v1_prefixes[] = {
    { "/api/user/", FEAT_V1 },
    FEAT_NULL_PREFIX
};


const struct feat_module  feat_images_v1_module = {
    .name = "images-v1",
    .routes = images_v1_routes,
    .prefixes = images_v1_prefixes,
};
