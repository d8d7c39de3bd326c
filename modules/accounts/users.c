/*
 * users.c: the users table.
 *
 * Loading a user by account or id, creating one (with its random public
 * openid), changing the profile fields in one UPDATE, and setting a new
 * password, which also ends the user's other sessions.  featctl's
 * administration (turning a user off or on, the role) and what the
 * feedback desk sent a user (read by notices and push) are here too, so
 * that those callers share one app-filtered implementation.  A phone account is
 * found through the unique index (app_id, area, phone), an email through
 * (app_id, email); both indexes are partial, so the empty values of the
 * other kind never collide.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define HASH_MAX  256

#define USER_COLUMNS  FEAT_USER_COLS(FEAT_COL_SQL, ", ")

static const struct feat_db_col  user_cols[] = {
    FEAT_USER_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(user_fill, user_cols)


void
feat_user_fill(struct feat_arena *a, sqlite3_stmt *st, int c,
    struct feat_user *u)
{
    feat_db_read(a, st, c, user_cols, FEAT_NELEMS(user_cols), u);
}


/* Steps st once: FEAT_E_NONE with *u filled, missing when no row. */
static enum feat_error
user_step(sqlite3 *db, struct feat_arena *a, sqlite3_stmt *st,
    struct feat_user *u, enum feat_error missing)
{
    int              rc;
    enum feat_error  e;

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        user_fill(a, st, u);
        e = FEAT_E_NONE;

    } else if (rc == SQLITE_DONE) {
        e = missing;

    } else {
        feat_log(LOG_ERR, 0, "users: read failed: %s", sqlite3_errmsg(db));
        e = FEAT_E_INTERNAL;
    }

    feat_db_done(st);
    return e;
}


enum feat_error
feat_user_find(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_account *acct, struct feat_user *u)
{
    sqlite3_stmt  *st;

    if (acct->email[0] != '\0') {
        st = feat_db_query(db,
                "SELECT " USER_COLUMNS " FROM users"
                " WHERE app_id = ?1 AND email = ?2 AND email <> ''",
                "ss", app, acct->email);

    } else {
        st = feat_db_query(db,
                "SELECT " USER_COLUMNS " FROM users"
                " WHERE app_id = ?1 AND area = ?2 AND phone = ?3"
                " AND phone <> ''",
                "sss", app, acct->area, acct->phone);
    }

    return user_step(db, a, st, u, FEAT_E_NOT_REGISTERED);
}


enum feat_error
feat_user_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, struct feat_user *u)
{
    sqlite3_stmt  *st;

    st = feat_db_query(db,
            "SELECT " USER_COLUMNS " FROM users WHERE id = ?1 AND app_id = ?2",
            "is", id, app);

    return user_step(db, a, st, u, FEAT_E_NOT_FOUND);
}


enum feat_error
feat_user_of(struct feat_req *r, struct feat_user *u)
{
    const struct feat_user  *row;

    /* read with the session in the same statement (FEAT_USER_ROW) */
    row = r->user_row;
    if (row != NULL && row->id == r->user_id && r->user_id != 0) {
        *u = *row;
        return FEAT_E_NONE;
    }

    return feat_user_get(feat_db(), r->arena, r->app->id, r->user_id, u);
}


enum feat_error
feat_user_lookup_id(sqlite3 *db, const char *app,
    const struct feat_account *acct, sqlite3_int64 *id)
{
    int  rc;

    if (acct->email[0] != '\0') {
        rc = feat_db_int(db, id,
                "SELECT id FROM users"
                " WHERE app_id = ?1 AND email = ?2 AND email <> ''",
                "ss", app, acct->email);

    } else {
        rc = feat_db_int(db, id,
                "SELECT id FROM users"
                " WHERE app_id = ?1 AND area = ?2 AND phone = ?3"
                " AND phone <> ''",
                "sss", app, acct->area, acct->phone);
    }

    if (rc == FEAT_DECLINED) {
        *id = 0;
        return FEAT_E_NONE;
    }

    return rc == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


enum feat_error
feat_user_absent(sqlite3 *db, const char *app,
    const struct feat_account *acct)
{
    sqlite3_int64    id;
    enum feat_error  e;

    e = feat_user_lookup_id(db, app, acct, &id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    return id != 0 ? FEAT_E_REGISTERED : FEAT_E_NONE;
}


enum feat_error
feat_user_absent_hash(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, char *hash,
    size_t size)
{
    int              rc;
    enum feat_error  e;

    /* the cheap look first: registering a known account costs no scrypt */
    e = feat_user_absent(db, app, acct);
    if (e != FEAT_E_NONE) {
        return e;
    }

    /* before the caller takes the write lock: it is the slow part.  No
     * hashing slot: refused as throttled, nothing written yet. */
    rc = feat_password_hash(password, hash, size);
    if (rc != FEAT_OK) {
        return rc == FEAT_BUSY ? FEAT_E_BUSY : FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_user_create(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password_hash,
    sqlite3_int64 *id)
{
    int      rc;
    char     openid[FEAT_OPENID_LEN + 1];
    time_t   now;

    now = feat_now();

    /* 40 base62 characters: 238 bits, so a collision is not a concern;
     * the UNIQUE constraint would still catch one. */
    feat_random_base62(openid, FEAT_OPENID_LEN);

    rc = feat_db_exec(db,
            "INSERT INTO users (app_id, area, phone, email, username, openid,"
            " password, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            "sssssssi", app, acct->area, acct->phone, acct->email,
            acct->username, openid,
            password_hash != NULL ? password_hash : "",
            (sqlite3_int64) now);

    if (rc == FEAT_BUSY) {
        /* another worker registered the same account first */
        return FEAT_E_REGISTERED;
    }

    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    *id = sqlite3_last_insert_rowid(db);

    /* every sign-up comes here, inside its transaction */
    if (feat_audit(db, app, *id, "signup", "s", "account",
                   acct->email[0] != '\0' ? "email" : "phone") != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_user_update_profile(sqlite3 *db, const char *app, sqlite3_int64 id,
    const struct feat_profile_update *u)
{
    /*
     * NULL binds NULL, which COALESCE turns into "keep the column"; a
     * negative gender does the same through the CASE.
     */
    return feat_db_change(db,
            "UPDATE users SET nickname = COALESCE(?1, nickname),"
            " avatar = COALESCE(?2, avatar),"
            " gender = CASE WHEN ?3 < 0 THEN gender ELSE ?3 END,"
            " birthday = COALESCE(?4, birthday),"
            " address = COALESCE(?5, address),"
            " city = COALESCE(?6, city),"
            " updated_at = ?7"
            " WHERE id = ?8 AND app_id = ?9",
            "ssdsssiis", u->nickname, u->avatar, u->gender, u->birthday,
            u->address, u->city, (sqlite3_int64) feat_now(), id, app);
}


enum feat_error
feat_user_set_password(sqlite3 *db, const char *app, sqlite3_int64 id,
    const char *password, sqlite3_int64 keep_session)
{
    int              rc;
    char             hash[HASH_MAX];
    time_t           now;
    enum feat_error  e;

    /* No hashing slot: refused as throttled, nothing written yet. */
    rc = feat_password_hash(password, hash, sizeof(hash));
    if (rc != FEAT_OK) {
        return rc == FEAT_BUSY ? FEAT_E_BUSY : FEAT_E_INTERNAL;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    now = feat_now();

    if (feat_db_exec(db,
            "UPDATE users SET password = ?1, password_changed_at = ?2,"
            " updated_at = ?2 WHERE id = ?3 AND app_id = ?4",
            "siis", hash, (sqlite3_int64) now, id, app) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    if (sqlite3_changes(db) == 0) {
        e = FEAT_E_NOT_FOUND;
        goto done;
    }

    e = feat_session_revoke_user(db, app, id, keep_session);

    if (e == FEAT_E_NONE
        && feat_audit(db, app, id, "password_change", "i", "kept_session",
                      keep_session) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

done:

    return feat_db_end(db, e);
}


int
feat_user_birthday_ok(const char *s)
{
    return s != NULL && (s[0] == '\0' || feat_parse_date(s) == FEAT_OK);
}


enum feat_error
feat_user_set_active(sqlite3 *db, const char *app, sqlite3_int64 id,
    int active, int *revoked)
{
    int              n;
    enum feat_error  e;

    n = 0;

    /* one transaction: no window where the user is off but a session
     * minted a moment before still works, or the reverse */
    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (feat_db_exec(db,
            "UPDATE users SET is_active = ?1, updated_at = ?2"
            " WHERE app_id = ?3 AND id = ?4",
            "disi", active ? 1 : 0, (sqlite3_int64) feat_now(), app, id)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    if (sqlite3_changes(db) == 0) {
        e = FEAT_E_NOT_FOUND;
        goto failed;
    }

    if (!active) {
        e = feat_session_revoke_user(db, app, id, 0);
        if (e != FEAT_E_NONE) {
            goto failed;
        }

        /* the revocation is one UPDATE: its count is the last one */
        n = sqlite3_changes(db);
    }

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    if (revoked != NULL) {
        *revoked = n;
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


enum feat_error
feat_user_set_role(sqlite3 *db, const char *app, sqlite3_int64 id, int role)
{
    if (role < 0 || role > FEAT_ROLE_MAX) {
        return FEAT_E_BAD_FIELD;
    }

    return feat_db_change(db,
            "UPDATE users SET role = ?1, updated_at = ?2"
            " WHERE app_id = ?3 AND id = ?4",
            "disi", role, (sqlite3_int64) feat_now(), app, id);
}


enum feat_error
feat_user_replies_unread(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, long long *count)
{
    sqlite3_int64  c;

    if (feat_db_int(db, &c,
                    "SELECT COUNT(*) FROM feedback f"
                    " JOIN feedback_reply r ON r.feedback_id = f.id"
                    " WHERE f.app_id = ? AND f.user_id = ? AND r.is_read = 0",
                    "si", app, user_id)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    *count = c;

    return FEAT_E_NONE;
}


struct user_reply {
    const char  *content;
    time_t       created_at;
};

#define USER_REPLY_COLS(X, _)                                                \
    X(struct user_reply, TEXT, content, "r.content") _                       \
    X(struct user_reply, TIME, created_at, "r.created_at")

static const struct feat_db_col  user_reply_cols[] = {
    USER_REPLY_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(user_reply_row, user_reply_cols)


enum feat_error
feat_user_reply_latest(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char **content, time_t *created_at)
{
    sqlite3_stmt       *st;
    enum feat_error     e;
    struct user_reply   r;

    st = feat_db_query(db,
                       "SELECT " USER_REPLY_COLS(FEAT_COL_SQL, ", ")
                       " FROM feedback f"
                       " JOIN feedback_reply r ON r.feedback_id = f.id"
                       " WHERE f.app_id = ? AND f.user_id = ?"
                       " ORDER BY r.id DESC LIMIT 1",
                       "si", app, user_id);

    e = feat_db_row(db, a, st, user_reply_row, &r,
                    "users: the newest reply of user %lld",
                    (long long) user_id);
    if (e == FEAT_E_NONE) {
        *content = r.content;
        *created_at = r.created_at;
    }

    return e;
}
