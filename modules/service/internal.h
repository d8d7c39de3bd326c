/*
 * internal.h: what the service module's domain files (service.c, bids.c,
 * lists.c, text.c) share and nobody else uses: the SQL of a project and a
 * bid, their row readers, and the steps every write is made of.  The
 * handlers and featctl include service.h only.
 */

#ifndef FEAT_SERVICE_INTERNAL_H
#define FEAT_SERVICE_INTERNAL_H

#include "feat.h"
#include "service/service.h"

/* The status as it is at the time bound to parameter now ("?4"): an OPEN
 * row past close_at is CLOSED. */
#define FEAT_SERVICE_STATUS_AT(now)                                          \
    "(CASE WHEN p.status = 200 AND p.close_at <= " now " THEN 300"           \
    " ELSE p.status END)"

/*
 * A project row's columns, in SELECT order, each with the field it fills
 * (feat.h's column lists): FEAT_SERVICE_PROJECT_COLUMNS is the SELECT's
 * list and the row reader's map is made from the same lines.  status is
 * read as stored; the reader copies it and applies review_note's NULL.
 */
#define FEAT_SERVICE_PROJECT_COLS(X, _)                                      \
    X(struct feat_service_row, INT64, p.id, "p.id") _                        \
    X(struct feat_service_row, TEXT, p.app_id, "p.app_id") _                 \
    X(struct feat_service_row, INT64, p.owner_id, "p.owner_id") _            \
    X(struct feat_service_row, TEXT, p.owner_nickname, "u.nickname") _       \
    X(struct feat_service_row, TEXT, p.title, "p.title") _                   \
    X(struct feat_service_row, TEXT, p.description, "p.description") _       \
    X(struct feat_service_row, TEXT, p.category, "p.category") _             \
    X(struct feat_service_row, INT64, p.budget_fen, "p.budget_fen") _        \
    X(struct feat_service_row, TIME, p.close_at, "p.close_at") _             \
    X(struct feat_service_row, INT, p.stored_status, "p.status") _           \
    X(struct feat_service_row, TEXT, p.review_note, "p.review_note") _       \
    X(struct feat_service_row, INT64, winner_bid_id, "p.winner_bid_id") _    \
    X(struct feat_service_row, INT64, p.bids_count,                          \
      "(SELECT count(*) FROM service_bid b WHERE b.project_id = p.id)") _    \
    X(struct feat_service_row, TIME, p.created_at, "p.created_at") _         \
    X(struct feat_service_row, TIME, p.updated_at, "p.updated_at") _         \
    X(struct feat_service_row, TIME, p.published_at, "p.published_at") _     \
    X(struct feat_service_row, TIME, p.closed_at, "p.closed_at") _           \
    X(struct feat_service_row, TIME, p.completed_at, "p.completed_at") _     \
    X(struct feat_service_row, TIME, p.cancelled_at, "p.cancelled_at")

#define FEAT_SERVICE_PROJECT_COLUMNS                                         \
    FEAT_SERVICE_PROJECT_COLS(FEAT_COL_SQL, ", ")
/* review_note's place in the list above, from 0 */
#define FEAT_SERVICE_COL_REVIEW_NOTE  10

#define FEAT_SERVICE_PROJECT_FROM                                            \
    " FROM service_project p JOIN users u ON u.id = p.owner_id"

/* A bid row's columns, as the project's above. */
#define FEAT_SERVICE_BID_COLS(X, _)                                          \
    X(struct feat_service_bid, INT64, id, "b.id") _                          \
    X(struct feat_service_bid, INT64, project_id, "b.project_id") _          \
    X(struct feat_service_bid, INT64, bidder_id, "b.bidder_id") _            \
    X(struct feat_service_bid, TEXT, bidder_nickname, "u.nickname") _        \
    X(struct feat_service_bid, INT64, price_fen, "b.price_fen") _            \
    X(struct feat_service_bid, TEXT, message, "b.message") _                 \
    X(struct feat_service_bid, TIME, created_at, "b.created_at") _           \
    X(struct feat_service_bid, TIME, updated_at, "b.updated_at")

#define FEAT_SERVICE_BID_COLUMNS                                             \
    FEAT_SERVICE_BID_COLS(FEAT_COL_SQL, ", ")

#define FEAT_SERVICE_BID_FROM                                                \
    " FROM service_bid b JOIN users u ON u.id = b.bidder_id"

/* A project row as read, with the id of its winning bid. */
struct feat_service_row {
    struct feat_service_project   p;
    sqlite3_int64                 winner_bid_id;
};


/* Row readers (feat_db_row_pt) of FEAT_SERVICE_PROJECT_COLUMNS (item: a
 * struct feat_service_row) and FEAT_SERVICE_BID_COLUMNS (a bid). */
void feat_service_project_row(struct feat_arena *a, sqlite3_stmt *st,
    void *item);
void feat_service_bid_row(struct feat_arena *a, sqlite3_stmt *st,
    void *item);
/* Applies "time closes" to a project read at now. */
void feat_service_effective(struct feat_service_project *p, time_t now);
/* Fills the viewer's bid and the winner of a row read. */
enum feat_error feat_service_complete(sqlite3 *db, struct feat_arena *a,
    struct feat_service_row *r, sqlite3_int64 viewer);
/* Project id of app at now as viewer sees it: FEAT_E_NOT_FOUND when
 * viewer may not see it. */
enum feat_error feat_service_load(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id, time_t now,
    struct feat_service_project *out);

/*
 * The start of every write: BEGIN IMMEDIATE, the project read inside the
 * transaction, op judged by the step table for viewer (NOT_FOUND,
 * FORBIDDEN, WRONG_STATE).  On FEAT_E_NONE the transaction is open, *p
 * set, *to the state the step leads to, and a time-closed project's close
 * already stored; otherwise it is rolled back.
 */
enum feat_error feat_service_begin(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id,
    enum feat_service_op op, time_t now, struct feat_service_project *p,
    int *to);
/* The end of every write: commits when e is FEAT_E_NONE (a failed commit
 * is FEAT_E_INTERNAL), else rolls back; answers the outcome. */
enum feat_error feat_service_end(sqlite3 *db, enum feat_error e);
/* Stores the close of an OPEN project past close_at (closed_at =
 * close_at) and queues its pushes, in the caller's transaction. */
enum feat_error feat_service_store_close(sqlite3 *db, const char *app,
    struct feat_service_project *p);
/* Queues a push from the system to the n users listed (0: none). */
enum feat_error feat_service_notify(sqlite3 *db, const char *app,
    const char *title, const char *body, const sqlite3_int64 *users,
    size_t n);
/* 1 when the config's locale is English (push texts). */
int feat_service_en(void);

/* A case-folded copy of valid UTF-8 s, in the arena (text.c). */
char *feat_service_fold(struct feat_arena *a, const char *s);

#endif /* FEAT_SERVICE_INTERNAL_H */
