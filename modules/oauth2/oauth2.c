/*
 * oauth2.c: the OAuth2 provider's domain: clients, client authentication,
 * the password, refresh_token and client_credentials grants, revocation
 * (RFC 7009) and introspection (RFC 7662).
 *
 * Tokens are accounts sessions: a grant creates or rotates one through
 * accounts.h and stamps it with the client's row id, so the lockout, the
 * rotation's grace and reuse rules and the session lookup are the same as
 * in every dialect.  Client secrets are 48 random base62 characters kept
 * as SHA-256 hex: a slow hash buys nothing against guessing 285 bits, and
 * the compare is constant-time; an unknown client is compared with a
 * dummy, and wrong secrets are limited per client and per address as
 * wrong passwords are.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "oauth2/oauth2.h"

/* Wrong secrets per client id (the login_fail* buckets: lockout.c). */
#define CLIENT_FAIL  "login_fail_client"



enum feat_error
feat_oauth2_error(enum feat_oauth2_error e)
{
    /* the oauth2 dialect (fcgi/protocol/dialect.c) answers each with its
     * RFC 6749 code */
    switch (e) {
    case FEAT_OAUTH2_OK:                     return FEAT_E_NONE;
    case FEAT_OAUTH2_INVALID_REQUEST:        return FEAT_E_BAD_FIELD;
    case FEAT_OAUTH2_INVALID_CLIENT:         return FEAT_E_CLIENT;
    case FEAT_OAUTH2_INVALID_GRANT:          return FEAT_E_GRANT;
    case FEAT_OAUTH2_UNAUTHORIZED_CLIENT:    return FEAT_E_CLIENT_GRANT;
    case FEAT_OAUTH2_UNSUPPORTED_GRANT_TYPE: return FEAT_E_GRANT_TYPE;
    case FEAT_OAUTH2_INVALID_SCOPE:          return FEAT_E_SCOPE;
    default:                                 return FEAT_E_INTERNAL;
    }
}


/* ---- lists of names ------------------------------------------------------ */

/* RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static int
scope_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}


int
feat_oauth2_scope_valid(const char *s, int allow_empty)
{
    size_t       i, n, count;
    const char  *p, *w;

    if (strlen(s) > FEAT_OAUTH2_SCOPE_MAX) {
        return 0;
    }

    count = 0;
    p = s;

    while ((w = feat_list_next(&p, &n)) != NULL) {
        for (i = 0; i < n; i++) {
            if (!scope_char((unsigned char) w[i])) {
                return 0;
            }
        }

        if (n > FEAT_OAUTH2_SCOPE_TOKEN_MAX
            || ++count > FEAT_OAUTH2_SCOPE_COUNT)
        {
            return 0;
        }
    }

    return count > 0 || allow_empty;
}


int
feat_oauth2_grants_valid(const char *s)
{
    size_t       n, count;
    char         word[32];
    const char  *p, *w;

    count = 0;
    p = s;

    while ((w = feat_list_next(&p, &n)) != NULL) {
        if (n >= sizeof(word)) {
            return 0;
        }

        memcpy(word, w, n);
        word[n] = '\0';

        if (!feat_list_has(FEAT_OAUTH2_GRANTS, word)) {
            return 0;
        }

        count++;
    }

    return count > 0;
}


const char *
feat_oauth2_list_normalize(struct feat_arena *a, const char *s)
{
    char        *out, *q;
    size_t       n;
    const char  *p, *w;

    out = feat_arena_alloc(a, strlen(s) + 1);
    q = out;
    *q = '\0';
    p = s;

    while ((w = feat_list_next(&p, &n)) != NULL) {
        /* out so far is a list: look the word up in it */
        if (feat_list_has(out, feat_arena_strndup(a, w, n))) {
            continue;
        }

        if (q != out) {
            *q++ = ' ';
        }
        memcpy(q, w, n);
        q += n;
        *q = '\0';
    }

    return out;
}


/* ---- clients ------------------------------------------------------------- */

enum feat_error
feat_oauth2_client_add(sqlite3 *db, const char *app, const char *name,
    const char *grants, const char *scopes,
    char client_id[FEAT_OAUTH2_CLIENT_ID_LEN + 1],
    char secret[FEAT_OAUTH2_SECRET_LEN + 1])
{
    int                 rc;
    char                hash[65];
    time_t              now;
    sqlite3_int64       n;
    struct feat_arena  *a;
    enum feat_error     e;

    if (!feat_oauth2_grants_valid(grants)
        || !feat_oauth2_scope_valid(scopes, 0))
    {
        return FEAT_E_BAD_FIELD;
    }

    rc = feat_db_int(db, &n, "SELECT count(*) FROM apps WHERE id = ?1", "s",
                     app);
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }
    if (n == 0) {
        return FEAT_E_UNKNOWN_APP;
    }

    feat_random_base62(client_id, FEAT_OAUTH2_CLIENT_ID_LEN);
    feat_random_base62(secret, FEAT_OAUTH2_SECRET_LEN);
    feat_sha256_hex(secret, hash);
    now = feat_now();

    a = feat_arena_create();

    rc = feat_db_exec(db,
            "INSERT INTO oauth2_client (app_id, client_id, secret_hash, name,"
            " grants, scopes, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            "ssssssi", app, client_id, hash, name != NULL ? name : "",
            feat_oauth2_list_normalize(a, grants),
            feat_oauth2_list_normalize(a, scopes), (sqlite3_int64) now);

    e = (rc == FEAT_OK) ? FEAT_E_NONE : FEAT_E_INTERNAL;

    feat_arena_destroy(a);
    return e;
}


enum feat_error
feat_oauth2_client_rotate(sqlite3 *db, const char *app,
    const char *client_id, char secret[FEAT_OAUTH2_SECRET_LEN + 1])
{
    char  hash[65];

    feat_random_base62(secret, FEAT_OAUTH2_SECRET_LEN);
    feat_sha256_hex(secret, hash);

    if (feat_db_exec(db,
            "UPDATE oauth2_client SET secret_hash = ?1, updated_at = ?2"
            " WHERE app_id = ?3 AND client_id = ?4",
            "siss", hash, (sqlite3_int64) feat_now(), app, client_id)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


enum feat_error
feat_oauth2_client_remove(sqlite3 *db, const char *app,
    const char *client_id)
{
    int              rc;
    sqlite3_int64    id;
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    rc = feat_db_int(db, &id,
            "SELECT id FROM oauth2_client WHERE app_id = ?1"
            " AND client_id = ?2", "ss", app, client_id);
    if (rc != FEAT_OK) {
        e = (rc == FEAT_DECLINED) ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
        goto failed;
    }

    /* its tokens die with it: no session may name a missing client */
    if (feat_db_exec(db,
            "UPDATE sessions SET revoked_at = ?1"
            " WHERE app_id = ?2 AND client_id = ?3 AND revoked_at IS NULL",
            "isi", (sqlite3_int64) feat_now(), app, id) != FEAT_OK
        || feat_db_exec(db,
            "DELETE FROM oauth2_client WHERE id = ?1 AND app_id = ?2",
            "is", id, app) != FEAT_OK
        || feat_db_commit(db) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


/* A client with its secret hash: what client_load reads, by one column
 * map in SELECT order. */
struct client_row {
    struct feat_oauth2_client  c;
    const char                *hash;
};

#define CLIENT_COLS(X, _)                                                    \
    X(struct client_row, INT64, c.id, "id") _                                \
    X(struct client_row, TEXT, c.app_id, "app_id") _                         \
    X(struct client_row, TEXT, c.client_id, "client_id") _                   \
    X(struct client_row, TEXT, c.name, "name") _                             \
    X(struct client_row, TEXT, c.grants, "grants") _                         \
    X(struct client_row, TEXT, c.scopes, "scopes") _                         \
    X(struct client_row, TIME, c.created_at, "created_at") _                 \
    X(struct client_row, TIME, c.updated_at, "updated_at") _                 \
    X(struct client_row, TEXT, hash, "secret_hash")

static const struct feat_db_col  client_cols[] = {
    CLIENT_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(client_row, client_cols)


/* Loads one client row by (app, client_id); *hash gets its secret hash
 * when hash is not NULL.  FEAT_E_NONE, FEAT_E_NOT_FOUND, FEAT_E_INTERNAL. */
static enum feat_error
client_load(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *client_id, struct feat_oauth2_client *c, const char **hash)
{
    sqlite3_stmt       *st;
    enum feat_error     e;
    struct client_row   row;

    st = feat_db_query(db,
            "SELECT " CLIENT_COLS(FEAT_COL_SQL, ", ") " FROM oauth2_client"
            " WHERE app_id = ?1 AND client_id = ?2", "ss", app, client_id);

    e = feat_db_row(db, a, st, client_row, &row,
                    "oauth2: client lookup failed");
    if (e != FEAT_E_NONE) {
        return e;
    }

    *c = row.c;
    if (hash != NULL) {
        *hash = row.hash;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_oauth2_client_get(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *client_id, struct feat_oauth2_client *c)
{
    return client_load(db, a, app, client_id, c, NULL);
}


enum feat_oauth2_error
feat_oauth2_authenticate(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *client_id, const char *secret, const char *ip,
    struct feat_oauth2_client *c, const char **desc)
{
    int                  match;
    char                 hash[65];
    const char          *stored, *subject;
    enum feat_error      e, le;
    struct feat_attempt  at;

    /* Stands for the secret of a client that does not exist: no secret
     * hashes to it, and comparing with it is the same work. */
    static const char  dummy[] =
        "0000000000000000000000000000000000000000000000000000000000000000";

    *desc = "client authentication failed";

    if (client_id == NULL || secret == NULL
        || strlen(client_id) > FEAT_OAUTH2_CREDENTIAL_MAX
        || strlen(secret) > FEAT_OAUTH2_CREDENTIAL_MAX)
    {
        return FEAT_OAUTH2_INVALID_CLIENT;
    }

    /*
     * Wrong secrets are limited like wrong passwords (issue 12, finding
     * 9): per client id, known or not, so the answers cannot tell them
     * apart, and per address, in the logins' buckets.
     */
    subject = feat_arena_sprintf(a, "client:%s", client_id);
    le = feat_attempt_begin(db, app, CLIENT_FAIL, client_id, subject, ip,
                            &at);
    if (le == FEAT_E_LOCKED) {
        feat_log(LOG_INFO, 0, "oauth2: client authentication locked");
        *desc = FEAT_OAUTH2_LOCKED_DESC;
        return FEAT_OAUTH2_INVALID_CLIENT;
    }
    if (le != FEAT_E_NONE) {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    e = client_load(db, a, app, client_id, c, &stored);
    if (e == FEAT_E_INTERNAL) {
        feat_attempt_cancel(db, &at);
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    /* An unknown client costs what a wrong secret costs: the same hash
     * and the same compare, against the dummy. */
    if (e != FEAT_E_NONE || strlen(stored) != 64) {
        stored = dummy;
    }

    feat_sha256_hex(secret, hash);
    match = feat_ct_equal(hash, stored, 64);
    feat_log(LOG_DEBUG, 0, "oauth2: a client secret checked");

    if (e != FEAT_E_NONE || !match) {
        feat_log(LOG_INFO, 0, "oauth2: client authentication failed");
        if (feat_attempt_failed(db, &at, FEAT_E_CLIENT) == FEAT_E_LOCKED) {
            *desc = FEAT_OAUTH2_LOCKED_DESC;
        }
        return FEAT_OAUTH2_INVALID_CLIENT;
    }

    feat_attempt_succeeded(db, &at);
    return FEAT_OAUTH2_OK;
}


/* ---- grants -------------------------------------------------------------- */

/* 1 if every scope of want is in allowed (want valid). */
static int
scope_subset(struct feat_arena *a, const char *want, const char *allowed)
{
    size_t       n;
    const char  *p, *w;

    p = want;

    while ((w = feat_list_next(&p, &n)) != NULL) {
        if (!feat_list_has(allowed, feat_arena_strndup(a, w, n))) {
            return 0;
        }
    }

    return 1;
}


enum feat_oauth2_error
feat_oauth2_scope_for(struct feat_arena *a,
    const struct feat_oauth2_client *c, const char *requested,
    const char **scope)
{
    if (requested == NULL || requested[0] == '\0') {
        *scope = feat_oauth2_list_normalize(a, c->scopes);
        return FEAT_OAUTH2_OK;
    }

    if (!feat_oauth2_scope_valid(requested, 0)
        || !scope_subset(a, requested, c->scopes))
    {
        return FEAT_OAUTH2_INVALID_SCOPE;
    }

    *scope = feat_oauth2_list_normalize(a, requested);
    return FEAT_OAUTH2_OK;
}


/*
 * Revokes the live session of (c, user_id, device_id) and creates its
 * successor for c and device_id, in one transaction.  Creating the
 * session first and stamping it afterwards left a row behind (revoked,
 * or live and unbound if the revoke failed too) whenever the stamping
 * failed.
 */
static enum feat_error
session_open(sqlite3 *db, const char *app, const struct feat_oauth2_client *c,
    sqlite3_int64 user_id, const char *device_id, const char *scope,
    struct feat_tokens *t)
{
    if (device_id == NULL) {
        device_id = "";
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (feat_db_exec(db,
            "UPDATE sessions SET revoked_at = ?1"
            " WHERE app_id = ?2 AND client_id = ?3 AND user_id = ?4"
            " AND device_id = ?5 AND revoked_at IS NULL",
            "isiis", (sqlite3_int64) feat_now(), app, c->id, user_id,
            device_id) != FEAT_OK
        || feat_session_create(db, app, user_id, c->id, device_id, scope, t)
           != FEAT_E_NONE
        || feat_audit(db, app, user_id, "login", "si", "method", "password",
                      "client", c->id) != FEAT_OK
        || feat_db_commit(db) != FEAT_OK)
    {
        feat_db_rollback(db);
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_oauth2_error
feat_oauth2_grant_password(sqlite3 *db, struct feat_arena *a,
    const char *app, const struct feat_oauth2_client *c,
    const char *username, const char *password, const char *device_id,
    const char *ip, const char *scope, struct feat_tokens *t,
    const char **desc)
{
    sqlite3_int64        uid;
    enum feat_error      e;
    struct feat_account  acct;

    *desc = "invalid credentials given";

    e = feat_account_resolve(db, a, app, username, &acct);
    if (e == FEAT_E_BAD_ACCOUNT) {
        return FEAT_OAUTH2_INVALID_GRANT;
    }
    if (e != FEAT_E_NONE) {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    e = feat_account_check_password(db, app, &acct, password, ip, &uid);

    switch (e) {
    case FEAT_E_NONE:
        break;
    case FEAT_E_LOCKED:
        *desc = "too many attempts";
        return FEAT_OAUTH2_INVALID_GRANT;
    case FEAT_E_BUSY:
        *desc = FEAT_OAUTH2_BUSY_DESC;
        return FEAT_OAUTH2_INVALID_GRANT;
    case FEAT_E_DISABLED:
        *desc = "account disabled";
        return FEAT_OAUTH2_INVALID_GRANT;
    case FEAT_E_NOT_REGISTERED:
    case FEAT_E_WRONG_PASSWORD:
        return FEAT_OAUTH2_INVALID_GRANT;
    default:
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    if (session_open(db, app, c, uid, device_id, scope, t) != FEAT_E_NONE) {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    return FEAT_OAUTH2_OK;
}


enum feat_oauth2_error
feat_oauth2_grant_refresh(sqlite3 *db, struct feat_arena *a,
    const char *app, const struct feat_oauth2_client *c, const char *refresh,
    const char *requested, struct feat_tokens *t, const char **scope)
{
    int               rc;
    char              hash[65];
    const char       *current;
    sqlite3_int64     sid, owner;
    sqlite3_stmt     *st;
    enum feat_error   e;

    if (strlen(refresh) > FEAT_TOKEN_MAX) {
        return FEAT_OAUTH2_INVALID_GRANT;
    }

    feat_sha256_hex(refresh, hash);

    /* the session of a current or an already rotated refresh token */
    st = feat_db_query(db,
            "SELECT s.id, COALESCE(s.client_id, 0), s.scope FROM sessions s"
            " WHERE s.app_id = ?1 AND (s.refresh_hash = ?2 OR s.id ="
            " (SELECT session_id FROM session_rotated"
            " WHERE refresh_hash = ?2))",
            "ss", app, hash);
    if (st == NULL) {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        feat_db_done(st);
        return rc == SQLITE_DONE ? FEAT_OAUTH2_INVALID_GRANT
                                 : FEAT_OAUTH2_SERVER_ERROR;
    }

    sid = sqlite3_column_int64(st, 0);
    owner = sqlite3_column_int64(st, 1);
    current = feat_db_col_text(a, st, 2);
    feat_db_done(st);

    /* another client's token is not this client's to rotate (or burn) */
    if (owner != c->id) {
        return FEAT_OAUTH2_INVALID_GRANT;
    }

    if (requested != NULL && requested[0] != '\0') {
        if (!feat_oauth2_scope_valid(requested, 0)
            || !scope_subset(a, requested, current))
        {
            return FEAT_OAUTH2_INVALID_SCOPE;
        }
        requested = feat_oauth2_list_normalize(a, requested);

    } else {
        requested = NULL;
    }

    e = feat_session_rotate(db, app, c->id, refresh, t);
    if (e == FEAT_E_BAD_TOKEN) {
        return FEAT_OAUTH2_INVALID_GRANT;
    }
    if (e != FEAT_E_NONE) {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    if (t->session_id != sid) {
        feat_log(LOG_ALERT, 0, "oauth2: rotation answered session %lld "
                 "for %lld", (long long) t->session_id, (long long) sid);
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    if (requested != NULL) {
        if (feat_db_exec(db,
                "UPDATE sessions SET scope = ?1 WHERE id = ?2 AND app_id = ?3",
                "sis", requested, sid, app) != FEAT_OK)
        {
            return FEAT_OAUTH2_SERVER_ERROR;
        }
        *scope = requested;

    } else {
        *scope = current;
    }

    return FEAT_OAUTH2_OK;
}


enum feat_oauth2_error
feat_oauth2_grant_client(sqlite3 *db, const char *app,
    const struct feat_oauth2_client *c, const char *scope,
    struct feat_tokens *t)
{
    if (feat_session_create(db, app, 0, c->id, NULL, scope, t)
        != FEAT_E_NONE)
    {
        return FEAT_OAUTH2_SERVER_ERROR;
    }

    return FEAT_OAUTH2_OK;
}


/* ---- revocation and introspection ---------------------------------------- */

enum feat_error
feat_oauth2_revoke(sqlite3 *db, const char *app,
    const struct feat_oauth2_client *c, const char *token)
{
    int              rc;
    char             hash[65];
    sqlite3_int64    sid;
    enum feat_error  e;

    if (strlen(token) > FEAT_TOKEN_MAX) {
        return FEAT_E_NONE;
    }

    feat_sha256_hex(token, hash);

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /* RFC 7009 §2: revoking either token ends the whole grant */
    rc = feat_db_int(db, &sid,
            "SELECT id FROM sessions"
            " WHERE app_id = ?1 AND client_id = ?2 AND revoked_at IS NULL"
            " AND (access_hash = ?3 OR refresh_hash = ?3)",
            "sis", app, c->id, hash);
    if (rc == FEAT_DECLINED) {
        return feat_db_end(db, FEAT_E_NONE);
    }

    /* the revocation and its audit record commit together */
    e = (rc == FEAT_OK) ? feat_session_revoke(db, app, sid)
                        : FEAT_E_INTERNAL;
    if (e == FEAT_E_NONE) {
        feat_log(LOG_INFO, 0, "oauth2: client %lld revoked a session",
                 (long long) c->id);
    }

    return feat_db_end(db, e);
}


enum feat_error
feat_oauth2_introspect(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_oauth2_client *c, const char *token,
    struct feat_oauth2_token_info *info)
{
    int            rc;
    char           hash[65];
    sqlite3_stmt  *st;

    memset(info, 0, sizeof(*info));

    if (strlen(token) > FEAT_TOKEN_MAX) {
        return FEAT_E_NONE;
    }

    feat_sha256_hex(token, hash);

    st = feat_db_query(db,
            "SELECT s.scope, s.user_id IS NOT NULL, COALESCE(u.username, ''),"
            " CASE WHEN s.access_hash = ?1 THEN s.access_expires"
            " ELSE s.refresh_expires END, s.access_hash = ?1"
            " FROM sessions s"
            " LEFT JOIN users u ON u.id = s.user_id AND u.app_id = s.app_id"
            " WHERE (s.access_hash = ?1 OR s.refresh_hash = ?1)"
            " AND s.app_id = ?2 AND s.client_id = ?3"
            " AND s.revoked_at IS NULL"
            " AND (s.user_id IS NULL OR u.is_active = 1)"
            " AND CASE WHEN s.access_hash = ?1 THEN s.access_expires"
            " ELSE s.refresh_expires END > ?4",
            "ssii", hash, app, c->id, (sqlite3_int64) feat_now());
    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        info->active = 1;
        info->scope = feat_db_col_text(a, st, 0);
        info->username = sqlite3_column_int(st, 1)
                         ? feat_db_col_text(a, st, 2) : NULL;
        info->exp = (time_t) sqlite3_column_int64(st, 3);
        info->token_type = sqlite3_column_int(st, 4) ? "Bearer"
                                                     : "refresh_token";
        info->client_id = feat_arena_strdup(a, c->client_id);

    } else if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "oauth2: introspection failed: %s",
                 sqlite3_errmsg(db));
        feat_db_done(st);
        return FEAT_E_INTERNAL;
    }

    feat_db_done(st);
    return FEAT_E_NONE;
}
