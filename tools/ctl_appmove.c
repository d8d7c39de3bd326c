/*
 * ctl_appmove.c: featctl's "app export" and "app import": one tenant's
 * rows and media files as one archive, moved to another install.
 *
 * The archive is itself a SQLite database: a table "meta" (format, schema
 * version, app id, how secrets are kept), one table per moved table of
 * the same name and columns holding the app's rows, and "media" (relpath,
 * data) with the image files.  Export attaches the new file to the live
 * database and copies everything inside one read transaction of the
 * source, so the archive is one consistent moment of the app while
 * featcgi keeps serving.  Import attaches the archive and copies the rows
 * into the target inside one write transaction: every id gets a fresh one
 * above the target's highest (the archive's ids shifted by one offset per
 * table, so their order, which lists and push watermarks rely on, stays),
 * every reference is shifted by its parent's offset, and the app id is
 * the archive's or --as's, refused when the target has that app already.
 *
 * feat_ctl_move_tables is the one list of what belongs to an app; both
 * commands refuse a schema with a table holding an app_id, or a foreign
 * key, that the list does not name, so a migration that adds one fails
 * the tests until it is listed here.  Transient rows are not moved:
 * sessions (users log in again), codes, permits, rate events and the
 * outbox.  Secret settings are sealed under the install's secret; export
 * opens them and seals them again under a passphrase (--passphrase-file,
 * scrypt), or leaves them out without one, and import seals them under the
 * target's secret and the new app id.  Managers move with their logins
 * and password hashes but never their TOTP secrets (they re-enrol, and
 * stay disabled until then), and a manager of every app moves as a name
 * only (ctl_appexport.c); a login the target has already is refused
 * before anything is written (ctl_appimport.c).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "runtime.h"
#include "ctl_appmove.h"


/*
 * Every table that carries an app's rows, parents first.  A table without
 * app_id is filtered through its parent.  References not declared as
 * foreign keys count too (push_hidden's watermark is a push id).
 */
const struct feat_ctl_move_table  feat_ctl_move_tables[] = {
    { "apps", FEAT_MOVE_APP, 0, "id = ?1", { { NULL, NULL } } },
    { "app_settings", FEAT_MOVE_SETTINGS, 0, NULL, { { NULL, NULL } } },
    { "users", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "managers", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "faq", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "feedback_category", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { NULL, NULL } } },
    { "feedback", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" }, { "category_id", "feedback_category" } } },
    { "feedback_reply", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "feedback_id", "feedback" }, { "manager_id", "managers" } } },
    { "push_client", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "push", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "manager_id", "managers" } } },
    { "push_target", FEAT_MOVE_ROWS, 0, NULL,
      { { "push_id", "push" }, { "user_id", "users" } } },
    { "push_hidden", FEAT_MOVE_ROWS, 0, NULL,
      { { "user_id", "users" }, { "up_to_push_id", "push" } } },
    { "open_bindings", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "notices", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "notice_reads", FEAT_MOVE_ROWS, 0,
      "notice_id IN (SELECT id FROM main.notices WHERE app_id = ?1)",
      { { "notice_id", "notices" }, { "user_id", "users" } } },
    { "oauth2_client", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "images", FEAT_MOVE_ROWS, FEAT_MOVE_ID | FEAT_MOVE_MEDIA, NULL,
      { { "user_id", "users" } } },
    { "apns_device", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "alipay_binding", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "service_project", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "owner_id", "users" }, { "winner_bid_id", "service_bid" } } },
    { "service_bid", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "project_id", "service_project" }, { "bidder_id", "users" } } },
    { "pay_product", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL, { { NULL, NULL } } },
    { "pay_order", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "user_id", "users" }, { "product_id", "pay_product" },
        { "project_id", "service_project" } } },
    { "pay_attempt", FEAT_MOVE_ROWS, FEAT_MOVE_ID, NULL,
      { { "order_id", "pay_order" } } },
    { "pay_transaction", FEAT_MOVE_ROWS, FEAT_MOVE_ID,
      "order_id IN (SELECT id FROM main.pay_order WHERE app_id = ?1)",
      { { "order_id", "pay_order" } } },

    /* transient: users log in again, codes and permits are asked again */
    { "sessions", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "session_rotated", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "codes", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "permits", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    /* managers sign in to the console again */
    { "admin_sessions", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "rate_events", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    /* deliveries in flight belong to the install that queued them */
    { "outbox", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "outbox_fanout", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    /* the source install's record of who did what there; it stays */
    { "audit", FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },

    { NULL, FEAT_MOVE_SKIP, 0, NULL, { { NULL, NULL } } }
};

/* the import's offsets are an array of this many */
typedef char  feat_ctl_move_fits[FEAT_NELEMS(feat_ctl_move_tables)
                                 <= FEAT_MOVE_MAX ? 1 : -1];

/* The install's own tables, no tenant's. */
static const char *const  ctl_move_global[] = {
    "schema_version", "app_settings_version", "area_cache", NULL
};


const struct feat_ctl_command  feat_ctl_appmove_commands[] = {
    { "app", "export", feat_ctl_move_export, "APP FILE [--passphrase-file F]",
      "write one app's rows and media files to the archive FILE while it "
      "keeps serving (secret settings only with a passphrase)" },
    { "app", "import", feat_ctl_move_import,
      "FILE [--as APP] [--passphrase-file F] [--skip-existing-logins]",
      "add the app of an archive to this install, with fresh ids (a "
      "manager's login taken here is refused, or with "
      "--skip-existing-logins left out)" },
    FEAT_CTL_NULL_COMMAND
};


/* ---- helpers ------------------------------------------------------------- */

const struct feat_ctl_move_table *
feat_ctl_move_find(const char *name)
{
    size_t  i;

    for (i = 0; feat_ctl_move_tables[i].name != NULL; i++) {
        if (strcmp(feat_ctl_move_tables[i].name, name) == 0) {
            return &feat_ctl_move_tables[i];
        }
    }

    return NULL;
}


static int
ctl_move_global_table(const char *name)
{
    size_t  i;

    for (i = 0; ctl_move_global[i] != NULL; i++) {
        if (strcmp(ctl_move_global[i], name) == 0) {
            return 1;
        }
    }

    return 0;
}


/* Runs sql (no rows wanted) with ?1 bound to app when not NULL: FEAT_OK,
 * or FEAT_ERROR after printing what failed. */
int
feat_ctl_move_exec(sqlite3 *db, const char *sql, const char *app)
{
    int            rc;
    sqlite3_stmt  *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return feat_ctl_fail("%s: %s", sql, sqlite3_errmsg(db)),
               FEAT_ERROR;
    }

    if (app != NULL && sqlite3_bind_parameter_count(st) > 0) {
        sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
    }

    do {
        rc = sqlite3_step(st);
    } while (rc == SQLITE_ROW);

    sqlite3_finalize(st);

    if (rc != SQLITE_DONE) {
        feat_ctl_fail("%s: %s", sql, sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* The one integer sql answers (with ?1 = s when not NULL): FEAT_OK with
 * *out, FEAT_DECLINED when no row, FEAT_ERROR after printing why. */
int
feat_ctl_move_int(sqlite3 *db, const char *sql, const char *s,
    sqlite3_int64 *out)
{
    int            rc;
    sqlite3_stmt  *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        feat_ctl_fail("%s: %s", sql, sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    if (s != NULL) {
        sqlite3_bind_text(st, 1, s, -1, SQLITE_TRANSIENT);
    }

    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);

    if (rc == SQLITE_ROW) {
        return FEAT_OK;
    }
    if (rc == SQLITE_DONE) {
        return FEAT_DECLINED;
    }

    feat_ctl_fail("%s: %s", sql, sqlite3_errmsg(db));
    return FEAT_ERROR;
}


/* An identifier in double quotes, in the arena. */
const char *
feat_ctl_move_quote(struct feat_ctl *ctl, const char *name)
{
    size_t  i, n;
    char   *q;

    q = feat_arena_alloc(ctl->arena, 2 * strlen(name) + 3);
    n = 0;
    q[n++] = '"';
    for (i = 0; name[i] != '\0'; i++) {
        if (name[i] == '"') {
            q[n++] = '"';
        }
        q[n++] = name[i];
    }
    q[n++] = '"';
    q[n] = '\0';

    return q;
}


int
feat_ctl_move_app_id_valid(const char *id)
{
    size_t  n;

    for (n = 0; id[n] != '\0'; n++) {
        if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9')
              || id[n] == '_' || id[n] == '-'))
        {
            return 0;
        }
    }

    return n >= 1 && n <= FEAT_MOVE_APP_MAX;
}


/*
 * Checks that schema ("main" or "arc") holds no table of an app that
 * feat_ctl_move_tables does not name, and that every foreign key of a moved
 * table is one it remaps.  FEAT_OK, or FEAT_ERROR after printing the
 * first table or column that is unknown.
 */
int
feat_ctl_move_schema_check(struct feat_ctl *ctl, sqlite3 *db,
    const char *schema)
{
    int                           ret, scoped, found;
    size_t                        i;
    const char                   *name, *from, *parent, *sql;
    sqlite3_stmt                 *tables, *cols;
    const struct feat_ctl_move_table  *t;

    ret = FEAT_ERROR;
    tables = NULL;
    cols = NULL;

    sql = feat_arena_sprintf(ctl->arena,
        "SELECT name FROM %s.sqlite_schema WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' ORDER BY name", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &tables, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db,
               "SELECT 'app_id', 'apps' FROM pragma_table_info(?1, ?2)"
               " WHERE name = 'app_id'"
               " UNION ALL"
               " SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1,"
               " ?2)", -1, &cols, NULL)
           != SQLITE_OK)
    {
        feat_ctl_fail("reading the schema: %s", sqlite3_errmsg(db));
        goto done;
    }

    while (sqlite3_step(tables) == SQLITE_ROW) {
        name = feat_arena_strdup(ctl->arena,
                   (const char *) sqlite3_column_text(tables, 0));
        t = feat_ctl_move_find(name);

        if (ctl_move_global_table(name)
            || (strcmp(schema, "arc") == 0 && strcmp(name, "meta") == 0)
            || (strcmp(schema, "arc") == 0 && strcmp(name, "media") == 0))
        {
            continue;
        }

        sqlite3_reset(cols);
        sqlite3_bind_text(cols, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cols, 2, schema, -1, SQLITE_STATIC);

        scoped = 0;
        while (sqlite3_step(cols) == SQLITE_ROW) {
            from = (const char *) sqlite3_column_text(cols, 0);
            parent = (const char *) sqlite3_column_text(cols, 1);

            if (strcmp(from, "app_id") == 0
                || feat_ctl_move_find(parent) != NULL)
            {
                scoped = 1;
            }

            if (t == NULL || t->kind != FEAT_MOVE_ROWS
                || strcmp(from, "app_id") == 0)
            {
                continue;
            }

            found = 0;
            for (i = 0; i < FEAT_MOVE_REFS && t->refs[i].col != NULL; i++) {
                if (strcmp(t->refs[i].col, from) == 0
                    && strcmp(t->refs[i].parent, parent) == 0)
                {
                    found = 1;
                }
            }
            if (!found) {
                feat_ctl_fail("%s.%s references %s and featctl's app move"
                              " does not remap it (tools/ctl_appmove.c)",
                              name, from, parent);
                goto done;
            }
        }

        if (t == NULL && (scoped || strcmp(schema, "arc") == 0)) {
            feat_ctl_fail("table %s holds an app's rows and featctl's app"
                          " move does not know it (tools/ctl_appmove.c)",
                          name);
            goto done;
        }
    }

    ret = FEAT_OK;

done:

    sqlite3_finalize(tables);
    sqlite3_finalize(cols);
    return ret;
}


/* Reads the passphrase file (a trailing newline dropped): the text in the
 * arena, or NULL after printing why. */
const char *
feat_ctl_move_passphrase(struct feat_ctl *ctl, const char *path, size_t *len)
{
    int      fd;
    ssize_t  n;
    char    *buf;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        feat_ctl_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }

    buf = feat_arena_alloc(ctl->arena, FEAT_MOVE_PASS_MAX + 2);
    n = read(fd, buf, FEAT_MOVE_PASS_MAX + 1);
    close(fd);

    if (n < 0 || n > FEAT_MOVE_PASS_MAX) {
        feat_ctl_fail("%s: %s", path, n < 0 ? strerror(errno)
                                            : "longer than 1024 bytes");
        return NULL;
    }

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';

    if (n < 8) {
        feat_ctl_fail("%s: a passphrase of at least 8 bytes, please", path);
        return NULL;
    }

    *len = (size_t) n;
    return buf;
}


/* The archive key of a passphrase: FEAT_OK or FEAT_ERROR (printed). */
int
feat_ctl_move_kdf(const char *pass, size_t len, const unsigned char *salt,
    size_t slen, unsigned char key[FEAT_AEAD_KEY])
{
    if (EVP_PBE_scrypt(pass, len, salt, slen,
                       (uint64_t) 1 << FEAT_MOVE_KDF_LN, FEAT_MOVE_KDF_R,
                       FEAT_MOVE_KDF_P, FEAT_MOVE_KDF_MEM, key,
                       FEAT_AEAD_KEY)
        != 1)
    {
        feat_ctl_fail("scrypt of the passphrase failed");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
