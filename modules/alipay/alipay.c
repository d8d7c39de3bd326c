/*
 * alipay.c: the Alipay bindings (alipay.h, sql/0042_alipay.sql).  A user
 * holds at most one, and an Alipay account is bound to at most one user
 * of an app; the check and the write are one IMMEDIATE transaction, and
 * the unique constraints catch whatever slipped past anyway.  The
 * settings an app holds for the exchange are declared here too.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "alipay/alipay.h"


enum feat_error
feat_alipay_bind(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, const char *id, struct feat_alipay_binding *out)
{
    int            rc;
    time_t         now;
    sqlite3_int64  holder;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    rc = feat_db_int(db, &holder,
                     "SELECT user_id FROM alipay_binding"
                     " WHERE app_id = ?1 AND alipay_user_id = ?2",
                     "ss", app, id);

    if (rc == FEAT_ERROR) {
        goto failed;
    }

    if (rc == FEAT_OK && holder != user_id) {
        feat_db_rollback(db);
        return FEAT_E_BOUND;
    }

    now = feat_now();

    /* binding the same account again keeps its created_at */
    rc = feat_db_exec(db,
        "INSERT INTO alipay_binding"
        " (app_id, user_id, alipay_user_id, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?4)"
        " ON CONFLICT (app_id, user_id) DO UPDATE SET"
        " created_at = CASE WHEN alipay_user_id = excluded.alipay_user_id"
        " THEN created_at ELSE excluded.created_at END,"
        " alipay_user_id = excluded.alipay_user_id,"
        " updated_at = excluded.updated_at",
        "sisi", app, user_id, id, (sqlite3_int64) now);

    if (rc == FEAT_BUSY) {
        feat_db_rollback(db);
        return FEAT_E_BOUND;
    }

    if (rc != FEAT_OK
        || feat_audit(db, app, user_id, "binding_added", "s", "kind",
                      "alipay") != FEAT_OK
        || feat_db_commit(db) != FEAT_OK)
    {
        goto failed;
    }

    return feat_alipay_get(db, a, app, user_id, out);

failed:

    feat_db_rollback(db);
    return FEAT_E_INTERNAL;
}


enum feat_error
feat_alipay_get(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 user_id, struct feat_alipay_binding *out)
{
    int            rc;
    sqlite3_stmt  *st;

    st = feat_db_query(db,
        "SELECT user_id, alipay_user_id, created_at, updated_at"
        " FROM alipay_binding WHERE app_id = ?1 AND user_id = ?2",
        "si", app, user_id);

    if (st == NULL) {
        return FEAT_E_INTERNAL;
    }

    rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        out->user_id = sqlite3_column_int64(st, 0);
        out->alipay_user_id = feat_db_col_text(a, st, 1);
        out->created_at = (time_t) sqlite3_column_int64(st, 2);
        out->updated_at = (time_t) sqlite3_column_int64(st, 3);
    }

    feat_db_done(st);

    if (rc == SQLITE_ROW) {
        return FEAT_E_NONE;
    }

    if (rc == SQLITE_DONE) {
        return FEAT_E_NOT_FOUND;
    }

    feat_log(LOG_ERR, 0, "alipay: reading a binding failed: %s",
             sqlite3_errmsg(db));

    return FEAT_E_INTERNAL;
}


enum feat_error
feat_alipay_unbind(sqlite3 *db, const char *app, sqlite3_int64 user_id)
{
    enum feat_error  e;

    /* the removal and its audit record commit together */
    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (feat_db_exec(db,
            "DELETE FROM alipay_binding WHERE app_id = ?1 AND user_id = ?2",
            "si", app, user_id)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;

    } else if (sqlite3_changes(db) == 0) {
        e = FEAT_E_NOT_FOUND;

    } else {
        e = feat_audit(db, app, user_id, "binding_removed", "s", "kind",
                       "alipay") == FEAT_OK
            ? FEAT_E_NONE : FEAT_E_INTERNAL;
    }

    return feat_db_end(db, e);
}


/*
 * Each app is its own Alipay open platform app; the config file's alipay.*
 * are every app's defaults (the key files' contents for the keys), so an
 * install with one Alipay app needs no settings at all.
 */
const struct feat_setting  feat_alipay_settings[] = {
    { "alipay.app_id", FEAT_SETTING_STR, 0, NULL, FEAT_CONF_ALIPAY_APP_ID,
      0, 32, NULL,
      "Alipay open platform app id; unset: the binding answers 503", NULL },
    { "alipay.gateway", FEAT_SETTING_URL, 0, NULL, FEAT_CONF_ALIPAY_GATEWAY,
      0, 0, NULL, "Alipay gateway URL (https; plain http to loopback only)",
      NULL },
    { "alipay.private_key", FEAT_SETTING_PEM,
      FEAT_SETTING_SECRET | FEAT_SETTING_CONF_FILE, NULL,
      FEAT_CONF_ALIPAY_PRIVATE_KEY_FILE, 0, 0, NULL,
      "PEM RSA private key (2048 bits or more) that signs requests", NULL },
    { "alipay.public_key", FEAT_SETTING_PEM, FEAT_SETTING_CONF_FILE, NULL,
      FEAT_CONF_ALIPAY_PUBLIC_KEY_FILE, 0, 0, NULL,
      "PEM Alipay public key that verifies its answers", NULL },
    FEAT_NULL_SETTING
};
