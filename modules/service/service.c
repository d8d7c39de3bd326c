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
 * transaction (service_load), so two racing operations see each other's
 * result: the second one is judged on the state the first one left.
 * Time closes: an OPEN row past its close_at reads as CLOSED everywhere
 * (STATUS_NOW in SQL, service_effective() in C); a write that succeeds on
 * such a project first stores the close (as the sweep would), with its
 * pushes, in the same transaction.
 *
 * Events queue pushes through the runtime's feat_push_queue, inside the
 * transition's transaction: a push exists exactly when its event does.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feat.h"
#include "service/service.h"


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

static const struct {
    int          status;
    const char  *name;
    const char  *display;
} service_statuses[] = {
    { FEAT_SERVICE_DRAFT, "DRAFT", "草稿" },
    { FEAT_SERVICE_REVIEW, "REVIEW", "审核中" },
    { FEAT_SERVICE_OPEN, "OPEN", "已发布" },
    { FEAT_SERVICE_CLOSED, "CLOSED", "关闭" },
    { FEAT_SERVICE_COMPLETED, "COMPLETED", "已完成" },
    { FEAT_SERVICE_CANCELLED, "CANCELLED", "已取消" },
};


/* The status as it is at ?now: an OPEN row past close_at is CLOSED. */
#define STATUS_NOW                                                           \
    "(CASE WHEN p.status = 200 AND p.close_at <= ?9 THEN 300"                \
    " ELSE p.status END)"

#define PROJECT_COLUMNS                                                      \
    "p.id, p.app_id, p.owner_id, u.nickname, p.title, p.description,"        \
    " p.category, p.budget_fen, p.close_at, p.status, p.review_note,"        \
    " p.winner_bid_id, (SELECT count(*) FROM service_bid b"                  \
    " WHERE b.project_id = p.id), p.created_at, p.updated_at,"               \
    " p.published_at, p.closed_at, p.completed_at, p.cancelled_at"

#define PROJECT_FROM                                                         \
    " FROM service_project p JOIN users u ON u.id = p.owner_id"

#define BID_COLUMNS                                                          \
    "b.id, b.project_id, b.bidder_id, u.nickname, b.price_fen, b.message,"   \
    " b.created_at, b.updated_at"

#define BID_FROM                                                             \
    " FROM service_bid b JOIN users u ON u.id = b.bidder_id"

struct service_row {
    struct feat_service_project   p;
    sqlite3_int64                 winner_bid_id;
};


static enum feat_error service_load(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 viewer, sqlite3_int64 id, time_t now,
    struct feat_service_project *out);
static enum feat_error service_events(sqlite3 *db, const char *app,
    const struct feat_service_project *p, int to);
static enum feat_error service_end(sqlite3 *db, enum feat_error e);


/* ---- states, steps, actions ---------------------------------------------- */

const char *
feat_service_status_name(int status)
{
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (service_statuses[i].status == status) {
            return service_statuses[i].display;
        }
    }

    return NULL;
}


int
feat_service_status_parse(const char *s, int *status)
{
    size_t     i;
    long long  v;
    char      *end;

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (strcasecmp(s, service_statuses[i].name) == 0) {
            *status = service_statuses[i].status;
            return FEAT_OK;
        }
    }

    if (*s < '0' || *s > '9' || strlen(s) > 3) {
        return FEAT_ERROR;
    }

    v = strtoll(s, &end, 10);
    if (*end != '\0') {
        return FEAT_ERROR;
    }

    for (i = 0; i < FEAT_NELEMS(service_statuses); i++) {
        if (service_statuses[i].status == v) {
            *status = (int) v;
            return FEAT_OK;
        }
    }

    return FEAT_ERROR;
}


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
 * setting.  Every reader of the setting comes through here.
 */
static int
service_review_on(sqlite3 *db, const char *app)
{
    (void) db;
    (void) app;

    return 0;
}


/* ---- text ---------------------------------------------------------------- */

/* The lower-case of code point c where a simple mapping exists in the
 * scripts a title is likely to mix with Chinese; c otherwise. */
static unsigned long
service_fold_cp(unsigned long c)
{
    if ((c >= 'A' && c <= 'Z')
        || (c >= 0xc0 && c <= 0xde && c != 0xd7)
        || (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
        || (c >= 0x410 && c <= 0x42f))
    {
        return c + 32;
    }

    if (c >= 0x400 && c <= 0x40f) {                 /* Ѐ..Џ */
        return c + 80;
    }

    if (c >= 0xff21 && c <= 0xff3a) {               /* fullwidth Ａ..Ｚ */
        return c + 32;
    }

    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) {
        return c | 1;                                /* Latin Extended-A */
    }

    if (c >= 0x139 && c <= 0x148 && (c & 1)) {
        return c + 1;
    }

    return c;
}


/* A case-folded copy of valid UTF-8 s, in the arena. */
static char *
service_fold(struct feat_arena *a, const char *s)
{
    size_t          i, j, len;
    unsigned char  *out;
    const unsigned char  *p;
    unsigned long   c;
    int             n;

    p = (const unsigned char *) s;
    len = strlen(s);
    out = feat_arena_alloc(a, len * 2 + 1);

    for (i = 0, j = 0; i < len; i += (size_t) n) {
        if (p[i] < 0x80) {
            c = p[i];
            n = 1;
        } else if ((p[i] & 0xe0) == 0xc0 && i + 1 < len) {
            c = ((unsigned long) (p[i] & 0x1f) << 6) | (p[i + 1] & 0x3f);
            n = 2;
        } else if ((p[i] & 0xf0) == 0xe0 && i + 2 < len) {
            c = ((unsigned long) (p[i] & 0x0f) << 12)
                | ((unsigned long) (p[i + 1] & 0x3f) << 6)
                | (p[i + 2] & 0x3f);
            n = 3;
        } else {
            /* four bytes (or a stray byte): no case to fold, copied */
            n = ((p[i] & 0xf8) == 0xf0 && i + 3 < len) ? 4 : 1;
            memcpy(out + j, p + i, (size_t) n);
            j += (size_t) n;
            continue;
        }

        c = service_fold_cp(c);

        if (c < 0x80) {
            out[j++] = (unsigned char) c;
        } else if (c < 0x800) {
            out[j++] = (unsigned char) (0xc0 | (c >> 6));
            out[j++] = (unsigned char) (0x80 | (c & 0x3f));
        } else {
            out[j++] = (unsigned char) (0xe0 | (c >> 12));
            out[j++] = (unsigned char) (0x80 | ((c >> 6) & 0x3f));
            out[j++] = (unsigned char) (0x80 | (c & 0x3f));
        }
    }

    out[j] = '\0';

    return (char *) out;
}


/* ---- times --------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
service_days(long long y, unsigned m, unsigned d)
{
    long long  era;
    unsigned   yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (long long) doe - 719468;
}


/* n digits of s as a number, or -1. */
static int
service_digits(const char *s, int n)
{
    int  i, v;

    v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }

    return v;
}


int
feat_service_parse_time(const char *s, time_t *t)
{
    int        y, mo, d, h, mi, sec, oh, om, sign;
    unsigned   mdays;
    const char *p;
    static const unsigned char  dim[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':')
    {
        return FEAT_ERROR;
    }

    y = service_digits(s, 4);
    mo = service_digits(s + 5, 2);
    d = service_digits(s + 8, 2);
    h = service_digits(s + 11, 2);
    mi = service_digits(s + 14, 2);
    sec = service_digits(s + 17, 2);

    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23
        || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    {
        return FEAT_ERROR;
    }

    mdays = dim[mo - 1];
    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        mdays = 29;
    }
    if ((unsigned) d > mdays) {
        return FEAT_ERROR;
    }

    p = s + 19;

    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return FEAT_ERROR;
        }
        while (*p >= '0' && *p <= '9') {
            if (p - (s + 20) >= 9) {
                return FEAT_ERROR;
            }
            p++;
        }
    }

    if (p[0] == 'Z' && p[1] == '\0') {
        oh = 0;
        om = 0;
        sign = 1;

    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6
               && p[3] == ':')
    {
        sign = p[0] == '-' ? -1 : 1;
        oh = service_digits(p + 1, 2);
        om = service_digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return FEAT_ERROR;
        }

    } else {
        return FEAT_ERROR;
    }

    *t = (time_t) (service_days(y, (unsigned) mo, (unsigned) d) * 86400
                   + h * 3600 + mi * 60 + sec
                   - sign * (oh * 3600 + om * 60));

    return FEAT_OK;
}


/* ---- rows ---------------------------------------------------------------- */

static void
service_project_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct service_row  *r = item;

    memset(r, 0, sizeof(*r));

    r->p.id = sqlite3_column_int64(st, 0);
    r->p.app_id = feat_db_col_text(a, st, 1);
    r->p.owner_id = sqlite3_column_int64(st, 2);
    r->p.owner_nickname = feat_db_col_text(a, st, 3);
    r->p.title = feat_db_col_text(a, st, 4);
    r->p.description = feat_db_col_text(a, st, 5);
    r->p.category = feat_db_col_text(a, st, 6);
    r->p.budget_fen = sqlite3_column_int64(st, 7);
    r->p.close_at = (time_t) sqlite3_column_int64(st, 8);
    r->p.stored_status = sqlite3_column_int(st, 9);
    r->p.status = r->p.stored_status;
    r->p.review_note = sqlite3_column_type(st, 10) == SQLITE_NULL
                       ? NULL : feat_db_col_text(a, st, 10);
    r->winner_bid_id = sqlite3_column_int64(st, 11);
    r->p.bids_count = sqlite3_column_int64(st, 12);
    r->p.created_at = (time_t) sqlite3_column_int64(st, 13);
    r->p.updated_at = (time_t) sqlite3_column_int64(st, 14);
    r->p.published_at = (time_t) sqlite3_column_int64(st, 15);
    r->p.closed_at = (time_t) sqlite3_column_int64(st, 16);
    r->p.completed_at = (time_t) sqlite3_column_int64(st, 17);
    r->p.cancelled_at = (time_t) sqlite3_column_int64(st, 18);
}


static void
service_bid_row(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_service_bid  *b = item;

    b->id = sqlite3_column_int64(st, 0);
    b->project_id = sqlite3_column_int64(st, 1);
    b->bidder_id = sqlite3_column_int64(st, 2);
    b->bidder_nickname = feat_db_col_text(a, st, 3);
    b->price_fen = sqlite3_column_int64(st, 4);
    b->message = feat_db_col_text(a, st, 5);
    b->created_at = (time_t) sqlite3_column_int64(st, 6);
    b->updated_at = (time_t) sqlite3_column_int64(st, 7);
}


/* Applies "time closes" to a row read at now. */
static void
service_effective(struct feat_service_project *p, time_t now)
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
static enum feat_error
service_complete(sqlite3 *db, struct feat_arena *a, struct service_row *r,
    sqlite3_int64 viewer)
{
    enum feat_error  e;

    if (viewer != FEAT_SERVICE_MODERATOR && viewer != r->p.owner_id) {
        e = feat_db_row(db, a,
                feat_db_query(db,
                    "SELECT " BID_COLUMNS BID_FROM
                    " WHERE b.project_id = ? AND b.bidder_id = ?",
                    "ii", r->p.id, viewer),
                service_bid_row, &r->p.my_bid,
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
                    "SELECT " BID_COLUMNS BID_FROM " WHERE b.id = ?",
                    "i", r->winner_bid_id),
                service_bid_row, &r->p.winner,
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
static enum feat_error
service_load(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, time_t now,
    struct feat_service_project *out)
{
    enum feat_error     e;
    struct service_row  r;

    e = feat_db_row(db, a,
            feat_db_query(db,
                "SELECT " PROJECT_COLUMNS PROJECT_FROM
                " WHERE p.id = ? AND p.app_id = ?", "is", id, app),
            service_project_row, &r, "service: reading project %lld failed",
            (long long) id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    service_effective(&r.p, now);

    if (!service_visible(&r.p, viewer)) {
        return FEAT_E_NOT_FOUND;
    }

    e = service_complete(db, a, &r, viewer);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *out = r.p;

    return FEAT_E_NONE;
}


/* ---- pushes -------------------------------------------------------------- */

static int
service_en(void)
{
    return strcmp(feat_conf_str("locale", "zh"), "en") == 0;
}


/* Queues one push from the system to the users listed (none: nothing). */
static enum feat_error
service_push(sqlite3 *db, const char *app, const char *title,
    const char *body, const sqlite3_int64 *users, size_t n)
{
    if (n == 0) {
        return FEAT_E_NONE;
    }

    return feat_push_queue(db, app, 0, title, body, FEAT_PUSH_SCOPE_LISTED,
                           users, n, NULL)
           == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


/* The push of p's move to state to, to every bidder. */
static enum feat_error
service_events(sqlite3 *db, const char *app,
    const struct feat_service_project *p, int to)
{
    int                 rc;
    char                body[600];
    size_t              n, max;
    const char         *title, *what;
    sqlite3_stmt       *st;
    sqlite3_int64      *users;
    struct feat_arena  *a;
    enum feat_error     e;

    switch (to) {
    case FEAT_SERVICE_CLOSED:
        title = service_en() ? "Project closed" : "需求已关闭";
        what = service_en() ? "is closed" : "已关闭";
        break;
    case FEAT_SERVICE_CANCELLED:
        title = service_en() ? "Project cancelled" : "需求已取消";
        what = service_en() ? "was cancelled" : "已取消";
        break;
    case FEAT_SERVICE_COMPLETED:
        title = service_en() ? "Project completed" : "需求已完成";
        what = service_en() ? "has its winner" : "已选出胜出者";
        break;
    default:
        return FEAT_E_NONE;
    }

    if (service_en()) {
        snprintf(body, sizeof(body), "The project \"%s\" you bid on %s.",
                 p->title, what);
    } else {
        snprintf(body, sizeof(body), "你参与竞标的需求「%s」%s。", p->title,
                 what);
    }

    a = feat_arena_create();
    max = (size_t) (p->bids_count > 0 ? p->bids_count : 0) + 1;
    users = feat_arena_alloc(a, max * sizeof(sqlite3_int64));
    n = 0;

    st = feat_db_query(db,
                       "SELECT bidder_id FROM service_bid"
                       " WHERE project_id = ? ORDER BY id", "i", p->id);
    if (st == NULL) {
        feat_arena_destroy(a);
        return FEAT_E_INTERNAL;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == max) {
            break;
        }
        users[n++] = sqlite3_column_int64(st, 0);
    }

    feat_db_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "service: reading the bidders of %lld failed: "
                 "%s", (long long) p->id, sqlite3_errmsg(db));
        feat_arena_destroy(a);
        return FEAT_E_INTERNAL;
    }

    e = service_push(db, app, title, body, users, n);

    feat_arena_destroy(a);

    return e;
}


/*
 * Stores the close of p, OPEN and past close_at, as the sweep would
 * (closed_at = close_at), and queues its pushes: inside the caller's
 * transaction.
 */
static enum feat_error
service_store_close(sqlite3 *db, const char *app,
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

    search = feat_arena_sprintf(a, "%s\n%s", service_fold(a, f->title),
                                service_fold(a, f->description));

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
        return service_end(db, FEAT_E_INTERNAL);
    }

    if (sqlite3_changes(db) == 0) {
        return service_end(db, FEAT_E_NOT_FOUND);
    }

    id = sqlite3_last_insert_rowid(db);

    /* the answer is read before the commit: it is what was stored */
    return service_end(db, service_load(db, a, app, user_id, id, now, out));
}


enum feat_error
feat_service_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, struct feat_service_project *out)
{
    return service_load(db, a, app, viewer, id, feat_now(), out);
}


/*
 * Steps a page query (columns PROJECT_COLUMNS) into an arena array of at
 * most max projects as viewer sees them at now.
 */
static enum feat_error
service_page(sqlite3 *db, struct feat_arena *a, sqlite3_stmt *st,
    size_t max, sqlite3_int64 viewer, time_t now,
    struct feat_service_project **items, size_t *n)
{
    int                          rc;
    size_t                       i, count;
    enum feat_error              e;
    struct service_row          *rows;

    rc = SQLITE_DONE;
    struct feat_service_project *list;

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rows = feat_arena_alloc(a, max * sizeof(struct service_row));
    count = 0;

    while (count < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        service_project_row(a, st, &rows[count]);
        service_effective(&rows[count].p, now);
        count++;
    }

    if (count < max && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "service: reading a page failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    feat_db_done(st);

    list = count ? feat_arena_alloc(a, count * sizeof(*list)) : NULL;

    for (i = 0; i < count; i++) {
        e = service_complete(db, a, &rows[i], viewer);
        if (e != FEAT_E_NONE) {
            return e;
        }
        list[i] = rows[i].p;
    }

    *items = list;
    *n = count;

    return FEAT_E_NONE;
}


enum feat_error
feat_service_list(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 owner, int status, long long offset,
    long long limit, long long *total, struct feat_service_project **items,
    size_t *n)
{
    time_t          now;
    sqlite3_int64   all;
    sqlite3_stmt   *st;

    *items = NULL;
    *n = 0;
    *total = 0;
    now = feat_now();

    /*
     * ?1 app (NULL: every app), ?2 owner (0: any), ?3 status (-1: any),
     * ?9 now for STATUS_NOW.
     */
#define LIST_WHERE                                                           \
    " WHERE (?1 IS NULL OR p.app_id = ?1) AND (?2 = 0 OR p.owner_id = ?2)"   \
    " AND (?3 < 0 OR " STATUS_NOW " = ?3)"

    if (feat_db_int(db, &all,
                    "SELECT count(*) FROM service_project p" LIST_WHERE,
                    "sidiiiiii", app, owner, status, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) 0, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *total = all;

    if (limit < 1 || offset < 0 || offset >= all) {
        return FEAT_E_NONE;
    }

    if (limit > FEAT_SERVICE_LIST_MAX) {
        limit = FEAT_SERVICE_LIST_MAX;
    }

    st = feat_db_query(db,
                       "SELECT " PROJECT_COLUMNS PROJECT_FROM LIST_WHERE
                       " ORDER BY p.id DESC LIMIT ?4 OFFSET ?5",
                       "sidiiiiii", app, owner, status,
                       (sqlite3_int64) limit, (sqlite3_int64) offset,
                       (sqlite3_int64) 0, (sqlite3_int64) 0,
                       (sqlite3_int64) 0, (sqlite3_int64) now);
#undef LIST_WHERE

    return service_page(db, a, st, (size_t) limit, viewer, now, items, n);
}


enum feat_error
feat_service_square(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, const char *q, const char *category,
    long long offset, long long limit, long long *total,
    struct feat_service_project **items, size_t *n, const char **bad)
{
    time_t          now;
    const char     *fq;
    sqlite3_int64   all;
    sqlite3_stmt   *st;

    *items = NULL;
    *n = 0;
    *total = 0;
    now = feat_now();

    if (q != NULL && !feat_utf8_ok(q, FEAT_SERVICE_QUERY_MAX, 0)) {
        *bad = "q";
        return FEAT_E_BAD_FIELD;
    }

    if (category != NULL
        && !feat_utf8_ok(category, FEAT_SERVICE_CATEGORY_MAX, 0))
    {
        *bad = "category";
        return FEAT_E_BAD_FIELD;
    }

    /* instr on the folded copy: no LIKE, so no wildcard to escape */
    fq = (q != NULL && *q != '\0') ? service_fold(a, q) : NULL;

    /* ?1 app, ?2 folded q (NULL: any), ?3 category (NULL: any), ?9 now */
#define SQUARE_WHERE                                                         \
    " WHERE p.app_id = ?1 AND p.status = 200 AND p.close_at > ?9"            \
    " AND (?2 IS NULL OR instr(p.search, ?2) > 0)"                           \
    " AND (?3 IS NULL OR p.category = ?3)"

    if (feat_db_int(db, &all,
                    "SELECT count(*) FROM service_project p" SQUARE_WHERE,
                    "sssiiiiii", app, fq, category, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) 0, (sqlite3_int64) 0,
                    (sqlite3_int64) 0, (sqlite3_int64) now)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *total = all;

    if (limit < 1 || offset < 0 || offset >= all) {
        return FEAT_E_NONE;
    }

    if (limit > FEAT_SERVICE_LIST_MAX) {
        limit = FEAT_SERVICE_LIST_MAX;
    }

    st = feat_db_query(db,
                       "SELECT " PROJECT_COLUMNS PROJECT_FROM SQUARE_WHERE
                       " ORDER BY p.published_at DESC, p.id DESC"
                       " LIMIT ?4 OFFSET ?5",
                       "sssiiiiii", app, fq, category, (sqlite3_int64) limit,
                       (sqlite3_int64) offset, (sqlite3_int64) 0,
                       (sqlite3_int64) 0, (sqlite3_int64) 0,
                       (sqlite3_int64) now);
#undef SQUARE_WHERE

    return service_page(db, a, st, (size_t) limit, viewer, now, items, n);
}


/*
 * The start of every write: BEGIN IMMEDIATE, the project read afresh
 * inside the transaction (unseen: NOT_FOUND), and op judged by the step
 * table for viewer.  On FEAT_E_NONE the transaction is open, *step and
 * *p set, and a time-closed project's close stored; on anything else it
 * is rolled back.
 */
static enum feat_error
service_begin(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, enum feat_service_op op,
    time_t now, struct feat_service_project *p,
    const struct service_step **step)
{
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = service_load(db, a, app, viewer, id, now, p);

    if (e == FEAT_E_NONE) {
        e = service_check(p->status, op, service_role(p, viewer), step);
    }

    if (e == FEAT_E_NONE && p->status != p->stored_status) {
        e = service_store_close(db, app, p);
    }

    if (e != FEAT_E_NONE) {
        feat_db_rollback(db);
    }

    return e;
}


/* Commits, or rolls back and answers e when e is an error. */
static enum feat_error
service_end(sqlite3 *db, enum feat_error e)
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
    time_t                       now;
    const char                  *search;
    enum feat_error              e;
    struct feat_service_project  p;
    const struct service_step   *step;

    now = feat_now();

    e = service_begin(db, a, app, user_id, id, FEAT_SERVICE_EDIT, now, &p,
                      &step);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = service_fields_ok(f, 0, now, bad);
    if (e != FEAT_E_NONE) {
        return service_end(db, e);
    }

    search = feat_arena_sprintf(a, "%s\n%s",
                 service_fold(a, f->title != NULL ? f->title : p.title),
                 service_fold(a, f->description != NULL ? f->description
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
        e = service_load(db, a, app, user_id, id, now, out);
    }

    return service_end(db, e);
}


enum feat_error
feat_service_delete(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;
    const struct service_step   *step;

    a = feat_arena_create();

    e = service_begin(db, a, app, user_id, id, FEAT_SERVICE_DELETE,
                      feat_now(), &p, &step);
    if (e == FEAT_E_NONE) {
        if (feat_db_exec(db,
                         "DELETE FROM service_project"
                         " WHERE id = ? AND app_id = ?", "is", id, app)
            != FEAT_OK)
        {
            e = FEAT_E_INTERNAL;
        }

        e = service_end(db, e);
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
    const struct service_step   *step;

    if (op == FEAT_SERVICE_REJECT
        && !feat_utf8_ok(note, FEAT_SERVICE_NOTE_MAX, 1))
    {
        *bad = "reason";
        return FEAT_E_BAD_FIELD;
    }

    now = feat_now();

    e = service_begin(db, a, app, viewer, id, op, now, &p, &step);
    if (e != FEAT_E_NONE) {
        return e;
    }

    to = step->to;

    if ((step->flags & STEP_REVIEWED) && service_review_on(db, app)) {
        to = FEAT_SERVICE_REVIEW;
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
            "isdiis", id, app, to, (sqlite3_int64) now, bid_id,
            op == FEAT_SERVICE_REJECT ? note : NULL)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    e = service_events(db, app, &p, to);

    /* the answer is read before the commit: it is what was stored */
    if (e == FEAT_E_NONE && out != NULL) {
        e = service_load(db, a, app, viewer, id, now, out);
    }

failed:

    return service_end(db, e);
}


/* ---- bids ---------------------------------------------------------------- */

enum feat_error
feat_service_bid(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 id, long long price_fen,
    const char *message, struct feat_service_bid *out, int *created,
    const char **bad)
{
    char                         body[600];
    time_t                       now;
    enum feat_error              e;
    struct feat_service_project  p;
    const struct service_step   *step;

    if (price_fen < 1 || price_fen > FEAT_SERVICE_PRICE_MAX) {
        *bad = "price_fen";
        return FEAT_E_BAD_FIELD;
    }

    if (message != NULL
        && !feat_utf8_ok(message, FEAT_SERVICE_MESSAGE_MAX, 0))
    {
        *bad = "message";
        return FEAT_E_BAD_FIELD;
    }

    now = feat_now();

    e = service_begin(db, a, app, user_id, id, FEAT_SERVICE_BID, now, &p,
                      &step);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *created = !p.has_my_bid;

    if (p.has_my_bid) {
        /* a revision: an absent message keeps the one given before */
        if (feat_db_exec(db,
                         "UPDATE service_bid SET price_fen = ?2,"
                         " message = coalesce(?3, message), updated_at = ?4"
                         " WHERE id = ?1",
                         "iisi", p.my_bid.id, (sqlite3_int64) price_fen,
                         message, (sqlite3_int64) now)
            != FEAT_OK)
        {
            return service_end(db, FEAT_E_INTERNAL);
        }

    } else {
        if (feat_db_exec(db,
                         "INSERT INTO service_bid (app_id, project_id,"
                         " bidder_id, price_fen, message, created_at,"
                         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         "siiisii", app, id, user_id,
                         (sqlite3_int64) price_fen,
                         message != NULL ? message : "",
                         (sqlite3_int64) now, (sqlite3_int64) now)
            != FEAT_OK)
        {
            return service_end(db, FEAT_E_INTERNAL);
        }

        if (service_en()) {
            snprintf(body, sizeof(body), "Your project \"%s\" has a new bid.",
                     p.title);
        } else {
            snprintf(body, sizeof(body), "你的需求「%s」收到一个新的竞标。",
                     p.title);
        }

        e = service_push(db, app,
                         service_en() ? "New bid" : "收到新的竞标", body,
                         &p.owner_id, 1);
        if (e != FEAT_E_NONE) {
            return service_end(db, e);
        }
    }

    e = feat_db_row(db, a,
            feat_db_query(db,
                "SELECT " BID_COLUMNS BID_FROM
                " WHERE b.project_id = ? AND b.bidder_id = ?",
                "ii", id, user_id),
            service_bid_row, out, "service: reading the bid on %lld failed",
            (long long) id);

    return service_end(db, e == FEAT_E_NOT_FOUND ? FEAT_E_INTERNAL : e);
}


enum feat_error
feat_service_withdraw(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 id)
{
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;
    const struct service_step   *step;

    a = feat_arena_create();

    e = service_begin(db, a, app, user_id, id, FEAT_SERVICE_WITHDRAW_BID,
                      feat_now(), &p, &step);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    if (!p.has_my_bid) {
        e = service_end(db, FEAT_E_NOT_FOUND);
        goto done;
    }

    if (feat_db_exec(db, "DELETE FROM service_bid WHERE id = ?", "i",
                     p.my_bid.id)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = service_end(db, e);

done:

    feat_arena_destroy(a);

    return e;
}


enum feat_error
feat_service_bids(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 viewer, sqlite3_int64 id, long long offset,
    long long limit, long long *total, struct feat_service_bid **items,
    size_t *n)
{
    int                          rc;
    size_t                       max, count;
    sqlite3_int64                all, bidder;
    sqlite3_stmt                *st;
    enum feat_error              e;
    struct feat_service_bid     *list;
    struct feat_service_project  p;

    *items = NULL;
    *n = 0;
    *total = 0;
    rc = SQLITE_DONE;

    e = service_load(db, a, app, viewer, id, feat_now(), &p);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* the owner sees every bid, a bidder their own, anyone else none */
    bidder = 0;
    if (service_role(&p, viewer) == ROLE_OTHER) {
        if (!p.has_my_bid) {
            return FEAT_E_FORBIDDEN;
        }
        bidder = viewer;
    }

    if (feat_db_int(db, &all,
                    "SELECT count(*) FROM service_bid"
                    " WHERE project_id = ?1 AND (?2 = 0 OR bidder_id = ?2)",
                    "ii", id, bidder)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *total = all;

    if (limit < 1 || offset < 0 || offset >= all) {
        return FEAT_E_NONE;
    }

    max = (size_t) (limit > FEAT_SERVICE_LIST_MAX ? FEAT_SERVICE_LIST_MAX
                                                  : limit);

    st = feat_db_query(db,
                       "SELECT " BID_COLUMNS BID_FROM
                       " WHERE b.project_id = ?1"
                       " AND (?2 = 0 OR b.bidder_id = ?2)"
                       " ORDER BY b.id LIMIT ?3 OFFSET ?4",
                       "iiii", id, bidder, (sqlite3_int64) max,
                       (sqlite3_int64) offset);
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    list = feat_arena_alloc(a, max * sizeof(*list));
    count = 0;

    while (count < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        service_bid_row(a, st, &list[count++]);
    }

    if (count < max && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "service: reading the bids of %lld failed: %s",
                 (long long) id, sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    feat_db_done(st);

    *items = count ? list : NULL;
    *n = count;

    return FEAT_E_NONE;
}


/* ---- the sweep ----------------------------------------------------------- */

void
feat_service_sweep(sqlite3 *db, time_t now)
{
    int                          i, done;
    const char                  *app;
    sqlite3_int64                id;
    struct feat_arena           *a;
    enum feat_error              e;
    struct feat_service_project  p;

    a = feat_arena_create();
    done = 0;

    /* a bounded batch per sweep: the next sweep takes the rest */
    for (i = 0; i < 1000; i++) {
        feat_arena_reset(a);

        if (feat_db_begin(db) != FEAT_OK) {
            break;
        }

        if (feat_db_int(db, &id,
                        "SELECT id FROM service_project"
                        " WHERE status = 200 AND close_at <= ?"
                        " ORDER BY close_at LIMIT 1",
                        "i", (sqlite3_int64) now)
            != FEAT_OK
            || feat_db_text(db, a, &app,
                            "SELECT app_id FROM service_project"
                            " WHERE id = ?", "i", id)
               != FEAT_OK)
        {
            feat_db_rollback(db);
            break;
        }

        e = service_load(db, a, app, FEAT_SERVICE_MODERATOR, id, now, &p);
        if (e == FEAT_E_NONE) {
            e = service_store_close(db, app, &p);
        }

        if (service_end(db, e) != FEAT_E_NONE) {
            feat_log(LOG_ERR, 0, "service: closing project %lld failed",
                     (long long) id);
            break;
        }

        done++;
    }

    if (done > 0) {
        feat_log(LOG_INFO, 0, "service: %d project%s closed by time", done,
                 done == 1 ? "" : "s");
    }

    feat_arena_destroy(a);
}
