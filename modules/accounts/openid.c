/*
 * openid.c: third-party accounts (QQ, WeChat, Weibo, Taobao) bound to
 * users, for v1's user/open and get_token_by_open.
 *
 * A binding is (app, open_type, open_id) -> user.  A pair belongs to one
 * user of an app at most, and a user holds one binding per open_type: a
 * new one replaces the old.  Both rules are unique indexes of the
 * open_bindings table (sql/0010), and binding runs in one BEGIN IMMEDIATE
 * transaction, so two workers binding at once see a consistent outcome.
 * Whether an app lets anyone log in by a binding at all (its setting
 * accounts.open_login) is the handler's business: an open_id is no secret.
 */

#include "config.h"

#include "feat.h"
#include "accounts/accounts.h"


enum feat_error
feat_open_bind(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    int open_type, const char *open_id)
{
    int              rc;
    sqlite3_int64    holder;
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    rc = feat_db_int(db, &holder,
            "SELECT user_id FROM open_bindings"
            " WHERE app_id = ?1 AND open_type = ?2 AND open_id = ?3",
            "sds", app, open_type, open_id);

    if (rc == FEAT_OK) {
        if (holder != user_id) {
            e = FEAT_E_BOUND;
            goto done;
        }

        /* Binding again what one already holds changes nothing. */
        feat_db_rollback(db);
        return FEAT_E_NONE;
    }

    if (rc != FEAT_DECLINED) {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    /* One binding per type: the new one replaces the user's old one. */
    if (feat_db_exec(db,
            "DELETE FROM open_bindings"
            " WHERE app_id = ?1 AND user_id = ?2 AND open_type = ?3",
            "sid", app, user_id, open_type) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    rc = feat_db_exec(db,
            "INSERT INTO open_bindings"
            " (app_id, user_id, open_type, open_id, created_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5)",
            "sidsi", app, user_id, open_type, open_id,
            (sqlite3_int64) feat_now());

    if (rc != FEAT_OK) {
        /* Under the write lock a constraint cannot race; still, say so. */
        e = rc == FEAT_BUSY ? FEAT_E_BOUND : FEAT_E_INTERNAL;
        goto done;
    }

    e = feat_audit(db, app, user_id, "binding_added", "sd", "kind", "open",
                   "open_type", open_type) == FEAT_OK
        ? FEAT_E_NONE : FEAT_E_INTERNAL;

done:

    return feat_db_end(db, e);
}


enum feat_error
feat_open_find(sqlite3 *db, const char *app, int open_type,
    const char *open_id, sqlite3_int64 *user_id)
{
    int  rc;

    rc = feat_db_int(db, user_id,
            "SELECT user_id FROM open_bindings"
            " WHERE app_id = ?1 AND open_type = ?2 AND open_id = ?3",
            "sds", app, open_type, open_id);

    switch (rc) {
    case FEAT_OK:
        return FEAT_E_NONE;
    case FEAT_DECLINED:
        return FEAT_E_NOT_REGISTERED;
    default:
        return FEAT_E_INTERNAL;
    }
}
