/*
 * delivery.c: the jobs process's side of the outbox (fcgi/store/outbox.c):
 * it fans pushes to every user out in batches, claims due rows, hands each
 * to the provider of its channel and resolves it by the answer.
 *
 * Providers (channel, ready, send) are the modules' struct feat_module
 * push: APNs (modules/apns) and Getui plug in there.  A channel without a provider, or an app
 * without its credentials, gets its rows skipped (status 4, with the
 * reason): nothing could be delivered, and the push still counts as sent.
 * With push.log_path set, every channel's rows go to the log provider
 * instead, which appends one JSON line per attempt (development, and the
 * outbox's tests); a token that starts "retry-", "fail-" or "gone-"
 * answers as a transient failure, a permanent one or a dead device, and
 * "slow-" sleeps a little after the line is written, as a slow provider
 * would before it answers; while "<push.log_path>.down" exists every
 * attempt is refused for good (a provider down, then back).
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
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

#define FEAT_DELIVERY_CLAIM     64      /* rows claimed at once */
#define FEAT_DELIVERY_ROUND     1024    /* rows sent in one run */
#define FEAT_DELIVERY_FANOUT    500     /* users in a fan-out batch */
#define FEAT_DELIVERY_FANOUTS   8       /* fan-out batches in one run */
#define FEAT_DELIVERY_MAX_WAIT  3600000 /* ms: the longest backoff */


static int feat_delivery_log_ready(const char *app);
static int feat_delivery_log_send(struct feat_arena *a,
    const struct feat_outbox_row *row, char *err, size_t errlen);


static const struct feat_push_provider  feat_delivery_log = {
    "log", feat_delivery_log_ready, feat_delivery_log_send
};


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


static void
feat_delivery_one(struct feat_arena *a, sqlite3 *db,
    const struct feat_outbox_row *row)
{
    int                               rc, gone, status;
    char                              err[320], why[320];
    long long                         now, next, ttl, max;
    const struct feat_push_provider  *p;

    now = feat_now_ms();
    next = 0;
    gone = 0;
    err[0] = '\0';

    ttl = feat_setting_int(row->app_id, "push.ttl");
    max = feat_setting_int(row->app_id, "push.max_attempts");

    p = feat_delivery_provider(row->channel);

    if (p == NULL || (p->ready != NULL && !p->ready(row->app_id))) {
        snprintf(why, sizeof(why), "%s: %s", row->channel,
                 p == NULL ? "no provider" : "no credentials for the app");
        feat_outbox_resolve(db, row, FEAT_OUTBOX_SKIPPED, 0, why, 0);
        return;
    }

    if (now / 1000 > (long long) row->created_at + ttl) {
        feat_outbox_resolve(db, row, FEAT_OUTBOX_FAILED, 0,
                            "push.ttl passed before delivery", 0);
        return;
    }

    rc = p->send(a, row, err, sizeof(err));

    switch (rc) {

    case FEAT_SEND_OK:
        status = FEAT_OUTBOX_SENT;
        break;

    case FEAT_SEND_RETRY:
        next = now + feat_delivery_backoff(row->attempts);

        if (row->attempts >= max) {
            status = FEAT_OUTBOX_FAILED;
            snprintf(why, sizeof(why), "%.240s (gave up after %d attempts)",
                     err, row->attempts);
            snprintf(err, sizeof(err), "%s", why);

        } else if (next / 1000 > (long long) row->created_at + ttl) {
            status = FEAT_OUTBOX_FAILED;
            snprintf(why, sizeof(why), "%.240s (push.ttl passed)", err);
            snprintf(err, sizeof(err), "%s", why);

        } else {
            status = FEAT_OUTBOX_PENDING;
        }
        break;

    case FEAT_SEND_GONE:
        gone = 1;
        /* fall through */

    default:
        status = FEAT_OUTBOX_FAILED;
        break;
    }

    if (status != FEAT_OUTBOX_SENT) {
        feat_log(status == FEAT_OUTBOX_PENDING ? LOG_INFO : LOG_NOTICE, 0,
                 "push %lld to %s device %lld: attempt %d: %s%s",
                 (long long) row->push_id, row->channel,
                 (long long) row->device_id, row->attempts, err,
                 gone ? " (device dropped)" : "");
    }

    if (feat_outbox_resolve(db, row, status, next, err, gone) != FEAT_OK) {
        /* left sending: the next start sends it again under its id */
        feat_log(LOG_ERR, 0, "outbox row %lld not resolved",
                 (long long) row->id);
    }
}


long long
feat_delivery_run(sqlite3 *db)
{
    int                      more, i;
    size_t                   j, n, sent;
    long long                due;
    struct feat_arena       *a;
    struct feat_outbox_row  *rows;

    for (i = 0; i < FEAT_DELIVERY_FANOUTS; i++) {
        if (feat_outbox_fanout(db, FEAT_DELIVERY_FANOUT, &more) != FEAT_OK
            || !more)
        {
            break;
        }
    }

    a = feat_arena_create();
    if (a == NULL) {
        return feat_now_ms() + 1000;
    }

    sent = 0;

    while (sent < FEAT_DELIVERY_ROUND) {
        feat_arena_reset(a);

        if (feat_outbox_claim(db, a, feat_now_ms(), FEAT_DELIVERY_CLAIM,
                              &rows, &n)
            != FEAT_OK
            || n == 0)
        {
            break;
        }

        for (j = 0; j < n; j++) {
            feat_delivery_one(a, db, &rows[j]);
        }

        sent += n;
    }

    feat_arena_destroy(a);

    if (i == FEAT_DELIVERY_FANOUTS || sent >= FEAT_DELIVERY_ROUND) {
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
feat_delivery_log_send(struct feat_arena *a, const struct feat_outbox_row *row,
    char *err, size_t errlen)
{
    int          fd, rc;
    char        *text;
    size_t       len;
    cJSON       *o;
    const char  *answer;

    (void) a;

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
