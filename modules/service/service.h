/*
 * service.h: the service-demand marketplace (需求项目, seeds/002 "Service:
 * Status", sql/0050_service.sql): projects users post, publish to the
 * opportunity square (机会广场), bid on, close and complete.  Shared by
 * the feat handlers (modules/service/feat.c), featctl's "project"
 * commands (tools/ctl_project.c) and the jobs process's sweep.
 *
 * The state machine is data: one table of steps (from-state, operation,
 * to-state, who may) in service.c, from which both the checks of every
 * operation and the "actions" a caller is offered are derived.  Every
 * operation runs in one BEGIN IMMEDIATE transaction that reads the row
 * afresh, so racing operations on one project are serialised.  An OPEN
 * project whose close_at has passed is CLOSED for every read and every
 * write at once; the sweep stores it later.
 *
 * Functions take plain arguments and a connection, never a request.
 * viewer is the user who asks; FEAT_SERVICE_MODERATOR (0) is featctl,
 * which sees every project of the app.  Strings they answer live in the
 * arena given.  They answer FEAT_E_NONE or: FEAT_E_NOT_FOUND (no such
 * project in this app, or one the viewer may not see), FEAT_E_FORBIDDEN
 * (an owner's operation by another, or the owner bidding),
 * FEAT_E_WRONG_STATE (not allowed in the project's state: nothing
 * changed), FEAT_E_BAD_FIELD (with *bad naming the field),
 * FEAT_E_INTERNAL (logged).
 */

#ifndef FEAT_SERVICE_H
#define FEAT_SERVICE_H

#include "feat.h"

/* The seed's status values. */
#define FEAT_SERVICE_DRAFT       0
#define FEAT_SERVICE_REVIEW      100
#define FEAT_SERVICE_OPEN        200
#define FEAT_SERVICE_CLOSED      300
#define FEAT_SERVICE_COMPLETED   400
#define FEAT_SERVICE_CANCELLED   500

/* Limits: lengths in code points, amounts in fen. */
#define FEAT_SERVICE_TITLE_MAX     100
#define FEAT_SERVICE_DESC_MAX      5000
#define FEAT_SERVICE_CATEGORY_MAX  32
#define FEAT_SERVICE_MESSAGE_MAX   1000
#define FEAT_SERVICE_NOTE_MAX      500
#define FEAT_SERVICE_QUERY_MAX     100
#define FEAT_SERVICE_BUDGET_MAX    10000000000LL
#define FEAT_SERVICE_PRICE_MAX     10000000000LL

/* A list asks for at most this many rows at once. */
#define FEAT_SERVICE_LIST_MAX      100

/* The per-app setting (featctl app set APP service.review=on): publish
 * goes to REVIEW, for featctl project approve or reject. */
#define FEAT_SERVICE_REVIEW_KEY    "service.review"

/* Who asks: the viewer id 0 is featctl's moderator. */
#define FEAT_SERVICE_MODERATOR     0

enum feat_service_op {
    FEAT_SERVICE_EDIT = 0,
    FEAT_SERVICE_DELETE,
    FEAT_SERVICE_PUBLISH,
    FEAT_SERVICE_APPROVE,
    FEAT_SERVICE_REJECT,
    FEAT_SERVICE_CLOSE,
    FEAT_SERVICE_CANCEL,
    FEAT_SERVICE_SELECT_WINNER,
    FEAT_SERVICE_BID,
    FEAT_SERVICE_WITHDRAW_BID,
    FEAT_SERVICE_NOPS
};

struct feat_service_bid {
    sqlite3_int64   id;
    sqlite3_int64   project_id;
    sqlite3_int64   bidder_id;
    const char     *bidder_nickname;
    long long       price_fen;
    const char     *message;          /* "" when none */
    time_t          created_at;
    time_t          updated_at;
};

struct feat_service_project {
    sqlite3_int64            id;
    const char              *app_id;
    sqlite3_int64            owner_id;
    const char              *owner_nickname;
    const char              *title;
    const char              *description;
    const char              *category;       /* "" when none */
    long long                budget_fen;
    time_t                   close_at;
    int                      status;         /* as it is now (time closes) */
    int                      stored_status;  /* as the row holds it */
    const char              *review_note;    /* NULL when none */
    long long                bids_count;
    time_t                   created_at;
    time_t                   updated_at;
    time_t                   published_at;   /* 0: not yet */
    time_t                   closed_at;
    time_t                   completed_at;
    time_t                   cancelled_at;
    int                      has_my_bid;     /* the viewer's bid */
    struct feat_service_bid  my_bid;
    int                      has_winner;
    struct feat_service_bid  winner;
};

/*
 * The fields of a create or an edit: a NULL string or a has_ flag of 0
 * leaves the field out (create needs title, description, budget_fen and
 * close_at; category "" clears it).
 */
struct feat_service_fields {
    const char  *title;
    const char  *description;
    const char  *category;
    long long    budget_fen;
    int          has_budget;
    time_t       close_at;
    int          has_close_at;
};

/* The seed's name of a status ("草稿"...), or NULL for no status. */
const char *feat_service_status_name(int status);
/* The status by its number or its name ("200", "OPEN", case-insensitive):
 * FEAT_OK with *status, or FEAT_ERROR. */
int feat_service_status_parse(const char *s, int *status);

/*
 * Parses an ISO 8601 date-time with its offset, strictly:
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", a real calendar date
 * and time.  FEAT_OK with *t (the fraction dropped), or FEAT_ERROR.
 */
int feat_service_parse_time(const char *s, time_t *t);

/*
 * The operations viewer may do on p now, as their API names ("edit",
 * "publish", "bid"...), in the order of the step table, into names (room
 * for FEAT_SERVICE_NOPS); answers how many.
 */
size_t feat_service_actions(const struct feat_service_project *p,
    sqlite3_int64 viewer, const char **names);

/*
 * A new project of user_id in DRAFT, from f (all checked: *bad "title",
 * "description", "budget_fen", "close_at" (not in the future),
 * "category").  *out gets it as viewer user_id sees it.
 */
enum feat_error feat_service_create(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id,
    const struct feat_service_fields *f, struct feat_service_project *out,
    const char **bad);

/* Project id as viewer sees it, or FEAT_E_NOT_FOUND when viewer may not
 * see it (another user's DRAFT or REVIEW). */
enum feat_error feat_service_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id,
    struct feat_service_project *out);

/*
 * A page of projects, newest first: the owner's own (owner > 0) or every
 * project of the app (owner 0, featctl), of the
 * status (as it is now) when status >= 0.  *total counts them all;
 * *items (arena array, NULL when *n is 0) holds at most limit (capped at
 * FEAT_SERVICE_LIST_MAX) from offset, as viewer sees them.
 */
enum feat_error feat_service_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 owner, int status,
    long long offset, long long limit, long long *total,
    struct feat_service_project **items, size_t *n);

/*
 * A page of the opportunity square: the OPEN projects of the app (the
 * viewer's own included), most recently published first, whose title or
 * description contains q (NULL or "": any; case-insensitive, any script)
 * and whose category is category (NULL: any).  *bad "q" for a q too long.
 */
enum feat_error feat_service_square(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, const char *q,
    const char *category, long long offset, long long limit,
    long long *total, struct feat_service_project **items, size_t *n,
    const char **bad);

/* Changes the fields given of a DRAFT of user_id; *bad as for create.
 * *out (unless NULL) gets the project as stored. */
enum feat_error feat_service_update(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    const struct feat_service_fields *f, struct feat_service_project *out,
    const char **bad);

/* Deletes a DRAFT of user_id. */
enum feat_error feat_service_delete(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id);

/*
 * A transition of the step table by viewer (FEAT_SERVICE_MODERATOR for
 * featctl): FEAT_SERVICE_PUBLISH (to REVIEW when the app reviews, else
 * OPEN; a close_at already past: *bad "close_at"), _APPROVE, _REJECT
 * (note: the review_note, 1..FEAT_SERVICE_NOTE_MAX, *bad "reason"),
 * _CLOSE, _CANCEL (the moderator's may carry a note, stored as the
 * review_note the owner reads: NULL keeps the one there), _SELECT_WINNER
 * (bid_id: a bid of this project, else
 * *bad "bid_id").  Events queue pushes in the same transaction: closed,
 * cancelled and completed to every bidder.  *out (unless NULL) gets the
 * project as the transaction stored it, read before the commit, so the
 * answer is never of a later state nor lost after a commit.
 */
enum feat_error feat_service_transition(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id,
    enum feat_service_op op, sqlite3_int64 bid_id, const char *note,
    struct feat_service_project *out, const char **bad);

/*
 * user_id's bid on project id while it is OPEN: a new one (*created 1),
 * or a revision of the one user_id holds (*created 0).  *bad "price_fen"
 * (1..FEAT_SERVICE_PRICE_MAX), "message".  A new bid queues a push to the
 * owner.  *out gets the bid.
 */
enum feat_error feat_service_bid(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, sqlite3_int64 id,
    long long price_fen, const char *message, struct feat_service_bid *out,
    int *created, const char **bad);

/* Withdraws user_id's bid while OPEN; none held: FEAT_E_NOT_FOUND. */
enum feat_error feat_service_withdraw(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id);

/*
 * A page of the bids on project id, oldest first: every bid for the
 * owner (and the moderator), the viewer's own for a bidder; anyone else:
 * FEAT_E_FORBIDDEN.
 */
enum feat_error feat_service_bids(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id,
    long long offset, long long limit, long long *total,
    struct feat_service_bid **items, size_t *n);

/*
 * The jobs process's sweep: stores the OPEN projects whose close_at is
 * at most now as CLOSED (closed_at = close_at) and queues their "closed"
 * pushes, a project per transaction.
 */
void feat_service_sweep(sqlite3 *db, time_t now);

/* The module (modules/service/feat.c): /api/service/. */
extern const struct feat_module  feat_service_module;

#endif /* FEAT_SERVICE_H */
