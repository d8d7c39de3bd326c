/*
 * featctl.c: featctl's main, its command dispatch, and the helpers every
 * command group shares (argument parsing, opening the database, printing
 * rows as a table or as JSON).
 *
 * The command line is "featctl [-c FILE] [--json] GROUP VERB ARGS...".  The
 * commands themselves live in one file per group (ctl_db.c, ctl_app.c,
 * ctl_user.c), each exporting a table of struct feat_ctl_command; the list
 * of those tables below is the only place a new group is registered, as
 * fcgi/process/modules.c is for the server's modules.  featctl shares the
 * server's code: its config loader, its database layer (statement cache, migrations)
 * and its logging, which stays on stderr here so an administrator's
 * command never writes into the server's error log.
 */

#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "featctl.h"

/* The build sets it from sysconfdir: $(sysconfdir)/featcgi/featcgi.conf. */
#ifndef FEAT_CONF_FILE
#define FEAT_CONF_FILE  "/etc/featcgi/featcgi.conf"
#endif


/* Every command group: adding a group is one line here. */
static const struct feat_ctl_command *const  feat_ctl_groups[] = {
    feat_ctl_db_commands,
    feat_ctl_app_commands,
    feat_ctl_appmove_commands,
    feat_ctl_user_commands,
    feat_ctl_manager_commands,
    feat_ctl_faq_commands,
    feat_ctl_feedback_commands,
    feat_ctl_push_commands,
    feat_ctl_oauth_commands,
    feat_ctl_notice_commands,
    feat_ctl_project_commands,
    feat_ctl_outbox_commands,
    feat_ctl_product_commands,
    feat_ctl_check_commands,
    feat_ctl_status_commands,
    feat_ctl_audit_commands,
    feat_ctl_openapi_commands,
    NULL
};


static void feat_ctl_help(FILE *f, const char *group);
static void feat_ctl_usage_of(const struct feat_ctl_command *cmd);
static const struct feat_ctl_command *feat_ctl_find(const char *group,
    const char *verb, int *group_known);
static size_t feat_ctl_width(const char *s);
static char *feat_ctl_cell(struct feat_ctl *ctl, const cJSON *v);
static void feat_ctl_put_padded(const char *s, size_t width, int last);
static void feat_ctl_print_json(cJSON *item);
static int feat_ctl_audit_end(struct feat_ctl *ctl, int rc);
static const char *feat_ctl_operator(struct feat_ctl *ctl);


int
main(int argc, char **argv)
{
    int                             i, rc, skip, group_known;
    const char                     *conf, *err;
    struct feat_ctl                 ctl;
    const struct feat_ctl_command  *cmd;

    memset(&ctl, 0, sizeof(ctl));

    conf = getenv("FEATCGI_CONF");
    if (conf == NULL || conf[0] == '\0') {
        conf = FEAT_CONF_FILE;
    }

    /* Global options come before the command. */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            if (++i == argc) {
                fprintf(stderr, "featctl: -c needs a file\n");
                feat_ctl_help(stderr, NULL);
                return FEAT_CTL_USAGE;
            }
            conf = argv[i];

        } else if (strcmp(argv[i], "--json") == 0) {
            ctl.json = 1;

        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0)
        {
            feat_ctl_help(stdout, NULL);
            return FEAT_CTL_OK;

        } else if (strcmp(argv[i], "-V") == 0
                   || strcmp(argv[i], "--version") == 0)
        {
            printf("featctl %s\n", PACKAGE_VERSION);
            return FEAT_CTL_OK;

        } else {
            fprintf(stderr, "featctl: unknown option \"%s\"\n", argv[i]);
            feat_ctl_help(stderr, NULL);
            return FEAT_CTL_USAGE;
        }
    }

    if (i == argc) {
        feat_ctl_help(stderr, NULL);
        return FEAT_CTL_USAGE;
    }

    if (strcmp(argv[i], "help") == 0) {
        feat_ctl_help(stdout, NULL);
        return FEAT_CTL_OK;
    }

    cmd = feat_ctl_find(argv[i], i + 1 < argc ? argv[i + 1] : NULL,
                        &group_known);
    if (cmd == NULL) {
        if (!group_known) {
            return feat_ctl_fail("unknown command \"%s\" (see featctl help)",
                                 argv[i]);
        }
        if (i + 1 == argc) {
            fprintf(stderr, "featctl: \"%s\" needs a command\n", argv[i]);
            feat_ctl_help(stderr, argv[i]);
            return FEAT_CTL_USAGE;
        }
        return feat_ctl_fail("unknown command \"%s %s\" (see featctl help)",
                             argv[i], argv[i + 1]);
    }

    feat_log_set_role("featctl");

    if (feat_conf_load(conf, feat_modules, &err) != FEAT_OK) {
        return feat_ctl_fail("%s", err != NULL ? err : conf);
    }

    /* app set|get|unset know the keys from the modules' tables */
    if (feat_settings_init(feat_modules) != FEAT_OK) {
        return feat_ctl_fail("the modules' settings table does not build");
    }

    ctl.conf_path = conf;
    ctl.cmd = cmd;
    ctl.arena = feat_arena_create();

    /* what the command changes, the audit log says the operator did */
    feat_audit_origin("", feat_ctl_operator(&ctl));

    skip = cmd->verb[0] != '\0' ? 2 : 1;
    rc = cmd->handler(&ctl, argc - i - skip, argv + i + skip);

    if (ctl.held && feat_ctl_audit_end(&ctl, rc) != FEAT_OK) {
        rc = feat_ctl_fail("the changes were not committed");
    }

    fflush(stdout);
    if (ferror(stdout)) {
        fprintf(stderr, "featctl: writing the output failed\n");
        rc = FEAT_CTL_FAIL;
    }

    feat_db_close();
    feat_arena_destroy(ctl.arena);
    feat_conf_free();

    return rc;
}


/* The usage and the commands, or only group's commands when not NULL. */
static void
feat_ctl_help(FILE *f, const char *group)
{
    size_t                          g;
    const struct feat_ctl_command  *c;

    fprintf(f, "usage: featctl [-c FILE] [--json] COMMAND [ARGS]\n"
               "  -c FILE  config file (default $FEATCGI_CONF, else "
               FEAT_CONF_FILE ")\n"
               "  --json   print JSON for scripts\n"
               "commands:\n");

    for (g = 0; feat_ctl_groups[g] != NULL; g++) {
        for (c = feat_ctl_groups[g]; c->group != NULL; c++) {
            if (group != NULL && strcmp(group, c->group) != 0) {
                continue;
            }
            fprintf(f, "  %s%s%s%s%s\n      %s\n", c->group,
                    c->verb[0] ? " " : "", c->verb,
                    c->usage[0] ? " " : "", c->usage, c->doc);
        }
    }
}


static void
feat_ctl_usage_of(const struct feat_ctl_command *cmd)
{
    fprintf(stderr, "usage: featctl [-c FILE] [--json] %s%s%s%s%s\n",
            cmd->group, cmd->verb[0] ? " " : "", cmd->verb,
            cmd->usage[0] ? " " : "", cmd->usage);
}


static const struct feat_ctl_command *
feat_ctl_find(const char *group, const char *verb, int *group_known)
{
    size_t                          g;
    const struct feat_ctl_command  *c;

    *group_known = 0;

    for (g = 0; feat_ctl_groups[g] != NULL; g++) {
        for (c = feat_ctl_groups[g]; c->group != NULL; c++) {
            if (strcmp(c->group, group) != 0) {
                continue;
            }
            *group_known = 1;
            /* a group of one command has no verb ("featctl check",
             * "featctl status") */
            if (c->verb[0] == '\0'
                || (verb != NULL && strcmp(c->verb, verb) == 0))
            {
                return c;
            }
        }
    }

    return NULL;
}


/* ---- arguments ----------------------------------------------------------- */

int
feat_ctl_args(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_opt *opts, const char **pos, int npos)
{
    int                         i, n, options;
    size_t                      len;
    const char                 *a, *eq;
    const struct feat_ctl_opt  *o;

    if (argc > FEAT_CTL_MAX_ARGS) {
        fprintf(stderr, "featctl: too many arguments\n");
        goto usage;
    }

    n = 0;
    options = 1;

    for (i = 0; i < argc; i++) {
        a = argv[i];

        /* "-1" is a (bad) number, not an option: let the command say so */
        if (!options || a[0] != '-' || a[1] == '\0'
            || (a[1] >= '0' && a[1] <= '9'))
        {
            if (n == npos) {
                fprintf(stderr, "featctl: unexpected argument \"%s\"\n", a);
                goto usage;
            }
            pos[n++] = a;
            continue;
        }

        if (strcmp(a, "--") == 0) {
            options = 0;
            continue;
        }

        if (strcmp(a, "--json") == 0) {
            ctl->json = 1;
            continue;
        }

        if (a[1] != '-') {
            fprintf(stderr, "featctl: unknown option \"%s\"\n", a);
            goto usage;
        }

        a += 2;
        eq = strchr(a, '=');
        len = eq != NULL ? (size_t) (eq - a) : strlen(a);

        for (o = opts; o != NULL && o->name != NULL; o++) {
            if (strlen(o->name) == len && strncmp(o->name, a, len) == 0) {
                break;
            }
        }

        if (o == NULL || o->name == NULL) {
            fprintf(stderr, "featctl: unknown option \"%s\"\n", argv[i]);
            goto usage;
        }

        if (!o->has_value) {
            if (eq != NULL) {
                fprintf(stderr, "featctl: --%s takes no value\n", o->name);
                goto usage;
            }
            *o->value = "on";
            continue;
        }

        if (eq != NULL) {
            *o->value = eq + 1;

        } else if (i + 1 < argc) {
            *o->value = argv[++i];

        } else {
            fprintf(stderr, "featctl: --%s needs a value\n", o->name);
            goto usage;
        }
    }

    if (n != npos) {
        fprintf(stderr, "featctl: missing argument\n");
        goto usage;
    }

    return FEAT_OK;

usage:

    feat_ctl_usage_of(ctl->cmd);
    return FEAT_ERROR;
}


int
feat_ctl_int(const char *s, long long min, long long max, long long *out)
{
    char       *end;
    const char *p;
    long long   v;

    /* strtoll alone takes spaces, '+' and an empty string: refuse those */
    p = (*s == '-' && min < 0) ? s + 1 : s;
    if (*p < '0' || *p > '9') {
        return FEAT_ERROR;
    }

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return FEAT_ERROR;
    }

    *out = v;
    return FEAT_OK;
}


int
feat_ctl_paging(const char *limit_opt, const char *offset_opt,
    long long deflt, long long max, long long *limit, long long *offset)
{
    *limit = deflt;
    if (limit_opt != NULL
        && feat_ctl_int(limit_opt, 1, max, limit) != FEAT_OK)
    {
        feat_ctl_fail("bad --limit \"%s\": 1 to %lld", limit_opt, max);
        return FEAT_ERROR;
    }

    *offset = 0;
    if (offset_opt != NULL
        && feat_ctl_int(offset_opt, 0, FEAT_CTL_MAX_LIMIT, offset) != FEAT_OK)
    {
        feat_ctl_fail("bad --offset \"%s\": 0 to %d", offset_opt,
                      FEAT_CTL_MAX_LIMIT);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_ctl_bool(const char *s, int *out)
{
    static const char *const  yes[] = { "on", "yes", "true", "1" };
    static const char *const  no[] = { "off", "no", "false", "0" };
    size_t                    i;

    for (i = 0; i < FEAT_NELEMS(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = 1;
            return FEAT_OK;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = 0;
            return FEAT_OK;
        }
    }

    return FEAT_ERROR;
}


int
feat_ctl_fail(const char *fmt, ...)
{
    va_list  ap;

    fflush(stdout);
    fputs("featctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);

    return FEAT_CTL_FAIL;
}


sqlite3 *
feat_ctl_db(struct feat_ctl *ctl, int need_schema)
{
    int       version, latest;
    size_t    i;
    sqlite3  *db;

    if (ctl->held) {
        return feat_db();       /* open already, inside its transaction */
    }

    if (feat_db_open() != FEAT_OK) {
        feat_ctl_fail("cannot open the database \"%s\" (config %s)",
                      feat_conf_path(FEAT_CONF_DATABASE), ctl->conf_path);
        return NULL;
    }

    db = feat_db();

    if (!need_schema) {
        return db;
    }

    latest = 0;
    for (i = 0; feat_migrations[i].sql != NULL; i++) {
        if (feat_migrations[i].version > latest) {
            latest = feat_migrations[i].version;
        }
    }

    version = feat_db_version(db);
    if (version < latest) {
        feat_ctl_fail("the database \"%s\" is at schema version %d, this "
                      "featctl needs %d: run \"featctl db migrate\"",
                      feat_conf_path(FEAT_CONF_DATABASE),
                      version < 0 ? 0 : version, latest);
        return NULL;
    }

    /*
     * A command that may change data runs inside one transaction with the
     * audit record of what it changed (feat_ctl_audit_end): the domain's
     * own transactions nest in it as savepoints.
     */
    if (!feat_ctl_reads_only(ctl->cmd)) {
        if (feat_db_hold(db) != FEAT_OK) {
            feat_ctl_fail("the database \"%s\" is busy",
                          feat_conf_path(FEAT_CONF_DATABASE));
            return NULL;
        }
        ctl->held = 1;
        ctl->changes = (long long) sqlite3_total_changes(db);
    }

    return db;
}


int
feat_ctl_reads_only(const struct feat_ctl_command *cmd)
{
    static const char *const  verbs[] = {
        "list", "show", "get", "export", NULL
    };
    size_t                    i;

    if (strcmp(cmd->group, "audit") == 0) {
        return 1;
    }

    /* app import runs its own transaction (an ATTACH cannot run inside
     * one) and writes its audit record there itself */
    if (strcmp(cmd->group, "app") == 0 && strcmp(cmd->verb, "import") == 0) {
        return 1;
    }

    for (i = 0; verbs[i] != NULL; i++) {
        if (strcmp(cmd->verb, verbs[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


/* The operator: the Unix user featctl runs as, and who ran sudo. */
static const char *
feat_ctl_operator(struct feat_ctl *ctl)
{
    const char     *sudo;
    struct passwd  *pw;
    char           *name;

    pw = getpwuid(getuid());
    name = (pw != NULL && pw->pw_name != NULL)
           ? feat_arena_strdup(ctl->arena, pw->pw_name)
           : feat_arena_sprintf(ctl->arena, "uid %ld", (long) getuid());

    sudo = getenv("SUDO_USER");
    if (sudo != NULL && sudo[0] != '\0' && strcmp(sudo, name) != 0) {
        name = feat_arena_sprintf(ctl->arena, "%s (sudo %s)", name, sudo);
    }

    return name;
}


/*
 * Ends the transaction held around the command: when the command changed
 * rows, records "featctl" (its group and verb, its exit status, never its
 * arguments, which may hold secrets) by the operator, then commits what
 * the command did, whatever its status, as it would have alone.
 * FEAT_OK, or FEAT_ERROR when the commit failed (nothing was changed).
 */
static int
feat_ctl_audit_end(struct feat_ctl *ctl, int rc)
{
    char      command[128];
    sqlite3  *db;

    db = feat_db();
    ctl->held = 0;

    if ((long long) sqlite3_total_changes(db) > ctl->changes) {
        snprintf(command, sizeof(command), "%s %s", ctl->cmd->group,
                 ctl->cmd->verb);

        if (feat_audit(db, ctl->audit_app != NULL ? ctl->audit_app : "",
                       ctl->audit_user, "featctl", "sd", "command", command,
                       "status", rc) != FEAT_OK)
        {
            feat_db_release(db, 0);
            return FEAT_ERROR;
        }
    }

    return feat_db_release(db, 1);
}


/* ---- output -------------------------------------------------------------- */

/*
 * Columns a string takes on a terminal: one per code point, two for the
 * East Asian wide ranges (nicknames are often Chinese), none for UTF-8
 * continuation bytes.  Good enough to align tables without a locale.
 */
static size_t
feat_ctl_width(const char *s)
{
    size_t          w;
    uint32_t        c;
    const uint8_t  *p;

    w = 0;

    for (p = (const uint8_t *) s; *p != '\0'; ) {
        if (*p < 0x80) {
            c = *p++;
        } else if ((*p & 0xe0) == 0xc0 && p[1] != '\0') {
            c = ((uint32_t) (p[0] & 0x1f) << 6) | (p[1] & 0x3f);
            p += 2;
        } else if ((*p & 0xf0) == 0xe0 && p[1] != '\0' && p[2] != '\0') {
            c = ((uint32_t) (p[0] & 0x0f) << 12)
                | ((uint32_t) (p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            p += 3;
        } else if ((*p & 0xf8) == 0xf0 && p[1] != '\0' && p[2] != '\0'
                   && p[3] != '\0')
        {
            c = ((uint32_t) (p[0] & 0x07) << 18)
                | ((uint32_t) (p[1] & 0x3f) << 12)
                | ((uint32_t) (p[2] & 0x3f) << 6) | (p[3] & 0x3f);
            p += 4;
        } else {
            c = '?';
            p++;
        }

        if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf)
            || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff)
            || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60)
            || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f)
            || (c >= 0x1f900 && c <= 0x1f9ff)
            || (c >= 0x20000 && c <= 0x3fffd))
        {
            w += 2;
        } else {
            w += 1;
        }
    }

    return w;
}


/* A cell's text in the arena; control characters become '?'. */
static char *
feat_ctl_cell(struct feat_ctl *ctl, const cJSON *v)
{
    char  *s, *p;

    if (v == NULL || cJSON_IsNull(v)) {
        return feat_arena_strdup(ctl->arena, "-");
    }

    if (cJSON_IsBool(v)) {
        return feat_arena_strdup(ctl->arena, cJSON_IsTrue(v) ? "yes" : "no");
    }

    if (cJSON_IsNumber(v)) {
        return feat_arena_sprintf(ctl->arena, "%lld",
                                  (long long) v->valuedouble);
    }

    if (cJSON_IsString(v)) {
        s = feat_arena_strdup(ctl->arena, v->valuestring);
        for (p = s; *p != '\0'; p++) {
            if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                *p = '?';
            }
        }
        return s;
    }

    return feat_arena_strdup(ctl->arena, "?");
}


static void
feat_ctl_put_padded(const char *s, size_t width, int last)
{
    size_t  w;

    fputs(s, stdout);

    if (last) {
        fputc('\n', stdout);
        return;
    }

    for (w = feat_ctl_width(s); w < width + 2; w++) {
        fputc(' ', stdout);
    }
}


static void
feat_ctl_print_json(cJSON *item)
{
    char  *s;

    s = cJSON_Print(item);
    if (s == NULL) {
        /* cJSON's only failure is allocation: same policy as the arena */
        fprintf(stderr, "featctl: out of memory\n");
        abort();
    }

    puts(s);
    cJSON_free(s);
}


void
feat_ctl_print_rows(struct feat_ctl *ctl, cJSON *rows,
    const struct feat_ctl_column *cols, size_t ncols)
{
    int      nrows, r;
    size_t   c, *width;
    char   **cells;
    cJSON   *v;

    if (ctl->json) {
        feat_ctl_print_json(rows);
        cJSON_Delete(rows);
        return;
    }

    nrows = cJSON_GetArraySize(rows);
    width = feat_arena_calloc(ctl->arena, ncols * sizeof(size_t));
    cells = feat_arena_calloc(ctl->arena,
                              (size_t) nrows * ncols * sizeof(char *));

    for (c = 0; c < ncols; c++) {
        width[c] = feat_ctl_width(cols[c].heading);
    }

    for (r = 0; r < nrows; r++) {
        for (c = 0; c < ncols; c++) {
            v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, r),
                                                 cols[c].key);
            if (cols[c].empty != NULL && cJSON_IsString(v)
                && v->valuestring[0] == '\0')
            {
                cells[r * ncols + c] = (char *) cols[c].empty;
            } else {
                cells[r * ncols + c] = feat_ctl_cell(ctl, v);
            }
            if (feat_ctl_width(cells[r * ncols + c]) > width[c]) {
                width[c] = feat_ctl_width(cells[r * ncols + c]);
            }
        }
    }

    for (c = 0; c < ncols; c++) {
        feat_ctl_put_padded(cols[c].heading, width[c], c + 1 == ncols);
    }

    for (r = 0; r < nrows; r++) {
        for (c = 0; c < ncols; c++) {
            feat_ctl_put_padded(cells[r * ncols + c], width[c],
                                c + 1 == ncols);
        }
    }

    cJSON_Delete(rows);
}


void
feat_ctl_print_object(struct feat_ctl *ctl, cJSON *obj)
{
    size_t  width;
    cJSON  *m;

    if (ctl->json) {
        feat_ctl_print_json(obj);
        cJSON_Delete(obj);
        return;
    }

    width = 0;
    cJSON_ArrayForEach(m, obj) {
        if (strlen(m->string) > width) {
            width = strlen(m->string);
        }
    }

    cJSON_ArrayForEach(m, obj) {
        printf("%s:%*s %s\n", m->string, (int) (width - strlen(m->string)),
               "", feat_ctl_cell(ctl, m));
    }

    cJSON_Delete(obj);
}


void
feat_ctl_print_result(struct feat_ctl *ctl, cJSON *obj, const char *msg)
{
    if (ctl->json) {
        feat_ctl_print_json(obj);
    } else {
        puts(msg);
    }

    cJSON_Delete(obj);
}


void
feat_ctl_print_removed(struct feat_ctl *ctl, const char *what,
    sqlite3_int64 id, const char *app)
{
    char    msg[128];
    cJSON  *res;

    res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "id", (double) id);
    cJSON_AddStringToObject(res, "app_id", app);
    cJSON_AddBoolToObject(res, "removed", 1);

    snprintf(msg, sizeof(msg), "%s %lld removed", what, (long long) id);
    feat_ctl_print_result(ctl, res, msg);
}


const char *
feat_ctl_time(struct feat_ctl *ctl, sqlite3_int64 t)
{
    if (t == 0) {
        return "";
    }

    return feat_time_iso(ctl->arena, (time_t) t);
}
