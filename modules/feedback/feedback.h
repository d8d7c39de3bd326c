/*
 * feedback.h: the feedback domain (sql/0003_managers.sql,
 * sql/0005_feedback.sql): the app's managers (the administrators who reply
 * and push), feedback categories, users' feedback and the managers'
 * replies.  Shared by the v2 handlers, featctl and, later, v1.
 *
 * Functions take plain arguments and a connection, never a request (but
 * the handlers' own, in the last section).
 * Strings they hand back live in the arena they are given.  They answer
 * FEAT_E_NONE or the error a caller reports: FEAT_E_NOT_FOUND (no such row
 * in this app, or not the caller's), FEAT_E_BAD_FIELD (with *bad naming
 * the field by its v2 name), FEAT_E_WRONG_STATE, FEAT_E_UNKNOWN_APP,
 * FEAT_E_INTERNAL (logged).  A user_id of FEAT_FEEDBACK_ANY_USER means
 * "any user" and is for administrators only; handlers always pass the
 * caller.  A user_id of 0 (a token without a user) matches nothing.
 */

#ifndef FEAT_FEEDBACK_H
#define FEAT_FEEDBACK_H

#include "feat.h"

/* Limits in code points. */
#define FEAT_FEEDBACK_CONTENT_MAX   2000
#define FEAT_FEEDBACK_TITLE_MAX     100
#define FEAT_FEEDBACK_PHONE_MAX     32
#define FEAT_FEEDBACK_REPLY_MAX     2000
#define FEAT_MANAGER_NAME_MAX       64
#define FEAT_FEEDBACK_CATEGORY_NAME_MAX  64
#define FEAT_FEEDBACK_CATEGORY_DESC_MAX  512

/* A list asks for at most this many rows at once. */
#define FEAT_FEEDBACK_LIST_MAX      1000

/* user_id of the administrator's calls: no owner filter */
#define FEAT_FEEDBACK_ANY_USER  ((sqlite3_int64) -1)

#define FEAT_FEEDBACK_NEW       0
#define FEAT_FEEDBACK_REPLIED   1
#define FEAT_FEEDBACK_CLOSED    2

struct feat_manager {
    sqlite3_int64   id;
    const char     *app_id;
    const char     *name;
    time_t          created_at;
};

struct feat_feedback_category {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    const char     *name;
    const char     *description;
};

struct feat_feedback {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    sqlite3_int64   user_id;
    const char     *title;          /* "" for v2 feedback */
    const char     *content;
    sqlite3_int64   category_id;    /* 0: none */
    const char     *contact_phone;  /* "" when none */
    int             status;         /* FEAT_FEEDBACK_* */
};

struct feat_feedback_reply {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    sqlite3_int64   feedback_id;
    sqlite3_int64   manager_id;
    const char     *content;
    int             is_read;
};


/* ---- managers ------------------------------------------------------------ */

/* Adds a manager named name (1..64 code points); *id gets its id. */
enum feat_error feat_manager_add(sqlite3 *db, const char *app,
    const char *name, sqlite3_int64 *id, const char **bad);
/* Every manager of the app, oldest first (*items in a). */
enum feat_error feat_manager_list(sqlite3 *db, struct feat_arena *a,
    const char *app, struct feat_manager **items, size_t *n);
/* FEAT_E_NONE if id is a manager of app, or of every app, else
 * FEAT_E_NOT_FOUND. */
enum feat_error feat_manager_exists(sqlite3 *db, const char *app,
    sqlite3_int64 id);


/* ---- categories ---------------------------------------------------------- */

/* A page of the app's categories, newest first (as feat_feedback_list). */
enum feat_error feat_feedback_category_list(sqlite3 *db,
    struct feat_arena *a, const char *app, long long offset, long long limit,
    long long *total, struct feat_feedback_category **items, size_t *n);
/* name required, description optional (NULL or ""); *id the new id.
 * *bad: "name", "description". */
enum feat_error feat_feedback_category_add(sqlite3 *db, const char *app,
    const char *name, const char *description, sqlite3_int64 *id,
    const char **bad);
/* Removes a category; its feedback stays, without a category. */
enum feat_error feat_feedback_category_remove(sqlite3 *db, const char *app,
    sqlite3_int64 id);


/* ---- feedback ------------------------------------------------------------ */

/* Whether s is an acceptable contact phone: "" or at most 32 characters of
 * [0-9+ -] with at least one digit. */
int feat_feedback_phone_ok(const char *s);

/*
 * Files a feedback of user_id: content required (<= 2000 code points),
 * title NULL or "" (v2) or <= 100, category_id 0 (none) or a category of
 * the app, contact_phone NULL/"" or feat_feedback_phone_ok.  *out gets the
 * new row (strings in a).  *bad: "feedback_content", "feedback_title",
 * "feedback_category_id", "contact_phone".  A user not of the app:
 * FEAT_E_NOT_FOUND.
 */
enum feat_error feat_feedback_create(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char *title,
    const char *content, sqlite3_int64 category_id,
    const char *contact_phone, struct feat_feedback *out, const char **bad);

/*
 * A page of feedback, newest first: of user_id (FEAT_FEEDBACK_ANY_USER:
 * every user), with status (-1: any).  *total counts all that match;
 * *items (arena array, NULL when *n is 0) holds at most limit of them
 * from offset.
 */
enum feat_error feat_feedback_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, int status, long long offset,
    long long limit, long long *total, struct feat_feedback **items,
    size_t *n);

/* One feedback of user_id (or any user) into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_feedback_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    struct feat_feedback *out);

/* Deletes a feedback of user_id (or any user) and its replies. */
enum feat_error feat_feedback_delete(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id);

/*
 * A manager's reply to a feedback (not closed: else FEAT_E_WRONG_STATE):
 * content 1..2000 code points, unread; the feedback's status becomes 1.
 * *id gets the reply's id.  An unknown feedback or manager:
 * FEAT_E_NOT_FOUND.  *bad: "reply_content".
 */
enum feat_error feat_feedback_reply_add(sqlite3 *db, const char *app,
    sqlite3_int64 feedback_id, sqlite3_int64 manager_id, const char *content,
    sqlite3_int64 *id, const char **bad);

/* Closes a feedback (status 2); closing a closed one: FEAT_E_WRONG_STATE. */
enum feat_error feat_feedback_close(sqlite3 *db, const char *app,
    sqlite3_int64 id);

/*
 * The latest reply to feedback_id of user_id (or any user) into *out, with
 * is_read as it was; then, when mark_read is set, every reply of that
 * feedback is marked read, in the same transaction.  FEAT_E_NOT_FOUND
 * when the feedback is not the user's or has no reply yet.
 */
enum feat_error feat_feedback_reply_latest(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 feedback_id,
    int mark_read, struct feat_feedback_reply *out);

/* The replies to feedback_id of user_id (or any user), oldest first, paged
 * as feat_feedback_list.  FEAT_E_NOT_FOUND when the feedback is not
 * found. */
enum feat_error feat_feedback_reply_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 feedback_id,
    long long offset, long long limit, long long *total,
    struct feat_feedback_reply **items, size_t *n);

/*
 * v1's edit: changes the fields that are not NULL (title may become "",
 * content may not) and updated_at of a feedback of user_id (or any user),
 * then reads it back into *out.  Same checks and *bad names as
 * feat_feedback_create; FEAT_E_NOT_FOUND when it is not the user's.
 */
enum feat_error feat_feedback_update(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    const char *title, const char *content, const char *contact_phone,
    struct feat_feedback *out, const char **bad);

/* A reply with the feedback it answers. */
struct feat_feedback_reply_item {
    struct feat_feedback        feedback;
    struct feat_feedback_reply  reply;
};

/*
 * A page of the replies to every feedback of user_id, newest reply first;
 * *total counts them all (total NULL: not counted).  With mark_read the
 * replies of the page are marked read in the same transaction, while
 * *items show is_read as it was before.
 */
enum feat_error feat_feedback_user_replies(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, long long offset,
    long long limit, int mark_read, long long *total,
    struct feat_feedback_reply_item **items, size_t *n);

/* ---- the administrator's view (the admin API) ------------------------- */

/* A feedback with its category's name ("" for none) and the number of
 * replies it has. */
struct feat_feedback_item {
    struct feat_feedback  feedback;
    const char           *category_name;
    long long             replies;
};

/* A reply with the name of the manager who wrote it ("" when that
 * manager is gone). */
struct feat_feedback_reply_by {
    struct feat_feedback_reply  reply;
    const char                 *manager_name;
};

/*
 * A page of the app's feedback of status (-1: any) as the queue of those
 * who answer it: the new ones first, oldest first among them (the longest
 * waiting on top), then the others newest first; each with its replies
 * counted.  *total counts all that match; *items (arena array, NULL when
 * *n is 0) holds at most limit from offset.
 */
enum feat_error feat_feedback_inbox(sqlite3 *db, struct feat_arena *a,
    const char *app, int status, long long offset, long long limit,
    long long *total, struct feat_feedback_item **items, size_t *n);

/* One feedback of app as feat_feedback_inbox reads it, or
 * FEAT_E_NOT_FOUND. */
enum feat_error feat_feedback_item_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_feedback_item *out);

/* The replies to feedback_id of app, oldest first, with their managers'
 * names, paged as feat_feedback_list.  FEAT_E_NOT_FOUND when the app has
 * no such feedback. */
enum feat_error feat_feedback_thread(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 feedback_id, long long offset,
    long long limit, long long *total, struct feat_feedback_reply_by **items,
    size_t *n);

/* One reply of app with its manager's name, or FEAT_E_NOT_FOUND. */
enum feat_error feat_feedback_reply_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_feedback_reply_by *out);


/* The module (modules/feedback/v2.c): /api/feedback*, GET
 * /api/feedback_category. */
extern const struct feat_module feat_feedback_module;
/* modules/feedback/v1.c: /api/user/feedback*, /api/user/feedback_reply. */
extern const struct feat_module feat_feedback_v1_module;


/* ---- the handlers' shared part (v2.c) ------------------------------------ */

/* Renders one feedback in a dialect's form. */
typedef cJSON *(*feat_feedback_item_pt)(struct feat_req *r,
    const struct feat_feedback *f);

/*
 * What v1 and v2 do alike and answer each in its own form.  Each answers
 * FEAT_OK, or FEAT_ERROR once the failure has been answered (the handler
 * then returns FEAT_OK).
 *
 * feat_feedback_page: the caller's feedback by the dialect's paging
 *   arguments, newest first, as the dialect's paged object in *page with
 *   each feedback made by item.
 * feat_feedback_remove: deletes the caller's feedback whose id is the path
 *   parameter param, replies and all; not found when it is not an id or
 *   not the caller's.
 */
int feat_feedback_page(struct feat_req *r, feat_feedback_item_pt item,
    cJSON **page);
int feat_feedback_remove(struct feat_req *r, const char *param);

#endif /* FEAT_FEEDBACK_H */
