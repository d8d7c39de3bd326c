/*
 * feedback.c: the feedback domain.  Users file feedback and read the
 * replies; managers (administrators, through featctl) keep categories,
 * reply and close.  A feedback belongs to one user of one app: every
 * statement filters by app_id, and every user-facing one by user_id too,
 * so another user's feedback is simply not found.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "feedback/feedback.h"


/*
 * The columns of each struct in SELECT order: a list makes both the column
 * list of the statements and the map its row reader reads by.  In the join
 * of feedback f and feedback_reply r the same names are qualified (IN_F,
 * IN_R).
 */
#define FEEDBACK_COLS(X, _)                                                  \
    X(struct feat_feedback, INT64, id, "id") _                               \
    X(struct feat_feedback, TEXT, app_id, "app_id") _                        \
    X(struct feat_feedback, TIME, created_at, "created_at") _                \
    X(struct feat_feedback, TIME, updated_at, "updated_at") _                \
    X(struct feat_feedback, INT64, user_id, "user_id") _                     \
    X(struct feat_feedback, TEXT, title, "title") _                          \
    X(struct feat_feedback, TEXT, content, "content") _                      \
    /* NULL (no category, or its category was removed) reads as 0 */        \
    X(struct feat_feedback, INT64, category_id, "category_id") _             \
    X(struct feat_feedback, TEXT, contact_phone, "contact_phone") _          \
    X(struct feat_feedback, INT, status, "status")

#define REPLY_COLS(X, _)                                                     \
    X(struct feat_feedback_reply, INT64, id, "id") _                         \
    X(struct feat_feedback_reply, TEXT, app_id, "app_id") _                  \
    X(struct feat_feedback_reply, TIME, created_at, "created_at") _          \
    X(struct feat_feedback_reply, TIME, updated_at, "updated_at") _          \
    X(struct feat_feedback_reply, INT64, feedback_id, "feedback_id") _       \
    X(struct feat_feedback_reply, INT64, manager_id, "manager_id") _         \
    X(struct feat_feedback_reply, TEXT, content, "content") _                \
    X(struct feat_feedback_reply, INT, is_read, "is_read")

#define CATEGORY_COLS(X, _)                                                  \
    X(struct feat_feedback_category, INT64, id, "id") _                      \
    X(struct feat_feedback_category, TEXT, app_id, "app_id") _               \
    X(struct feat_feedback_category, TIME, created_at, "created_at") _       \
    X(struct feat_feedback_category, TIME, updated_at, "updated_at") _       \
    X(struct feat_feedback_category, TEXT, name, "name") _                   \
    X(struct feat_feedback_category, TEXT, description, "description")

#define MANAGER_COLS(X, _)                                                   \
    X(struct feat_manager, INT64, id, "id") _                                \
    X(struct feat_manager, TEXT, app_id, "app_id") _                         \
    X(struct feat_manager, TEXT, name, "name") _                             \
    X(struct feat_manager, TIME, created_at, "created_at")

#define IN_F(s, type, f, sql)  "f." sql
#define IN_R(s, type, f, sql)  "r." sql

#define FEEDBACK_COLUMNS  FEEDBACK_COLS(FEAT_COL_SQL, ", ")
#define REPLY_COLUMNS     REPLY_COLS(FEAT_COL_SQL, ", ")
#define CATEGORY_COLUMNS  CATEGORY_COLS(FEAT_COL_SQL, ", ")
#define MANAGER_COLUMNS   MANAGER_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  feedback_cols[] = {
    FEEDBACK_COLS(FEAT_COL_MAP, )
};

static const struct feat_db_col  reply_cols[] = {
    REPLY_COLS(FEAT_COL_MAP, )
};

static const struct feat_db_col  category_cols[] = {
    CATEGORY_COLS(FEAT_COL_MAP, )
};

static const struct feat_db_col  manager_cols[] = {
    MANAGER_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(feedback_row, feedback_cols)
FEAT_DB_READER(reply_row, reply_cols)
FEAT_DB_READER(category_row, category_cols)
FEAT_DB_READER(manager_row, manager_cols)


/* Hands a page read by feat_db_rows to a list function's out parameters
 * (total may be NULL: not counted). */
static enum feat_error
feedback_page(enum feat_error e, const struct feat_rows *rows,
    long long *total, void **items, size_t *n)
{
    if (total != NULL) {
        *total = (rows->total < 0) ? 0 : rows->total;
    }

    *items = rows->items;
    *n = rows->n;

    return e;
}


/* ---- managers ------------------------------------------------------------ */

enum feat_error
feat_manager_add(sqlite3 *db, const char *app, const char *name,
    sqlite3_int64 *id, const char **bad)
{
    if (!feat_utf8_ok(name, FEAT_MANAGER_NAME_MAX, 1)) {
        *bad = "name";
        return FEAT_E_BAD_FIELD;
    }

    return feat_db_insert(db, id,
                          "INSERT INTO managers (app_id, name, created_at)"
                          " VALUES (?, ?, ?)",
                          "ssi", app, name, (sqlite3_int64) feat_now());
}


/* Every manager at once: never counted, no cap. */
static const struct feat_db_list  manager_list = {
    NULL,
    "SELECT " MANAGER_COLUMNS " FROM managers"
    " WHERE app_id = ? ORDER BY id LIMIT ? OFFSET ?",
    manager_row, sizeof(struct feat_manager), 0, "managers"
};


enum feat_error
feat_manager_list(sqlite3 *db, struct feat_arena *a, const char *app,
    struct feat_manager **items, size_t *n)
{
    void              *p;
    struct feat_rows   rows;
    enum feat_error    e;

    e = feat_db_rows(db, a, &manager_list, 0, INT64_MAX, 0, &rows, "s",
                     app);
    e = feedback_page(e, &rows, NULL, &p, n);
    *items = p;

    return e;
}


enum feat_error
feat_manager_exists(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    int            rc;
    sqlite3_int64  one;

    /* a manager of every app (sql/0150's all_apps) answers for any */
    rc = feat_db_int(db, &one,
                     "SELECT 1 FROM managers WHERE id = ?2"
                     " AND (app_id = ?1 OR all_apps = 1)",
                     "si", app, id);

    if (rc == FEAT_OK) {
        return FEAT_E_NONE;
    }

    return rc == FEAT_DECLINED ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
}


/* ---- categories ---------------------------------------------------------- */

static const struct feat_db_list  category_list = {
    "SELECT COUNT(*) FROM feedback_category WHERE app_id = ?",
    "SELECT " CATEGORY_COLUMNS " FROM feedback_category"
    " WHERE app_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
    category_row, sizeof(struct feat_feedback_category),
    FEAT_FEEDBACK_LIST_MAX, "feedback categories"
};


enum feat_error
feat_feedback_category_list(sqlite3 *db, struct feat_arena *a,
    const char *app, long long offset, long long limit, long long *total,
    struct feat_feedback_category **items, size_t *n)
{
    return feat_db_page(db, a, &category_list, offset, limit, total, items,
                        n, "s", app);
}


enum feat_error
feat_feedback_category_add(sqlite3 *db, const char *app, const char *name,
    const char *description, sqlite3_int64 *id, const char **bad)
{
    time_t  now;

    if (!feat_utf8_ok(name, FEAT_FEEDBACK_CATEGORY_NAME_MAX, 1)) {
        *bad = "name";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(description, FEAT_FEEDBACK_CATEGORY_DESC_MAX, 0)) {
        *bad = "description";
        return FEAT_E_BAD_FIELD;
    }

    now = feat_now();

    return feat_db_insert(db, id,
                          "INSERT INTO feedback_category (app_id, name,"
                          " description, created_at, updated_at)"
                          " VALUES (?, ?, ?, ?, ?)",
                          "sssii", app, name,
                          description ? description : "",
                          (sqlite3_int64) now, (sqlite3_int64) now);
}


enum feat_error
feat_feedback_category_remove(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    /* the feedback rows keep their text; ON DELETE SET NULL drops the link */
    return feat_db_change(db,
                          "DELETE FROM feedback_category"
                          " WHERE app_id = ? AND id = ?",
                          "si", app, id);
}


/* ---- feedback ------------------------------------------------------------ */

int
feat_feedback_phone_ok(const char *s)
{
    size_t  i;
    int     digits;

    digits = 0;

    for (i = 0; s[i] != '\0'; i++) {
        if (i >= FEAT_FEEDBACK_PHONE_MAX) {
            return 0;
        }

        if (s[i] >= '0' && s[i] <= '9') {
            digits++;

        } else if (s[i] != '+' && s[i] != ' ' && s[i] != '-') {
            return 0;
        }
    }

    return i == 0 || digits > 0;
}


enum feat_error
feat_feedback_create(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char *title, const char *content,
    sqlite3_int64 category_id, const char *contact_phone,
    struct feat_feedback *out, const char **bad)
{
    int            rc;
    time_t         now;
    sqlite3_int64  one;

    if (!feat_utf8_ok(content, FEAT_FEEDBACK_CONTENT_MAX, 1)) {
        *bad = "feedback_content";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(title, FEAT_FEEDBACK_TITLE_MAX, 0)) {
        *bad = "feedback_title";
        return FEAT_E_BAD_FIELD;
    }

    if (contact_phone != NULL && !feat_feedback_phone_ok(contact_phone)) {
        *bad = "contact_phone";
        return FEAT_E_BAD_FIELD;
    }

    if (category_id < 0) {
        *bad = "feedback_category_id";
        return FEAT_E_BAD_FIELD;
    }

    if (category_id > 0) {
        rc = feat_db_int(db, &one,
                         "SELECT 1 FROM feedback_category"
                         " WHERE app_id = ? AND id = ?",
                         "si", app, category_id);
        if (rc == FEAT_DECLINED) {
            *bad = "feedback_category_id";
            return FEAT_E_BAD_FIELD;
        }

        if (rc != FEAT_OK) {
            return FEAT_E_INTERNAL;
        }
    }

    now = feat_now();

    /*
     * INSERT ... SELECT from users: the row is made only for a user of
     * this app, in the same statement that checks it.  A category removed
     * since the check above breaks its foreign key: FEAT_BUSY.
     */
    rc = feat_db_exec(db,
                      "INSERT INTO feedback (app_id, user_id, title, content,"
                      " category_id, contact_phone, status, created_at,"
                      " updated_at)"
                      " SELECT ?1, id, ?2, ?3, NULLIF(?4, 0), ?5, 0, ?6, ?6"
                      " FROM users WHERE app_id = ?1 AND id = ?7",
                      "sssisii", app, title ? title : "", content,
                      category_id, contact_phone ? contact_phone : "",
                      (sqlite3_int64) now, user_id);

    if (rc == FEAT_BUSY) {
        *bad = "feedback_category_id";
        return FEAT_E_BAD_FIELD;
    }

    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db) == 0) {
        return FEAT_E_NOT_FOUND;
    }

    out->id = sqlite3_last_insert_rowid(db);
    out->app_id = feat_arena_strdup(a, app);
    out->created_at = now;
    out->updated_at = now;
    out->user_id = user_id;
    out->title = feat_arena_strdup(a, title ? title : "");
    out->content = feat_arena_strdup(a, content);
    out->category_id = category_id;
    out->contact_phone = feat_arena_strdup(a,
                                           contact_phone ? contact_phone : "");
    out->status = FEAT_FEEDBACK_NEW;

    return FEAT_E_NONE;
}


/*
 * Users list their own feedback through the (app_id, user_id, id) index.
 * The administrator's filtered form uses one statement whose "?2 < 0 OR
 * ..." terms switch a filter off; it is not on any hot path.
 */
static const struct feat_db_list  feedback_user_list = {
    "SELECT COUNT(*) FROM feedback WHERE app_id = ? AND user_id = ?",
    "SELECT " FEEDBACK_COLUMNS " FROM feedback"
    " WHERE app_id = ? AND user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
    feedback_row, sizeof(struct feat_feedback), FEAT_FEEDBACK_LIST_MAX,
    "feedback"
};

static const struct feat_db_list  feedback_admin_list = {
    "SELECT COUNT(*) FROM feedback WHERE app_id = ?1"
    " AND (?2 < 0 OR user_id = ?2) AND (?3 < 0 OR status = ?3)",
    "SELECT " FEEDBACK_COLUMNS " FROM feedback"
    " WHERE app_id = ?1 AND (?2 < 0 OR user_id = ?2)"
    " AND (?3 < 0 OR status = ?3) ORDER BY id DESC LIMIT ?4 OFFSET ?5",
    feedback_row, sizeof(struct feat_feedback), FEAT_FEEDBACK_LIST_MAX,
    "feedback"
};


enum feat_error
feat_feedback_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, int status, long long offset, long long limit,
    long long *total, struct feat_feedback **items, size_t *n)
{
    if (user_id >= 0 && status < 0) {
        return feat_db_page(db, a, &feedback_user_list, offset, limit, total,
                            items, n, "si", app, user_id);
    }

    return feat_db_page(db, a, &feedback_admin_list, offset, limit, total,
                        items, n, "sid", app, user_id, status);
}


enum feat_error
feat_feedback_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, struct feat_feedback *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " FEEDBACK_COLUMNS " FROM feedback"
                       " WHERE app_id = ?1 AND id = ?2"
                       " AND (?3 < 0 OR user_id = ?3)",
                       "sii", app, id, user_id);

    return feat_db_row(db, a, st, feedback_row, out,
                       "feedback: reading a row failed");
}


enum feat_error
feat_feedback_delete(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    /* the replies go with it: feedback_reply's ON DELETE CASCADE */
    return feat_db_change(db,
                          "DELETE FROM feedback WHERE app_id = ?1 AND id = ?2"
                          " AND (?3 < 0 OR user_id = ?3)",
                          "sii", app, id, user_id);
}


enum feat_error
feat_feedback_reply_add(sqlite3 *db, const char *app,
    sqlite3_int64 feedback_id, sqlite3_int64 manager_id, const char *content,
    sqlite3_int64 *id, const char **bad)
{
    int              rc;
    time_t           now;
    sqlite3_int64    status;
    enum feat_error  e;

    if (!feat_utf8_ok(content, FEAT_FEEDBACK_REPLY_MAX, 1)) {
        *bad = "reply_content";
        return FEAT_E_BAD_FIELD;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_manager_exists(db, app, manager_id);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    rc = feat_db_int(db, &status,
                     "SELECT status FROM feedback WHERE app_id = ? AND id = ?",
                     "si", app, feedback_id);
    if (rc != FEAT_OK) {
        e = (rc == FEAT_DECLINED) ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
        goto done;
    }

    /* a closed feedback is settled; reopening it is not a reply */
    if (status == FEAT_FEEDBACK_CLOSED) {
        e = FEAT_E_WRONG_STATE;
        goto done;
    }

    now = feat_now();
    e = FEAT_E_INTERNAL;

    if (feat_db_exec(db,
                     "INSERT INTO feedback_reply (app_id, feedback_id,"
                     " manager_id, content, is_read, created_at, updated_at)"
                     " VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)",
                     "siisi", app, feedback_id, manager_id, content,
                     (sqlite3_int64) now)
        != FEAT_OK)
    {
        goto done;
    }

    *id = sqlite3_last_insert_rowid(db);

    if (feat_db_exec(db,
                     "UPDATE feedback SET status = 1, updated_at = ?"
                     " WHERE app_id = ? AND id = ?",
                     "isi", (sqlite3_int64) now, app, feedback_id)
        != FEAT_OK)
    {
        goto done;
    }

    e = FEAT_E_NONE;

done:

    return feat_db_end(db, e);
}


enum feat_error
feat_feedback_close(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    int            rc;
    sqlite3_int64  status;

    if (feat_db_exec(db,
                     "UPDATE feedback SET status = 2, updated_at = ?"
                     " WHERE app_id = ? AND id = ? AND status <> 2",
                     "isi", (sqlite3_int64) feat_now(), app, id)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db)) {
        return FEAT_E_NONE;
    }

    /* nothing changed: tell "no such feedback" from "already closed" */
    rc = feat_db_int(db, &status,
                     "SELECT status FROM feedback WHERE app_id = ? AND id = ?",
                     "si", app, id);

    if (rc == FEAT_OK) {
        return FEAT_E_WRONG_STATE;
    }

    return rc == FEAT_DECLINED ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
}


/* FEAT_E_NONE if feedback_id is a feedback of user_id (or any) in app. */
static enum feat_error
feedback_owned(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 feedback_id)
{
    int            rc;
    sqlite3_int64  one;

    rc = feat_db_int(db, &one,
                     "SELECT 1 FROM feedback WHERE app_id = ?1 AND id = ?2"
                     " AND (?3 < 0 OR user_id = ?3)",
                     "sii", app, feedback_id, user_id);

    if (rc == FEAT_OK) {
        return FEAT_E_NONE;
    }

    return rc == FEAT_DECLINED ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
}


enum feat_error
feat_feedback_reply_latest(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 feedback_id,
    int mark_read, struct feat_feedback_reply *out)
{
    sqlite3_stmt     *st;
    enum feat_error   e;

    /*
     * Reading the reply and marking the replies read is one transaction:
     * a reply added in between would otherwise be marked read unseen, and
     * two readers could both be told is_read false.
     */
    if (mark_read && feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feedback_owned(db, app, user_id, feedback_id);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    st = feat_db_query(db,
                       "SELECT " REPLY_COLUMNS " FROM feedback_reply"
                       " WHERE app_id = ? AND feedback_id = ?"
                       " ORDER BY id DESC LIMIT 1",
                       "si", app, feedback_id);

    e = feat_db_row(db, a, st, reply_row, out,
                    "feedback: reading a row failed");
    if (e != FEAT_E_NONE || !mark_read) {
        goto done;
    }

    if (feat_db_exec(db,
                     "UPDATE feedback_reply SET is_read = 1"
                     " WHERE app_id = ? AND feedback_id = ? AND is_read = 0",
                     "si", app, feedback_id)
        != FEAT_OK
        || feat_db_commit(db) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    return FEAT_E_NONE;

done:

    if (mark_read) {
        /* nothing was written when we get here: a rollback is a release */
        feat_db_rollback(db);
    }

    return e;
}


static const struct feat_db_list  reply_list = {
    "SELECT COUNT(*) FROM feedback_reply"
    " WHERE app_id = ? AND feedback_id = ?",
    "SELECT " REPLY_COLUMNS " FROM feedback_reply"
    " WHERE app_id = ? AND feedback_id = ? ORDER BY id LIMIT ? OFFSET ?",
    reply_row, sizeof(struct feat_feedback_reply), FEAT_FEEDBACK_LIST_MAX,
    "feedback replies"
};


enum feat_error
feat_feedback_reply_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 feedback_id, long long offset,
    long long limit, long long *total, struct feat_feedback_reply **items,
    size_t *n)
{
    enum feat_error  e;

    *items = NULL;
    *n = 0;
    *total = 0;

    e = feedback_owned(db, app, user_id, feedback_id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    return feat_db_page(db, a, &reply_list, offset, limit, total, items, n,
                        "si", app, feedback_id);
}


/* ---- v1 additions -------------------------------------------------------- */

enum feat_error
feat_feedback_update(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, const char *title,
    const char *content, const char *contact_phone,
    struct feat_feedback *out, const char **bad)
{
    if (content != NULL
        && !feat_utf8_ok(content, FEAT_FEEDBACK_CONTENT_MAX, 1))
    {
        *bad = "feedback_content";
        return FEAT_E_BAD_FIELD;
    }

    if (!feat_utf8_ok(title, FEAT_FEEDBACK_TITLE_MAX, 0)) {
        *bad = "feedback_title";
        return FEAT_E_BAD_FIELD;
    }

    if (contact_phone != NULL && !feat_feedback_phone_ok(contact_phone)) {
        *bad = "contact_phone";
        return FEAT_E_BAD_FIELD;
    }

    /* NULL binds NULL, and COALESCE keeps the stored value for it */
    if (feat_db_exec(db,
                     "UPDATE feedback SET title = COALESCE(?4, title),"
                     " content = COALESCE(?5, content),"
                     " contact_phone = COALESCE(?6, contact_phone),"
                     " updated_at = ?7"
                     " WHERE app_id = ?1 AND id = ?2"
                     " AND (?3 < 0 OR user_id = ?3)",
                     "siisssi", app, id, user_id, title, content,
                     contact_phone, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db) == 0) {
        return FEAT_E_NOT_FOUND;
    }

    return feat_feedback_get(db, a, app, user_id, id, out);
}


/* A reply joined with its feedback: the feedback's columns, then the
 * reply's (user_reply_list's SELECT). */
static void
reply_item_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_feedback_reply_item  *it = item;

    feat_db_read(a, st, 0, feedback_cols, FEAT_NELEMS(feedback_cols),
                 &it->feedback);
    feat_db_read(a, st, (int) FEAT_NELEMS(feedback_cols), reply_cols,
                 FEAT_NELEMS(reply_cols), &it->reply);
}


/* A reply joined with its feedback, newest reply first. */
static const struct feat_db_list  user_reply_list = {
    "SELECT COUNT(*) FROM feedback f"
    " JOIN feedback_reply r ON r.feedback_id = f.id"
    " WHERE f.app_id = ? AND f.user_id = ?",
    "SELECT " FEEDBACK_COLS(IN_F, ", ") ", " REPLY_COLS(IN_R, ", ")
    " FROM feedback f JOIN feedback_reply r ON r.feedback_id = f.id"
    " WHERE f.app_id = ? AND f.user_id = ?"
    " ORDER BY r.id DESC LIMIT ? OFFSET ?",
    reply_item_row, sizeof(struct feat_feedback_reply_item),
    FEAT_FEEDBACK_LIST_MAX, "feedback replies of a user"
};


enum feat_error
feat_feedback_user_replies(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, long long offset,
    long long limit, int mark_read, long long *total,
    struct feat_feedback_reply_item **items, size_t *n)
{
    void              *p;
    size_t             i;
    struct feat_rows   rows;
    enum feat_error    e;

    /* as feat_feedback_reply_latest: the read and the marking are one
     * transaction, so no reply is marked read unseen */
    if (mark_read && feat_db_begin(db) != FEAT_OK) {
        *items = NULL;
        *n = 0;
        return FEAT_E_INTERNAL;
    }

    e = feat_db_rows(db, a, &user_reply_list, offset, limit, total != NULL,
                     &rows, "si", app, user_id);
    e = feedback_page(e, &rows, total, &p, n);
    *items = p;

    if (e != FEAT_E_NONE || !mark_read) {
        goto done;
    }

    for (i = 0; i < *n; i++) {
        if ((*items)[i].reply.is_read) {
            continue;
        }

        if (feat_db_exec(db,
                         "UPDATE feedback_reply SET is_read = 1"
                         " WHERE app_id = ? AND id = ?",
                         "si", app, (*items)[i].reply.id)
            != FEAT_OK)
        {
            e = FEAT_E_INTERNAL;
            goto done;
        }
    }

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    return FEAT_E_NONE;

done:

    if (mark_read) {
        feat_db_rollback(db);
    }

    return e;
}


/* ---- the administrator's view -------------------------------------------- */

/* After the feedback's columns: its category's name and its replies
 * counted. */
#define FEEDBACK_ITEM_MORE                                                   \
    "coalesce((SELECT g.name FROM feedback_category g"                      \
    " WHERE g.id = f.category_id), ''),"                                     \
    " (SELECT count(*) FROM feedback_reply c WHERE c.feedback_id = f.id)"

static void
feedback_item_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    int                         c;
    struct feat_feedback_item  *it = item;

    feat_db_read(a, st, 0, feedback_cols, FEAT_NELEMS(feedback_cols),
                 &it->feedback);
    c = (int) FEAT_NELEMS(feedback_cols);
    it->category_name = feat_db_col_text(a, st, c);
    it->replies = sqlite3_column_int64(st, c + 1);
}


/*
 * New ones first, the oldest of them on top; then the rest newest first:
 * -id sorts those.  The (app_id, status, id) index serves the filter;
 * the sort runs over what it finds, which an administrator pages through.
 */
static const struct feat_db_list  feedback_inbox_list = {
    "SELECT COUNT(*) FROM feedback f WHERE f.app_id = ?1"
    " AND (?2 < 0 OR f.status = ?2)",
    "SELECT " FEEDBACK_COLS(IN_F, ", ") ", " FEEDBACK_ITEM_MORE
    " FROM feedback f WHERE f.app_id = ?1 AND (?2 < 0 OR f.status = ?2)"
    " ORDER BY f.status <> 0, CASE WHEN f.status = 0 THEN f.id"
    " ELSE -f.id END LIMIT ?3 OFFSET ?4",
    feedback_item_row, sizeof(struct feat_feedback_item),
    FEAT_FEEDBACK_LIST_MAX, "feedback inbox"
};


enum feat_error
feat_feedback_inbox(sqlite3 *db, struct feat_arena *a, const char *app,
    int status, long long offset, long long limit, long long *total,
    struct feat_feedback_item **items, size_t *n)
{
    return feat_db_page(db, a, &feedback_inbox_list, offset, limit, total,
                        items, n, "sd", app, status);
}


enum feat_error
feat_feedback_item_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_feedback_item *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " FEEDBACK_COLS(IN_F, ", ") ", "
                       FEEDBACK_ITEM_MORE " FROM feedback f"
                       " WHERE f.app_id = ? AND f.id = ?", "si", app, id);

    return feat_db_row(db, a, st, feedback_item_row, out,
                       "feedback: reading %lld failed", (long long) id);
}


/* A reply and its manager's name: the reply's columns, then the name. */
static void
reply_by_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_feedback_reply_by  *it = item;

    feat_db_read(a, st, 0, reply_cols, FEAT_NELEMS(reply_cols), &it->reply);
    it->manager_name = feat_db_col_text(a, st,
                                        (int) FEAT_NELEMS(reply_cols));
}


#define REPLY_BY_FROM                                                        \
    " FROM feedback_reply r LEFT JOIN managers m ON m.id = r.manager_id"

static const struct feat_db_list  reply_by_list = {
    "SELECT COUNT(*) FROM feedback_reply r"
    " WHERE r.app_id = ? AND r.feedback_id = ?",
    "SELECT " REPLY_COLS(IN_R, ", ") ", m.name" REPLY_BY_FROM
    " WHERE r.app_id = ? AND r.feedback_id = ? ORDER BY r.id"
    " LIMIT ? OFFSET ?",
    reply_by_row, sizeof(struct feat_feedback_reply_by),
    FEAT_FEEDBACK_LIST_MAX, "feedback thread"
};


enum feat_error
feat_feedback_thread(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 feedback_id, long long offset, long long limit,
    long long *total, struct feat_feedback_reply_by **items, size_t *n)
{
    enum feat_error  e;

    *items = NULL;
    *n = 0;
    *total = 0;

    e = feedback_owned(db, app, FEAT_FEEDBACK_ANY_USER, feedback_id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    return feat_db_page(db, a, &reply_by_list, offset, limit, total, items,
                        n, "si", app, feedback_id);
}


enum feat_error
feat_feedback_reply_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_feedback_reply_by *out)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
                       "SELECT " REPLY_COLS(IN_R, ", ") ", m.name"
                       REPLY_BY_FROM " WHERE r.app_id = ? AND r.id = ?",
                       "si", app, id);

    return feat_db_row(db, a, st, reply_by_row, out,
                       "feedback: reading reply %lld failed",
                       (long long) id);
}
