/*
 * erase.c: a user's rights over what is stored about them (issue 12,
 * "Users' rights"; China's PIPL, and the app stores' rule that an app
 * with sign-up lets its users delete their account).
 *
 * feat_user_delete is the one deletion: the feat (DELETE
 * /api/user/profile/) and v2 (POST /api/personal/delete) handlers and
 * "featctl user delete" all call it.  It erases in one transaction what
 * identifies the person: the account (phone, email), the profile
 * (nickname, avatar, gender, birthday, address, city), the images, the
 * open-id and Alipay bindings, the push clients and APNs device tokens
 * (and their tokens in the outbox), every session, codes, permits and
 * login counts of the account, read marks and hidden pushes.  The users
 * row stays as a tombstone (deleted_at, is_active 0, no account, a fresh
 * openid), because the rows kept on purpose still name it: feedback, made
 * anonymous (its contact phone erased), and orders and service projects,
 * which are records of trade.  The phone or email can then register
 * anew.  Image files are removed only after the commit, so a rollback
 * never leaves rows whose files are gone.
 *
 * feat_user_export gathers every row that names the user, table by
 * table, found from the schema itself, so a table added later is
 * exported without a change here ("featctl user export").
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define ERASE_IMAGES_MAX  100000    /* a user's images removed at most */


/* Whether user id of app exists and is not deleted: FEAT_E_NONE,
 * FEAT_E_NOT_FOUND or FEAT_E_INTERNAL. */
static enum feat_error
erase_alive(sqlite3 *db, const char *app, sqlite3_int64 id)
{
    int            rc;
    sqlite3_int64  deleted;

    rc = feat_db_int(db, &deleted,
            "SELECT deleted_at IS NOT NULL FROM users"
            " WHERE id = ?1 AND app_id = ?2", "is", id, app);
    if (rc == FEAT_DECLINED || (rc == FEAT_OK && deleted)) {
        return FEAT_E_NOT_FOUND;
    }

    return rc == FEAT_OK ? FEAT_E_NONE : FEAT_E_INTERNAL;
}


/* The account u signs in with (its codes' and counts' key): FEAT_OK, or
 * FEAT_DECLINED when it holds none that parses. */
static int
erase_account(struct feat_arena *a, const struct feat_user *u,
    struct feat_account *acct)
{
    enum feat_error  e;

    if (u->email[0] != '\0') {
        e = feat_account_parse(a, NULL, u->email, acct);
    } else {
        e = feat_account_parse(a, u->area, u->phone, acct);
    }

    return e == FEAT_E_NONE ? FEAT_OK : FEAT_DECLINED;
}


/* The relpaths of user id's images into an arena array: FEAT_OK or
 * FEAT_ERROR. */
static int
erase_images(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, const char ***paths, size_t *n)
{
    int            rc;
    size_t         cap;
    const char   **p, **bigger;
    sqlite3_stmt  *st;

    *n = 0;
    cap = 16;
    p = feat_arena_alloc(a, cap * sizeof(char *));

    st = feat_db_query(db,
            "SELECT relpath FROM images WHERE app_id = ?1 AND user_id = ?2",
            "si", app, id);
    if (st == NULL) {
        return FEAT_ERROR;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < ERASE_IMAGES_MAX) {
        if (*n == cap) {
            bigger = feat_arena_alloc(a, 2 * cap * sizeof(char *));
            memcpy(bigger, p, cap * sizeof(char *));
            p = bigger;
            cap *= 2;
        }
        p[(*n)++] = feat_db_col_text(a, st, 0);
    }

    feat_db_done(st);

    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "erase: images of user %lld not read: %s",
                 (long long) id, sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    *paths = p;
    return FEAT_OK;
}


/*
 * The erasing writes, inside the caller's transaction.  acct is the
 * user's account, or NULL when it has none.  FEAT_OK or FEAT_ERROR.
 */
static int
erase_rows(sqlite3 *db, const char *app, sqlite3_int64 id,
    const struct feat_account *acct)
{
    char           openid[FEAT_OPENID_LEN + 1];
    size_t         i;
    sqlite3_int64  now;

    /* what is the user's alone goes whole */
    static const char *const  by_user[] = {
        "DELETE FROM images WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM open_bindings WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM alipay_binding WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM push_client WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM apns_device WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM push_target WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM push_hidden WHERE app_id = ?1 AND user_id = ?2",
        "DELETE FROM notice_reads WHERE user_id = ?2"
        " AND notice_id IN (SELECT id FROM notices WHERE app_id = ?1)",
        /* every session, and with them their rotated tokens */
        "DELETE FROM sessions WHERE app_id = ?1 AND user_id = ?2",
        /* a device token is the person's: gone from deliveries too, and
         * what was still to send is skipped */
        "UPDATE outbox SET token = '',"
        " last_error = CASE WHEN status = 0 THEN 'account deleted'"
        " ELSE last_error END,"
        " status = CASE WHEN status = 0 THEN 4 ELSE status END"
        " WHERE app_id = ?1 AND user_id = ?2",
        /* kept, anonymous: the user row is a tombstone below */
        "UPDATE feedback SET contact_phone = ''"
        " WHERE app_id = ?1 AND user_id = ?2",
        NULL
    };

    static const char *const  by_account[] = {
        "DELETE FROM codes WHERE app_id = ?1 AND account = ?2",
        "DELETE FROM permits WHERE app_id = ?1 AND account = ?2",
        "DELETE FROM rate_events WHERE app_id = ?1 AND key = ?2",
        NULL
    };

    for (i = 0; by_user[i] != NULL; i++) {
        /* each literal is its own statement in the cache */
        if (feat_db_exec(db, by_user[i], "si", app, id) != FEAT_OK) {
            return FEAT_ERROR;
        }
    }

    for (i = 0; acct != NULL && by_account[i] != NULL; i++) {
        if (feat_db_exec(db, by_account[i], "ss", app, acct->key)
            != FEAT_OK)
        {
            return FEAT_ERROR;
        }
    }

    /* a new openid: the old public id names nobody any more */
    feat_random_base62(openid, FEAT_OPENID_LEN);
    now = (sqlite3_int64) feat_now();

    /* password_changed_at ends every v1 JWT issued before it */
    return feat_db_exec(db,
            "UPDATE users SET area = '', phone = '', email = '',"
            " username = '', openid = ?1, password = '', role = 0,"
            " is_active = 0, nickname = '', avatar = '', gender = 2,"
            " birthday = '', address = '', city = '',"
            " password_changed_at = ?2, updated_at = ?2, deleted_at = ?2"
            " WHERE id = ?3 AND app_id = ?4",
            "siis", openid, now, id, app);
}


enum feat_error
feat_user_delete(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, const char *password, const char *code,
    const char *ip)
{
    int                   has_acct;
    size_t                i, nimages;
    const char          **images, *proof;
    sqlite3_int64         uid;
    enum feat_error       e;
    struct feat_user      u;
    struct feat_account   acct;

    e = erase_alive(db, app, id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_user_get(db, a, app, id, &u);
    if (e != FEAT_E_NONE) {
        return e;
    }

    has_acct = erase_account(a, &u, &acct) == FEAT_OK;
    proof = "operator";

    if (password != NULL) {
        /* the password rules: lockout, failures counted, no slot: busy */
        if (!has_acct) {
            return FEAT_E_WRONG_PASSWORD;
        }

        e = feat_account_check_password(db, app, &acct, password, ip, &uid);
        if (e != FEAT_E_NONE) {
            return e;
        }

        if (uid != id) {
            return FEAT_E_WRONG_PASSWORD;
        }

        proof = "password";
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /* again under the write lock: two deletions race, one wins */
    e = erase_alive(db, app, id);
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    if (code != NULL) {
        if (!has_acct) {
            e = FEAT_E_BAD_CODE;
            goto failed;
        }

        e = feat_code_check_locked(db, app, &acct, FEAT_PURPOSE_DELETE,
                                   code, 1);
        if (e == FEAT_E_BAD_CODE) {
            /* keep the counted attempt */
            return feat_db_commit(db) == FEAT_OK ? e : FEAT_E_INTERNAL;
        }
        if (e != FEAT_E_NONE) {
            goto failed;
        }

        proof = "code";
    }

    if (erase_images(db, a, app, id, &images, &nimages) != FEAT_OK
        || erase_rows(db, app, id, has_acct ? &acct : NULL) != FEAT_OK
        || feat_audit(db, app, id, "account_deleted", "si", "proof", proof,
                      "images", (sqlite3_int64) nimages) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    /*
     * The rows are gone for good: now their files.  (Under featctl, which
     * holds a transaction around the command, the commit above is a
     * savepoint's release and featctl commits right after the command:
     * only a failure of that last COMMIT would leave rows without files.)
     */
    for (i = 0; i < nimages; i++) {
        if (images[i][0] != '\0' && feat_image_remove(images[i]) == FEAT_ERROR)
        {
            feat_log(LOG_ERR, 0, "erase: user %lld: file \"%s\" not removed",
                     (long long) id, images[i]);
        }
    }

    feat_log(LOG_NOTICE, 0, "user %lld of app \"%s\" deleted (%s)",
             (long long) id, app, proof);

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


/* ---- export -------------------------------------------------------------- */

/* Columns never exported: secrets, even hashed, are no data about anyone. */
static int
export_hidden(const char *col)
{
    static const char *const  hidden[] = {
        "password", "access_hash", "refresh_hash", "token_hash",
        "code_hmac", NULL
    };
    size_t                    i;

    for (i = 0; hidden[i] != NULL; i++) {
        if (strcmp(col, hidden[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


/* A column's value as JSON. */
static cJSON *
export_value(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        return cJSON_CreateNumber(sqlite3_column_double(st, i));
    case SQLITE_NULL:
        return cJSON_CreateNull();
    case SQLITE_BLOB:
        /* sealed or binary: its size, not its bytes */
        return cJSON_CreateString("(binary)");
    default:
        return cJSON_CreateString((const char *) sqlite3_column_text(st, i));
    }
}


/*
 * The rows of table whose column col is id and (when the table has one)
 * whose app_id is app, into out[table] as an array (none: nothing
 * added).  The SQL is made from the schema's own names, never input.
 */
static int
export_table(sqlite3 *db, struct feat_arena *a, const char *table,
    const char *col, int has_app, const char *app, sqlite3_int64 id,
    cJSON *out)
{
    int            rc, i, n;
    char          *sql;
    cJSON         *rows, *row;
    const char    *name;
    sqlite3_stmt  *st;

    sql = feat_arena_sprintf(a, "SELECT * FROM \"%s\" WHERE \"%s\" = ?1%s",
                             table, col, has_app ? " AND app_id = ?2" : "");

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        feat_log(LOG_ERR, 0, "export: %s: %s", table, sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    sqlite3_bind_int64(st, 1, id);
    if (has_app) {
        sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
    }

    rows = NULL;
    n = sqlite3_column_count(st);

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row = cJSON_CreateObject();
        for (i = 0; i < n; i++) {
            name = sqlite3_column_name(st, i);
            if (!export_hidden(name)) {
                cJSON_AddItemToObject(row, name, export_value(st, i));
            }
        }
        if (rows == NULL) {
            rows = cJSON_AddArrayToObject(out, table);
        }
        cJSON_AddItemToArray(rows, row);
    }

    sqlite3_finalize(st);

    if (rc != SQLITE_DONE) {
        feat_log(LOG_ERR, 0, "export: %s not read", table);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* The columns that name a user: a table's first of them is exported by. */
static const char *
export_user_column(sqlite3 *db, struct feat_arena *a, const char *table,
    int *has_app)
{
    char          *sql;
    const char    *col, *found;
    sqlite3_stmt  *st;

    static const char *const  names[] = {
        "user_id", "owner_id", "bidder_id", NULL
    };
    size_t                    i, best;

    sql = feat_arena_sprintf(a, "PRAGMA table_info(\"%s\")", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }

    *has_app = 0;
    found = NULL;
    best = FEAT_NELEMS(names);

    while (sqlite3_step(st) == SQLITE_ROW) {
        col = (const char *) sqlite3_column_text(st, 1);
        if (col == NULL) {
            continue;
        }
        if (strcmp(col, "app_id") == 0) {
            *has_app = 1;
        }
        for (i = 0; names[i] != NULL; i++) {
            if (i < best && strcmp(col, names[i]) == 0) {
                best = i;
                found = names[i];
            }
        }
    }

    sqlite3_finalize(st);

    return found;
}


enum feat_error
feat_user_export(sqlite3 *db, struct feat_arena *a, const char *app,
    sqlite3_int64 id, cJSON **out)
{
    int              rc, has_app;
    cJSON           *doc, *tables;
    const char      *table, *col;
    sqlite3_int64    one;
    sqlite3_stmt    *st;
    enum feat_error  e;

    rc = feat_db_int(db, &one,
                     "SELECT 1 FROM users WHERE id = ?1 AND app_id = ?2",
                     "is", id, app);
    if (rc != FEAT_OK) {
        return rc == FEAT_DECLINED ? FEAT_E_NOT_FOUND : FEAT_E_INTERNAL;
    }

    doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "user_id", (double) id);
    cJSON_AddStringToObject(doc, "app_id", app);
    cJSON_AddStringToObject(doc, "exported_at",
                            feat_time_iso(a, feat_now()));
    tables = cJSON_AddObjectToObject(doc, "tables");

    e = FEAT_E_NONE;

    /* the users row itself, then every table naming a user, by name */
    if (export_table(db, a, "users", "id", 1, app, id, tables) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    if (sqlite3_prepare_v2(db,
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &st, NULL)
        != SQLITE_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        table = feat_arena_strdup(a, (const char *) sqlite3_column_text(st, 0));
        col = export_user_column(db, a, table, &has_app);
        if (col == NULL) {
            continue;
        }
        if (export_table(db, a, table, col, has_app, app, id, tables)
            != FEAT_OK)
        {
            e = FEAT_E_INTERNAL;
            break;
        }
    }

    sqlite3_finalize(st);

    if (rc != SQLITE_DONE && e == FEAT_E_NONE) {
        e = FEAT_E_INTERNAL;
    }

done:

    if (e != FEAT_E_NONE) {
        cJSON_Delete(doc);
        return e;
    }

    *out = doc;
    return FEAT_E_NONE;
}
