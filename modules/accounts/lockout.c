/*
 * lockout.c: the failed-attempt limits of passwords and client secrets.
 *
 * An attempt at a secret (a user's password, an OAuth2 client's secret)
 * is reserved before the secret is checked, in the shared rate table,
 * with feat_rate_take: one event on its subject (the account, the client)
 * that fits only while fewer than login.max_failures are there, and one
 * on the client address that fits only while fewer than
 * login.ip_hard_limit are.  Racing attempts therefore never check more
 * secrets than the limits allow (issue 12, finding 3).  A failed attempt
 * keeps both events; a good one clears the subject's and takes back the
 * address's; an attempt that checked nothing (no hashing slot, a
 * disabled user) takes back both.
 *
 * Many users share an address behind a carrier-grade NAT, so the address's
 * ordinary limit counts the distinct subjects that failed from it
 * (login.ip_max_failures), not the failures, and only changes the answer
 * of a failure: past it, a failure answers "locked", while the right
 * secret still gets through.  Only past the hard ceiling is every attempt
 * from the address refused before any check (finding 8).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

/* The address's failures (the hard ceiling) and its failed subjects as
 * "<address> <subject>" (the distinct count): login_fail* buckets, which
 * featctl and the tests know by that prefix. */
#define FAIL_IP          "login_fail_ip"
#define FAIL_IP_SUBJECT  "login_fail_ipacct"

/* An address (at most 45 characters), a space and a subject. */
#define SUBJECT_KEY_MAX  (64 + FEAT_ACCOUNT_MAX + 1)


static int
attempt_has_ip(const struct feat_attempt *at)
{
    return at->ip != NULL && at->ip[0] != '\0';
}


enum feat_error
feat_attempt_begin(sqlite3 *db, const char *app, const char *bucket,
    const char *key, const char *subject, const char *ip,
    struct feat_attempt *at)
{
    int  rc, window;

    memset(at, 0, sizeof(*at));
    at->app = app;
    at->bucket = bucket;
    at->key = key;
    at->subject = subject;
    at->ip = ip;

    window = (int) feat_conf_int(FEAT_CONF_LOGIN_WINDOW);

    if (key != NULL) {
        /* Locked means locked, even for the right secret. */
        rc = feat_rate_take(db, app, bucket, key,
                            (int) feat_conf_int(FEAT_CONF_LOGIN_MAX_FAILURES),
                            window, &at->key_event);
        if (rc != FEAT_OK) {
            return rc == FEAT_BUSY ? FEAT_E_LOCKED : FEAT_E_INTERNAL;
        }
    }

    if (attempt_has_ip(at)) {
        rc = feat_rate_take(db, app, FAIL_IP, ip,
                            (int) feat_conf_int(FEAT_CONF_LOGIN_IP_HARD_LIMIT),
                            window, &at->ip_event);
        if (rc != FEAT_OK) {
            feat_attempt_cancel(db, at);
            return rc == FEAT_BUSY ? FEAT_E_LOCKED : FEAT_E_INTERNAL;
        }
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_attempt_failed(sqlite3 *db, struct feat_attempt *at, enum feat_error e)
{
    int             n;
    char            k[SUBJECT_KEY_MAX], hi[SUBJECT_KEY_MAX];
    sqlite3_int64   distinct;

    /* The reservations stay: they are the failures now. */
    at->key_event = 0;
    at->ip_event = 0;

    if (!attempt_has_ip(at) || at->subject == NULL) {
        return e;
    }

    n = snprintf(k, sizeof(k), "%s %s", at->ip, at->subject);
    if (n < 0 || (size_t) n >= sizeof(k)) {
        return e;       /* not an address and a subject of ours */
    }

    if (feat_db_exec(db,
            "INSERT INTO rate_events (app_id, bucket, key, at)"
            " VALUES (?, ?, ?, ?)",
            "sssi", at->app, FAIL_IP_SUBJECT, k, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return e;
    }

    /* Keys from "<address> " up to "<address>!": the address's subjects
     * only, one range of the (app_id, bucket, key, at) index. */
    snprintf(k, sizeof(k), "%s ", at->ip);
    snprintf(hi, sizeof(hi), "%s!", at->ip);

    if (feat_db_int(db, &distinct,
            "SELECT count(DISTINCT key) FROM rate_events"
            " WHERE app_id = ?1 AND bucket = ?2 AND key > ?3 AND key < ?4"
            " AND at > ?5",
            "ssssi", at->app, FAIL_IP_SUBJECT, k, hi,
            (sqlite3_int64) (feat_now()
                             - feat_conf_int(FEAT_CONF_LOGIN_WINDOW)))
        != FEAT_OK)
    {
        return e;
    }

    if (distinct > feat_conf_int(FEAT_CONF_LOGIN_IP_MAX_FAILURES)) {
        feat_log(LOG_INFO, 0, "address %s: %lld accounts failed, locked",
                 at->ip, (long long) distinct);
        return FEAT_E_LOCKED;
    }

    return e;
}


void
feat_attempt_succeeded(sqlite3 *db, struct feat_attempt *at)
{
    /*
     * Best-effort tidying after the secret proved right (t/60 names these
     * messages): a failure left behind only shortens what later attempts
     * get, within the window.
     */
    if (at->key != NULL
        && feat_rate_clear(db, at->app, at->bucket, at->key) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "login failures not cleared");
    }

    if (feat_rate_undo(db, at->ip_event) != FEAT_OK) {
        feat_log(LOG_WARNING, 0, "login attempt not taken back");
    }

    at->key_event = 0;
    at->ip_event = 0;
}


void
feat_attempt_cancel(sqlite3 *db, struct feat_attempt *at)
{
    /* Failing to take one back only shortens what a later attempt gets. */
    if (feat_rate_undo(db, at->key_event) != FEAT_OK
        || feat_rate_undo(db, at->ip_event) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "login attempt not taken back");
    }

    at->key_event = 0;
    at->ip_event = 0;
}
