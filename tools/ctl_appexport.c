/*
 * ctl_appexport.c: "featctl app export APP FILE": the app's rows, its
 * secrets (under a passphrase, or left out) and its media files, copied
 * into a new SQLite archive attached to the live database, all inside one
 * read transaction of the source (see ctl_appmove.c).  Managers' TOTP
 * secrets are left out and managers of every app go as names only.
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

#include "runtime.h"
#include "ctl_appmove.h"


/* Copies the app's rows of every table into arc, counting them in rows. */
static int
ctl_move_export_rows(struct feat_ctl *ctl, sqlite3 *db, const char *app,
    cJSON *rows, long long *total)
{
    size_t                        i;
    const char                   *q, *sql;
    const struct feat_ctl_move_table  *t;

    for (i = 0; feat_ctl_move_tables[i].name != NULL; i++) {
        t = &feat_ctl_move_tables[i];
        if (t->kind == FEAT_MOVE_SKIP) {
            continue;
        }

        q = feat_ctl_move_quote(ctl, t->name);
        sql = feat_arena_sprintf(ctl->arena,
            "CREATE TABLE arc.%s AS SELECT * FROM main.%s WHERE 0", q, q);
        if (feat_ctl_move_exec(db, sql, NULL) != FEAT_OK) {
            return FEAT_ERROR;
        }

        sql = feat_arena_sprintf(ctl->arena,
            "INSERT INTO arc.%s SELECT * FROM main.%s WHERE %s", q, q,
            t->where != NULL ? t->where : "app_id = ?1");
        if (feat_ctl_move_exec(db, sql, app) != FEAT_OK) {
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
        && feat_ctl_move_exec(db, "DELETE FROM arc.app_settings"
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
        || sb.st_size > FEAT_MOVE_MEDIA_MAX)
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

    if (feat_ctl_move_exec(db, "CREATE TABLE arc.media (relpath TEXT"
                           " PRIMARY KEY, data BLOB NOT NULL)", NULL)
        != FEAT_OK)
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
        && feat_ctl_move_exec(db, "DELETE FROM arc.images WHERE relpath"
                              " NOT IN (SELECT relpath FROM arc.media)", NULL)
           != FEAT_OK)
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

    if (feat_ctl_move_exec(db, "CREATE TABLE arc.meta (key TEXT PRIMARY KEY,"
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

    sqlite3_bind_text(st, 1, FEAT_MOVE_FORMAT, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, FEAT_MOVE_VERSION);
    sqlite3_bind_int(st, 3, version);
    sqlite3_bind_text(st, 4, app, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (sqlite3_int64) time(NULL));
    sqlite3_bind_text(st, 6, secrets, -1, SQLITE_STATIC);
    if (salt != NULL) {
        sqlite3_bind_text(st, 7, feat_arena_sprintf(ctl->arena,
                              "scrypt:%d:%d:%d", FEAT_MOVE_KDF_LN,
                              FEAT_MOVE_KDF_R, FEAT_MOVE_KDF_P), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 8, salt, FEAT_MOVE_SALT, SQLITE_TRANSIENT);
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

    if (feat_ctl_move_exec(db, "BEGIN", NULL) != FEAT_OK) {
        return FEAT_ERROR;
    }

    /* the first read of main starts the snapshot everything comes from */
    switch (feat_ctl_move_int(db, "SELECT 1 FROM main.apps WHERE id = ?1",
                              app, &one))
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
    if (version < 0 || feat_ctl_move_schema_check(ctl, db, "main") != FEAT_OK) {
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
        || feat_ctl_move_export_managers(db, res) != FEAT_OK
        || feat_ctl_move_exec(db, "COMMIT", NULL) != FEAT_OK)
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


int
feat_ctl_move_export(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        fd, rc, left;
    char                       msg[512];
    size_t                     plen;
    cJSON                     *res;
    sqlite3                   *db;
    struct stat                sb;
    const char                *pos[2], *app, *file, *tmp, *pass_opt, *pass;
    unsigned char              key[FEAT_AEAD_KEY], salt[FEAT_MOVE_SALT];
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
        pass = feat_ctl_move_passphrase(ctl, pass_opt, &plen);
        if (pass == NULL) {
            return FEAT_CTL_FAIL;
        }
        feat_random(salt, sizeof(salt));
        if (feat_ctl_move_kdf(pass, plen, salt, sizeof(salt), key) != FEAT_OK) {
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
    if (feat_ctl_move_exec(db, "ATTACH DATABASE ?1 AS arc", tmp) == FEAT_OK) {
        /* what is left out is overwritten, not left in a free page */
        if (feat_ctl_move_exec(db, "PRAGMA arc.journal_mode = DELETE", NULL)
            == FEAT_OK
            && feat_ctl_move_exec(db, "PRAGMA arc.secure_delete = ON", NULL)
               == FEAT_OK)
        {
            rc = ctl_move_export_tx(ctl, db, app,
                                    pass_opt != NULL ? key : NULL, salt, res);
        }
        if (feat_ctl_move_exec(db, "DETACH DATABASE arc", NULL) != FEAT_OK) {
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

    left = cJSON_GetObjectItem(res, "managers_totp_left_out")->valueint;
    if (left > 0) {
        fprintf(stderr, "featctl: the TOTP secret of %d manager%s left out"
                " (it opens on this install only): the import says who"
                " re-enrols\n", left, left == 1 ? "" : "s");
    }
    left = cJSON_GetObjectItem(res, "managers_name_only")->valueint;
    if (left > 0) {
        fprintf(stderr, "featctl: %d manager%s of every app exported as a"
                " name only, without console login\n", left,
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
