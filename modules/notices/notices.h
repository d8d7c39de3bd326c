/*
 * notices.h: the activity notices domain (sql/0020_notices.sql), shared
 * by the v1 handlers (modules/notices/v1.c) and featctl's "notice"
 * commands (tools/ctl_notice.c).  Administrators write notices; each user
 * of the app reads them, and reading one records it as read for that user.
 *
 * Functions take plain arguments and a connection, never a request;
 * strings they hand back live in the arena they are given.  They answer
 * FEAT_E_NONE or the error a caller reports: FEAT_E_NOT_FOUND (no such
 * notice in this app), FEAT_E_BAD_FIELD (with *bad naming the field:
 * "title", "content", "thumbnail"), FEAT_E_INTERNAL (logged).
 */

#ifndef FEAT_NOTICES_H
#define FEAT_NOTICES_H

#include "feat.h"

/* Limits in code points. */
#define FEAT_NOTICE_TITLE_MAX      200
#define FEAT_NOTICE_CONTENT_MAX    20000
#define FEAT_NOTICE_THUMBNAIL_MAX  1024

/* A list asks for at most this many rows at once. */
#define FEAT_NOTICE_LIST_MAX       1000

/* Digits of the zero-padded "number" the seed shows ("00000002"). */
#define FEAT_NOTICE_NUMBER_DIGITS  8

struct feat_notice {
    sqlite3_int64   id;
    const char     *app_id;
    const char     *title;
    const char     *content;
    const char     *thumbnail;     /* "" when none */
    int             status;        /* the user's: 0 unread, 1 read */
    time_t          created_at;
    time_t          updated_at;
};

/* The v1 summary of one user: the newest notice and the newest reply to
 * the user's feedback (has_* 0 when there is none), and the unread counts. */
struct feat_notice_summary {
    int             has_notice;
    const char     *notice_content;
    time_t          notice_time;
    int             has_reply;
    const char     *reply_content;
    time_t          reply_time;
    long long       unread_notices;
    long long       unread_replies;
};

/*
 * Adds a notice: title 1..200 code points; content (<= 20000) and
 * thumbnail (an http or https URL or a path starting with "/", <= 1024)
 * may be NULL or "".  *id gets the new id.
 */
enum feat_error feat_notice_add(sqlite3 *db, const char *app,
    const char *title, const char *content, const char *thumbnail,
    sqlite3_int64 *id, const char **bad);

/* Changes the fields that are not NULL ("" clears content or thumbnail;
 * the title stays required) and updated_at.  Read states are kept. */
enum feat_error feat_notice_edit(sqlite3 *db, const char *app,
    sqlite3_int64 id, const char *title, const char *content,
    const char *thumbnail, const char **bad);

/* Removes a notice and its read states. */
enum feat_error feat_notice_remove(sqlite3 *db, const char *app,
    sqlite3_int64 id);

/*
 * A page of the app's notices in the order they were published (the
 * seed's list is oldest first), each with user_id's read state (0 for
 * user_id 0: the administrator's view).  *total counts them all; *items
 * (arena array, NULL when *n is 0) holds at most limit from offset.
 */
enum feat_error feat_notice_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, long long offset,
    long long limit, long long *total, struct feat_notice **items,
    size_t *n);

/*
 * One notice into *out with user_id's read state as it was; with
 * mark_read it is then recorded as read for user_id.  FEAT_E_NOT_FOUND
 * when the app has no such notice.
 */
enum feat_error feat_notice_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id, int mark_read,
    struct feat_notice *out);

/* The summary of user_id (newest notice, newest reply, unread counts). */
enum feat_error feat_notice_summary(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, struct feat_notice_summary *out);

/* The "number" of a notice: its id zero-padded, in the arena. */
const char *feat_notice_number(struct feat_arena *a, sqlite3_int64 id);

/* The module (modules/notices/v1.c): /api/user/notice*. */
extern const struct feat_module  feat_notices_module;

#endif /* FEAT_NOTICES_H */
