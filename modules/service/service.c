/*
 * service.c: the service marketplace's domain (service.h).
 *
 * service_steps[] is the state machine: each row says that an operation
 * done by whom (owner, another user of the app, featctl's moderator)
 * takes a project from one state to another.  service_check() judges
 * every operation by it, and feat_service_actions() lists the operations
 * whose rows match the caller now, so the buttons a client shows and the
 * operations the server accepts cannot disagree.
 *
 * Every write opens BEGIN IMMEDIATE and reads the project inside the
 * transaction (feat_service_begin), so two racing operations see each
 * other's result: the second one is judged on the state the first one
 * left.  Time closes: an OPEN row past its close_at reads as CLOSED
 * everywhere (FEAT_SERVICE_STATUS_AT in SQL, feat_service_effective() in
 * C); a write that succeeds on such a project first stores the close (as
 * the sweep would), with its pushes, in the same transaction.
 *
 * Events queue pushes through the runtime's feat_push_queue, inside the
 * transition's transaction: a push exists exactly when its event does.
 * The bids are bids.c's, the lists lists.c's, texts and times text.c's.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "service/service.h"
#include "service/internal.h"


#define ROLE_OWNER      0x01
#define ROLE_OTHER      0x02
#define ROLE_MODERATOR  0x04

/* The publish step goes to REVIEW instead when the app reviews. */
#define STEP_REVIEWED   0x01
#define STEP_GONE       -1

struct service_step {
    int                   from;
    enum feat_service_op  op;
    int                   to;
    unsigned              who;
    unsigned              flags;
};

/* In the order the actions are offered. */
static const struct service_step  service_steps[] = {
    { FEAT_SERVICE_DRAFT, FEAT_SERVICE_EDIT, FEAT_SERVICE_DRAFT,
      ROLE_OWNER, 0 },
    { FEAT_SERVICE_DRAFT, FEAT_SERVICE_DELETE, STEP_GONE,
      ROLE_OWNER, 0 },
    { FEAT_SERVICE_DRAFT, FEAT_SERVICE_PUBLISH, FEAT_SERVICE_OPEN,
      ROLE_OWNER, STEP_REVIEWED },
    { FEAT_SERVICE_REVIEW, FEAT_SERVICE_APPROVE, FEAT_SERVICE_OPEN,
      ROLE_MODERATOR, 0 },
    { FEAT_SERVICE_REVIEW, FEAT_SERVICE_REJECT, FEAT_SERVICE_DRAFT,
      ROLE_MODERATOR, 0 },
    { FEAT_SERVICE_OPEN, FEAT_SERVICE_CLOSE, FEAT_SERVICE_CLOSED,
      ROLE_OWNER, 0 },
    { FEAT_SERVICE_OPEN, FEAT_SERVICE_CANCEL, FEAT_SERVICE_CANCELLED,
      ROLE_OWNER | ROLE_MODERATOR, 0 },
    { FEAT_SERVICE_OPEN, FEAT_SERVICE_BID, FEAT_SERVICE_OPEN,
      ROLE_OTHER, 0 },
    { FEAT_SERVICE_OPEN, FEAT_SERVICE_WITHDRAW_BID, FEAT_SERVICE_OPEN,
      ROLE_OTHER, 0 },
    { FEAT_SERVICE_CLOSED, FEAT_SERVICE_SELECT_WINNER,
      FEAT_SERVICE_COMPLETED, ROLE_OWNER, 0 },
    { FEAT_SERVICE_CLOSED, FEAT_SERVICE_CANCEL, FEAT_SERVICE_CANCELLED,
      ROLE_OWNER | ROLE_MODERATOR, 0 },
};

/* By enum feat_service_op: the names of the actions list. */
static const char *const  service_op_names[FEAT_SERVICE_NOPS] = {
    "edit", "delete", "publish", "approve", "reject", "close", "cancel",
    "select_winner", "bid", "withdraw_bid"
};

/* ---- states, steps, actions ---------------------------------------------- */

/* The viewer's role on p. */
static unsigned
service_role(const struct feat_service_project *p, sqlite3_int64 viewer)
{
    if (viewer == FEAT_SERVICE_MODERATOR) {
        return ROLE_MODERATOR;
    }

    return viewer == p->owner_id ? ROLE_OWNER : ROLE_OTHER;
}


/*
 * Judges op by role in state status: FEAT_E_NONE with *step, or
 * FEAT_E_FORBIDDEN when no step of op is role's at all (the owner check
 * comes before the state check), else FEAT_E_WRONG_STATE.
 */
static enum feat_error
service_check(int status, enum feat_service_op op, unsigned role,
    const struct service_step **step)
{
    size_t    i;
    unsigned  who;

    who = 0;

    for (i = 0; i < FEAT_NELEMS(service_steps); i++) {
        if (service_steps[i].op == op) {
            who |= service_steps[i].who;
        }
    }

    if ((who & role) == 0) {
        return FEAT_E_FORBIDDEN;
    }

    for (i = 0; i < FEAT_NELEMS(service_steps); i++) {
        if (service_steps[i].from == status && service_steps[i].op == op
            && (service_steps[i].who & role))
        {
            *step = &service_steps[i];
            return FEAT_E_NONE;
        }
    }

    return FEAT_E_WRONG_STATE;
}


size_t
feat_service_actions(const struct feat_service_project *p,
    sqlite3_int64 viewer, const char **names)
{
    size_t    i, n;
    unsigned  role;

    role = service_role(p, viewer);
    n = 0;

    for (i = 0; i < FEAT_NELEMS(service_steps); i++) {
        if (service_steps[i].from != p->status
            || (service_steps[i].who & role) == 0
            || (role & (ROLE_OWNER | ROLE_OTHER)) == 0)
        {
            continue;
        }

        /* withdrawing needs a bid to withdraw */
        if (service_steps[i].op == FEAT_SERVICE_WITHDRAW_BID
            && !p->has_my_bid)
        {
            continue;
        }

        names[n++] = service_op_names[service_steps[i].op];
    }

    return n;
}


/*
 * Whether the app reviews projects before they open: its service.review
 * setting (featctl app set APP service.review=on).  Every reader of the
 * setting comes through here.
 */
static int
service_review_on(const char *app)
{
    return feat_setting_bool(app, FEAT_SERVICE_REVIEW_KEY);
}


/* ---- rows ---------------------------------------------------------------- */

static const struct feat_db_col  service_project_cols[] = {
    FEAT_SERVICE_PROJECT_COLS(FEAT_COL_MAP, )
};

static const struct feat_db_col  service_bid_cols[] = {
    FEAT_SERVICE_BID_COLS(FEAT_COL_MAP, )
};


void
feat_service_project_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_service_row  *r = item;

    memset(r, 0, sizeof(*r));
    feat_db_read(a, st, 0, service_project_cols,
                 FEAT_NELEMS(service_project_cols), r);

    r->p.status = r->p.stored_status;
    /* the column reads "" for NULL; a note is NULL until a rejection */
    if (sqlite3_column_type(st, FEAT_SERVICE_COL_REVIEW_NOTE)
        == SQLITE_NULL)
    {
        r->p.review_note = NULL;
    }
}


void
feat_service_bid_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    feat_db_read(a, st, 0, service_bid_cols, FEAT_NELEMS(service_bid_cols),
                 item);
}


/* Applies "time closes" to a row read at now. */
void
feat_service_effective(struct feat_service_project *p, time_t now)
{
    if (p->stored_status == FEAT_SERVICE_OPEN && p->close_at <= now) {
        p->status = FEAT_SERVICE_CLOSED;
        p->closed_at = p->close_at;
    }
}


/* Whether viewer may see p at all. */
static int
service_visible(const struct feat_service_project *p, sqlite3_int64 viewer)
{
    return viewer == FEAT_SERVICE_MODERATOR || viewer == p->owner_id
           || (p->status != FEAT_SERVICE_DRAFT
               && p->status != FEAT_SERVICE_REVIEW);
}


/* Fills the viewer's bid and the winner of a row read. */
enum feat_error
feat_service_complete(sqlite3 *db, struct feat_arena *a,
    struct feat_service_row *r, sqlite3_int64 viewer)
{
    enum feat_error  e;

    if (viewer != FEAT_SERVICE_MODERATOR && viewer != r->p.owner_id) {
        e = feat_db_row(db, a,
                feat_db_query(db,
                    "SELECT " FEAT_SERVICE_BID_COLUMNS FEAT_SERVICE_BID_FROM
                    " WHERE b.project_id = ? AND b.bidder_id = ?",
                    "ii", r->p.id, viewer),
                feat_service_bid_row, &r->p.my_bid,
                "service: reading the bid on %lld failed",
                (long long) r->p.id);
        if (e == FEAT_E_NONE) {
            r->p.has_my_bid = 1;
        } else if (e != FEAT_E_NOT_FOUND) {
            return e;
        }
    }

    if (r->winner_bid_id != 0) {
        e = feat_db_row(db, a,
                feat_db_query(db,
                    "SELECT " FEAT_SERVICE_BID_COLUMNS FEAT_SERVICE_BID_FROM
                    " WHERE b.id = ?",
                    "i", r->winner_bid_id),
                feat_service_bid_row, &r->p.winner,
                "service: reading the winner of %lld failed",
                (long long) r->p.id);
        if (e == FEAT_E_NONE) {
            r->p.has_winner = 1;
        } else if (e != FEAT_E_NOT_FOUND) {
            return e;
        }
    }

    return FEAT_E_NONE;
}


/* Project id of app at now, as viewer sees it; NOT_FOUND when unseen. */
enum feat_error
feat_service_load(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, time_t now,
    struct feat_service_project *out)
{
    enum feat_error     e;
    struct feat_service_row  r;

    e = feat_db_row(db, a,
            feat_db_query(db,
                "SELECT " FEAT_SERVICE_PROJECT_COLUMNS FEAT_SERVICE_PROJECT_FROM
                " WHERE p.id = ? AND p.app_id = ?", "is", id, app),
            feat_service_project_row, &r,
            "service: reading project %lld failed",
            (long long) id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    feat_service_effective(&r.p, now);

    if (!service_visible(&r.p, viewer)) {
        return FEAT_E_NOT_FOUND;
    }

    e = feat_service_complete(db, a, &r, viewer);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *out = r.p;

    return FEAT_E_NONE;
}


/* ---- pushes -------------------------------------------------------------- */

int
feat_service_en(void)
{
    return strcmp(feat_conf_str(FEAT_CONF_LOCALE), "en") == 0;
}


/* Queues one push from the system to the users listed (none: nothing). */
enum feat_error
feat_service_notify(sqlite3 *db, const char *app, const char *title,
    const char *body, const sqlite3_int64 *users, size_t n)
{
    if (n == 0) {
        return FEAT_E_NONE;
    }

    return feat_push_queue(db, app, 0, title, body, FEAT_PUSH_SCOPE_LISTED,
                           users, n, NULL)
           == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


static void
service_bidder_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    (void) a;

    *(sqlite3_int64 *) item = sqlite3_column_int64(st, 0);
}


/* The bidders of project ?1, never counted nor capped. */
static const struct feat_db_list  service_bidders = {
    NULL,
    "SELECT bidder_id FROM service_bid WHERE project_id = ?1"
    " ORDER BY id LIMIT ?2 OFFSET ?3",
    service_bidder_row, sizeof(sqlite3_int64), 0, "service: the bidders"
};


/* The push of p's move to state to, to every bidder. */
static enum feat_error
service_events(sqlite3 *db, const char *app,
    const struct feat_service_project *p, int to)
{
    char                body[600];
    const char         *title, *what;
    struct feat_rows    rows;
    struct feat_arena  *a;
    enum feat_error     e;

    switch (to) {
    case FEAT_SERVICE_CLOSED:
        title = feat_service_en() ? "Project closed" : "需求已关闭";
        what = feat_service_en() ? "is closed" : "已关闭";
        break;
    case FEAT_SERVICE_CANCELLED:
        title = feat_service_en() ? "Project cancelled" : "需求已取消";
        what = feat_service_en() ? "was cancelled" : "已取消";
        break;
    case FEAT_SERVICE_COMPLETED:
        title = feat_service_en() ? "Project completed" : "需求已完成";
        what = feat_service_en() ? "has its winner" : "已选出胜出者";
        break;
    default:
        return FEAT_E_NONE;
    }

    if (feat_service_en()) {
        snprintf(body, sizeof(body), "The project \"%s\" you bid on %s.",
                 p->title, what);
    } else {
        snprintf(body, sizeof(body), "你参与竞标的需求「%s」%s。", p->title,
                 what);
    }

    /* a scratch arena: a project may have many bidders, and the caller's
     * arena lives as long as the request */
    a = feat_arena_create();

    e = feat_db_rows(db, a, &service_bidders, 0, LLONG_MAX, 0, &rows, "i",
                     p->id);
    if (e == FEAT_E_NONE) {
        e = feat_service_notify(db, app, title, body, rows.items, rows.n);
    }

    feat_arena_destroy(a);

    return e;
}


/*
 * Stores the close of p, OPEN and past close_at, as the sweep would
 * (closed_at = close_at), and queues its pushes: inside the caller's
 * transaction.
 */
enum feat_error
feat_service_store_close(sqlite3 *db, const char *app,
    struct feat_service_project *p)
{
    if (feat_db_exec(db,
                     "UPDATE service_project SET status = 300,"
                     " closed_at = close_at, updated_at = ?3"
                     " WHERE id = ?1 AND app_id = ?2 AND status = 200",
                     "isi", p->id, app, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    p->stored_status = FEAT_SERVICE_CLOSED;

    return service_events(db, app, p, FEAT_SERVICE_CLOSED);
}


/* ---- fields -------------------------------------------------------------- */

static enum feat_error
service_fields_ok(const struct feat_service_fields *f, int create,
    time_t now, const char **bad)
{
    if ((create || f->title != NULL)
        && !feat_utf8_ok(f->title, FEAT_SERVICE_TITLE_MAX, 1))
    {
        *bad = "title";
        return FEAT_E_BAD_FIELD;
    }

    if ((create || f->description != NULL)
        && !feat_utf8_ok(f->description, FEAT_SERVICE_DESC_MAX, 1))
    {
        *bad = "description";
        return FEAT_E_BAD_FIELD;
    }

    if ((create || f->has_budget)
        && (!f->has_budget || f->budget_fen < 1
            || f->budget_fen > FEAT_SERVICE_BUDGET_MAX))
    {
        *bad = "budget_fen";
        return FEAT_E_BAD_FIELD;
    }

    if ((create || f->has_close_at)
        && (!f->has_close_at || f->close_at <= now))
    {
        *bad = "close_at";
        return FEAT_E_BAD_FIELD;
    }

    if (f->category != NULL
        && !feat_utf8_ok(f->category, FEAT_SERVICE_CATEGORY_MAX, 0))
    {
        *bad = "category";
        return FEAT_E_BAD_FIELD;
    }

    return FEAT_E_NONE;
}


/* ---- projects ------------------------------------------------------------ */

enum feat_error
feat_service_create(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const struct feat_service_fields *f,
    struct feat_service_project *out, const char **bad)
{
    time_t           now;
    const char      *search;
    sqlite3_int64    id;
    enum feat_error  e;

    now = feat_now();

    e = service_fields_ok(f, 1, now, bad);
    if (e != FEAT_E_NONE) {
        return e;
    }

    search = feat_arena_sprintf(a, "%s\n%s", feat_service_fold(a, f->title),
                                feat_service_fold(a, f->description));

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /* the user must be of this app: the row is written only if so */
    if (feat_db_exec(db,
            "INSERT INTO service_project (app_id, owner_id, title,"
            " description, category, budget_fen, close_at, status, search,"
            " created_at, updated_at)"
            " SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?9 FROM users"
            " WHERE id = ?2 AND app_id = ?1",
            "sisssiisi", app, user_id, f->title, f->description,
            f->category != NULL ? f->category : "",
            (sqlite3_int64) f->budget_fen, (sqlite3_int64) f->close_at,
            search, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return feat_service_end(db, FEAT_E_INTERNAL);
    }

    if (sqlite3_changes(db) == 0) {
        return feat_service_end(db, FEAT_E_NOT_FOUND);
    }

    id = sqlite3_last_insert_rowid(db);

    /* the answer is read before the commit: it is what was stored */
    return feat_service_end(db, feat_service_load(db, a, app, user_id, id,
                                                  now, out));
}


enum feat_error
feat_service_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, struct feat_service_project *out)
{
    return feat_service_load(db, a, app, viewer, id, feat_now(), out);
}


/*
 * The start of every write: BEGIN IMMEDIATE, the project read afresh
 * inside the transaction (unseen: NOT_FOUND), and op judged by the step
 * table for viewer.  On FEAT_E_NONE the transaction is open, *p set, *to
 * the state the step leads to (REVIEW for a publish when the app
 * reviews), and a time-closed project's close stored; on anything else it
 * is rolled back.
 */
enum feat_error
feat_service_begin(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, enum feat_service_op op,
    time_t now, struct feat_service_project *p, int *to)
{
    enum feat_error             e;
    const struct service_step  *step;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_service_load(db, a, app, viewer, id, now, p);

    if (e == FEAT_E_NONE) {
        e = service_check(p->status, op, service_role(p, viewer), &step);
    }

    if (e == FEAT_E_NONE) {
        *to = step->to;

        if ((step->flags & STEP_REVIEWED) && service_review_on(app)) {
            *to = FEAT_SERVICE_REVIEW;
        }
    }

    if (e == FEAT_E_NONE && p->status != p->stored_status) {
        e = feat_service_store_close(db, app, p);
    }

    if (e != FEAT_E_NONE) {
        feat_db_rollback(db);
    }

    return e;
}


/* Commits, or rolls back and answers e when e is an error. */
enum feat_error
feat_service_end(sqlite3 *db, enum feat_error e)
{
    if (e == FEAT_E_NONE && feat_db_commit(db) == FEAT_OK) {
        return FEAT_E_NONE;
    }

    feat_db_rollback(db);

    return e != FEAT_E_NONE ? e : FEAT_E_INTERNAL;
}


enum feat_error
feat_service_update(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id,
    const struct feat_service_fields *f, struct feat_service_project *out,
    const char **bad)
{
    int                          to;
    time_t                       now;
    const char                  *search;
    enum feat_error              e;
    struct feat_service_project  p;

    now = feat_now();

    e = feat_service_begin(db, a, app, user_id, id, FEAT_SERVICE_EDIT, now,
                           &p, &to);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = service_fields_ok(f, 0, now, bad);
    if (e != FEAT_E_NONE) {
        return feat_service_end(db, e);
    }

    search = feat_arena_sprintf(a, "%s\n%s",
                 feat_service_fold(a, f->title != NULL ? f->title : p.title),
                 feat_service_fold(a, f->description != NULL ? f->description
                                                        : p.description));

    e = FEAT_E_NONE;
    if (feat_db_exec(db,
            "UPDATE service_project SET title = coalesce(?3, title),"
            " description = coalesce(?4, description),"
            " category = coalesce(?5, category),"
            " budget_fen = CASE WHEN ?6 THEN ?7 ELSE budget_fen END,"
            " close_at = CASE WHEN ?8 THEN ?9 ELSE close_at END,"
            " search = ?10, updated_at = ?11"
            " WHERE id = ?1 AND app_id = ?2",
            "issssdidisi", id, app, f->title, f->description, f->category,
            f->has_budget, (sqlite3_int64) f->budget_fen, f->has_close_at,
            (sqlite3_int64) f->close_at, search, (sqlite3_int64) now)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    if (e == FEAT_E_NONE && out != NULL) {
        e = feat_service_load(db, a, app, user_id, id, now, out);
    }

    return feat_service_end(db, e);
}


enum feat_error
feat_service_delete(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;
    int                          to;

    a = feat_arena_create();

    e = feat_service_begin(db, a, app, user_id, id, FEAT_SERVICE_DELETE,
                           feat_now(), &p, &to);
    if (e == FEAT_E_NONE) {
        if (feat_db_exec(db,
                         "DELETE FROM service_project"
                         " WHERE id = ? AND app_id = ?", "is", id, app)
            != FEAT_OK)
        {
            e = FEAT_E_INTERNAL;
        }

        e = feat_service_end(db, e);
    }

    feat_arena_destroy(a);

    return e;
}


enum feat_error
feat_service_transition(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, enum feat_service_op op,
    sqlite3_int64 bid_id, const char *note, struct feat_service_project *out,
    const char **bad)
{
    int                          to;
    time_t                       now;
    sqlite3_int64                one;
    enum feat_error              e;
    struct feat_service_project  p;

    /*
     * A rejection says why; so may the moderator's takedown (a cancel),
     * whose note the owner reads as the rejection's.  Nobody else's
     * transition carries one.
     */
    if (op != FEAT_SERVICE_REJECT
        && (op != FEAT_SERVICE_CANCEL || viewer != FEAT_SERVICE_MODERATOR))
    {
        note = NULL;
    }

    if ((op == FEAT_SERVICE_REJECT || note != NULL)
        && !feat_utf8_ok(note, FEAT_SERVICE_NOTE_MAX, 1))
    {
        *bad = "reason";
        return FEAT_E_BAD_FIELD;
    }

    now = feat_now();

    e = feat_service_begin(db, a, app, viewer, id, op, now, &p, &to);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* a project cannot open with its close time already gone */
    if (to == FEAT_SERVICE_OPEN && p.close_at <= now) {
        *bad = "close_at";
        e = FEAT_E_BAD_FIELD;
        goto failed;
    }

    if (op == FEAT_SERVICE_SELECT_WINNER) {
        switch (feat_db_int(db, &one,
                            "SELECT 1 FROM service_bid"
                            " WHERE id = ? AND project_id = ? AND app_id = ?",
                            "iis", bid_id, id, app))
        {
        case FEAT_OK:
            break;
        case FEAT_DECLINED:
            *bad = "bid_id";
            e = FEAT_E_BAD_FIELD;
            goto failed;
        default:
            e = FEAT_E_INTERNAL;
            goto failed;
        }
    }

    /*
     * One statement for every step: the state, and the time of the state
     * reached; a time already set (closed_at of a project closed before
     * it was cancelled) stays.
     */
    if (feat_db_exec(db,
            "UPDATE service_project SET status = ?3, updated_at = ?4,"
            " published_at = CASE WHEN ?3 = 200 THEN ?4 ELSE published_at"
            " END,"
            " closed_at = CASE WHEN ?3 = 300 THEN ?4 ELSE closed_at END,"
            " completed_at = CASE WHEN ?3 = 400 THEN ?4 ELSE completed_at"
            " END,"
            " cancelled_at = CASE WHEN ?3 = 500 THEN ?4 ELSE cancelled_at"
            " END,"
            " winner_bid_id = CASE WHEN ?3 = 400 THEN ?5 ELSE winner_bid_id"
            " END,"
            " review_note = CASE WHEN ?6 IS NOT NULL THEN ?6"
            " WHEN ?3 = 200 THEN NULL ELSE review_note END"
            " WHERE id = ?1 AND app_id = ?2",
            "isdiis", id, app, to, (sqlite3_int64) now, bid_id, note)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    e = service_events(db, app, &p, to);

    /* the answer is read before the commit: it is what was stored */
    if (e == FEAT_E_NONE && out != NULL) {
        e = feat_service_load(db, a, app, viewer, id, now, out);
    }

failed:

    return feat_service_end(db, e);
}


