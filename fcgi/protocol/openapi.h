/*
 * openapi.h: what openapi.c (the document) and openapi_dialect.c (the
 * dialects seen through their writers) share.  protocol/'s own.
 */

#ifndef FEAT_OPENAPI_H
#define FEAT_OPENAPI_H

#define FEAT_OA_DEPTH  4                /* a mark's depth in a body */

/* Where a mark was found: the member names from the top. */
struct feat_oa_path {
    const char              *names[FEAT_OA_DEPTH];
    int                      depth;     /* 0: the whole body; -1: absent */
};

/* One dialect as its writers showed it. */
struct feat_oa_dialect {
    const struct feat_dialect  *d;
    struct feat_oa_path         data;   /* data in the envelope */
    struct feat_oa_path         items;  /* the items in a page */
    struct feat_oa_path         code;   /* the code in an error body */
    cJSON                      *empty;  /* the empty success's data */
    const char                 *time;   /* an example time */
};

/* The document being built. */
struct feat_oa {
    struct feat_arena       *a;         /* names, texts: the build's */
    cJSON                   *doc;
    cJSON                   *paths;
    cJSON                   *schemas;   /* components/schemas */
    cJSON                   *responses; /* components/responses */
    cJSON                   *ids;       /* operationIds taken */
    cJSON                   *tags;      /* tag names seen */
    struct feat_oa_dialect   dialects[8];
    int                      ndialects;
};

/* Describes every dialect into oa's components: "<d>.envelope",
 * "<d>.page", "<d>.error", "<d>.error.<status>" and the responses
 * "<d>.<status>". */
void feat_oa_dialects(struct feat_oa *oa);
/* The described dialect of id (the first one for an unknown id). */
struct feat_oa_dialect *feat_oa_dialect_of(struct feat_oa *oa, unsigned id);
/* {"$ref": "#/components/<kind>/<name>"} */
cJSON *feat_oa_ref(struct feat_oa *oa, const char *kind, const char *name);
/* allOf [ $ref schemas/base, its member at p narrowed to leaf
 * (consumed) ], or leaf itself when p is the whole body. */
cJSON *feat_oa_narrow(struct feat_oa *oa, const char *base,
    const struct feat_oa_path *p, cJSON *leaf);

#endif /* FEAT_OPENAPI_H */
