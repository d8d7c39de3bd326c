/*
 * directory.c: the users of an app as the console looks them up
 * (modules/admin/users.c): a page of them, newest first, found by the
 * start of a phone number, the start of an email, or a piece of the
 * nickname, and what the console shows of one user besides its row (its
 * open-id bindings).
 *
 * Which column a query searches is chosen by its shape, so that each
 * search is one range of an index (sql/0151): digits are the start of a
 * phone number ((app_id, phone)), a query with '@' the start of an email
 * ((app_id, email)), anything else a piece of the nickname, matched with
 * instr() over the app's users only ((app_id)), ASCII case folded.  No
 * LIKE: nothing to escape.  Erased accounts (tombstones) are left out.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define BRIEF_COLS(X, _)                                                     \
    X(struct feat_user_brief, INT64, id, "id") _                             \
    X(struct feat_user_brief, TEXT, area, "area") _                          \
    X(struct feat_user_brief, TEXT, phone, "phone") _                        \
    X(struct feat_user_brief, TEXT, email, "email") _                        \
    X(struct feat_user_brief, TEXT, nickname, "nickname") _                  \
    X(struct feat_user_brief, BOOL, is_active, "is_active") _                \
    X(struct feat_user_brief, TIME, created_at, "created_at") _              \
    X(struct feat_user_brief, TIME, last_login_at,                           \
      "(SELECT max(s.created_at) FROM sessions s WHERE s.user_id = users.id)")\
      _                                                                      \
    X(struct feat_user_brief, TIME, deleted_at, "deleted_at")

#define BRIEF_COLUMNS  BRIEF_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  brief_cols[] = {
    BRIEF_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(brief_row, brief_cols)

#define LIVE  "app_id = ?1 AND deleted_at IS NULL"

/*
 * Each list names its index: with ORDER BY id DESC LIMIT, the planner may
 * well prefer walking users_app in id order to a range it must sort, and
 * on a big app that walk reads every user to find a few.
 */
#define BY_APP    "users INDEXED BY users_app"
#define BY_PHONE  "users INDEXED BY users_phone_prefix"
#define BY_EMAIL  "users INDEXED BY users_email"

/* ?2 the query, ?3 the end of its range */
static const struct feat_db_list  users_all = {
    "SELECT count(*) FROM " BY_APP " WHERE " LIVE " AND ?2 IS ?3",
    "SELECT " BRIEF_COLUMNS " FROM " BY_APP " WHERE " LIVE " AND ?2 IS ?3"
    " ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    brief_row, sizeof(struct feat_user_brief), 100, "users"
};

static const struct feat_db_list  users_phone = {
    "SELECT count(*) FROM " BY_PHONE " WHERE " LIVE " AND phone <> ''"
    " AND phone >= ?2 AND phone < ?3",
    "SELECT " BRIEF_COLUMNS " FROM " BY_PHONE " WHERE " LIVE
    " AND phone <> ''"
    " AND phone >= ?2 AND phone < ?3 ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    brief_row, sizeof(struct feat_user_brief), 100, "users by phone"
};

static const struct feat_db_list  users_email = {
    "SELECT count(*) FROM " BY_EMAIL " WHERE " LIVE " AND email <> ''"
    " AND email >= ?2 AND email < ?3",
    "SELECT " BRIEF_COLUMNS " FROM " BY_EMAIL " WHERE " LIVE
    " AND email <> ''"
    " AND email >= ?2 AND email < ?3 ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    brief_row, sizeof(struct feat_user_brief), 100, "users by email"
};

static const struct feat_db_list  users_nickname = {
    "SELECT count(*) FROM " BY_APP " WHERE " LIVE
    " AND instr(lower(nickname), lower(?2)) > 0 AND ?3 IS NOT NULL",
    "SELECT " BRIEF_COLUMNS " FROM " BY_APP " WHERE " LIVE
    " AND instr(lower(nickname), lower(?2)) > 0 AND ?3 IS NOT NULL"
    " ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    brief_row, sizeof(struct feat_user_brief), 100, "users by nickname"
};


enum feat_error
feat_user_search(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *q, long long offset, long long limit, struct feat_rows *out)
{
    size_t                      n;
    char                       *hi, *low;
    const struct feat_db_list  *l;

    n = (q != NULL) ? strlen(q) : 0;

    if (n == 0) {
        l = &users_all;
        q = "";
        hi = "";

    } else if (strspn(q, "0123456789") == n) {
        /* phone numbers are digits: ':' sorts right after '9' */
        l = &users_phone;
        hi = feat_arena_sprintf(a, "%s:", q);

    } else if (strchr(q, '@') != NULL) {
        /* emails are stored in lower case (feat_account_parse) */
        low = feat_arena_strdup(a, q);
        for (hi = low; *hi != '\0'; hi++) {
            if (*hi >= 'A' && *hi <= 'Z') {
                *hi = (char) (*hi - 'A' + 'a');
            }
        }
        q = low;
        l = &users_email;
        /* U+10FFFF's UTF-8 sorts after every character's */
        hi = feat_arena_sprintf(a, "%s\xf4\x8f\xbf\xbf", q);

    } else {
        l = &users_nickname;
        hi = "";
    }

    return feat_db_rows(db, a, l, offset, limit, 1, out, "sss", app, q, hi);
}


enum feat_error
feat_user_brief_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_user_brief *u)
{
    return feat_db_row(db, a,
               feat_db_query(db, "SELECT " BRIEF_COLUMNS " FROM users"
                             " WHERE app_id = ?1 AND id = ?2", "si", app,
                             id),
               brief_row, u, "user %lld", (long long) id);
}


enum feat_error
feat_user_bindings(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, cJSON **out)
{
    int            rc;
    cJSON         *list, *o;
    sqlite3_stmt  *st;

    (void) a;

    st = feat_db_query(db, "SELECT open_type, created_at FROM open_bindings"
                       " WHERE app_id = ?1 AND user_id = ?2"
                       " ORDER BY open_type", "si", app, id);
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    list = cJSON_CreateArray();

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "open_type", sqlite3_column_int(st, 0));
        cJSON_AddNumberToObject(o, "created_at",
                                (double) sqlite3_column_int64(st, 1));
        cJSON_AddItemToArray(list, o);
    }

    feat_db_done(st);

    if (rc != SQLITE_DONE) {
        cJSON_Delete(list);
        feat_log(LOG_ERR, 0, "bindings of user %lld: %s", (long long) id,
                 sqlite3_errmsg(db));
        return FEAT_E_INTERNAL;
    }

    *out = list;

    return FEAT_E_NONE;
}
