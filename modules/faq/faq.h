/*
 * faq.h: the FAQ domain (sql/0004_faq.sql), shared by the v2 handlers and
 * featctl's "faq" commands.  Functions take plain arguments and a
 * connection, never a request; strings they hand back live in the arena
 * they are given.  They answer FEAT_E_NONE or the error a caller reports:
 * FEAT_E_NOT_FOUND (no such row in this app), FEAT_E_BAD_FIELD (with *bad
 * naming the field), FEAT_E_UNKNOWN_APP, FEAT_E_INTERNAL (logged).  The
 * one function that takes a request, feat_faq_page, is the handlers' own
 * (the last section).
 */

#ifndef FEAT_FAQ_H
#define FEAT_FAQ_H

#include "feat.h"

/* Limits in code points. */
#define FEAT_FAQ_TITLE_MAX     200
#define FEAT_FAQ_CONTENT_MAX   20000
#define FEAT_FAQ_CATEGORY_MAX  64
#define FEAT_FAQ_LINK_MAX      1024

/* A list asks for at most this many rows at once. */
#define FEAT_FAQ_LIST_MAX      1000

struct feat_faq {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    const char     *title;
    const char     *content;
    const char     *category;
    const char     *external_link;
};

/*
 * One page of the app's FAQ, newest first: *total counts them all, *items
 * (arena array, NULL when *n is 0) holds at most limit of them from offset.
 */
enum feat_error feat_faq_list(sqlite3 *db, struct feat_arena *a,
    const char *app, long long offset, long long limit, long long *total,
    struct feat_faq **items, size_t *n);

/* One entry of the app into *out (strings in a), or FEAT_E_NOT_FOUND. */
enum feat_error feat_faq_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_faq *out);

/*
 * Adds an entry: title required; content, category and external_link may
 * be NULL or "" (external_link, when given, is an http or https URL).
 * *id gets the new id.  FEAT_E_BAD_FIELD names the field in *bad
 * ("title", "content", "category", "external_link").
 */
enum feat_error feat_faq_add(sqlite3 *db, const char *app, const char *title,
    const char *content, const char *category, const char *external_link,
    sqlite3_int64 *id, const char **bad);

/* Changes the fields that are not NULL ("" clears all but title) and
 * updated_at.  Same errors as feat_faq_add, plus FEAT_E_NOT_FOUND. */
enum feat_error feat_faq_edit(sqlite3 *db, const char *app, sqlite3_int64 id,
    const char *title, const char *content, const char *category,
    const char *external_link, const char **bad);

/* Removes an entry: FEAT_E_NONE or FEAT_E_NOT_FOUND. */
enum feat_error feat_faq_remove(sqlite3 *db, const char *app,
    sqlite3_int64 id);

/* The module (modules/faq/v2.c): GET /api/faq, GET /api/faq/{id}. */
extern const struct feat_module feat_faq_module;
/* modules/faq/v1.c: GET /faq (public, the seed's meta envelope). */
extern const struct feat_module feat_faq_v1_module;


/* ---- the handlers' shared part (v2.c) ------------------------------------ */

/* Renders one entry in a dialect's form. */
typedef cJSON *(*feat_faq_item_pt)(struct feat_req *r,
    const struct feat_faq *f);

/*
 * The page of r's app's FAQ that v1 and v2 answer, each in its envelope:
 * reads the dialect's paging arguments and lists the entries, newest
 * first.  FEAT_OK with *page, the dialect's paged object of the entries
 * made by item; FEAT_ERROR once the failure has been answered (the handler
 * then returns FEAT_OK).
 */
int feat_faq_page(struct feat_req *r, feat_faq_item_pt item, cJSON **page);

#endif /* FEAT_FAQ_H */
