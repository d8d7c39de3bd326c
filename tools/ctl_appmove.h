/*
 * ctl_appmove.h: what featctl's "app export" (ctl_appexport.c) and "app
 * import" (ctl_appimport.c) share: the list of an app's tables
 * (ctl_appmove.c), the archive's constants and the helpers both use.
 * Private to those three files.
 */

#ifndef FEAT_CTL_APPMOVE_H
#define FEAT_CTL_APPMOVE_H

#include "featctl.h"


#define FEAT_MOVE_FORMAT     "featcgi-app-archive"
#define FEAT_MOVE_VERSION    1
#define FEAT_MOVE_REFS       4
#define FEAT_MOVE_APP_MAX    64
#define FEAT_MOVE_PASS_MAX   1024
#define FEAT_MOVE_SALT       16
#define FEAT_MOVE_MAX        64    /* tables in the list, at most */
#define FEAT_MOVE_MEDIA_MAX  (256 * 1024 * 1024)
/* scrypt of the passphrase: 2^15 * 8 * 128 bytes = 32 MiB */
#define FEAT_MOVE_KDF_LN     15
#define FEAT_MOVE_KDF_R      8
#define FEAT_MOVE_KDF_P      1
#define FEAT_MOVE_KDF_MEM    (128 * 1024 * 1024)


enum feat_ctl_move_kind {
    FEAT_MOVE_ROWS,        /* the app's rows, ids and references remapped */
    FEAT_MOVE_APP,         /* the apps row itself */
    FEAT_MOVE_SETTINGS,    /* app_settings: secrets sealed again */
    FEAT_MOVE_SKIP         /* belongs to the app, deliberately not moved */
};

#define FEAT_MOVE_ID     0x01  /* an INTEGER PRIMARY KEY "id" to remap */
#define FEAT_MOVE_MEDIA  0x02  /* relpath names a file under media_dir */

struct feat_ctl_move_ref {
    const char  *col;
    const char  *parent;       /* a FEAT_MOVE_ID table */
};

struct feat_ctl_move_table {
    const char           *name;
    enum feat_ctl_move_kind    kind;
    unsigned              flags;
    const char           *where;   /* NULL: "app_id = ?1" */
    struct feat_ctl_move_ref   refs[FEAT_MOVE_REFS];
};

/* Every table of an app's rows, parents first, ending with a NULL name. */
extern const struct feat_ctl_move_table  feat_ctl_move_tables[];

/* The entry of table name, or NULL. */
const struct feat_ctl_move_table *feat_ctl_move_find(const char *name);
/* Runs sql (rows ignored) with ?1 bound to app when not NULL: FEAT_OK, or
 * FEAT_ERROR after printing what failed. */
int feat_ctl_move_exec(sqlite3 *db, const char *sql, const char *app);
/* The one integer sql answers (?1 = s when not NULL): FEAT_OK with *out,
 * FEAT_DECLINED when no row, FEAT_ERROR after printing why. */
int feat_ctl_move_int(sqlite3 *db, const char *sql, const char *s,
    sqlite3_int64 *out);
/* name as a double-quoted SQL identifier, in ctl's arena. */
const char *feat_ctl_move_quote(struct feat_ctl *ctl, const char *name);
/* 1 when id is 1 to 64 characters of [a-z0-9_-], else 0. */
int feat_ctl_move_app_id_valid(const char *id);
/*
 * Checks that schema ("main", or "arc": the attached archive) holds no
 * table of an app's rows, and no reference of a moved table, that
 * feat_ctl_move_tables does not name.  FEAT_OK, or FEAT_ERROR after
 * printing the first one.
 */
int feat_ctl_move_schema_check(struct feat_ctl *ctl, sqlite3 *db,
    const char *schema);
/* The first line of the file path (8 to 1024 bytes), in the arena, with
 * its length in *len; NULL after printing why. */
const char *feat_ctl_move_passphrase(struct feat_ctl *ctl, const char *path,
    size_t *len);
/* The archive key of a passphrase (scrypt): FEAT_OK, or FEAT_ERROR after
 * printing why. */
int feat_ctl_move_kdf(const char *pass, size_t len, const unsigned char *salt,
    size_t slen, unsigned char key[FEAT_AEAD_KEY]);

/*
 * Managers (ctl_appmanagers.c).  feat_ctl_move_export_managers: arc's
 * managers without TOTP secrets (named in meta "managers_reenrol") and
 * its managers of every app as names only, counted into res; FEAT_OK or
 * FEAT_ERROR (printed).  feat_ctl_move_managers_plan: what each of the
 * archive's managers keeps here, in temp.move_managers (*made 1; 0 for
 * an archive from before managers had logins); FEAT_ERROR, after naming
 * them, for logins this install has unless skip.
 * feat_ctl_move_manager_expr: the imported value of managers' column c,
 * or NULL for the archive's.  feat_ctl_move_managers_report: after the
 * commit, res's "managers_reenrol" and "managers_without_login" (ids
 * moved by off); feat_ctl_move_managers_say prints them for people.
 */
int feat_ctl_move_export_managers(sqlite3 *db, cJSON *res);
int feat_ctl_move_managers_plan(struct feat_ctl *ctl, sqlite3 *db, int skip,
    int *made);
const char *feat_ctl_move_manager_expr(const char *c);
void feat_ctl_move_managers_report(sqlite3 *db, int made, sqlite3_int64 off,
    cJSON *res);
void feat_ctl_move_managers_say(cJSON *res);

/* The commands' handlers. */
int feat_ctl_move_export(struct feat_ctl *ctl, int argc, char **argv);
int feat_ctl_move_import(struct feat_ctl *ctl, int argc, char **argv);

#endif /* FEAT_CTL_APPMOVE_H */
