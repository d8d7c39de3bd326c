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
 * ctl_move_tables is the one list of what belongs to an app; both
 * commands refuse a schema with a table holding an app_id, or a foreign
 * key, that the list does not name, so a migration that adds one fails
 * the tests until it is listed here.  Transient rows are not moved:
 * sessions (users log in again), codes, permits, rate events and the
 * outbox.  Secret settings are sealed under the install's secret; export
 * opens them and seals them again under a passphrase (--passphrase-file,
 * scrypt), or leaves them out without one, and import seals them under the
 * target's secret and the new app id.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "runtime.h"
#include "featctl.h"

#define CTL_MOVE_FORMAT     "featcgi-app-archive"
#define CTL_MOVE_VERSION    1
#define CTL_MOVE_REFS       4
#define CTL_MOVE_APP_MAX    64
#define CTL_MOVE_PASS_MAX   1024
#define CTL_MOVE_SALT       16
#define CTL_MOVE_MEDIA_MAX  (256 * 1024 * 1024)
/* scrypt of the passphrase: 2^15 * 8 * 128 bytes = 32 MiB */
#define CTL_MOVE_KDF_LN     15
#define CTL_MOVE_KDF_R      8
#define CTL_MOVE_KDF_P      1
#define CTL_MOVE_KDF_MEM    (128 * 1024 * 1024)


enum ctl_move_kind {
    CTL_MOVE_ROWS,        /* the app's rows, ids and references remapped */
    CTL_MOVE_APP,         /* the apps row itself */
    CTL_MOVE_SETTINGS,    /* app_settings: secrets sealed again */
    CTL_MOVE_SKIP         /* belongs to the app, deliberately not moved */
};

#define CTL_MOVE_ID     0x01  /* an INTEGER PRIMARY KEY "id" to remap */
#define CTL_MOVE_MEDIA  0x02  /* relpath names a file under media_dir */

struct ctl_move_ref {
    const char  *col;
    const char  *parent;       /* a CTL_MOVE_ID table */
};

struct ctl_move_table {
    const char           *name;
    enum ctl_move_kind    kind;
    unsigned              flags;
    const char           *where;   /* NULL: "app_id = ?1" */
    struct ctl_move_ref   refs[CTL_MOVE_REFS];
};

/*
 * Every table that carries an app's rows, parents first.  A table without
 * app_id is filtered through its parent.  References not declared as
 * foreign keys count too (push_hidden's watermark is a push id).
 */
static const struct ctl_move_table  ctl_move_tables[] = {
    { "apps", CTL_MOVE_APP, 0, "id = ?1", { { NULL, NULL } } },
    { "app_settings", CTL_MOVE_SETTINGS, 0, NULL, { { NULL, NULL } } },
    { "users", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "managers", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "faq", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "feedback_category", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { NULL, NULL } } },
    { "feedback", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" }, { "category_id", "feedback_category" } } },
    { "feedback_reply", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "feedback_id", "feedback" }, { "manager_id", "managers" } } },
    { "push_client", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "push", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "manager_id", "managers" } } },
    { "push_target", CTL_MOVE_ROWS, 0, NULL,
      { { "push_id", "push" }, { "user_id", "users" } } },
    { "push_hidden", CTL_MOVE_ROWS, 0, NULL,
      { { "user_id", "users" }, { "up_to_push_id", "push" } } },
    { "open_bindings", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "notices", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "notice_reads", CTL_MOVE_ROWS, 0,
      "notice_id IN (SELECT id FROM main.notices WHERE app_id = ?1)",
      { { "notice_id", "notices" }, { "user_id", "users" } } },
    { "oauth2_client", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "images", CTL_MOVE_ROWS, CTL_MOVE_ID | CTL_MOVE_MEDIA, NULL,
      { { "user_id", "users" } } },
    { "apns_device", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "alipay_binding", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" } } },
    { "service_project", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "owner_id", "users" }, { "winner_bid_id", "service_bid" } } },
    { "service_bid", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "project_id", "service_project" }, { "bidder_id", "users" } } },
    { "pay_product", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL, { { NULL, NULL } } },
    { "pay_order", CTL_MOVE_ROWS, CTL_MOVE_ID, NULL,
      { { "user_id", "users" }, { "product_id", "pay_product" },
        { "project_id", "service_project" } } },
    { "pay_transaction", CTL_MOVE_ROWS, CTL_MOVE_ID,
      "order_id IN (SELECT id FROM main.pay_order WHERE app_id = ?1)",
      { { "order_id", "pay_order" } } },

    /* transient: users log in again, codes and permits are asked again */
    { "sessions", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "session_rotated", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "codes", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "permits", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "rate_events", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    /* deliveries in flight belong to the install that queued them */
    { "outbox", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    { "outbox_fanout", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
    /* the source install's record of who did what there; it stays */
    { "audit", CTL_MOVE_SKIP, 0, NULL, { { NULL, NULL } } },
};

/* The install's own tables, no tenant's. */
static const char *const  ctl_move_global[] = {
    "schema_version", "app_settings_version", "area_cache", NULL
};


struct ctl_move_secret {
    const char     *key;
    unsigned char  *plain;      /* malloc'd by the opener; wiped */
    size_t          len;
    sqlite3_int64   updated_at;
};


static int ctl_move_export(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_move_import(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_appmove_commands[] = {
    { "app", "export", ctl_move_export, "APP FILE [--passphrase-file F]",
      "write one app's rows and media files to the archive FILE while it "
      "keeps serving (secret settings only with a passphrase)" },
    { "app", "import", ctl_move_import,
      "FILE [--as APP] [--passphrase-file F]",
      "add the app of an archive to this install, with fresh ids" },
    FEAT_CTL_NULL_COMMAND
};


/* ---- helpers ------------------------------------------------------------- */

static const struct ctl_move_table *
ctl_move_find(const char *name)
{
    size_t  i;

    for (i = 0; i < FEAT_NELEMS(ctl_move_tables); i++) {
        if (strcmp(ctl_move_tables[i].name, name) == 0) {
            return &ctl_move_tables[i];
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
static int
ctl_move_exec(sqlite3 *db, const char *sql, const char *app)
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
static int
ctl_move_int(sqlite3 *db, const char *sql, const char *s, sqlite3_int64 *out)
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
static const char *
ctl_move_quote(struct feat_ctl *ctl, const char *name)
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


static int
ctl_move_app_id_valid(const char *id)
{
    size_t  n;

    for (n = 0; id[n] != '\0'; n++) {
        if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9')
              || id[n] == '_' || id[n] == '-'))
        {
            return 0;
        }
    }

    return n >= 1 && n <= CTL_MOVE_APP_MAX;
}


/*
 * Checks that schema ("main" or "arc") holds no table of an app that
 * ctl_move_tables does not name, and that every foreign key of a moved
 * table is one it remaps.  FEAT_OK, or FEAT_ERROR after printing the
 * first table or column that is unknown.
 */
static int
ctl_move_schema_check(struct feat_ctl *ctl, sqlite3 *db, const char *schema)
{
    int                           ret, scoped, found;
    size_t                        i;
    const char                   *name, *from, *parent, *sql;
    sqlite3_stmt                 *tables, *cols;
    const struct ctl_move_table  *t;

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
        t = ctl_move_find(name);

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

            if (strcmp(from, "app_id") == 0 || ctl_move_find(parent) != NULL) {
                scoped = 1;
            }

            if (t == NULL || t->kind != CTL_MOVE_ROWS
                || strcmp(from, "app_id") == 0)
            {
                continue;
            }

            found = 0;
            for (i = 0; i < CTL_MOVE_REFS && t->refs[i].col != NULL; i++) {
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
static const char *
ctl_move_passphrase(struct feat_ctl *ctl, const char *path, size_t *len)
{
    int      fd;
    ssize_t  n;
    char    *buf;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        feat_ctl_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }

    buf = feat_arena_alloc(ctl->arena, CTL_MOVE_PASS_MAX + 2);
    n = read(fd, buf, CTL_MOVE_PASS_MAX + 1);
    close(fd);

    if (n < 0 || n > CTL_MOVE_PASS_MAX) {
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
static int
ctl_move_kdf(const char *pass, size_t len, const unsigned char *salt,
    size_t slen, unsigned char key[FEAT_AEAD_KEY])
{
    if (EVP_PBE_scrypt(pass, len, salt, slen,
                       (uint64_t) 1 << CTL_MOVE_KDF_LN, CTL_MOVE_KDF_R,
                       CTL_MOVE_KDF_P, CTL_MOVE_KDF_MEM, key, FEAT_AEAD_KEY)
        != 1)
    {
        feat_ctl_fail("scrypt of the passphrase failed");
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* ---- export -------------------------------------------------------------- */

/* Copies the app's rows of every table into arc, counting them in rows. */
static int
ctl_move_export_rows(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    cJSON *rows, long long *total)
{
    size_t                        i;
    const char                   *q, *sql;
    const struct ctl_move_table  *t;

    for (i = 0; i < FEAT_NELEMS(ctl_move_tables); i++) {
        t = &ctl_move_tables[i];
        if (t->kind == CTL_MOVE_SKIP) {
            continue;
        }

        q = ctl_move_quote(ctl, t->name);
        sql = feat_arena_sprintf(ctl->arena,
            "CREATE TABLE arc.%s AS SELECT * FROM main.%s WHERE 0", q, q);
        if (ctl_move_exec(db, sql, NULL) != FEAT_OK) {
            return FEAT_ERROR;
        }

        sql = feat_arena_sprintf(ctl->arena,
            "INSERT INTO arc.%s SELECT * FROM main.%s WHERE %s", q, q,
            t->where != NULL ? t->where : "app_id = ?1");
        if (ctl_move_exec(db, sql, app) != FEAT_OK) {
            return FEAT_ERROR;
        }

        cJSON_AddNumberToObject(rows, t->name, sqlite3_changes(db));
        *total += sqlite3_changes(db);
    }

    return FEAT_OK;
}


/*
 * The secret settings in arc: opened under this install's secret and
 * sealed under key (the passphrase's), or removed when key is NULL.
 * *count gets how many there were.
 */
static int
ctl_move_export_secrets(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    const unsigned char *key, int *count)
{
    int             ret, rc;
    char           *plain;
    size_t          len;
    const char     *k;
    unsigned char  *sealed;
    sqlite3_stmt   *st, *up;

    ret = FEAT_ERROR;
    st = NULL;
    up = NULL;
    *count = 0;

    if (sqlite3_prepare_v2(db, "SELECT key, sealed FROM arc.app_settings"
                           " WHERE sealed IS NOT NULL ORDER BY key", -1, &st,
                           NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "UPDATE arc.app_settings SET sealed = ?"
                              " WHERE key = ?", -1, &up, NULL) != SQLITE_OK)
    {
        feat_ctl_fail("reading the secret settings: %s", sqlite3_errmsg(db));
        goto done;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*count)++;
        if (key == NULL) {
            continue;
        }

        k = (const char *) sqlite3_column_text(st, 0);
        if (feat_setting_open(app, k, sqlite3_column_blob(st, 1),
                              (size_t) sqlite3_column_bytes(st, 1), &plain,
                              &len)
            != FEAT_OK)
        {
            feat_ctl_fail("the secret setting %s does not open under this"
                          " install's secret", k);
            goto done;
        }

        sealed = feat_arena_alloc(ctl->arena, len + FEAT_AEAD_OVERHEAD);
        rc = feat_aead_seal(key, k, strlen(k), plain, len, sealed);
        feat_cleanse(plain, len);
        free(plain);
        if (rc != FEAT_OK) {
            feat_ctl_fail("sealing %s failed", k);
            goto done;
        }

        sqlite3_reset(up);
        sqlite3_bind_blob(up, 1, sealed, (int) (len + FEAT_AEAD_OVERHEAD),
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 2, k, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(up) != SQLITE_DONE) {
            feat_ctl_fail("writing %s: %s", k, sqlite3_errmsg(db));
            goto done;
        }
    }

    if (rc != SQLITE_DONE) {
        feat_ctl_fail("reading the secret settings: %s", sqlite3_errmsg(db));
        goto done;
    }

    if (key == NULL && *count > 0
        && ctl_move_exec(db, "DELETE FROM arc.app_settings"
                         " WHERE sealed IS NOT NULL", NULL) != FEAT_OK)
    {
        goto done;
    }

    ret = FEAT_OK;

done:

    sqlite3_finalize(st);
    sqlite3_finalize(up);
    return ret;
}


/* Reads path whole into *data (malloc'd): FEAT_OK, FEAT_DECLINED when it
 * is gone, FEAT_ERROR after printing why. */
static int
ctl_move_read_file(const char *path, unsigned char **data, size_t *n)
{
    int            fd;
    ssize_t        r;
    size_t         got;
    struct stat    sb;
    unsigned char *buf;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        if (errno == ENOENT) {
            return FEAT_DECLINED;
        }
        feat_ctl_fail("cannot read %s: %s", path, strerror(errno));
        return FEAT_ERROR;
    }

    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)
        || sb.st_size > CTL_MOVE_MEDIA_MAX)
    {
        close(fd);
        feat_ctl_fail("%s: not a regular file of at most 256 MiB", path);
        return FEAT_ERROR;
    }

    buf = malloc((size_t) sb.st_size + 1);
    if (buf == NULL) {
        abort();
    }

    for (got = 0; got < (size_t) sb.st_size; got += (size_t) r) {
        r = read(fd, buf + got, (size_t) sb.st_size - got);
        if (r < 0 && errno == EINTR) {
            r = 0;
            continue;
        }
        if (r <= 0) {
            break;
        }
    }
    close(fd);

    if (got != (size_t) sb.st_size) {
        free(buf);
        feat_ctl_fail("%s: short read", path);
        return FEAT_ERROR;
    }

    *data = buf;
    *n = got;
    return FEAT_OK;
}


/*
 * The files of the images in arc, into arc.media.  An image whose file is
 * gone was deleted after the snapshot began (the row goes with its file):
 * its row is dropped from the archive too.
 */
static int
ctl_move_export_media(struct feat_ctl *ctl, sqlite3 *db, int *files,
    int *gone)
{
    int             ret, rc;
    size_t          n;
    const char     *dir, *rel;
    unsigned char  *data;
    sqlite3_stmt   *st, *ins;

    ret = FEAT_ERROR;
    st = NULL;
    ins = NULL;
    *files = 0;
    *gone = 0;
    dir = feat_conf_path(FEAT_CONF_MEDIA_DIR);

    if (ctl_move_exec(db, "CREATE TABLE arc.media (relpath TEXT PRIMARY KEY,"
                      " data BLOB NOT NULL)", NULL) != FEAT_OK)
    {
        goto done;
    }

    if (sqlite3_prepare_v2(db, "SELECT relpath FROM arc.images ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO arc.media (relpath, data)"
                              " VALUES (?, ?)", -1, &ins, NULL) != SQLITE_OK)
    {
        feat_ctl_fail("reading the images: %s", sqlite3_errmsg(db));
        goto done;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rel = (const char *) sqlite3_column_text(st, 0);

        if (rel == NULL || rel[0] == '/' || strstr(rel, "..") != NULL) {
            feat_ctl_fail("images holds a bad relpath \"%s\"",
                          rel != NULL ? rel : "");
            goto done;
        }

        switch (ctl_move_read_file(feat_arena_sprintf(ctl->arena, "%s/%s",
                                       dir, rel), &data, &n))
        {
        case FEAT_OK:
            break;
        case FEAT_DECLINED:
            (*gone)++;
            continue;
        default:
            goto done;
        }

        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, rel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins, 2, data, (int) n, free);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            feat_ctl_fail("writing the media: %s", sqlite3_errmsg(db));
            goto done;
        }
        (*files)++;
    }

    if (rc != SQLITE_DONE) {
        feat_ctl_fail("reading the images: %s", sqlite3_errmsg(db));
        goto done;
    }

    if (*gone > 0
        && ctl_move_exec(db, "DELETE FROM arc.images WHERE relpath NOT IN"
                         " (SELECT relpath FROM arc.media)", NULL) != FEAT_OK)
    {
        goto done;
    }

    ret = FEAT_OK;

done:

    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return ret;
}


/* The archive's meta rows. */
static int
ctl_move_export_meta(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    int version, const char *secrets, const unsigned char *salt)
{
    int            ok;
    sqlite3_stmt  *st;

    if (ctl_move_exec(db, "CREATE TABLE arc.meta (key TEXT PRIMARY KEY,"
                      " value)", NULL) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    if (sqlite3_prepare_v2(db,
            "INSERT INTO arc.meta (key, value) VALUES"
            " ('format', ?1), ('format_version', ?2), ('schema_version', ?3),"
            " ('app_id', ?4), ('exported_at', ?5), ('secrets', ?6),"
            " ('kdf', ?7), ('salt', ?8)", -1, &st, NULL) != SQLITE_OK)
    {
        return feat_ctl_fail("writing meta: %s", sqlite3_errmsg(db)),
               FEAT_ERROR;
    }

    sqlite3_bind_text(st, 1, CTL_MOVE_FORMAT, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, CTL_MOVE_VERSION);
    sqlite3_bind_int(st, 3, version);
    sqlite3_bind_text(st, 4, app, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (sqlite3_int64) time(NULL));
    sqlite3_bind_text(st, 6, secrets, -1, SQLITE_STATIC);
    if (salt != NULL) {
        sqlite3_bind_text(st, 7, feat_arena_sprintf(ctl->arena,
                              "scrypt:%d:%d:%d", CTL_MOVE_KDF_LN,
                              CTL_MOVE_KDF_R, CTL_MOVE_KDF_P), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 8, salt, CTL_MOVE_SALT, SQLITE_TRANSIENT);
    }

    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);

    if (!ok) {
        feat_ctl_fail("writing meta: %s", sqlite3_errmsg(db));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Everything of the export between ATTACH and DETACH, in one read
 * transaction of the source. */
static int
ctl_move_export_tx(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    const unsigned char *key, const unsigned char *salt, cJSON *res)
{
    int            version, secrets, files, gone;
    long long      total;
    cJSON         *rows;
    sqlite3_int64  one;

    if (ctl_move_exec(db, "BEGIN", NULL) != FEAT_OK) {
        return FEAT_ERROR;
    }

    /* the first read of main starts the snapshot everything comes from */
    switch (ctl_move_int(db, "SELECT 1 FROM main.apps WHERE id = ?1", app,
                         &one))
    {
    case FEAT_OK:
        break;
    case FEAT_DECLINED:
        feat_ctl_fail("no app \"%s\"", app);
        goto failed;
    default:
        goto failed;
    }

    version = feat_db_version(db);
    if (version < 0 || ctl_move_schema_check(ctl, db, "main") != FEAT_OK) {
        goto failed;
    }

    rows = cJSON_AddObjectToObject(res, "rows");
    total = 0;

    if (ctl_move_export_rows(ctl, db, app, rows, &total) != FEAT_OK
        || ctl_move_export_secrets(ctl, db, app, key, &secrets) != FEAT_OK
        || ctl_move_export_media(ctl, db, &files, &gone) != FEAT_OK
        || ctl_move_export_meta(ctl, db, app, version,
                                secrets == 0 ? "none"
                                : key != NULL ? "passphrase" : "left out",
                                key != NULL ? salt : NULL)
           != FEAT_OK
        || ctl_move_exec(db, "COMMIT", NULL) != FEAT_OK)
    {
        goto failed;
    }

    cJSON_AddNumberToObject(res, "schema_version", version);
    cJSON_AddNumberToObject(res, "total", (double) total);
    cJSON_AddNumberToObject(res, "media", files);
    cJSON_AddNumberToObject(res, "media_gone", gone);
    cJSON_AddNumberToObject(res, "secrets", key != NULL ? secrets : 0);
    cJSON_AddNumberToObject(res, "secrets_left_out",
                            key != NULL ? 0 : secrets);

    return FEAT_OK;

failed:

    (void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return FEAT_ERROR;
}


static int
ctl_move_export(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        fd, rc, left;
    char                       msg[512];
    size_t                     plen;
    cJSON                     *res;
    sqlite3                   *db;
    struct stat                sb;
    const char                *pos[2], *app, *file, *tmp, *pass_opt, *pass;
    unsigned char              key[FEAT_AEAD_KEY], salt[CTL_MOVE_SALT];
    const struct feat_ctl_opt  opts[] = {
        { "passphrase-file", 1, &pass_opt },
        { NULL, 0, NULL }
    };

    pass_opt = NULL;
    if (feat_ctl_args(ctl, argc, argv, opts, pos, 2) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }
    app = pos[0];
    file = pos[1];

    if (file[0] == '\0' || strlen(file) > 4000) {
        return feat_ctl_fail("bad archive file name");
    }
    if (lstat(file, &sb) == 0) {
        return feat_ctl_fail("%s exists: an export never replaces a file",
                             file);
    }

    if (pass_opt != NULL) {
        pass = ctl_move_passphrase(ctl, pass_opt, &plen);
        if (pass == NULL) {
            return FEAT_CTL_FAIL;
        }
        feat_random(salt, sizeof(salt));
        if (ctl_move_kdf(pass, plen, salt, sizeof(salt), key) != FEAT_OK) {
            return FEAT_CTL_FAIL;
        }
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* it holds password hashes: 0600, and never through a symlink */
    tmp = feat_arena_sprintf(ctl->arena, "%s.tmp-%ld", file, (long) getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1) {
        return feat_ctl_fail("cannot create %s: %s", tmp, strerror(errno));
    }
    close(fd);

    res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddStringToObject(res, "file", file);

    rc = FEAT_ERROR;
    if (ctl_move_exec(db, "ATTACH DATABASE ?1 AS arc", tmp) == FEAT_OK) {
        if (ctl_move_exec(db, "PRAGMA arc.journal_mode = DELETE", NULL)
            == FEAT_OK)
        {
            rc = ctl_move_export_tx(ctl, db, app,
                                    pass_opt != NULL ? key : NULL, salt, res);
        }
        if (ctl_move_exec(db, "DETACH DATABASE arc", NULL) != FEAT_OK) {
            rc = FEAT_ERROR;
        }
    }

    feat_cleanse(key, sizeof(key));

    if (rc == FEAT_OK && link(tmp, file) != 0) {
        feat_ctl_fail("cannot create %s: %s", file, strerror(errno));
        rc = FEAT_ERROR;
    }
    unlink(tmp);
    unlink(feat_arena_sprintf(ctl->arena, "%s-journal", tmp));

    if (rc != FEAT_OK) {
        cJSON_Delete(res);
        return FEAT_CTL_FAIL;
    }

    left = cJSON_GetObjectItem(res, "secrets_left_out")->valueint;
    if (left > 0) {
        fprintf(stderr, "featctl: %d secret setting%s left out: give "
                "--passphrase-file to carry them\n", left,
                left == 1 ? "" : "s");
    }

    snprintf(msg, sizeof(msg), "exported app \"%s\": %.0f rows, %d media"
             " files, %d secret settings to %s", app,
             cJSON_GetObjectItem(res, "total")->valuedouble,
             cJSON_GetObjectItem(res, "media")->valueint,
             cJSON_GetObjectItem(res, "secrets")->valueint, file);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/* ---- import -------------------------------------------------------------- */

struct ctl_move_import {
    struct feat_ctl          *ctl;
    sqlite3                  *db;
    const char               *app;       /* the new app id */
    sqlite3_int64             off[FEAT_NELEMS(ctl_move_tables)];
    struct ctl_move_secret   *secrets;
    int                       nsecrets;
    const char              **written;   /* media files made, for a failure */
    int                       nwritten;
    int                       media;
};


/* A meta value of the archive, in the arena, or NULL. */
static const char *
ctl_move_meta(struct feat_ctl *ctl, sqlite3 *db, const char *key)
{
    const char    *v;
    sqlite3_stmt  *st;

    v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM arc.meta WHERE key = ?1",
                           -1, &st, NULL) != SQLITE_OK)
    {
        return NULL;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW
        && sqlite3_column_type(st, 0) != SQLITE_NULL)
    {
        v = feat_arena_strdup(ctl->arena,
                              (const char *) sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);

    return v;
}


/* Opens the archive's secrets with the passphrase into m->secrets. */
static int
ctl_move_import_secrets(struct ctl_move_import *m, const char *pass_opt)
{
    int            ret, rc, ln, r, p, n;
    size_t         plen, slen, clen;
    const char    *pass, *kdf;
    sqlite3_stmt  *st;
    unsigned char  key[FEAT_AEAD_KEY], salt[CTL_MOVE_SALT];
    const void    *blob;

    m->nsecrets = 0;
    st = NULL;
    ret = FEAT_ERROR;

    if (sqlite3_prepare_v2(m->db, "SELECT count(*) FROM arc.app_settings"
                           " WHERE sealed IS NOT NULL", -1, &st, NULL)
        != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
    {
        feat_ctl_fail("reading the archive: %s", sqlite3_errmsg(m->db));
        goto done;
    }
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;

    if (n == 0) {
        return FEAT_OK;
    }
    if (pass_opt == NULL) {
        feat_ctl_fail("the archive holds %d secret setting%s sealed with a"
                      " passphrase: give --passphrase-file", n,
                      n == 1 ? "" : "s");
        return FEAT_ERROR;
    }

    pass = ctl_move_passphrase(m->ctl, pass_opt, &plen);
    kdf = ctl_move_meta(m->ctl, m->db, "kdf");
    if (pass == NULL) {
        return FEAT_ERROR;
    }
    if (kdf == NULL || sscanf(kdf, "scrypt:%d:%d:%d", &ln, &r, &p) != 3
        || ln != CTL_MOVE_KDF_LN || r != CTL_MOVE_KDF_R
        || p != CTL_MOVE_KDF_P)
    {
        feat_ctl_fail("the archive's key derivation \"%s\" is not this"
                      " featctl's", kdf != NULL ? kdf : "");
        return FEAT_ERROR;
    }

    if (sqlite3_prepare_v2(m->db, "SELECT value FROM arc.meta"
                           " WHERE key = 'salt'", -1, &st, NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW
        || (slen = (size_t) sqlite3_column_bytes(st, 0)) != CTL_MOVE_SALT)
    {
        feat_ctl_fail("the archive has no salt for its secrets");
        goto done;
    }
    memcpy(salt, sqlite3_column_blob(st, 0), slen);
    sqlite3_finalize(st);
    st = NULL;

    if (ctl_move_kdf(pass, plen, salt, slen, key) != FEAT_OK) {
        goto done;
    }

    m->secrets = feat_arena_calloc(m->ctl->arena, n * sizeof(*m->secrets));

    if (sqlite3_prepare_v2(m->db, "SELECT key, sealed, updated_at"
                           " FROM arc.app_settings WHERE sealed IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
    {
        feat_ctl_fail("reading the archive: %s", sqlite3_errmsg(m->db));
        goto done;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && m->nsecrets < n) {
        struct ctl_move_secret  *s = &m->secrets[m->nsecrets];

        s->key = feat_arena_strdup(m->ctl->arena,
                                   (const char *) sqlite3_column_text(st, 0));
        blob = sqlite3_column_blob(st, 1);
        clen = (size_t) sqlite3_column_bytes(st, 1);
        s->updated_at = sqlite3_column_int64(st, 2);

        if (clen < FEAT_AEAD_OVERHEAD) {
            feat_ctl_fail("the archive's secret %s is cut short", s->key);
            goto done;
        }
        s->len = clen - FEAT_AEAD_OVERHEAD;
        s->plain = malloc(s->len + 1);
        if (s->plain == NULL) {
            abort();
        }
        m->nsecrets++;

        if (feat_aead_open(key, s->key, strlen(s->key), blob, clen, s->plain)
            != FEAT_OK)
        {
            feat_ctl_fail("the secret settings do not open with this"
                          " passphrase");
            goto done;
        }
        s->plain[s->len] = '\0';
    }

    ret = FEAT_OK;

done:

    feat_cleanse(key, sizeof(key));
    sqlite3_finalize(st);
    return ret;
}


/* The offset of every id table: its ids land above the target's. */
static int
ctl_move_import_offsets(struct ctl_move_import *m)
{
    size_t                        i;
    const char                   *q, *sql;
    sqlite3_int64                 top, low;
    const struct ctl_move_table  *t;

    for (i = 0; i < FEAT_NELEMS(ctl_move_tables); i++) {
        t = &ctl_move_tables[i];
        m->off[i] = 0;
        if (!(t->flags & CTL_MOVE_ID)) {
            continue;
        }

        q = ctl_move_quote(m->ctl, t->name);
        /* an AUTOINCREMENT table never reuses an id it once gave */
        sql = feat_arena_sprintf(m->ctl->arena,
            "SELECT max(coalesce((SELECT max(id) FROM main.%s), 0),"
            " coalesce((SELECT seq FROM main.sqlite_sequence"
            " WHERE name = ?1), 0))", q);
        if (ctl_move_int(m->db, sql, t->name, &top) != FEAT_OK) {
            return FEAT_ERROR;
        }
        sql = feat_arena_sprintf(m->ctl->arena,
            "SELECT coalesce(min(id), 1) FROM arc.%s", q);
        if (ctl_move_int(m->db, sql, NULL, &low) != FEAT_OK) {
            return FEAT_ERROR;
        }

        m->off[i] = top + 1 - low;
    }

    return FEAT_OK;
}


/* Whether relpath is one feat_image_store makes ("ab/<base62>.ext"). */
static int
ctl_move_relpath_ok(const char *rel)
{
    size_t  i;

    if (strlen(rel) < 6 || strlen(rel) > 200 || rel[2] != '/') {
        return 0;
    }

    for (i = 0; rel[i] != '\0'; i++) {
        if (i == 2) {
            continue;
        }
        if (!((rel[i] >= 'a' && rel[i] <= 'z') || (rel[i] >= 'A'
               && rel[i] <= 'Z') || (rel[i] >= '0' && rel[i] <= '9')
              || (rel[i] == '.' && i > 3)))
        {
            return 0;
        }
    }

    return strchr(rel + 3, '.') != NULL && strstr(rel, "..") == NULL;
}


/*
 * Writes one media file under this install's media_dir: at the archive's
 * relpath when it is free here, else at a new random name of the same
 * extension.  FEAT_OK with *out (arena), or FEAT_ERROR after printing.
 */
static int
ctl_move_put_file(struct ctl_move_import *m, const char *rel,
    const void *data, size_t n, const char **out)
{
    int             fd, tries;
    char            name[33], tmpname[17];
    const char     *dir, *ext, *cand, *sub, *tmp, *path;
    sqlite3_int64   one;
    const uint8_t  *p;
    ssize_t         w;
    size_t          done;

    dir = feat_conf_path(FEAT_CONF_MEDIA_DIR);
    ext = strrchr(rel, '.');
    if (!ctl_move_relpath_ok(rel) || ext == NULL) {
        feat_ctl_fail("the archive holds a bad media name \"%s\"", rel);
        return FEAT_ERROR;
    }

    feat_random_base62(tmpname, sizeof(tmpname) - 1);

    for (tries = 0; tries < 8; tries++) {
        if (tries == 0) {
            cand = rel;
        } else {
            feat_random_base62(name, sizeof(name) - 1);
            cand = feat_arena_sprintf(m->ctl->arena, "%s%s", name, ext);
            cand = feat_arena_sprintf(m->ctl->arena, "%.2s/%s", cand, cand);
        }

        switch (ctl_move_int(m->db, "SELECT 1 FROM main.images"
                             " WHERE relpath = ?1", cand, &one))
        {
        case FEAT_OK:
            continue;
        case FEAT_DECLINED:
            break;
        default:
            return FEAT_ERROR;
        }

        sub = feat_arena_sprintf(m->ctl->arena, "%s/%.2s", dir, cand);
        if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
            feat_ctl_fail("mkdir %s: %s", sub, strerror(errno));
            return FEAT_ERROR;
        }

        tmp = feat_arena_sprintf(m->ctl->arena, "%s/.tmp-%s", sub, tmpname);
        path = feat_arena_sprintf(m->ctl->arena, "%s/%s", dir, cand);

        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd == -1) {
            feat_ctl_fail("cannot create %s: %s", tmp, strerror(errno));
            return FEAT_ERROR;
        }

        p = data;
        for (done = 0; done < n; done += (size_t) w) {
            w = write(fd, p + done, n - done);
            if (w < 0 && errno == EINTR) {
                w = 0;
                continue;
            }
            if (w <= 0) {
                break;
            }
        }

        /* nginx reads it under another user: 0644 whatever the umask */
        if (done != n || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
            feat_ctl_fail("writing %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return FEAT_ERROR;
        }
        close(fd);

        /* link() never replaces a file someone else put there */
        if (link(tmp, path) != 0) {
            unlink(tmp);
            if (errno == EEXIST) {
                continue;
            }
            feat_ctl_fail("cannot create %s: %s", path, strerror(errno));
            return FEAT_ERROR;
        }
        unlink(tmp);

        m->written[m->nwritten++] = path;
        *out = cand;
        return FEAT_OK;
    }

    feat_ctl_fail("no free name for the media file %s", rel);
    return FEAT_ERROR;
}


/* The archive's media files, with temp.move_media mapping old to new
 * relpaths. */
static int
ctl_move_import_media(struct ctl_move_import *m)
{
    int             ret, rc;
    sqlite3_int64   n;
    const char     *rel, *out;
    sqlite3_stmt   *st, *ins;

    ret = FEAT_ERROR;
    st = NULL;
    ins = NULL;

    if (ctl_move_exec(m->db, "CREATE TEMP TABLE move_media (old TEXT PRIMARY"
                      " KEY, new TEXT NOT NULL)", NULL) != FEAT_OK
        || ctl_move_int(m->db, "SELECT count(*) FROM arc.media", NULL, &n)
           != FEAT_OK)
    {
        goto done;
    }

    m->written = feat_arena_calloc(m->ctl->arena,
                                   ((size_t) n + 1) * sizeof(char *));

    if (sqlite3_prepare_v2(m->db, "SELECT relpath, data FROM arc.media",
                           -1, &st, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(m->db, "INSERT INTO temp.move_media (old, new)"
                              " VALUES (?, ?)", -1, &ins, NULL) != SQLITE_OK)
    {
        feat_ctl_fail("reading the media: %s", sqlite3_errmsg(m->db));
        goto done;
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW && m->nwritten < n) {
        rel = feat_arena_strdup(m->ctl->arena,
                                (const char *) sqlite3_column_text(st, 0));
        if (ctl_move_put_file(m, rel, sqlite3_column_blob(st, 1),
                              (size_t) sqlite3_column_bytes(st, 1), &out)
            != FEAT_OK)
        {
            goto done;
        }

        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, rel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, out, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            feat_ctl_fail("media map: %s", sqlite3_errmsg(m->db));
            goto done;
        }
    }

    m->media = m->nwritten;
    ret = FEAT_OK;

done:

    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return ret;
}


/* The column names of schema.table, as a NULL-ended array in the arena. */
static const char **
ctl_move_columns(struct ctl_move_import *m, const char *schema,
    const char *table)
{
    int            n;
    const char   **cols;
    sqlite3_stmt  *st;

    cols = feat_arena_calloc(m->ctl->arena, 129 * sizeof(char *));
    if (sqlite3_prepare_v2(m->db, "SELECT name FROM pragma_table_info(?1, ?2)"
                           " ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
    {
        return cols;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);

    for (n = 0; n < 128 && sqlite3_step(st) == SQLITE_ROW; n++) {
        cols[n] = feat_arena_strdup(m->ctl->arena,
                                    (const char *) sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);

    return cols;
}


static int
ctl_move_has(const char **cols, const char *name)
{
    for ( ; *cols != NULL; cols++) {
        if (strcmp(*cols, name) == 0) {
            return 1;
        }
    }
    return 0;
}


/* The expression that gives column c of table t its value in the target. */
static const char *
ctl_move_expr(struct ctl_move_import *m, const struct ctl_move_table *t,
    size_t ti, const char *c)
{
    size_t       i;
    const char  *q;

    q = ctl_move_quote(m->ctl, c);

    if ((t->kind == CTL_MOVE_APP && strcmp(c, "id") == 0)
        || strcmp(c, "app_id") == 0)
    {
        return "?1";
    }

    if ((t->flags & CTL_MOVE_ID) && strcmp(c, "id") == 0) {
        return feat_arena_sprintf(m->ctl->arena, "id + %lld",
                                  (long long) m->off[ti]);
    }

    if ((t->flags & CTL_MOVE_MEDIA) && strcmp(c, "relpath") == 0) {
        return "(SELECT new FROM temp.move_media WHERE old = relpath)";
    }

    for (i = 0; i < CTL_MOVE_REFS && t->refs[i].col != NULL; i++) {
        if (strcmp(t->refs[i].col, c) == 0) {
            return feat_arena_sprintf(m->ctl->arena, "%s + %lld", q,
                (long long) m->off[ctl_move_find(t->refs[i].parent)
                                   - ctl_move_tables]);
        }
    }

    return q;
}


/*
 * Runs one table's copy.  A globally unique value that clashes (an
 * openid, an OAuth2 client_id, an out_trade_no, an image's relpath) means
 * these very rows are here already: said in words, not only SQLite's.
 */
static int
ctl_move_copy(struct ctl_move_import *m, const char *table, const char *sql)
{
    int            rc;
    sqlite3_stmt  *st;

    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
        feat_ctl_fail("copying %s: %s", table, sqlite3_errmsg(m->db));
        return FEAT_ERROR;
    }

    sqlite3_bind_text(st, 1, m->app, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);

    if (rc == SQLITE_DONE) {
        return FEAT_OK;
    }

    if (sqlite3_extended_errcode(m->db) == SQLITE_CONSTRAINT_UNIQUE
        || sqlite3_extended_errcode(m->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
        feat_ctl_fail("copying %s: %s: the archive's rows are in this"
                      " install already (was it imported into this install"
                      " before?)", table, sqlite3_errmsg(m->db));
        return FEAT_ERROR;
    }

    feat_ctl_fail("copying %s: %s", table, sqlite3_errmsg(m->db));
    return FEAT_ERROR;
}


/* The rows of every table, in the target; the secrets sealed again. */
static int
ctl_move_import_rows(struct ctl_move_import *m, cJSON *rows)
{
    int                           i, k;
    size_t                        ti;
    char                         *into, *from;
    const char                   *q, *sql, **cols, **acols;
    size_t                        len;
    const unsigned char          *sealed;
    size_t                        slen;
    sqlite3_stmt                 *st;
    const struct ctl_move_table  *t;

    for (ti = 0; ti < FEAT_NELEMS(ctl_move_tables); ti++) {
        t = &ctl_move_tables[ti];
        if (t->kind == CTL_MOVE_SKIP) {
            continue;
        }

        cols = ctl_move_columns(m, "main", t->name);
        acols = ctl_move_columns(m, "arc", t->name);
        if (acols[0] == NULL) {
            continue;   /* an older archive without the table */
        }

        len = 64;
        for (i = 0; cols[i] != NULL; i++) {
            len += 2 * strlen(cols[i]) + 128;
        }
        into = feat_arena_alloc(m->ctl->arena, len);
        from = feat_arena_alloc(m->ctl->arena, len);
        into[0] = '\0';
        from[0] = '\0';

        /* the target's columns the archive has; the others default */
        for (i = 0, k = 0; cols[i] != NULL; i++) {
            if (!ctl_move_has(acols, cols[i])) {
                continue;
            }
            if (k++ > 0) {
                strcat(into, ", ");
                strcat(from, ", ");
            }
            strcat(into, ctl_move_quote(m->ctl, cols[i]));
            strcat(from, ctl_move_expr(m, t, ti, cols[i]));
        }

        q = ctl_move_quote(m->ctl, t->name);
        sql = feat_arena_sprintf(m->ctl->arena,
            "INSERT INTO main.%s (%s) SELECT %s FROM arc.%s%s", q, into,
            from, q, t->kind == CTL_MOVE_SETTINGS ? " WHERE sealed IS NULL"
                                                  : "");
        if (ctl_move_copy(m, t->name, sql) != FEAT_OK) {
            return FEAT_ERROR;
        }
        cJSON_AddNumberToObject(rows, t->name,
            sqlite3_changes(m->db)
            + (t->kind == CTL_MOVE_SETTINGS ? m->nsecrets : 0));
    }

    if (sqlite3_prepare_v2(m->db, "INSERT INTO main.app_settings (app_id,"
                           " key, value, sealed, updated_at)"
                           " VALUES (?1, ?2, NULL, ?3, ?4)", -1, &st, NULL)
        != SQLITE_OK)
    {
        feat_ctl_fail("app_settings: %s", sqlite3_errmsg(m->db));
        return FEAT_ERROR;
    }

    for (i = 0; i < m->nsecrets; i++) {
        if (feat_setting_seal(m->ctl->arena, m->app, m->secrets[i].key,
                              (const char *) m->secrets[i].plain, &sealed,
                              &slen)
            != FEAT_OK)
        {
            sqlite3_finalize(st);
            return feat_ctl_fail("sealing %s failed", m->secrets[i].key),
                   FEAT_ERROR;
        }

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, m->app, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, m->secrets[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, sealed, (int) slen, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, m->secrets[i].updated_at);
        if (sqlite3_step(st) != SQLITE_DONE) {
            feat_ctl_fail("app_settings %s: %s", m->secrets[i].key,
                          sqlite3_errmsg(m->db));
            sqlite3_finalize(st);
            return FEAT_ERROR;
        }
    }

    sqlite3_finalize(st);
    return FEAT_OK;
}


/* Everything of the import that changes the target, in one write
 * transaction; the media files written are removed when it fails. */
static int
ctl_move_import_tx(struct ctl_move_import *m, cJSON *res)
{
    int             i;
    cJSON          *rows;
    sqlite3_int64   one;

    if (ctl_move_exec(m->db, "BEGIN IMMEDIATE", NULL) != FEAT_OK) {
        return FEAT_ERROR;
    }

    switch (ctl_move_int(m->db, "SELECT 1 FROM main.apps WHERE id = ?1",
                         m->app, &one))
    {
    case FEAT_DECLINED:
        break;
    case FEAT_OK:
        feat_ctl_fail("app \"%s\" exists in this install: import the archive"
                      " --as another id", m->app);
        /* fall through */
    default:
        goto failed;
    }

    rows = cJSON_AddObjectToObject(res, "rows");

    /* service_project and service_bid refer to each other */
    if (ctl_move_exec(m->db, "PRAGMA defer_foreign_keys = ON", NULL)
        != FEAT_OK
        || ctl_move_import_offsets(m) != FEAT_OK
        || ctl_move_import_media(m) != FEAT_OK
        || ctl_move_import_rows(m, rows) != FEAT_OK)
    {
        goto failed;
    }

    if (ctl_move_exec(m->db, "COMMIT", NULL) != FEAT_OK) {
        goto failed;
    }

    (void) sqlite3_exec(m->db, "DROP TABLE temp.move_media", NULL, NULL,
                        NULL);
    return FEAT_OK;

failed:

    (void) sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    for (i = 0; i < m->nwritten; i++) {
        unlink(m->written[i]);
    }
    m->media = 0;
    return FEAT_ERROR;
}


static int
ctl_move_import(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        fd, rc, i, version, archived;
    char                       msg[512];
    cJSON                     *res, *rows, *row;
    double                     total;
    const char                *file, *as_opt, *pass_opt, *v, *from;
    unsigned char              head[16];
    struct ctl_move_import     m;
    const struct feat_ctl_opt  opts[] = {
        { "as", 1, &as_opt },
        { "passphrase-file", 1, &pass_opt },
        { NULL, 0, NULL }
    };

    as_opt = NULL;
    pass_opt = NULL;
    if (feat_ctl_args(ctl, argc, argv, opts, &file, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    /* ATTACH would make a missing file: look first */
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return feat_ctl_fail("cannot read %s: %s", file, strerror(errno));
    }
    rc = (int) read(fd, head, sizeof(head));
    close(fd);
    if (rc != (int) sizeof(head)
        || memcmp(head, "SQLite format 3", 16) != 0)
    {
        return feat_ctl_fail("%s is not an app archive", file);
    }

    if (as_opt != NULL && !ctl_move_app_id_valid(as_opt)) {
        return feat_ctl_fail("bad app id \"%s\": 1 to %d characters of "
                             "a-z, 0-9, '_' and '-'", as_opt,
                             CTL_MOVE_APP_MAX);
    }

    memset(&m, 0, sizeof(m));
    m.ctl = ctl;
    m.db = feat_ctl_db(ctl, 1);
    if (m.db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (ctl_move_exec(m.db, "ATTACH DATABASE ?1 AS arc", file) != FEAT_OK) {
        return FEAT_CTL_FAIL;
    }

    res = cJSON_CreateObject();
    rc = FEAT_ERROR;

    v = ctl_move_meta(ctl, m.db, "format");
    from = ctl_move_meta(ctl, m.db, "app_id");
    version = feat_db_version(m.db);

    if (v == NULL || strcmp(v, CTL_MOVE_FORMAT) != 0 || from == NULL) {
        feat_ctl_fail("%s is not an app archive", file);
        goto done;
    }

    v = ctl_move_meta(ctl, m.db, "format_version");
    if (v == NULL || atoi(v) > CTL_MOVE_VERSION) {
        feat_ctl_fail("%s is of a newer archive format (%s)", file,
                      v != NULL ? v : "?");
        goto done;
    }

    v = ctl_move_meta(ctl, m.db, "schema_version");
    archived = v != NULL ? atoi(v) : 0;
    if (v == NULL || archived > version) {
        feat_ctl_fail("%s is from schema version %d, this install is at %d:"
                      " upgrade featcgi here first", file, archived,
                      version);
        goto done;
    }

    m.app = as_opt != NULL ? as_opt : from;
    if (m.app[0] != '\0' && !ctl_move_app_id_valid(m.app)) {
        feat_ctl_fail("bad app id \"%s\" in the archive", m.app);
        goto done;
    }

    if (ctl_move_schema_check(ctl, m.db, "arc") != FEAT_OK
        || ctl_move_schema_check(ctl, m.db, "main") != FEAT_OK
        || ctl_move_import_secrets(&m, pass_opt) != FEAT_OK)
    {
        goto done;
    }

    cJSON_AddStringToObject(res, "app_id", m.app);
    cJSON_AddStringToObject(res, "from_app_id", from);

    rc = ctl_move_import_tx(&m, res);

done:

    for (i = 0; i < m.nsecrets; i++) {
        feat_cleanse(m.secrets[i].plain, m.secrets[i].len);
        free(m.secrets[i].plain);
    }

    if (ctl_move_exec(m.db, "DETACH DATABASE arc", NULL) != FEAT_OK) {
        rc = FEAT_ERROR;
    }

    if (rc != FEAT_OK) {
        cJSON_Delete(res);
        return FEAT_CTL_FAIL;
    }

    total = 0;
    rows = cJSON_GetObjectItem(res, "rows");
    cJSON_ArrayForEach(row, rows) {
        total += row->valuedouble;
    }
    cJSON_AddNumberToObject(res, "total", total);
    cJSON_AddNumberToObject(res, "media", m.media);
    cJSON_AddNumberToObject(res, "secrets", m.nsecrets);

    snprintf(msg, sizeof(msg), "imported app \"%s\" as \"%s\": %.0f rows,"
             " %d media files, %d secret settings", from, m.app, total,
             m.media, m.nsecrets);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}
