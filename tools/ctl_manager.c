/*
 * ctl_manager.c: featctl's "manager" commands (add, list, passwd, totp,
 * disable, enable) over the managers of sql/0003_managers.sql and
 * sql/0150_admin.sql, and the helpers that the v2 administrators' groups
 * share (ctl_faq.c, ctl_feedback.c, ctl_push.c):
 * opening the database for the app named by --app, parsing ids, picking
 * the manager a reply or a push is recorded under, and turning a domain
 * error into one line for the administrator.
 *
 * A manager is a name an app's replies and pushes carry as manager_id, so
 * the users see who answered.  The commands call the domain functions of
 * modules/feedback/feedback.h, as the v2 handlers do, so featctl and the
 * API can never disagree on what a valid row is.  A manager given a login
 * (--login, and --all-apps to see every app) signs in to the console with
 * the password "manager passwd" sets and, with "manager totp", a one-time
 * code (modules/admin/admin.h).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "runtime.h"
#include "featctl.h"
#include "admin/admin.h"
#include "feedback/feedback.h"

#define CTL_ID_MAX  9007199254740992LL   /* 2^53: exact in JSON */


static int ctl_manager_add(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_manager_list(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_manager_passwd(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_manager_totp(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_manager_disable(struct feat_ctl *ctl, int argc, char **argv);
static int ctl_manager_enable(struct feat_ctl *ctl, int argc, char **argv);


const struct feat_ctl_command  feat_ctl_manager_commands[] = {
    { "manager", "add", ctl_manager_add,
      "NAME [--login LOGIN] [--app ID | --all-apps]",
      "add a manager (who replies to feedback and sends pushes; with a "
      "login, signs in to the console)" },
    { "manager", "list", ctl_manager_list, "[--app ID | --all]",
      "list the app's managers (--all: every app's) with their login, "
      "TOTP, disabled switch and the apps they see" },
    { "manager", "passwd", ctl_manager_passwd, "ID [--password-stdin]",
      "set the console password of a manager (read from stdin, or asked)" },
    { "manager", "totp", ctl_manager_totp, "ID [--off]",
      "give the manager a new TOTP secret and print its otpauth:// URI "
      "(--off: remove it)" },
    { "manager", "disable", ctl_manager_disable, "ID",
      "refuse the manager's console sign-in and end its sessions" },
    { "manager", "enable", ctl_manager_enable, "ID",
      "let a disabled manager sign in to the console again" },
    FEAT_CTL_NULL_COMMAND
};


/* ---- shared by the v2 administrators' groups ----------------------------- */

sqlite3 *
feat_ctl_app_db(struct feat_ctl *ctl, const char *app)
{
    int            rc;
    sqlite3       *db;
    sqlite3_int64  one;

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return NULL;
    }

    /* the audit record of the command names the app it worked on */
    ctl->audit_app = app;

    /* an unknown app is a typo: say so rather than show an empty list */
    rc = feat_db_int(db, &one, "SELECT 1 FROM apps WHERE id = ?", "s", app);
    if (rc == FEAT_DECLINED) {
        feat_ctl_fail("no app \"%s\" (see featctl app list)", app);
        return NULL;
    }
    if (rc != FEAT_OK) {
        feat_ctl_fail("looking up app \"%s\" failed", app);
        return NULL;
    }

    return db;
}


int
feat_ctl_id(const char *s, sqlite3_int64 *id)
{
    long long  v;

    if (feat_ctl_int(s, 1, CTL_ID_MAX, &v) != FEAT_OK) {
        return FEAT_ERROR;
    }

    *id = v;
    return FEAT_OK;
}


int
feat_ctl_app_manager(struct feat_ctl *ctl, const char *app, const char *opt,
    sqlite3 **dbp, sqlite3_int64 *id)
{
    size_t                n;
    sqlite3              *db;
    struct feat_manager  *m;
    enum feat_error       e;

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }
    *dbp = db;

    if (opt != NULL) {
        if (feat_ctl_id(opt, id) != FEAT_OK) {
            return feat_ctl_fail("bad --manager \"%s\": a manager id", opt);
        }

        e = feat_manager_exists(db, app, *id);
        if (e == FEAT_E_NOT_FOUND) {
            return feat_ctl_fail("no manager %lld in app \"%s\"",
                                 (long long) *id, app);
        }
        if (e != FEAT_E_NONE) {
            return feat_ctl_fail("looking up manager %lld failed",
                                 (long long) *id);
        }

        return FEAT_CTL_OK;
    }

    /* guessing among several would put a name on words not theirs */
    e = feat_manager_list(db, ctl->arena, app, &m, &n);
    if (e != FEAT_E_NONE) {
        return feat_ctl_fail("listing the managers failed");
    }

    if (n == 0) {
        return feat_ctl_fail("app \"%s\" has no manager: add one with "
                             "\"featctl manager add NAME --app ID\"", app);
    }

    if (n > 1) {
        return feat_ctl_fail("app \"%s\" has %zu managers: name one with "
                             "--manager ID", app, n);
    }

    *id = m[0].id;

    return FEAT_CTL_OK;
}


int
feat_ctl_domain_fail(enum feat_error e, const char *what)
{
    switch (e) {

    case FEAT_E_NOT_FOUND:
        return feat_ctl_fail("%s: not found", what);

    case FEAT_E_UNKNOWN_APP:
        return feat_ctl_fail("%s: no such app", what);

    case FEAT_E_WRONG_STATE:
        return feat_ctl_fail("%s: not allowed in the current state", what);

    case FEAT_E_BAD_FIELD:
        return feat_ctl_fail("%s: invalid field", what);

    default:
        return feat_ctl_fail("%s failed (see the messages above)", what);
    }
}


int
feat_ctl_item_args(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_opt *opts, const char *what, const char **pos,
    int npos, sqlite3_int64 *id)
{
    if (feat_ctl_args(ctl, argc, argv, opts, pos, npos) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_id(pos[0], id) != FEAT_OK) {
        return feat_ctl_fail("bad %s id \"%s\"", what, pos[0]);
    }

    return FEAT_CTL_OK;
}


int
feat_ctl_app_item(struct feat_ctl *ctl, int argc, char **argv,
    const char *what, const char **app, sqlite3_int64 *id, sqlite3 **db)
{
    int                         rc;
    const char                 *arg;
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, app },
        { NULL, 0, NULL }
    };

    *app = "";

    rc = feat_ctl_item_args(ctl, argc, argv, opts, what, &arg, 1, id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    *db = feat_ctl_app_db(ctl, *app);
    if (*db == NULL) {
        return FEAT_CTL_FAIL;
    }

    return FEAT_CTL_OK;
}


int
feat_ctl_app_list(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_list *list)
{
    cJSON                      *rows;
    sqlite3                    *db;
    long long                   limit, offset;
    const char                 *app, *limit_opt, *offset_opt;
    enum feat_error             e;
    const struct feat_ctl_opt   opts[] = {
        { "app", 1, &app },
        { "limit", 1, &limit_opt },
        { "offset", 1, &offset_opt },
        { NULL, 0, NULL }
    };

    app = "";
    limit_opt = NULL;
    offset_opt = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (feat_ctl_paging(limit_opt, offset_opt, list->limit, list->max,
                        &limit, &offset)
        != FEAT_OK)
    {
        return FEAT_CTL_FAIL;
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    rows = cJSON_CreateArray();

    e = list->page(ctl, db, app, offset, limit, rows);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(rows);
        return feat_ctl_domain_fail(e, list->doing);
    }

    feat_ctl_print_rows(ctl, rows, list->cols, list->ncols);

    return FEAT_CTL_OK;
}


/* ---- commands ------------------------------------------------------------ */

static int
ctl_manager_add(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        all;
    char                       msg[160];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *app, *name, *bad, *login, *all_apps;
    sqlite3_int64              id;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { "app", 1, &app },
        { "login", 1, &login },
        { "all-apps", 0, &all_apps },
        { NULL, 0, NULL }
    };

    app = NULL;
    login = NULL;
    all_apps = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, &name, 1) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    all = all_apps != NULL;
    if (all && app != NULL) {
        return feat_ctl_fail("--app and --all-apps: one or the other");
    }
    if (all && login == NULL) {
        return feat_ctl_fail("--all-apps is for the console: give --login");
    }
    if (login != NULL && !feat_admin_login_ok(login)) {
        return feat_ctl_fail("bad login \"%s\": %d to %d of a-z, 0-9, "
                             "'.', '_', '-'", login, FEAT_ADMIN_LOGIN_MIN,
                             FEAT_ADMIN_LOGIN_MAX);
    }
    if (app == NULL) {
        app = "";       /* an all-apps manager's events go to app "" */
    }

    db = feat_ctl_app_db(ctl, app);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* the manager and its login: both or neither */
    if (feat_db_begin(db) != FEAT_OK) {
        return feat_ctl_fail("adding the manager failed");
    }

    bad = NULL;
    e = feat_manager_add(db, app, name, &id, &bad);
    if (e == FEAT_E_NONE && login != NULL) {
        e = feat_admin_manager_set_login(db, id, login, all);
        if (e == FEAT_E_REGISTERED) {
            e = FEAT_E_BOUND;   /* the login's, not the name's */
        }
    }

    e = feat_db_end(db, e);

    if (e == FEAT_E_BAD_FIELD) {
        return feat_ctl_fail("bad manager name: 1 to %d characters of "
                             "valid UTF-8, no control characters",
                             FEAT_MANAGER_NAME_MAX);
    }
    if (e == FEAT_E_BOUND) {
        return feat_ctl_fail("login \"%s\" is taken", login);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "adding the manager");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddStringToObject(res, "name", name);
    if (login != NULL) {
        cJSON_AddStringToObject(res, "login", login);
        cJSON_AddBoolToObject(res, "all_apps", all);
    }

    snprintf(msg, sizeof(msg), "manager %lld added", (long long) id);
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


/*
 * "manager list [--app ID | --all]": each manager with what the console
 * lets it do: its login, whether a TOTP secret and the disabled switch
 * are set, and the apps it sees (its own, or every app).  Read through
 * feat_admin_manager_get, whose struct holds no hash and no secret, so
 * none can be printed here.
 */
static int
ctl_manager_list(struct feat_ctl *ctl, int argc, char **argv)
{
    int                                  rc;
    cJSON                               *rows, *row;
    sqlite3                             *db;
    const char                          *app, *all;
    sqlite3_stmt                        *st;
    enum feat_error                      e;
    struct feat_admin_manager            m;
    const struct feat_ctl_opt            opts[] = {
        { "app", 1, &app },
        { "all", 0, &all },
        { NULL, 0, NULL }
    };
    static const struct feat_ctl_column  cols[] = {
        { "id", "ID", NULL },
        { "name", "NAME", NULL },
        { "login", "LOGIN", NULL },
        { "totp", "TOTP", NULL },
        { "disabled", "DISABLED", NULL },
        { "apps", "APPS", FEAT_CTL_EMPTY_APP },
        { "created_at", "CREATED", NULL },
    };

    app = NULL;
    all = NULL;

    if (feat_ctl_args(ctl, argc, argv, opts, NULL, 0) != FEAT_OK) {
        return FEAT_CTL_USAGE;
    }

    if (all != NULL && app != NULL) {
        return feat_ctl_fail("--app and --all: one or the other");
    }

    db = all != NULL ? feat_ctl_db(ctl, 1)
                     : feat_ctl_app_db(ctl, app != NULL ? app : "");
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    /* ids only: the row itself is the admin module's to read */
    st = feat_db_query(db, "SELECT id FROM managers"
                       " WHERE ?1 IS NULL OR app_id = ?1 ORDER BY id", "s",
                       all != NULL ? NULL : app != NULL ? app : "");
    if (st == NULL) {
        return feat_ctl_fail("listing the managers failed");
    }

    rows = cJSON_CreateArray();
    e = FEAT_E_NONE;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        e = feat_admin_manager_get(db, ctl->arena,
                                   sqlite3_column_int64(st, 0), &m);
        if (e != FEAT_E_NONE) {
            break;
        }

        row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "id", (double) m.id);
        cJSON_AddStringToObject(row, "app_id", m.app_id);
        cJSON_AddStringToObject(row, "name", m.name);
        if (m.login[0] != '\0') {
            cJSON_AddStringToObject(row, "login", m.login);
        } else {
            cJSON_AddNullToObject(row, "login");
        }
        cJSON_AddBoolToObject(row, "totp", m.totp);
        cJSON_AddBoolToObject(row, "disabled", m.disabled);
        cJSON_AddBoolToObject(row, "all_apps", m.all_apps);
        cJSON_AddStringToObject(row, "apps", m.all_apps ? "all apps"
                                                        : m.app_id);
        cJSON_AddStringToObject(row, "created_at",
                                feat_ctl_time(ctl, m.created_at));
        cJSON_AddItemToArray(rows, row);
    }

    feat_db_done(st);

    if (e != FEAT_E_NONE || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        cJSON_Delete(rows);
        return feat_ctl_domain_fail(e != FEAT_E_NONE ? e : FEAT_E_INTERNAL,
                                    "listing the managers");
    }

    feat_ctl_print_rows(ctl, rows, cols, FEAT_NELEMS(cols));

    return FEAT_CTL_OK;
}


/*
 * One line of stdin into buf without its end of line: asked for on a
 * terminal (prompt, no echo), read as it is otherwise.  FEAT_OK, or
 * FEAT_ERROR at end of input or for a line longer than buf.
 */
static int
ctl_read_password(const char *prompt, char *buf, size_t n)
{
    int             tty, rc;
    size_t          len;
    struct termios  old, quiet;

    tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;

    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }

    rc = fgets(buf, (int) n, stdin) != NULL ? FEAT_OK : FEAT_ERROR;

    if (tty) {
        (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }

    if (rc != FEAT_OK) {
        return FEAT_ERROR;
    }

    len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n') {
        buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
    } else if (len == n - 1) {
        return FEAT_ERROR;      /* longer than any password taken */
    }

    return FEAT_OK;
}


static int
ctl_manager_passwd(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    char                       pw[1100], again[1100], msg[80];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *arg, *from_stdin;
    sqlite3_int64              id;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { "password-stdin", 0, &from_stdin },
        { NULL, 0, NULL }
    };

    from_stdin = NULL;

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "manager", &arg, 1, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    if (ctl_read_password("Password: ", pw, sizeof(pw)) != FEAT_OK) {
        return feat_ctl_fail("no password read");
    }

    /* a person types it twice; a script (--password-stdin, a pipe) once */
    if (from_stdin == NULL && isatty(STDIN_FILENO)) {
        if (ctl_read_password("Again: ", again, sizeof(again)) != FEAT_OK
            || strcmp(pw, again) != 0)
        {
            feat_cleanse(pw, sizeof(pw));
            feat_cleanse(again, sizeof(again));
            return feat_ctl_fail("the passwords differ");
        }
        feat_cleanse(again, sizeof(again));
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        feat_cleanse(pw, sizeof(pw));
        return FEAT_CTL_FAIL;
    }

    e = feat_admin_manager_set_password(db, id, pw);
    feat_cleanse(pw, sizeof(pw));

    switch (e) {
    case FEAT_E_NONE:
        rc = FEAT_CTL_OK;
        break;
    case FEAT_E_BAD_FIELD:
        return feat_ctl_fail("bad password: 6 to 128 characters of valid "
                             "UTF-8");
    case FEAT_E_NOT_FOUND:
        return feat_ctl_fail("no manager %lld", (long long) id);
    default:
        return feat_ctl_domain_fail(e, "setting the password");
    }

    snprintf(msg, sizeof(msg), "manager %lld: password set",
             (long long) id);

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "password", 1);
    feat_ctl_print_result(ctl, res, msg);

    return rc;
}


static int
ctl_manager_totp(struct feat_ctl *ctl, int argc, char **argv)
{
    int                        rc;
    char                       msg[80];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *arg, *off, *uri;
    sqlite3_int64              id;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { "off", 0, &off },
        { NULL, 0, NULL }
    };

    off = NULL;

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "manager", &arg, 1, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);

    if (off != NULL) {
        e = feat_admin_totp_off(db, id);
        if (e == FEAT_E_NONE) {
            cJSON_AddBoolToObject(res, "totp", 0);
            snprintf(msg, sizeof(msg), "manager %lld: TOTP off",
                     (long long) id);
            feat_ctl_print_result(ctl, res, msg);
            return FEAT_CTL_OK;
        }

    } else {
        e = feat_admin_totp_new(db, ctl->arena, id, &uri);
        if (e == FEAT_E_NONE) {
            /* the URI is the secret: printed once, here only */
            cJSON_AddStringToObject(res, "uri", uri);
            feat_ctl_print_result(ctl, res, uri);
            return FEAT_CTL_OK;
        }
    }

    cJSON_Delete(res);

    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no manager %lld with a login",
                             (long long) id);
    }

    return feat_ctl_domain_fail(e, "changing the TOTP secret");
}


/* "manager disable|enable ID" */
static int
ctl_manager_switch(struct feat_ctl *ctl, int argc, char **argv, int disabled)
{
    int                        rc;
    char                       msg[80];
    cJSON                     *res;
    sqlite3                   *db;
    const char                *arg;
    sqlite3_int64              id;
    enum feat_error            e;
    const struct feat_ctl_opt  opts[] = {
        { NULL, 0, NULL }
    };

    rc = feat_ctl_item_args(ctl, argc, argv, opts, "manager", &arg, 1, &id);
    if (rc != FEAT_CTL_OK) {
        return rc;
    }

    db = feat_ctl_db(ctl, 1);
    if (db == NULL) {
        return FEAT_CTL_FAIL;
    }

    e = feat_admin_manager_set_disabled(db, id, disabled);
    if (e == FEAT_E_NOT_FOUND) {
        return feat_ctl_fail("no manager %lld", (long long) id);
    }
    if (e != FEAT_E_NONE) {
        return feat_ctl_domain_fail(e, "switching the manager");
    }

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddBoolToObject(res, "disabled", disabled);
    snprintf(msg, sizeof(msg), "manager %lld %s", (long long) id,
             disabled ? "disabled" : "enabled");
    feat_ctl_print_result(ctl, res, msg);

    return FEAT_CTL_OK;
}


static int
ctl_manager_disable(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_manager_switch(ctl, argc, argv, 1);
}


static int
ctl_manager_enable(struct feat_ctl *ctl, int argc, char **argv)
{
    return ctl_manager_switch(ctl, argc, argv, 0);
}
