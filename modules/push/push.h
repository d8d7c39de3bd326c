/*
 * push.h: the push domain (sql/0006_push.sql): the devices users bind,
 * the pushes managers send, what reaches whom, and what a user has hidden.
 * Shared by the v2 handlers, featctl ("push send") and, later, the jobs
 * process that delivers queued pushes.
 *
 * Functions take plain arguments and a connection, never a request.
 * Strings they hand back live in the arena they are given.  They answer
 * FEAT_E_NONE or the error a caller reports: FEAT_E_NOT_FOUND (no such row
 * in this app, or not the caller's, or not reaching the caller),
 * FEAT_E_BAD_FIELD (with *bad naming the field by its v2 name),
 * FEAT_E_UNKNOWN_APP, FEAT_E_INTERNAL (logged).
 */

#ifndef FEAT_PUSH_H
#define FEAT_PUSH_H

#include "feat.h"

#define FEAT_PUSH_CLIENT_ID_MAX  128     /* bytes of printable ASCII */
#define FEAT_PUSH_TITLE_MAX      100     /* code points */
#define FEAT_PUSH_BODY_MAX       2000    /* code points */
#define FEAT_PUSH_TARGETS_MAX    10000   /* users of one scope-1 push */
#define FEAT_PUSH_READ_IDS_MAX   10000   /* ids in one message/count */

/* A list asks for at most this many rows at once. */
#define FEAT_PUSH_LIST_MAX       1000

/* FEAT_PUSH_SCOPE_ALL and FEAT_PUSH_SCOPE_LISTED are feat.h's: the queue
 * of pushes is the runtime's (fcgi/store/pushq.c). */

#define FEAT_PUSH_QUEUED         0
#define FEAT_PUSH_SENT           1
#define FEAT_PUSH_FAILED         2

struct feat_push_client {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    sqlite3_int64   user_id;
    const char     *client_id;
    const char     *client_type;    /* "android" or "ios" */
    int             on;             /* the "switch" */
};

struct feat_push {
    sqlite3_int64   id;
    const char     *app_id;
    time_t          created_at;
    time_t          updated_at;
    sqlite3_int64   manager_id;
    const char     *title;
    const char     *body;
    int             scope;          /* FEAT_PUSH_SCOPE_* */
    int             status;         /* FEAT_PUSH_QUEUED... */
};


/* ---- devices ------------------------------------------------------------- */

/* Whether s is an acceptable client id: 1..128 bytes of printable ASCII. */
int feat_push_client_id_ok(const char *s);

/*
 * Binds client_id (from the outside push service) of type "android" or
 * "ios" to user_id: a new row, or the existing row of the app with that
 * client_id, moved from whichever user held it (its switch is then reset
 * to on).  *out gets the row.  *bad: "client_id", "client_type".  A user
 * not of the app: FEAT_E_NOT_FOUND.
 */
enum feat_error feat_push_bind(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char *client_id,
    const char *client_type, struct feat_push_client *out, const char **bad);

/* A device of user_id into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_push_client_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char *client_id,
    struct feat_push_client *out);

/* Turns pushes to a device of user_id on or off, or FEAT_E_NOT_FOUND. */
enum feat_error feat_push_switch_set(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, const char *client_id, int on);


/* ---- pushes -------------------------------------------------------------- */

/*
 * Records a push from manager_id: to every user of the app when nusers is
 * 0, else to the nusers users listed (each must be a user of the app,
 * duplicates are fine).  The push is stored with status queued: delivery
 * belongs to the jobs process, which picks up queued rows (this row is the
 * seam between the two).  *id gets the push's id.  *bad: "push_title",
 * "push_body", "user_id" (too many); an unknown manager or user:
 * FEAT_E_NOT_FOUND.
 */
enum feat_error feat_push_send(sqlite3 *db, const char *app,
    sqlite3_int64 manager_id, const char *title, const char *body,
    const sqlite3_int64 *users, size_t nusers, sqlite3_int64 *id,
    const char **bad);

/*
 * A page of the pushes that reach user_id (scope all, or listed with the
 * user) and that the user has not hidden, newest first.  *total counts
 * them all; *items (arena array, NULL when *n is 0) holds at most limit
 * from offset.
 */
enum feat_error feat_push_log_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, long long offset,
    long long limit, long long *total, struct feat_push **items, size_t *n);

/* One push visible to user_id into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_push_log_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    struct feat_push *out);

/* Hides from user_id every push of the app that exists now; later ones
 * show.  FEAT_E_NONE or FEAT_E_INTERNAL. */
enum feat_error feat_push_log_hide(sqlite3 *db, const char *app,
    sqlite3_int64 user_id);

/*
 * The pushes visible to user_id whose id is not among the nread ids the
 * client has read (unknown and repeated ids count for nothing) into
 * *count.  nread is at most FEAT_PUSH_READ_IDS_MAX.
 */
enum feat_error feat_push_unread_count(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const sqlite3_int64 *read,
    size_t nread, long long *count);

/* ---- the senders' view (the admin API) ---------------------------------- */

/* A push as those who send pushes see it: who sent it, and how far its
 * delivery has come (fcgi/store/outbox.c's counts). */
struct feat_push_sent {
    struct feat_push           push;
    const char                *manager_name;   /* "" for none */
    long long                  users;          /* listed users; 0 for all */
    struct feat_outbox_counts  delivery;
};

/* A page of every push of the app, newest first, system pushes (manager
 * 0) included; *total counts them all. */
enum feat_error feat_push_sent_list(sqlite3 *db, struct feat_arena *a,
    const char *app, long long offset, long long limit, long long *total,
    struct feat_push_sent **items, size_t *n);

/* One push of the app into *out, or FEAT_E_NOT_FOUND. */
enum feat_error feat_push_sent_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_push_sent *out);

/* The module (modules/push/v2.c): the /api/push routes and GET
 * /api/message/count. */
extern const struct feat_module feat_push_module;

/* The Getui delivery channel (getui.c): the app has app id, key and
 * master secret; one outbox row sent (struct feat_push_provider). */
int feat_getui_ready(const char *app);
int feat_getui_prepare(struct feat_push_send *s);
int feat_getui_judge(struct feat_push_send *s);


#endif /* FEAT_PUSH_H */
