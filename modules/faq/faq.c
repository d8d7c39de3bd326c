/*
 * faq.c: the FAQ domain.  Administrators add, edit and remove entries
 * through featctl; users read them, one app at a time, newest first.
 * Every statement filters by app_id, so no entry crosses tenants.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "faq/faq.h"


/* struct feat_faq's columns in SELECT order: the column list and the map
 * faq_row reads by are both made from it. */
#define FAQ_COLS(X, _)                                                       \
    X(struct feat_faq, INT64, id, "id") _                                    \
    X(struct feat_faq, TEXT, app_id, "app_id") _                             \
    X(struct feat_faq, TIME, created_at, "created_at") _                     \
    X(struct feat_faq, TIME, updated_at, "updated_at") _                     \
    X(struct feat_faq, TEXT, title, "title") _                               \
    X(struct feat_faq, TEXT, content, "content") _                           \
    X(struct feat_faq, TEXT, category, "category") _                         \
    X(struct feat_faq, TEXT, external_link, "external_link")

#define FAQ_COLUMNS  FAQ_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  faq_cols[] = {
    FAQ_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(faq_row, faq_cols)


/* An external link is opened by the app, often in a web view: only http
 * and https, so a "javascript:" or "file:" link cannot be planted. */
static int
faq_link_ok(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return 1;
    }

    if (!feat_utf8_ok(s, FEAT_FAQ_LINK_MAX, 1)) {
        return 0;
    }

    return (strncmp(s, "https://", 8) == 0 && s[8] != '\0')
           || (strncmp(s, "http://", 7) == 0 && s[7] != '\0');
}


/* Administrators type these on a terminal, so nothing upstream has
 * checked them. */
static enum feat_error
faq_check(const char *title, int title_required, const char *content,
    const char *category, const char *external_link, const char **bad)
{
    if (!feat_utf8_ok(title, FEAT_FAQ_TITLE_MAX, title_required)
        || (title != NULL && title[0] == '\0'))
    {
        *bad = "title";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(content, FEAT_FAQ_CONTENT_MAX, 0)) {
        *bad = "content";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(category, FEAT_FAQ_CATEGORY_MAX, 0)) {
        *bad = "category";
        return FEAT_E_BAD_FIELD;
    }

    if (!faq_link_ok(external_link)) {
        *bad = "external_link";
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_NONE;
}


static const struct feat_db_list  faq_list = {
    "SELECT COUNT(*) FROM faq WHERE app_id = ?",
    "SELECT " FAQ_COLUMNS " FROM faq WHERE app_id = ?"
    " ORDER BY id DESC LIMIT ? OFFSET ?",
    faq_row, sizeof(struct feat_faq), FEAT_FAQ_LIST_MAX, "faq list"
};


enum feat_error
feat_faq_list(sqlite3 *db, struct feat_arena *a, const char *app,
    long long offset, long long limit, long long *total,
    struct feat_faq **items, size_t *n)
{
    return feat_db_page(db, a, &faq_list, offset, limit, total, items, n,
                        "s", app);
}


enum feat_error
feat_faq_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_faq *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " FAQ_COLUMNS " FROM faq"
                       " WHERE app_id = ? AND id = ?",
                       "si", app, id);

    return feat_db_row(db, a, st, faq_row, out, "faq get");
}


enum feat_error
feat_faq_add(sqlite3 *db, const char *app, const char *title,
    const char *content, const char *category, const char *external_link,
    sqlite3_int64 *id, const char **bad)
{
    time_t           now;
    enum feat_error  e;

    e = faq_check(title, 1, content, category, external_link, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    now = feat_now();

    /* the only constraint a valid row can break: app_id's reference */
    return feat_db_insert(db, id,
                          "INSERT INTO faq (app_id, title, content, category,"
                          " external_link, created_at, updated_at)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?)",
                          "sssssii", app, title,
                          content ? content : "",
                          category ? category : "",
                          external_link ? external_link : "",
                          (sqlite3_int64) now, (sqlite3_int64) now);
}


enum feat_error
feat_faq_edit(sqlite3 *db, const char *app, sqlite3_int64 id,
    const char *title, const char *content, const char *category,
    const char *external_link, const char **bad)
{
    enum feat_error  e;

    e = faq_check(title, 0, content, category, external_link, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* NULL binds NULL, and COALESCE keeps the column: one fixed statement
     * serves every combination of fields. */
    return feat_db_change(db,
                          "UPDATE faq SET title = COALESCE(?, title),"
                          " content = COALESCE(?, content),"
                          " category = COALESCE(?, category),"
                          " external_link = COALESCE(?, external_link),"
                          " updated_at = ?"
                          " WHERE app_id = ? AND id = ?",
                          "ssssisi", title, content, category, external_link,
                          (sqlite3_int64) feat_now(), app, id);
}


enum feat_error
feat_faq_remove(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    return feat_db_change(db, "DELETE FROM faq WHERE app_id = ? AND id = ?",
                          "si", app, id);
}
