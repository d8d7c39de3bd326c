/*
 * sessions.c: sessions, their tokens, rotation and revocation.
 *
 * A session is one login: an access token and a refresh token, 50 base62
 * characters each, of which the database keeps only the SHA-256.  Rotation
 * (the refresh endpoints) changes both tokens in place, so a sessions row
 * is also its refresh-token family, and files the old refresh hash under
 * session_rotated for reuse detection.
 *
 * The new pair is not random: it is derived from the old refresh token by
 * HMAC under the install's secret.  That is what lets a client that lost
 * the answer present the old token again within session.grace seconds and
 * get the very same pair, although no plaintext token is stored: the
 * server derives the pair again and checks that it is still the session's
 * current one.  Any other presentation of a rotated token (after the grace,
 * or once the pair rotated further) means two parties hold the family, and
 * the whole session is revoked.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define DAY  86400

static const char  base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";


/*
 * The token derived from old for one label ("rotate-access:" or
 * "rotate-refresh:"): base62 of HMAC(secret, label || old || counter),
 * expanded block by block with a counter.  Bytes of 248 and above are
 * skipped, since 248 = 4 * 62 and keeping them would favour the first
 * eight characters.
 */
static void
derive_token(const char *label, const char *old,
    char out[FEAT_TOKEN_LEN + 1])
{
    size_t          n, llen, olen, i;
    uint32_t        counter;
    const char     *secret;
    unsigned char   msg[64 + FEAT_TOKEN_MAX + 4], mac[32];

    secret = feat_conf_str(FEAT_CONF_SECRET);
    llen = strlen(label);
    olen = strlen(old);

    /* label is ours (short) and old was checked against FEAT_TOKEN_MAX */
    if (llen > 64) {
        llen = 64;
    }
    if (olen > FEAT_TOKEN_MAX) {
        olen = FEAT_TOKEN_MAX;
    }

    memcpy(msg, label, llen);
    memcpy(msg + llen, old, olen);

    n = 0;
    for (counter = 0; n < FEAT_TOKEN_LEN; counter++) {
        msg[llen + olen] = (unsigned char) (counter >> 24);
        msg[llen + olen + 1] = (unsigned char) (counter >> 16);
        msg[llen + olen + 2] = (unsigned char) (counter >> 8);
        msg[llen + olen + 3] = (unsigned char) counter;

        feat_hmac_sha256(secret, strlen(secret), msg, llen + olen + 4, mac);

        for (i = 0; i < sizeof(mac) && n < FEAT_TOKEN_LEN; i++) {
            if (mac[i] < 248) {
                out[n++] = base62[mac[i] % 62];
            }
        }
    }

    out[n] = '\0';
}


static void
session_ttls(long long *access, long long *refresh)
{
    *access = feat_conf_int(FEAT_CONF_SESSION_ACCESS_TTL);
    *refresh = feat_conf_int(FEAT_CONF_SESSION_REFRESH_TTL);
}


enum feat_error
feat_session_create(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 client_id, const char *device_id, const char *scope,
    struct feat_tokens *t)
{
    int        rc;
    char       ahash[65], rhash[65];
    time_t     now;
    long long  attl, rttl;

    now = feat_now();
    session_ttls(&attl, &rttl);

    feat_random_base62(t->access, FEAT_TOKEN_LEN);
    feat_random_base62(t->refresh, FEAT_TOKEN_LEN);
    feat_sha256_hex(t->access, ahash);
    feat_sha256_hex(t->refresh, rhash);

    t->user_id = user_id;
    t->access_ttl = attl;
    t->access_expires = now + attl;
    t->refresh_expires = now + rttl;

    /* NULLIF: 0 stands for "no user" / "no client" in our interface. */
    rc = feat_db_exec(db,
            "INSERT INTO sessions (app_id, user_id, client_id, device_id,"
            " scope, access_hash, refresh_hash, access_expires,"
            " refresh_expires, created_at, rotated_at)"
            " VALUES (?1, NULLIF(?2, 0), NULLIF(?3, 0), ?4, ?5, ?6, ?7, ?8,"
            " ?9, ?10, ?10)",
            "siissssiii",
            app, user_id, client_id, device_id != NULL ? device_id : "",
            scope != NULL ? scope : "", ahash, rhash,
            (sqlite3_int64) t->access_expires,
            (sqlite3_int64) t->refresh_expires, (sqlite3_int64) now);
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    t->session_id = sqlite3_last_insert_rowid(db);
    return FEAT_E_NONE;
}


/* Fills *t from a pair and the session it now belongs to. */
static void
tokens_fill(struct feat_tokens *t, sqlite3_int64 session_id,
    sqlite3_int64 user_id, const char *access, const char *refresh,
    time_t access_expires, time_t refresh_expires)
{
    t->session_id = session_id;
    t->user_id = user_id;
    memcpy(t->access, access, FEAT_TOKEN_LEN + 1);
    memcpy(t->refresh, refresh, FEAT_TOKEN_LEN + 1);
    t->access_expires = access_expires;
    t->refresh_expires = refresh_expires;
    t->access_ttl = feat_conf_int(FEAT_CONF_SESSION_ACCESS_TTL);
}


/*
 * The refresh token was rotated away earlier (rhash is in
 * session_rotated): answer the same derived pair inside the grace window
 * while it is still current, revoke the session otherwise.  Runs inside
 * the rotation's transaction.  Answers FEAT_DECLINED when rhash is not a
 * rotated token of app either, else FEAT_OK with the outcome in *e.
 */
static int
rotate_again(sqlite3 *db, const char *app, sqlite3_int64 client_id,
    const char *refresh, const char *rhash, time_t now,
    struct feat_tokens *t, enum feat_error *e)
{
    int             rc, live;
    char            access2[FEAT_TOKEN_LEN + 1], refresh2[FEAT_TOKEN_LEN + 1];
    char            hash2[65];
    const char     *current;
    time_t          rotated_at, access_expires, refresh_expires;
    sqlite3_int64   sid, user_id;
    sqlite3_stmt   *st;

    st = feat_db_query(db,
            "SELECT r.session_id, r.rotated_at, s.refresh_hash,"
            " s.revoked_at IS NULL AND (s.user_id IS NULL OR u.is_active = 1),"
            " s.access_expires, s.refresh_expires, COALESCE(s.user_id, 0)"
            " FROM session_rotated r JOIN sessions s ON s.id = r.session_id"
            " LEFT JOIN users u ON u.id = s.user_id AND u.app_id = s.app_id"
            " WHERE r.refresh_hash = ?1 AND s.app_id = ?2"
            " AND COALESCE(s.client_id, 0) = ?3",
            "ssi", rhash, app, client_id);
    if (st == NULL) {
        *e = FEAT_E_INTERNAL;
        return FEAT_OK;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        feat_db_done(st);
        return FEAT_DECLINED;
    }

    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "sessions: rotated lookup failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        *e = FEAT_E_INTERNAL;
        return FEAT_OK;
    }

    sid = sqlite3_column_int64(st, 0);
    rotated_at = (time_t) sqlite3_column_int64(st, 1);
    current = (const char *) sqlite3_column_text(st, 2);
    live = sqlite3_column_int(st, 3);
    access_expires = (time_t) sqlite3_column_int64(st, 4);
    refresh_expires = (time_t) sqlite3_column_int64(st, 5);
    user_id = sqlite3_column_int64(st, 6);

    derive_token("rotate-refresh:", refresh, refresh2);
    feat_sha256_hex(refresh2, hash2);

    rc = live && current != NULL
         && now - rotated_at <= feat_conf_int(FEAT_CONF_SESSION_GRACE)
         && feat_ct_streq(hash2, current);

    feat_db_done(st);

    if (rc) {
        /* A retry after a lost answer: the same pair again. */
        derive_token("rotate-access:", refresh, access2);
        tokens_fill(t, sid, user_id, access2, refresh2, access_expires,
                    refresh_expires);
        *e = FEAT_E_NONE;
        return FEAT_OK;
    }

    /* Two parties hold this family: end it for both. */
    if (feat_db_exec(db,
            "UPDATE sessions SET revoked_at = ?1"
            " WHERE id = ?2 AND app_id = ?3 AND revoked_at IS NULL",
            "iis", (sqlite3_int64) now, sid, app) != FEAT_OK)
    {
        *e = FEAT_E_INTERNAL;
        return FEAT_OK;
    }

    if (sqlite3_changes(db) > 0) {
        feat_log(LOG_NOTICE, 0,
                 "session %lld: rotated refresh token reused, revoked",
                 (long long) sid);

        if (feat_audit(db, app, user_id, "refresh_reuse", "ii", "session",
                       sid, "client", client_id) != FEAT_OK)
        {
            *e = FEAT_E_INTERNAL;
            return FEAT_OK;
        }
    }

    *e = FEAT_E_BAD_TOKEN;
    return FEAT_OK;
}


enum feat_error
feat_session_rotate(sqlite3 *db, const char *app, sqlite3_int64 client_id,
    const char *refresh, struct feat_tokens *t)
{
    int              rc, live;
    char             rhash[65], ahash2[65], rhash2[65];
    char             access2[FEAT_TOKEN_LEN + 1], refresh2[FEAT_TOKEN_LEN + 1];
    size_t           n;
    time_t           now, refresh_expires;
    long long        attl, rttl;
    sqlite3_int64    sid, user_id;
    sqlite3_stmt    *st;
    enum feat_error  e;

    n = refresh != NULL ? strlen(refresh) : 0;
    if (n == 0 || n > FEAT_TOKEN_MAX) {
        return FEAT_E_BAD_TOKEN;
    }

    feat_sha256_hex(refresh, rhash);
    now = feat_now();

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    st = feat_db_query(db,
            "SELECT s.id, COALESCE(s.user_id, 0), s.refresh_expires,"
            " s.revoked_at IS NULL AND (s.user_id IS NULL OR u.is_active = 1)"
            " FROM sessions s"
            " LEFT JOIN users u ON u.id = s.user_id AND u.app_id = s.app_id"
            " WHERE s.refresh_hash = ?1 AND s.app_id = ?2"
            " AND COALESCE(s.client_id, 0) = ?3",
            "ssi", rhash, app, client_id);
    if (st == NULL) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        feat_db_done(st);

        if (rotate_again(db, app, client_id, refresh, rhash, now, t, &e)
            == FEAT_DECLINED)
        {
            e = FEAT_E_BAD_TOKEN;
            goto failed;
        }

        if (e == FEAT_E_INTERNAL) {
            goto failed;
        }

        /* the grace answer, or the revocation of a reused family */
        if (feat_db_commit(db) != FEAT_OK) {
            e = FEAT_E_INTERNAL;
            goto failed;
        }
        return e;
    }

    if (rc != SQLITE_ROW) {
        feat_log(LOG_ERR, 0, "sessions: refresh lookup failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    sid = sqlite3_column_int64(st, 0);
    user_id = sqlite3_column_int64(st, 1);
    refresh_expires = (time_t) sqlite3_column_int64(st, 2);
    live = sqlite3_column_int(st, 3);
    feat_db_done(st);

    if (!live || refresh_expires <= now) {
        e = FEAT_E_BAD_TOKEN;
        goto failed;
    }

    derive_token("rotate-access:", refresh, access2);
    derive_token("rotate-refresh:", refresh, refresh2);
    feat_sha256_hex(access2, ahash2);
    feat_sha256_hex(refresh2, rhash2);
    session_ttls(&attl, &rttl);

    if (feat_db_exec(db,
            "INSERT INTO session_rotated (refresh_hash, session_id,"
            " rotated_at) VALUES (?1, ?2, ?3)",
            "sii", rhash, sid, (sqlite3_int64) now) != FEAT_OK
        || feat_db_exec(db,
            "UPDATE sessions SET access_hash = ?1, refresh_hash = ?2,"
            " access_expires = ?3, refresh_expires = ?4, rotated_at = ?5"
            " WHERE id = ?6 AND app_id = ?7",
            "ssiiiis", ahash2, rhash2, (sqlite3_int64) (now + attl),
            (sqlite3_int64) (now + rttl), (sqlite3_int64) now, sid, app)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    tokens_fill(t, sid, user_id, access2, refresh2, now + attl, now + rttl);
    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


enum feat_error
feat_session_revoke(sqlite3 *db, const char *app, sqlite3_int64 session_id)
{
    int              own;
    sqlite3_int64    user_id;
    enum feat_error  e;

    /* the revocation and its audit record are one transaction */
    own = sqlite3_get_autocommit(db);
    if (own && feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = FEAT_E_NONE;

    if (feat_db_exec(db,
            "UPDATE sessions SET revoked_at = ?1"
            " WHERE id = ?2 AND app_id = ?3 AND revoked_at IS NULL",
            "iis", (sqlite3_int64) feat_now(), session_id, app) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    if (sqlite3_changes(db) > 0
        && (feat_db_int(db, &user_id,
                "SELECT COALESCE(user_id, 0) FROM sessions"
                " WHERE id = ?1 AND app_id = ?2", "is", session_id, app)
               != FEAT_OK
            || feat_audit(db, app, user_id, "session_revoked", "i",
                          "session", session_id) != FEAT_OK))
    {
        e = FEAT_E_INTERNAL;
    }

done:

    return own ? feat_db_end(db, e) : e;
}


enum feat_error
feat_session_revoke_user(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    sqlite3_int64 keep)
{
    if (feat_db_exec(db,
            "UPDATE sessions SET revoked_at = ?1"
            " WHERE app_id = ?2 AND user_id = ?3 AND id <> ?4"
            " AND revoked_at IS NULL",
            "isii", (sqlite3_int64) feat_now(), app, user_id, keep)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_session_count_live(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    long long *n)
{
    sqlite3_int64  c;

    if (feat_db_int(db, &c,
            "SELECT count(*) FROM sessions WHERE app_id = ? AND user_id = ?"
            " AND revoked_at IS NULL AND refresh_expires > ?",
            "sii", app, user_id, (sqlite3_int64) feat_now())
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *n = c;

    return FEAT_E_NONE;
}


/*
 * The hot path: one read through the access_hash unique index, the user
 * joined to check it is active; with u, the user's row comes along.
 */
#define SESSION_LOOKUP(user_columns)                                         \
    "SELECT s.id, COALESCE(s.user_id, 0), COALESCE(s.client_id, 0),"        \
    " s.scope, s.user_id IS NULL OR u.is_active = 1" user_columns           \
    " FROM sessions s"                                                      \
    " LEFT JOIN users u ON u.id = s.user_id AND u.app_id = s.app_id"        \
    " WHERE s.access_hash = ?1 AND s.app_id = ?2"                           \
    " AND s.revoked_at IS NULL AND s.access_expires > ?3"

static enum feat_error
session_lookup(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *access, struct feat_session *s, struct feat_user *u)
{
    int              rc;
    char             hash[65];
    sqlite3_stmt    *st;
    enum feat_error  e;

    feat_sha256_hex(access, hash);

    if (u == NULL) {
        st = feat_db_query(db, SESSION_LOOKUP(""),
                           "ssi", hash, app, (sqlite3_int64) feat_now());
    } else {
        st = feat_db_query(db, SESSION_LOOKUP(", " FEAT_USER_COLUMNS_U),
                           "ssi", hash, app, (sqlite3_int64) feat_now());
    }
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_int(st, 4)) {
            s->id = sqlite3_column_int64(st, 0);
            s->user_id = sqlite3_column_int64(st, 1);
            s->client_id = sqlite3_column_int64(st, 2);
            s->scope = feat_db_col_text(a, st, 3);
            if (u != NULL) {
                if (s->user_id != 0) {
                    feat_user_fill(a, st, 5, u);
                } else {
                    memset(u, 0, sizeof(*u));
                }
            }
            e = FEAT_E_NONE;

        } else {
            /* a disabled (or vanished) user */
            e = FEAT_E_BAD_TOKEN;
        }

    } else if (rc == SQLITE_DONE) {
        e = FEAT_E_BAD_TOKEN;

    } else {
        feat_log(LOG_ERR, 0, "sessions: token lookup failed: %s",
                 sqlite3_errmsg(db));
        e = FEAT_E_INTERNAL;
    }

    feat_db_done(st);
    return e;
}


enum feat_error
feat_session_lookup(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *access, struct feat_session *s)
{
    return session_lookup(db, a, app, access, s, NULL);
}


enum feat_error
feat_session_lookup_user(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *access, struct feat_session *s, struct feat_user *u)
{
    return session_lookup(db, a, app, access, s, u);
}


void
feat_session_sweep(sqlite3 *db, time_t now)
{
    sqlite3_int64  oldest;

    /* Rotated rows go with their session (ON DELETE CASCADE). */
    if (feat_db_exec(db,
            "DELETE FROM sessions WHERE refresh_expires < ?1", "i",
            (sqlite3_int64) (now - DAY)) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "sessions: sweep failed");
    }

    /*
     * A rotated token is kept for reuse detection as long as it could
     * still have been valid (it was issued refresh_ttl before its own
     * expiry, so no later than its rotation); past that it is merely
     * expired, and forgetting it loses nothing.  Deleting it right after
     * the grace window would turn every later reuse into a plain "unknown
     * token" and leave the thief's family alive.
     */
    oldest = now - feat_conf_int(FEAT_CONF_SESSION_REFRESH_TTL);

    if (feat_db_exec(db,
            "DELETE FROM session_rotated WHERE rotated_at < ?1", "i",
            oldest) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "sessions: rotated sweep failed");
    }
}
