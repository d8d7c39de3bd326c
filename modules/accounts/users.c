/*
 * users.c: the users table.
 *
 * Loading a user by account or id, creating one (with its random public
 * openid), changing the profile fields in one UPDATE, and setting a new
 * password, which also ends the user's other sessions.  A phone account is
 * found through the unique index (app_id, area, phone), an email through
 * (app_id, email); both indexes are partial, so the empty values of the
 * other kind never collide.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define HASH_MAX  256

/* The columns feat_user_fill reads, in its order. */
#define USER_COLUMNS                                                         \
    "id, app_id, area, phone, email, username, openid, password, role,"     \
    " is_active, nickname, avatar, gender, birthday, address, city,"        \
    " password_changed_at, created_at, updated_at"


static void
user_fill(struct feat_arena *a, sqlite3_stmt *st, struct feat_user *u)
{
    u->id = sqlite3_column_int64(st, 0);
    u->app_id = feat_db_col_text(a, st, 1);
    u->area = feat_db_col_text(a, st, 2);
    u->phone = feat_db_col_text(a, st, 3);
    u->email = feat_db_col_text(a, st, 4);
    u->username = feat_db_col_text(a, st, 5);
    u->openid = feat_db_col_text(a, st, 6);
    u->password = feat_db_col_text(a, st, 7);
    u->role = sqlite3_column_int(st, 8);
    u->is_active = sqlite3_column_int(st, 9) != 0;
    u->nickname = feat_db_col_text(a, st, 10);
    u->avatar = feat_db_col_text(a, st, 11);
    u->gender = sqlite3_column_int(st, 12);
    u->birthday = feat_db_col_text(a, st, 13);
    u->address = feat_db_col_text(a, st, 14);
    u->city = feat_db_col_text(a, st, 15);
    u->password_changed_at = (time_t) sqlite3_column_int64(st, 16);
    u->created_at = (time_t) sqlite3_column_int64(st, 17);
    u->updated_at = (time_t) sqlite3_column_int64(st, 18);
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
    if (feat_db_exec(db,
            "UPDATE users SET nickname = COALESCE(?1, nickname),"
            " avatar = COALESCE(?2, avatar),"
            " gender = CASE WHEN ?3 < 0 THEN gender ELSE ?3 END,"
            " birthday = COALESCE(?4, birthday),"
            " address = COALESCE(?5, address),"
            " city = COALESCE(?6, city),"
            " updated_at = ?7"
            " WHERE id = ?8 AND app_id = ?9",
            "ssdsssiis", u->nickname, u->avatar, u->gender, u->birthday,
            u->address, u->city, (sqlite3_int64) feat_now(), id, app)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 0 ? FEAT_E_NOT_FOUND : FEAT_E_NONE;
}


enum feat_error
feat_user_set_password(sqlite3 *db, const char *app, sqlite3_int64 id,
    const char *password, sqlite3_int64 keep_session)
{
    char             hash[HASH_MAX];
    time_t           now;
    enum feat_error  e;

    if (feat_password_hash(password, hash, sizeof(hash)) != FEAT_OK) {
        return FEAT_E_INTERNAL;
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
        goto failed;
    }

    if (sqlite3_changes(db) == 0) {
        e = FEAT_E_NOT_FOUND;
        goto failed;
    }

    e = feat_session_revoke_user(db, app, id, keep_session);
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}
