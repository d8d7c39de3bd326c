/*
 * ctl_appimport.c: "featctl app import FILE [--as APP]": the app of an
 * archive added to this install in one write transaction, every id moved
 * above this install's by one offset per table and every reference with
 * it, media files written under media_dir (new names where a name is
 * taken), secrets sealed under this install's secret (see ctl_appmove.c).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "ctl_appmove.h"


struct ctl_move_secret {
    const char     *key;
    unsigned char  *plain;      /* malloc'd by the opener; wiped */
    size_t          len;
    sqlite3_int64   updated_at;
};


/* One import's state. */
struct ctl_move_in {
    struct feat_ctl          *ctl;
    sqlite3                  *db;
    const char               *app;       /* the new app id */
    sqlite3_int64             off[FEAT_MOVE_MAX];
    struct ctl_move_secret   *secrets;
    int                       nsecrets;
    const char              **written;   /* media files made, for a failure */
    int                       nwritten;
    int                       media;
    int                       skip_logins;  /* --skip-existing-logins */
    int                       managers;     /* temp.move_managers made */
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
ctl_move_import_secrets(struct ctl_move_in *m, const char *pass_opt)
{
    int            ret, rc, ln, r, p, n;
    size_t         plen, slen, clen;
    const char    *pass, *kdf;
    sqlite3_stmt  *st;
    unsigned char  key[FEAT_AEAD_KEY], salt[FEAT_MOVE_SALT];
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

    pass = feat_ctl_move_passphrase(m->ctl, pass_opt, &plen);
    kdf = ctl_move_meta(m->ctl, m->db, "kdf");
    if (pass == NULL) {
        return FEAT_ERROR;
    }
    if (kdf == NULL || sscanf(kdf, "scrypt:%d:%d:%d", &ln, &r, &p) != 3
        || ln != FEAT_MOVE_KDF_LN || r != FEAT_MOVE_KDF_R
        || p != FEAT_MOVE_KDF_P)
    {
        feat_ctl_fail("the archive's key derivation \"%s\" is not this"
                      " featctl's", kdf != NULL ? kdf : "");
        return FEAT_ERROR;
    }

    if (sqlite3_prepare_v2(m->db, "SELECT value FROM arc.meta"
                           " WHERE key = 'salt'", -1, &st, NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW
        || (slen = (size_t) sqlite3_column_bytes(st, 0)) != FEAT_MOVE_SALT)
    {
        feat_ctl_fail("the archive has no salt for its secrets");
        goto done;
    }
    memcpy(salt, sqlite3_column_blob(st, 0), slen);
    sqlite3_finalize(st);
    st = NULL;

    if (feat_ctl_move_kdf(pass, plen, salt, slen, key) != FEAT_OK) {
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
ctl_move_import_offsets(struct ctl_move_in *m)
{
    size_t                        i;
    const char                   *q, *sql;
    sqlite3_int64                 top, low;
    const struct feat_ctl_move_table  *t;

    for (i = 0; feat_ctl_move_tables[i].name != NULL; i++) {
        t = &feat_ctl_move_tables[i];
        m->off[i] = 0;
        if (!(t->flags & FEAT_MOVE_ID)) {
            continue;
        }

        q = feat_ctl_move_quote(m->ctl, t->name);
        /* an AUTOINCREMENT table never reuses an id it once gave */
        sql = feat_arena_sprintf(m->ctl->arena,
            "SELECT max(coalesce((SELECT max(id) FROM main.%s), 0),"
            " coalesce((SELECT seq FROM main.sqlite_sequence"
            " WHERE name = ?1), 0))", q);
        if (feat_ctl_move_int(m->db, sql, t->name, &top) != FEAT_OK) {
            return FEAT_ERROR;
        }
        sql = feat_arena_sprintf(m->ctl->arena,
            "SELECT coalesce(min(id), 1) FROM arc.%s", q);
        if (feat_ctl_move_int(m->db, sql, NULL, &low) != FEAT_OK) {
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
ctl_move_put_file(struct ctl_move_in *m, const char *rel,
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

        switch (feat_ctl_move_int(m->db, "SELECT 1 FROM main.images"
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
        if (feat_file_mkdir(FEAT_CONF_MEDIA_GROUP, sub) == FEAT_ERROR) {
            feat_ctl_fail("mkdir %s: %s", sub, strerror(errno));
            return FEAT_ERROR;
        }

        tmp = feat_arena_sprintf(m->ctl->arena, "%s/.tmp-%s", sub, tmpname);
        path = feat_arena_sprintf(m->ctl->arena, "%s/%s", dir, cand);

        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  feat_file_mode(FEAT_CONF_MEDIA_GROUP, 0));
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

        /* private as featcgi's own uploads (core/files.c): 0600, or 0640
         * and media_group, the group nginx reads media_dir under */
        if (done != n
            || feat_file_private(FEAT_CONF_MEDIA_GROUP, fd, tmp, 0) != FEAT_OK
            || fsync(fd) != 0)
        {
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
ctl_move_import_media(struct ctl_move_in *m)
{
    int             ret, rc;
    sqlite3_int64   n;
    const char     *rel, *out;
    sqlite3_stmt   *st, *ins;

    ret = FEAT_ERROR;
    st = NULL;
    ins = NULL;

    if (feat_ctl_move_exec(m->db, "CREATE TEMP TABLE move_media (old TEXT"
                           " PRIMARY KEY, new TEXT NOT NULL)", NULL)
        != FEAT_OK
        || feat_ctl_move_int(m->db, "SELECT count(*) FROM arc.media", NULL, &n)
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
ctl_move_columns(struct ctl_move_in *m, const char *schema,
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
ctl_move_expr(struct ctl_move_in *m, const struct feat_ctl_move_table *t,
    size_t ti, const char *c)
{
    size_t       i;
    const char  *q;

    q = feat_ctl_move_quote(m->ctl, c);

    if (m->managers && strcmp(t->name, "managers") == 0
        && feat_ctl_move_manager_expr(c) != NULL)
    {
        return feat_ctl_move_manager_expr(c);
    }

    if ((t->kind == FEAT_MOVE_APP && strcmp(c, "id") == 0)
        || strcmp(c, "app_id") == 0)
    {
        return "?1";
    }

    if ((t->flags & FEAT_MOVE_ID) && strcmp(c, "id") == 0) {
        return feat_arena_sprintf(m->ctl->arena, "id + %lld",
                                  (long long) m->off[ti]);
    }

    if ((t->flags & FEAT_MOVE_MEDIA) && strcmp(c, "relpath") == 0) {
        return "(SELECT new FROM temp.move_media WHERE old = relpath)";
    }

    for (i = 0; i < FEAT_MOVE_REFS && t->refs[i].col != NULL; i++) {
        if (strcmp(t->refs[i].col, c) == 0) {
            return feat_arena_sprintf(m->ctl->arena, "%s + %lld", q,
                (long long) m->off[feat_ctl_move_find(t->refs[i].parent)
                                   - feat_ctl_move_tables]);
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
ctl_move_copy(struct ctl_move_in *m, const char *table, const char *sql)
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
ctl_move_import_rows(struct ctl_move_in *m, cJSON *rows)
{
    int                           i, k;
    size_t                        ti;
    char                         *into, *from;
    const char                   *q, *sql, **cols, **acols;
    size_t                        len;
    const unsigned char          *sealed;
    size_t                        slen;
    sqlite3_stmt                 *st;
    const struct feat_ctl_move_table  *t;

    for (ti = 0; feat_ctl_move_tables[ti].name != NULL; ti++) {
        t = &feat_ctl_move_tables[ti];
        if (t->kind == FEAT_MOVE_SKIP) {
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
            strcat(into, feat_ctl_move_quote(m->ctl, cols[i]));
            strcat(from, ctl_move_expr(m, t, ti, cols[i]));
        }

        q = feat_ctl_move_quote(m->ctl, t->name);
        sql = feat_arena_sprintf(m->ctl->arena,
            "INSERT INTO main.%s (%s) SELECT %s FROM arc.%s%s", q, into,
            from, q, t->kind == FEAT_MOVE_SETTINGS ? " WHERE sealed IS NULL"
                                                  : "");
        if (ctl_move_copy(m, t->name, sql) != FEAT_OK) {
            return FEAT_ERROR;
        }
        cJSON_AddNumberToObject(rows, t->name,
            sqlite3_changes(m->db)
            + (t->kind == FEAT_MOVE_SETTINGS ? m->nsecrets : 0));
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


/* FEAT_OK when this install has no app m->app, else FEAT_ERROR after
 * printing why. */
static int
ctl_move_app_free(struct ctl_move_in *m)
{
    sqlite3_int64  one;

    switch (feat_ctl_move_int(m->db, "SELECT 1 FROM main.apps WHERE id = ?1",
                              m->app, &one))
    {
    case FEAT_DECLINED:
        return FEAT_OK;
    case FEAT_OK:
        feat_ctl_fail("app \"%s\" exists in this install: import the archive"
                      " --as another id", m->app);
        return FEAT_ERROR;
    default:
        return FEAT_ERROR;
    }
}


/*
 * Everything of the import that changes the target.  The media files are
 * written first, outside the transaction, so that the write lock the
 * server's writers wait for is held only for the rows; a name taken
 * meanwhile is caught by images.relpath's UNIQUE.  The files are removed
 * again when the rows fail.
 */
static int
ctl_move_import_tx(struct ctl_move_in *m, cJSON *res)
{
    int     i;
    cJSON  *rows;

    /* refused before a file or a row is written */
    if (ctl_move_app_free(m) != FEAT_OK
        || feat_ctl_move_managers_plan(m->ctl, m->db, m->skip_logins,
                                       &m->managers)
           != FEAT_OK)
    {
        (void) sqlite3_exec(m->db, "DROP TABLE IF EXISTS temp.move_managers",
                            NULL, NULL, NULL);
        return FEAT_ERROR;
    }

    if (ctl_move_import_media(m) != FEAT_OK) {
        goto failed;
    }

    if (feat_ctl_move_exec(m->db, "BEGIN IMMEDIATE", NULL) != FEAT_OK) {
        goto failed;
    }

    rows = cJSON_AddObjectToObject(res, "rows");

    /* asked again under the lock; service_project and service_bid refer
     * to each other, so references are checked at COMMIT */
    if (ctl_move_app_free(m) != FEAT_OK
        || feat_ctl_move_managers_plan(m->ctl, m->db, m->skip_logins,
                                       &m->managers)
           != FEAT_OK
        || feat_ctl_move_exec(m->db, "PRAGMA defer_foreign_keys = ON", NULL)
           != FEAT_OK
        || ctl_move_import_offsets(m) != FEAT_OK
        || ctl_move_import_rows(m, rows) != FEAT_OK
        || feat_audit(m->db, m->app, 0, "featctl", "sd", "command",
                      "app import", "status", 0) != FEAT_OK
        || feat_ctl_move_exec(m->db, "COMMIT", NULL) != FEAT_OK)
    {
        goto failed;
    }

    feat_ctl_move_managers_report(m->db, m->managers,
        m->off[feat_ctl_move_find("managers") - feat_ctl_move_tables], res);

    (void) sqlite3_exec(m->db, "DROP TABLE temp.move_media", NULL, NULL,
                        NULL);
    (void) sqlite3_exec(m->db, "DROP TABLE IF EXISTS temp.move_managers",
                        NULL, NULL, NULL);
    return FEAT_OK;

failed:

    if (!sqlite3_get_autocommit(m->db)) {
        (void) sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    }
    (void) sqlite3_exec(m->db, "DROP TABLE IF EXISTS temp.move_media", NULL,
                        NULL, NULL);
    (void) sqlite3_exec(m->db, "DROP TABLE IF EXISTS temp.move_managers",
                        NULL, NULL, NULL);
    for (i = 0; i < m->nwritten; i++) {
        unlink(m->written[i]);
    }
    m->media = 0;
    return FEAT_ERROR;
}


int
feat_ctl_move_import(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        fd, rc, i, version, archived;
    char                       msg[512];
    cJSON                     *res, *rows, *row;
    double                     total;
    const char                *file, *as_opt, *pass_opt, *v, *from;
    unsigned char              head[16];
    struct ctl_move_in     m;
    const char                *skip_opt;
    const struct feat_ctl_opt  opts[] = {
        { "as", 1, &as_opt },
        { "passphrase-file", 1, &pass_opt },
        { "skip-existing-logins", 0, &skip_opt },
        { NULL, 0, NULL }
    };

    as_opt = NULL;
    pass_opt = NULL;
    skip_opt = NULL;
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

    if (as_opt != NULL && !feat_ctl_move_app_id_valid(as_opt)) {
        return feat_ctl_fail("bad app id \"%s\": 1 to %d characters of "
                             "a-z, 0-9, '_' and '-'", as_opt,
                             FEAT_MOVE_APP_MAX);
    }

    memset(&m, 0, sizeof(m));
    m.ctl = ctl;
    m.skip_logins = skip_opt != NULL;
    m.db = feat_ctl_db(ctl, 1);
    if (m.db == NULL) {
        return FEAT_CTL_FAIL;
    }

    if (feat_ctl_move_exec(m.db, "ATTACH DATABASE ?1 AS arc", file)
        != FEAT_OK)
    {
        return FEAT_CTL_FAIL;
    }

    res = cJSON_CreateObject();
    rc = FEAT_ERROR;

    v = ctl_move_meta(ctl, m.db, "format");
    from = ctl_move_meta(ctl, m.db, "app_id");
    version = feat_db_version(m.db);

    if (v == NULL || strcmp(v, FEAT_MOVE_FORMAT) != 0 || from == NULL) {
        feat_ctl_fail("%s is not an app archive", file);
        goto done;
    }

    v = ctl_move_meta(ctl, m.db, "format_version");
    if (v == NULL || atoi(v) > FEAT_MOVE_VERSION) {
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
    if (m.app[0] != '\0' && !feat_ctl_move_app_id_valid(m.app)) {
        feat_ctl_fail("bad app id \"%s\" in the archive", m.app);
        goto done;
    }

    if (feat_ctl_move_schema_check(ctl, m.db, "arc") != FEAT_OK
        || feat_ctl_move_schema_check(ctl, m.db, "main") != FEAT_OK
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

    if (feat_ctl_move_exec(m.db, "DETACH DATABASE arc", NULL) != FEAT_OK) {
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

    feat_ctl_move_managers_say(res);

    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}

