/*
 * delivery.c: the jobs process's side of the outbox (fcgi/store/outbox.c):
 * it fans pushes to every user out in batches, claims due rows, hands each
 * to the provider of its channel and resolves it by the answer.
 *
 * Providers (channel, ready, prepare, judge) are the modules' struct
 * feat_module push: APNs (modules/apns) and Getui (modules/push).  A
 * provider builds a row's request and reads its answer; the requests go
 * out here, several at once: each claimed row takes a slot (its own
 * arena, reset when the row is resolved, so a long drain holds flat
 * memory), and up to push.concurrency rows per provider host are in
 * flight on that host's multi handle (fcgi/client/http.c: HTTP/2 streams
 * of one connection for APNs, parallel kept connections for Getui).  Rows
 * are marked sending when claimed, before any request, and resolved after
 * their answers, those that came in one wait in one transaction; a run claims a bounded number and ends
 * when the last answer is in, so the jobs loop keeps its signals and
 * sweeps.  A push gets no row for a channel without a provider or an app
 * without its credentials (outbox.c); a row written before the app lost
 * them is skipped here (status 4, with the reason).
 *
 * With push.log_path set, every channel's rows go to the log provider
 * instead, which appends one JSON line per attempt, synchronously
 * (development, and the outbox's tests); a token that starts "retry-",
 * "fail-" or "gone-" answers as a transient failure, a permanent one or a
 * dead device, and "slow-" sleeps a little after the line is written, as
 * a slow provider would before it answers; while "<push.log_path>.down"
 * exists every attempt is refused for good (a provider down, then back).
 *
 * A transient failure is tried again after push.retry_base ms, doubled at
 * each attempt (at most an hour) with jitter over its upper half, until
 * push.max_attempts attempts or push.ttl seconds from the row's creation
 * (both per app settings); then the row fails, as it does at once on a
 * permanent answer.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_DELIVERY_CLAIM     64      /* rows claimed at once */
#define FEAT_DELIVERY_ROUND     1024    /* rows claimed in one run */
#define FEAT_DELIVERY_FANOUT    500     /* users in a fan-out batch */
#define FEAT_DELIVERY_FANOUTS   8       /* fan-out batches in one run */
#define FEAT_DELIVERY_MAX_WAIT  3600000 /* ms: the longest backoff */
#define FEAT_DELIVERY_POOLS     8       /* provider hosts kept */
#define FEAT_DELIVERY_MAX_CONC  256     /* push.concurrency at most */
#define FEAT_DELIVERY_POLL      100     /* ms a wait lasts, one host busy */
#define FEAT_DELIVERY_POLL_MANY 5       /* ... several hosts busy */

/* One outside host's exchanges: a multi handle, its connections kept. */
struct feat_delivery_pool {
    char                     key[300];  /* scheme://host:port, h2 or not */
    struct feat_http_multi  *m;
    long long                used;      /* ms: the last row started */
};

/* A row on its way: claimed, prepared, waiting for room in its pool or
 * in flight, until it is resolved and the slot is free again. */
struct feat_delivery_slot {
    int                               state;
    int                               status;   /* FEAT_SLOT_DONE: the */
    int                               gone;     /* verdict to store */
    long long                         next;
    struct feat_arena                *a;        /* the row's; reset after */
    struct feat_outbox_row            row;
    struct feat_push_send             s;
    const struct feat_push_provider  *p;
    struct feat_delivery_pool        *pool;
};

#define FEAT_SLOT_FREE      0
#define FEAT_SLOT_WAITING   1   /* prepared: its pool was full */
#define FEAT_SLOT_FLIGHT    2
#define FEAT_SLOT_DONE      3   /* answered: its verdict to be stored */
#define FEAT_SLOT_AGAIN     4   /* answered: to go again at once */

static int feat_delivery_log_ready(const char *app);
static int feat_delivery_log_prepare(struct feat_push_send *s);


static const struct feat_push_provider  feat_delivery_log = {
    "log", feat_delivery_log_ready, feat_delivery_log_prepare, NULL
};

static struct feat_delivery_pool   feat_delivery_pools[FEAT_DELIVERY_POOLS];
static struct feat_delivery_slot  *feat_delivery_slots;
static size_t                      feat_delivery_nslots;
static long                        feat_delivery_conc;


static const struct feat_push_provider *
feat_delivery_provider(const char *channel)
{
    const struct feat_module *const  *m;

    if (feat_conf_path(FEAT_CONF_PUSH_LOG_PATH)[0] != '\0') {
        return &feat_delivery_log;
    }

    for (m = feat_modules; *m != NULL; m++) {
        if ((*m)->push != NULL && strcmp((*m)->push->channel, channel) == 0)
        {
            return (*m)->push;
        }
    }

    return NULL;
}


void
feat_delivery_start(sqlite3 *db)
{
    long long  n;

    n = feat_outbox_rescue(db);
    if (n > 0) {
        feat_log(LOG_NOTICE, 0, "outbox: %lld deliveries cut by a stop are "
                 "sent again", n);
    }
}


void
feat_delivery_stop(void)
{
    size_t  i;

    for (i = 0; i < FEAT_DELIVERY_POOLS; i++) {
        feat_http_multi_destroy(feat_delivery_pools[i].m);
        feat_delivery_pools[i].m = NULL;
        feat_delivery_pools[i].key[0] = '\0';
    }

    for (i = 0; i < feat_delivery_nslots; i++) {
        feat_arena_destroy(feat_delivery_slots[i].a);
    }

    free(feat_delivery_slots);
    feat_delivery_slots = NULL;
    feat_delivery_nslots = 0;
}


/* The backoff before attempt attempts + 1: base * 2^(attempts - 1),
 * capped, the upper half of it at random. */
static long long
feat_delivery_backoff(int attempts)
{
    long long  wait;

    wait = feat_conf_int(FEAT_CONF_PUSH_RETRY_BASE);
    if (wait < 1) {
        wait = 1;
    }

    while (--attempts > 0 && wait < FEAT_DELIVERY_MAX_WAIT) {
        wait *= 2;
    }

    if (wait > FEAT_DELIVERY_MAX_WAIT) {
        wait = FEAT_DELIVERY_MAX_WAIT;
    }

    return wait - (long long) feat_random_uniform((uint32_t) (wait / 2 + 1));
}


/* What an answer rc (FEAT_SEND_*) makes of a row: its status, the time of
 * its next attempt and whether its device is gone; err its reason, which
 * this may lengthen.  Logged unless sent. */
static void
feat_delivery_verdict(const struct feat_outbox_row *row, int rc, char *err,
    size_t errlen, int *status, long long *next, int *gone)
{
    char       why[320];
    long long  now, ttl, max;

    now = feat_now_ms();
    *next = 0;
    *gone = 0;

    ttl = feat_setting_int(row->app_id, "push.ttl");
    max = feat_setting_int(row->app_id, "push.max_attempts");

    switch (rc) {

    case FEAT_SEND_OK:
        *status = FEAT_OUTBOX_SENT;
        err[0] = '\0';
        break;

    case FEAT_SEND_RETRY:
        *next = now + feat_delivery_backoff(row->attempts);

        if (row->attempts >= max) {
            *status = FEAT_OUTBOX_FAILED;
            snprintf(why, sizeof(why), "%.240s (gave up after %d attempts)",
                     err, row->attempts);
            snprintf(err, errlen, "%s", why);

        } else if (*next / 1000 > (long long) row->created_at + ttl) {
            *status = FEAT_OUTBOX_FAILED;
            snprintf(why, sizeof(why), "%.240s (push.ttl passed)", err);
            snprintf(err, errlen, "%s", why);

        } else {
            *status = FEAT_OUTBOX_PENDING;
        }
        break;

    case FEAT_SEND_GONE:
        *gone = 1;
        /* fall through */

    default:
        *status = FEAT_OUTBOX_FAILED;
        break;
    }

    if (*status != FEAT_OUTBOX_SENT) {
        feat_log(*status == FEAT_OUTBOX_PENDING ? LOG_INFO : LOG_NOTICE, 0,
                 "push %lld to %s device %lld: attempt %d: %s%s",
                 (long long) row->push_id, row->channel,
                 (long long) row->device_id, row->attempts, err,
                 *gone ? " (device dropped)" : "");
    }
}


/* Resolves row by the provider's answer rc (FEAT_SEND_*), err its reason,
 * in a transaction of its own. */
static void
feat_delivery_resolve(sqlite3 *db, const struct feat_outbox_row *row, int rc,
    char *err, size_t errlen)
{
    int        status, gone;
    long long  next;

    feat_delivery_verdict(row, rc, err, errlen, &status, &next, &gone);

    if (feat_outbox_resolve(db, row, status, next, err, gone) != FEAT_OK) {
        /* left sending: the next start sends it again under its id */
        feat_log(LOG_ERR, 0, "outbox row %lld not resolved",
                 (long long) row->id);
    }
}


/* The pool of req's host (scheme://host:port, h2 or not), made or reused;
 * NULL when every pool is busy with another host, or with *failed set
 * when none can be made. */
static struct feat_delivery_pool *
feat_delivery_pool(const struct feat_http_req *req, int *failed)
{
    char                        key[300];
    size_t                      i, len;
    const char                 *host;
    struct feat_delivery_pool  *p, *spare;

    host = strstr(req->url, "://");
    host = host != NULL ? host + 3 : req->url;
    len = (size_t) (host - req->url) + strcspn(host, "/?#");

    snprintf(key, sizeof(key), "%.*s %s", (int) len, req->url,
             req->h2 ? "h2" : "http/1.1");

    spare = NULL;
    *failed = 0;

    for (i = 0; i < FEAT_DELIVERY_POOLS; i++) {
        p = &feat_delivery_pools[i];

        if (p->m != NULL && strcmp(p->key, key) == 0) {
            return p;
        }

        /* an empty pool, else the one idle longest */
        if (p->m == NULL) {
            if (spare == NULL || spare->m != NULL) {
                spare = p;
            }

        } else if (feat_http_multi_running(p->m) == 0
                   && (spare == NULL
                       || (spare->m != NULL && p->used < spare->used)))
        {
            spare = p;
        }
    }

    if (spare == NULL) {
        return NULL;
    }

    feat_http_multi_destroy(spare->m);
    spare->key[0] = '\0';

    spare->m = feat_http_multi_create(req->h2, feat_delivery_conc);
    if (spare->m == NULL) {
        *failed = 1;
        return NULL;
    }

    snprintf(spare->key, sizeof(spare->key), "%s", key);

    return spare;
}


static void
feat_delivery_free(struct feat_delivery_slot *sl)
{
    feat_arena_reset(sl->a);
    sl->state = FEAT_SLOT_FREE;
    sl->pool = NULL;
    sl->p = NULL;
}


/*
 * Puts a prepared row in flight when its pool has room, else leaves it
 * waiting.  A request that cannot be started is a transport failure.
 */
static void
feat_delivery_launch(sqlite3 *db, struct feat_delivery_slot *sl)
{
    int  failed;

    failed = 0;

    if (sl->pool == NULL) {
        sl->pool = feat_delivery_pool(&sl->s.req, &failed);
    }

    if (!failed
        && (sl->pool == NULL
            || (long) feat_http_multi_running(sl->pool->m)
               >= feat_delivery_conc))
    {
        sl->state = FEAT_SLOT_WAITING;
        return;
    }

    if (!failed) {
        sl->pool->used = feat_now_ms();
    }

    if (failed || feat_http_multi_add(sl->pool->m, &sl->s.req, sl) != FEAT_OK)
    {
        snprintf(sl->s.err, sizeof(sl->s.err), "%s: no answer",
                 sl->row.channel);
        feat_delivery_resolve(db, &sl->row, FEAT_SEND_RETRY, sl->s.err,
                              sizeof(sl->s.err));
        feat_delivery_free(sl);
        return;
    }

    sl->state = FEAT_SLOT_FLIGHT;
}


/* Asks the provider for the row's request: on its way, or resolved. */
static void
feat_delivery_prepare(sqlite3 *db, struct feat_delivery_slot *sl)
{
    int  rc;

    memset(&sl->s.req, 0, sizeof(sl->s.req));
    memset(&sl->s.resp, 0, sizeof(sl->s.resp));
    sl->s.err[0] = '\0';

    rc = sl->p->prepare(&sl->s);

    if (rc != FEAT_SEND_START) {
        feat_delivery_resolve(db, &sl->row, rc, sl->s.err,
                              sizeof(sl->s.err));
        feat_delivery_free(sl);
        return;
    }

    sl->pool = NULL;
    feat_delivery_launch(db, sl);
}


/* Takes a claimed row into a free slot (its own copy) and starts it. */
static void
feat_delivery_begin(sqlite3 *db, struct feat_delivery_slot *sl,
    const struct feat_outbox_row *row)
{
    char                    why[320];
    struct feat_arena      *a;
    struct feat_outbox_row *r;

    a = sl->a;
    r = &sl->row;

    *r = *row;
    r->app_id = feat_arena_strdup(a, row->app_id);
    r->channel = feat_arena_strdup(a, row->channel);
    r->token = feat_arena_strdup(a, row->token);
    r->request_id = feat_arena_strdup(a, row->request_id);
    r->title = feat_arena_strdup(a, row->title);
    r->body = feat_arena_strdup(a, row->body);

    memset(&sl->s, 0, sizeof(sl->s));
    sl->s.a = a;
    sl->s.row = r;
    sl->p = feat_delivery_provider(r->channel);
    sl->pool = NULL;

    /*
     * A push gets no row for a channel that is not ready; a row found so
     * here was written before the app lost its credentials: skipped.
     */
    if (sl->p == NULL || (sl->p->ready != NULL && !sl->p->ready(r->app_id)))
    {
        snprintf(why, sizeof(why), "%s: %s", r->channel,
                 sl->p == NULL ? "no provider" : "no credentials for the app");
        feat_log(LOG_NOTICE, 0, "push %lld to %s device %lld: skipped: %s",
                 (long long) r->push_id, r->channel,
                 (long long) r->device_id, why);
        feat_outbox_resolve(db, r, FEAT_OUTBOX_SKIPPED, 0, why, 0);
        feat_delivery_free(sl);
        return;
    }

    if (feat_now_ms() / 1000
        > (long long) r->created_at + feat_setting_int(r->app_id, "push.ttl"))
    {
        feat_outbox_resolve(db, r, FEAT_OUTBOX_FAILED, 0,
                            "push.ttl passed before delivery", 0);
        feat_delivery_free(sl);
        return;
    }

    feat_delivery_prepare(db, sl);
}


/*
 * An answer (or its absence) came for a row in flight: the provider's
 * verdict goes into the slot, to be resolved with the other answers of
 * the same wait (FEAT_SLOT_DONE), or the row is to go again at once with
 * a fresh credential (FEAT_SLOT_AGAIN).
 */
static void
feat_delivery_answer(struct feat_delivery_slot *sl)
{
    int  rc;

    rc = sl->p->judge(&sl->s);

    if (rc == FEAT_SEND_AGAIN) {
        if (!sl->s.again) {
            sl->s.again = 1;
            sl->state = FEAT_SLOT_AGAIN;
            return;
        }

        rc = FEAT_SEND_RETRY;
    }

    feat_delivery_verdict(&sl->row, rc, sl->s.err, sizeof(sl->s.err),
                          &sl->status, &sl->next, &sl->gone);
    sl->state = FEAT_SLOT_DONE;
}


/*
 * Resolves the rows whose answers came in one wait in one transaction:
 * one commit for many rows.  Should it fail, each is resolved alone; one
 * that cannot be is left sending, and the next start sends it again
 * under its id.  Then the slots are free, and the rows to go again are
 * prepared (outside the transaction: a fresh credential may take an
 * outside call).
 */
static void
feat_delivery_settle(sqlite3 *db)
{
    int                         ok;
    size_t                      i, n;
    struct feat_delivery_slot  *sl;

    n = 0;
    for (i = 0; i < feat_delivery_nslots; i++) {
        n += (feat_delivery_slots[i].state == FEAT_SLOT_DONE);
    }

    ok = 0;

    if (n > 0 && feat_db_begin(db) == FEAT_OK) {
        ok = 1;

        for (i = 0; ok && i < feat_delivery_nslots; i++) {
            sl = &feat_delivery_slots[i];

            if (sl->state == FEAT_SLOT_DONE
                && feat_outbox_resolve_in(db, &sl->row, sl->status, sl->next,
                                          sl->s.err, sl->gone)
                   != FEAT_OK)
            {
                ok = 0;
            }
        }

        if (!ok) {
            feat_db_rollback(db);
        } else if (feat_db_commit(db) != FEAT_OK) {
            ok = 0;
        }
    }

    for (i = 0; i < feat_delivery_nslots; i++) {
        sl = &feat_delivery_slots[i];

        if (sl->state != FEAT_SLOT_DONE) {
            continue;
        }

        if (!ok
            && feat_outbox_resolve(db, &sl->row, sl->status, sl->next,
                                   sl->s.err, sl->gone)
               != FEAT_OK)
        {
            feat_log(LOG_ERR, 0, "outbox row %lld not resolved",
                     (long long) sl->row.id);
        }

        feat_delivery_free(sl);
    }

    for (i = 0; i < feat_delivery_nslots; i++) {
        sl = &feat_delivery_slots[i];

        if (sl->state == FEAT_SLOT_AGAIN) {
            feat_delivery_prepare(db, sl);
        }
    }
}


/* Slots for push.concurrency: twice as many rows under way as one host
 * takes at once, so a host's next rows are ready when answers come. */
static void
feat_delivery_slots_make(void)
{
    long    conc;
    size_t  i, n;

    conc = (long) feat_conf_int(FEAT_CONF_PUSH_CONCURRENCY);
    if (conc < 1) {
        conc = 1;
    } else if (conc > FEAT_DELIVERY_MAX_CONC) {
        conc = FEAT_DELIVERY_MAX_CONC;
    }

    n = (size_t) conc * 2;

    if (n == feat_delivery_nslots && conc == feat_delivery_conc) {
        return;
    }

    /* no slot is busy between runs; pools follow the new bound */
    feat_delivery_stop();
    feat_delivery_conc = conc;

    feat_delivery_slots = calloc(n, sizeof(*feat_delivery_slots));
    if (feat_delivery_slots == NULL) {
        feat_log(LOG_EMERG, errno, "calloc() failed");
        abort();
    }

    for (i = 0; i < n; i++) {
        feat_delivery_slots[i].a = feat_arena_create();
    }

    feat_delivery_nslots = n;
}


/* Waits for answers in every busy pool and hands each to its row. */
static void
feat_delivery_wait(sqlite3 *db, struct feat_arena *a)
{
    void                       *data;
    size_t                      i, busy;
    struct feat_http_resp       resp;
    struct feat_delivery_slot  *sl;
    struct feat_delivery_pool  *p;

    busy = 0;
    for (i = 0; i < FEAT_DELIVERY_POOLS; i++) {
        p = &feat_delivery_pools[i];
        busy += (p->m != NULL && feat_http_multi_running(p->m) > 0);
    }

    for (i = 0; i < FEAT_DELIVERY_POOLS; i++) {
        p = &feat_delivery_pools[i];

        if (p->m == NULL || feat_http_multi_running(p->m) == 0) {
            continue;
        }

        feat_http_multi_wait(p->m, busy > 1 ? FEAT_DELIVERY_POLL_MANY
                                            : FEAT_DELIVERY_POLL);

        while (feat_http_multi_done(p->m, a, &resp, &data) == FEAT_OK) {
            sl = data;
            /* the answer moves to the row's arena: a is the wait's */
            sl->s.resp.status = resp.status;
            sl->s.resp.len = resp.len;
            sl->s.resp.body = resp.body != NULL
                ? feat_arena_strndup(sl->a, resp.body, resp.len) : NULL;
            feat_delivery_answer(sl);
        }

        feat_arena_reset(a);
    }

    feat_delivery_settle(db);
}


/*
 * One run: fans out, then keeps up to push.concurrency rows in flight per
 * provider host, claiming due rows (marked sending before any request)
 * as slots free up, until FEAT_DELIVERY_ROUND rows were claimed or none
 * is due; the run ends when the last answer is in, so no row is left
 * sending between runs.
 */
long long
feat_delivery_run(sqlite3 *db)
{
    int                         more, i, dry;
    size_t                      j, n, next, claimed, busy;
    long long                   due;
    struct feat_arena          *claim, *wait;
    struct feat_outbox_row     *rows;
    struct feat_delivery_slot  *sl;

    for (i = 0; i < FEAT_DELIVERY_FANOUTS; i++) {
        if (feat_outbox_fanout(db, FEAT_DELIVERY_FANOUT, &more) != FEAT_OK
            || !more)
        {
            break;
        }
    }

    feat_delivery_slots_make();

    claim = feat_arena_create();
    wait = feat_arena_create();

    rows = NULL;
    n = 0;
    next = 0;
    claimed = 0;
    dry = 0;

    for ( ;; ) {

        for (j = 0; j < feat_delivery_nslots; j++) {
            sl = &feat_delivery_slots[j];

            if (sl->state == FEAT_SLOT_WAITING) {
                feat_delivery_launch(db, sl);
            }

            /* a row resolved at once frees its slot for the next */
            while (sl->state == FEAT_SLOT_FREE && !dry) {
                if (next == n) {
                    feat_arena_reset(claim);
                    next = 0;
                    n = 0;

                    if (claimed >= FEAT_DELIVERY_ROUND
                        || feat_outbox_claim(db, claim, feat_now_ms(),
                               FEAT_DELIVERY_CLAIM, &rows, &n)
                           != FEAT_OK
                        || n == 0)
                    {
                        dry = 1;
                        break;
                    }

                    claimed += n;
                }

                feat_delivery_begin(db, sl, &rows[next++]);
            }
        }

        busy = 0;
        for (j = 0; j < feat_delivery_nslots; j++) {
            busy += (feat_delivery_slots[j].state != FEAT_SLOT_FREE);
        }

        if (busy == 0) {
            break;
        }

        feat_delivery_wait(db, wait);
    }

    feat_arena_destroy(wait);
    feat_arena_destroy(claim);

    if (i == FEAT_DELIVERY_FANOUTS || claimed >= FEAT_DELIVERY_ROUND) {
        return feat_now_ms();
    }

    if (feat_outbox_next_due(db, &due) != FEAT_OK) {
        return feat_now_ms() + 1000;
    }

    return due;
}


/* ---- the log provider (push.log_path) ------------------------------------ */

static int
feat_delivery_log_ready(const char *app)
{
    (void) app;
    return 1;
}


/* "<push.log_path>.down" exists: the provider refuses everything. */
static int
feat_delivery_log_down(void)
{
    char  path[PATH_MAX];

    snprintf(path, sizeof(path), "%s.down",
             feat_conf_path(FEAT_CONF_PUSH_LOG_PATH));

    return access(path, F_OK) == 0;
}


static int
feat_delivery_log_prepare(struct feat_push_send *s)
{
    int                            fd, rc;
    char                          *text, *err;
    size_t                         len, errlen;
    cJSON                         *o;
    const char                    *answer;
    const struct feat_outbox_row  *row;

    row = s->row;
    err = s->err;
    errlen = sizeof(s->err);

    if (feat_delivery_log_down()) {
        rc = FEAT_SEND_FAIL;
        answer = "down";
    } else if (strncmp(row->token, "retry-", 6) == 0) {
        rc = FEAT_SEND_RETRY;
        answer = "retry";
    } else if (strncmp(row->token, "fail-", 5) == 0) {
        rc = FEAT_SEND_FAIL;
        answer = "fail";
    } else if (strncmp(row->token, "gone-", 5) == 0) {
        rc = FEAT_SEND_GONE;
        answer = "gone";
    } else {
        rc = FEAT_SEND_OK;
        answer = "ok";
    }

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "channel", row->channel);
    cJSON_AddStringToObject(o, "app_id", row->app_id);
    cJSON_AddStringToObject(o, "token", row->token);
    cJSON_AddBoolToObject(o, "sandbox", row->sandbox);
    cJSON_AddStringToObject(o, "request_id", row->request_id);
    cJSON_AddNumberToObject(o, "push_id", (double) row->push_id);
    cJSON_AddNumberToObject(o, "user_id", (double) row->user_id);
    cJSON_AddNumberToObject(o, "attempt", row->attempts);
    cJSON_AddStringToObject(o, "title", row->title);
    cJSON_AddStringToObject(o, "body", row->body);
    cJSON_AddStringToObject(o, "answer", answer);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);

    if (text == NULL) {
        snprintf(err, errlen, "log: out of memory");
        return FEAT_SEND_RETRY;
    }

    len = strlen(text);
    text[len] = '\n';

    fd = open(feat_conf_path(FEAT_CONF_PUSH_LOG_PATH),
              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd == -1 || write(fd, text, len + 1) != (ssize_t) (len + 1)) {
        snprintf(err, errlen, "log: %s", strerror(errno));
        rc = FEAT_SEND_RETRY;
    }

    if (fd != -1) {
        close(fd);
    }

    cJSON_free(text);

    if (rc == FEAT_SEND_OK && strncmp(row->token, "slow-", 5) == 0) {
        usleep(300000);
    }

    if (rc != FEAT_SEND_OK && err[0] == '\0') {
        snprintf(err, errlen, "log: token answers \"%s\"", answer);
    }

    return rc;
}
