/*
 * codes.c: verification codes sent by SMS or mail.
 *
 * A code is six random digits tied to (app, account, purpose).  The table
 * keeps only HMAC-SHA256(secret, "app|account|purpose|code"), so a copy of
 * the database gives no usable code.  Sending is limited per account (one
 * per code.resend_interval, code.hourly_limit an hour, code.daily_limit a
 * day, counted from the codes table itself), per phone number across
 * every app of the install (code.phone_daily_limit, the same table) and
 * per client address (code.ip_hourly_limit, in the shared rate table);
 * the checks and the
 * insert are one BEGIN IMMEDIATE transaction so two workers cannot both
 * pass the check, and delivery runs after commit so no write lock is held
 * over network I/O.  A delivered code supersedes older unused ones; wrong
 * tries are counted on the code and code.max_attempts of them burn it.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "accounts/delivery.h"

#define CODE_IP_BUCKET  "code_ip"
#define HOUR            3600
#define DAY             86400

/* app (short), account (<= 254), purpose, code (<= FEAT_CODE_MAX), '|'s */
#define HMAC_INPUT_MAX  512


/*
 * The stored form of a code: lower-case hex into out[65].  FEAT_ERROR when
 * the inputs are too long to be ours (nothing we issued can match then).
 */
static int
code_hmac(const char *app, const char *key, const char *purpose,
    const char *code, char out[65])
{
    int          n;
    char         buf[HMAC_INPUT_MAX];
    const char  *secret;

    n = snprintf(buf, sizeof(buf), "%s|%s|%s|%s", app, key, purpose, code);
    if (n < 0 || (size_t) n >= sizeof(buf)) {
        return FEAT_ERROR;
    }

    secret = feat_conf_str(FEAT_CONF_SECRET);
    feat_hmac_sha256_hex(secret, strlen(secret), buf, out);

    return FEAT_OK;
}


enum feat_error
feat_code_default_purpose(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char **purpose)
{
    sqlite3_int64    id;
    enum feat_error  e;

    e = feat_user_lookup_id(db, app, acct, &id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    *purpose = id != 0 ? FEAT_PURPOSE_LOGIN : FEAT_PURPOSE_REGISTER;
    return FEAT_E_NONE;
}


/*
 * The per-account limits, counted over every purpose: FEAT_E_NONE,
 * FEAT_E_TOO_FREQUENT or FEAT_E_INTERNAL.  Runs inside the send's
 * transaction.
 */
static enum feat_error
code_account_limits(sqlite3 *db, const char *app, const char *key,
    time_t now)
{
    int             rc;
    long long       interval, hourly, daily, hour_n, day_n;
    sqlite3_int64   last;
    sqlite3_stmt   *st;

    interval = feat_conf_int(FEAT_CONF_CODE_RESEND_INTERVAL);
    hourly = feat_conf_int(FEAT_CONF_CODE_HOURLY_LIMIT);
    daily = feat_conf_int(FEAT_CONF_CODE_DAILY_LIMIT);

    /* One range scan of codes_account (app_id, account, created_at). */
    st = feat_db_query(db,
            "SELECT COALESCE(MAX(created_at), 0),"
            " COALESCE(SUM(created_at > ?1), 0), COUNT(*)"
            " FROM codes"
            " WHERE app_id = ?2 AND account = ?3 AND created_at > ?4",
            "issi", (sqlite3_int64) (now - HOUR), app, key,
            (sqlite3_int64) (now - DAY));
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "codes: limit count failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    last = sqlite3_column_int64(st, 0);
    hour_n = sqlite3_column_int64(st, 1);
    day_n = sqlite3_column_int64(st, 2);
    feat_db_done(st);

    if ((last != 0 && now - last < interval)
        || hour_n >= hourly || day_n >= daily)
    {
        return FEAT_E_TOO_FREQUENT;
    }

    return FEAT_E_NONE;
}


/*
 * The install-wide cap of a phone number: the codes it got in the last day
 * from every app (issue 12, finding 4: N apps must not multiply what one
 * number can be sent).  The one query of the module that does not filter
 * by app_id, on purpose; sql/0100's index serves it.  FEAT_E_NONE,
 * FEAT_E_TOO_FREQUENT or FEAT_E_INTERNAL; runs inside the send's
 * transaction, so racing sends to one number in two apps are serialised.
 */
static enum feat_error
code_phone_limit(sqlite3 *db, const struct feat_account *acct, time_t now)
{
    sqlite3_int64  n;

    if (acct->phone[0] == '\0') {
        return FEAT_E_NONE;         /* mail costs nobody a message */
    }

    if (feat_db_int(db, &n,
            "SELECT count(*) FROM codes WHERE account = ?1"
            " AND created_at > ?2",
            "si", acct->key, (sqlite3_int64) (now - DAY))
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (n >= feat_conf_int(FEAT_CONF_CODE_PHONE_DAILY_LIMIT)) {
        feat_log(LOG_INFO, 0, "codes: %s had %lld codes in a day, refused",
                 acct->key, (long long) n);
        return FEAT_E_TOO_FREQUENT;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_code_send(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_account *acct, const char *purpose, const char *ip,
    char code_out[FEAT_CODE_LEN + 1])
{
    int              rc;
    char             code[FEAT_CODE_LEN + 1], hmac[65];
    time_t           now;
    sqlite3_int64    id;
    enum feat_error  e;

    now = feat_now();

    snprintf(code, sizeof(code), "%06u",
             (unsigned) feat_random_uniform(1000000));

    if (code_hmac(app, acct->key, purpose, code, hmac) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = code_account_limits(db, app, acct->key, now);
    if (e == FEAT_E_NONE) {
        e = code_phone_limit(db, acct, now);
    }
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    /*
     * The address is counted last, so a send refused for the account does
     * not use up the address's allowance.
     */
    if (ip != NULL && ip[0] != '\0') {
        rc = feat_rate_hit(db, app, CODE_IP_BUCKET, ip,
                           (int) feat_conf_int(FEAT_CONF_CODE_IP_HOURLY_LIMIT),
                           HOUR, NULL);
        if (rc == FEAT_BUSY) {
            e = FEAT_E_TOO_FREQUENT;
            goto failed;
        }

        if (rc != FEAT_OK) {
            e = FEAT_E_INTERNAL;
            goto failed;
        }
    }

    if (feat_db_exec(db,
            "INSERT INTO codes (app_id, account, purpose, code_hmac,"
            " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            "ssssii", app, acct->key, purpose, hmac, (sqlite3_int64) now,
            (sqlite3_int64) (now + feat_conf_int(FEAT_CONF_CODE_TTL)))
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    id = sqlite3_last_insert_rowid(db);

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    e = feat_deliver_code(a, app,
                          acct->email[0] ? NULL : acct->area,
                          acct->email[0] ? NULL : acct->phone,
                          acct->email[0] ? acct->email : NULL, code);
    if (e != FEAT_E_NONE) {
        /*
         * Nobody got this code: forget it, so that it neither counts
         * against the account's limits nor could ever be matched.
         */
        if (feat_db_exec(db, "DELETE FROM codes WHERE id = ?1 AND app_id = ?2",
                         "is", id, app) != FEAT_OK)
        {
            feat_log(LOG_ERR, 0, "code %lld: undelivered code not deleted",
                     (long long) id);
        }
        return e;
    }

    /*
     * Only now, with the new code delivered, are the older ones of this
     * purpose retired; until then the check already looks at the newest
     * only, and a failed delivery leaves the older code usable.  Retiring
     * them matters once the new code is consumed: the older ones must not
     * become "the newest" again.
     */
    if (feat_db_exec(db,
            "UPDATE codes SET consumed_at = ?1"
            " WHERE app_id = ?2 AND account = ?3 AND purpose = ?4"
            " AND consumed_at IS NULL AND id < ?5",
            "isssi", (sqlite3_int64) now, app, acct->key, purpose, id)
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "code %lld: older codes not retired",
                 (long long) id);
    }

    if (code_out != NULL) {
        memcpy(code_out, code, sizeof(code));
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


enum feat_error
feat_code_check_locked(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *purpose, const char *code,
    int consume)
{
    int              rc, match;
    char             hmac[65];
    const char      *stored;
    time_t           now;
    long long        attempts;
    sqlite3_int64    id;
    sqlite3_stmt    *st;

    now = feat_now();

    /*
     * The newest code of the purpose, used or not: a consumed or expired
     * newest one refuses, so an older code can never count again even
     * where send_code failed to retire it (a best-effort step).
     */
    st = feat_db_query(db,
            "SELECT id, code_hmac, attempts,"
            " consumed_at IS NULL AND expires_at > ?4 FROM codes"
            " WHERE app_id = ?1 AND account = ?2 AND purpose = ?3"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            "sssi", app, acct->key, purpose, (sqlite3_int64) now);
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        feat_db_done(st);
        return FEAT_E_BAD_CODE;
    }

    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "codes: lookup failed: %s", sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    id = sqlite3_column_int64(st, 0);
    stored = (const char *) sqlite3_column_text(st, 1);
    attempts = sqlite3_column_int64(st, 2);

    /* A used, expired or burnt code refuses even the right digits. */
    if (!sqlite3_column_int(st, 3)
        || attempts >= feat_conf_int(FEAT_CONF_CODE_MAX_ATTEMPTS))
    {
        feat_db_done(st);
        return FEAT_E_BAD_CODE;
    }

    match = 0;
    if (code != NULL && strlen(code) == FEAT_CODE_LEN
        && code_hmac(app, acct->key, purpose, code, hmac) == FEAT_OK)
    {
        match = stored != NULL && feat_ct_streq(hmac, stored);
    }

    feat_db_done(st);

    if (!match) {
        if (feat_db_exec(db,
                "UPDATE codes SET attempts = attempts + 1"
                " WHERE id = ?1 AND app_id = ?2", "is", id, app) != FEAT_OK)
        {
            return FEAT_E_INTERNAL;
        }
        return FEAT_E_BAD_CODE;
    }

    if (consume
        && feat_db_exec(db,
               "UPDATE codes SET consumed_at = ?1"
               " WHERE id = ?2 AND app_id = ?3",
               "iis", (sqlite3_int64) now, id, app) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_code_check(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *purpose, const char *code,
    int consume)
{
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_code_check_locked(db, app, acct, purpose, code, consume);

    /* A wrong try is committed too: it is what burns the code. */
    if (e == FEAT_E_NONE || e == FEAT_E_BAD_CODE) {
        if (feat_db_commit(db) != FEAT_OK) {
            feat_db_rollback(db);
            return FEAT_E_INTERNAL;
        }
        return e;
    }

    feat_db_rollback(db);
    return e;
}


enum feat_error
feat_code_ip_probe(sqlite3 *db, const char *app, const char *ip,
    enum feat_error e)
{
    int  rc, limit;

    if (ip == NULL || ip[0] == '\0') {
        return e;
    }

    limit = (int) feat_conf_int(FEAT_CONF_CODE_IP_HOURLY_LIMIT);

    switch (e) {
    case FEAT_E_REGISTERED:
    case FEAT_E_NOT_REGISTERED:
        rc = feat_rate_hit(db, app, CODE_IP_BUCKET, ip, limit, HOUR, NULL);
        break;
    case FEAT_E_BAD_CODE:
    case FEAT_E_PERMIT:
    case FEAT_E_BUSY:       /* only an unknown account reaches the hash */
        rc = feat_rate_check(db, app, CODE_IP_BUCKET, ip, limit, HOUR, NULL);
        break;
    default:
        return e;
    }

    if (rc == FEAT_BUSY) {
        return FEAT_E_TOO_FREQUENT;
    }

    return rc == FEAT_OK ? e : FEAT_E_INTERNAL;
}


void
feat_code_sweep(sqlite3 *db, time_t now)
{
    /* A day is the longest window the send limits count over. */
    if (feat_db_exec(db, "DELETE FROM codes WHERE created_at < ?1", "i",
                     (sqlite3_int64) (now - DAY)) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "codes: sweep failed");
    }
}
