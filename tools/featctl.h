/*
 * featctl.h: the parts shared by featctl's command groups.
 *
 * featctl is the administrator's command line over featcgi's database.  A
 * command is one row of data, { group, verb, handler, usage, doc }, in the
 * table its group's file exports (ctl_db.c, ctl_app.c, ctl_user.c);
 * featctl.c lists those tables once and dispatches on the first two words of
 * the command line.  This header declares the row type, the per-run context
 * handed to every handler, the option parser handlers use for their own
 * arguments, and the output helpers that print one set of rows either as an
 * aligned table for people or as JSON for scripts (--json).
 */

#ifndef FEAT_CTL_H
#define FEAT_CTL_H

#include "feat.h"

/* Exit statuses: every handler answers one of these. */
#define FEAT_CTL_OK     0   /* done */
#define FEAT_CTL_FAIL   1   /* bad input, not found, database error */
#define FEAT_CTL_USAGE  2   /* the command line does not parse */

/* Bounds on what a command line may ask for. */
#define FEAT_CTL_MAX_ARGS   16
#define FEAT_CTL_MAX_LIMIT  100000

struct feat_ctl {
    const char                      *conf_path;
    int                              json;    /* --json */
    struct feat_arena               *arena;   /* lives for the whole run */
    const struct feat_ctl_command   *cmd;     /* the command running */
    /* the audit log: the transaction held around a command that may
     * change data, the changes before it, and what the record names */
    int                              held;
    long long                        changes;
    const char                      *audit_app;   /* NULL: "" */
    sqlite3_int64                    audit_user;  /* 0: none */
};

typedef int (*feat_ctl_handler_pt)(struct feat_ctl *ctl, int argc,
    char **argv);

/*
 * One command.  The handler gets the words after "group verb" (options
 * included) and answers an exit status.  usage is the argument synopsis
 * ("ID [--name NAME]"), doc one line for the help text.  A table ends with
 * FEAT_CTL_NULL_COMMAND.
 */
struct feat_ctl_command {
    const char           *group;
    const char           *verb;
    feat_ctl_handler_pt   handler;
    const char           *usage;
    const char           *doc;
};

#define FEAT_CTL_NULL_COMMAND  { NULL, NULL, NULL, NULL, NULL }

/* The groups' tables, listed once in featctl.c. */
extern const struct feat_ctl_command  feat_ctl_db_commands[];
extern const struct feat_ctl_command  feat_ctl_app_commands[];
extern const struct feat_ctl_command  feat_ctl_appmove_commands[];
extern const struct feat_ctl_command  feat_ctl_user_commands[];
extern const struct feat_ctl_command  feat_ctl_manager_commands[];
extern const struct feat_ctl_command  feat_ctl_faq_commands[];
extern const struct feat_ctl_command  feat_ctl_feedback_commands[];
extern const struct feat_ctl_command  feat_ctl_push_commands[];
extern const struct feat_ctl_command  feat_ctl_oauth_commands[];
extern const struct feat_ctl_command  feat_ctl_notice_commands[];
extern const struct feat_ctl_command  feat_ctl_project_commands[];
extern const struct feat_ctl_command  feat_ctl_outbox_commands[];
extern const struct feat_ctl_command  feat_ctl_product_commands[];
extern const struct feat_ctl_command  feat_ctl_check_commands[];
extern const struct feat_ctl_command  feat_ctl_status_commands[];
extern const struct feat_ctl_command  feat_ctl_audit_commands[];
extern const struct feat_ctl_command  feat_ctl_openapi_commands[];


/* ---- the v2 administrators' groups (ctl_manager.c) ----------------------- */

/* feat_ctl_db, then checks that app (--app, "" by default) exists: the
 * connection, or NULL after printing why. */
sqlite3 *feat_ctl_app_db(struct feat_ctl *ctl, const char *app);
/* A row id: decimal 1..2^53 into *id: FEAT_OK or FEAT_ERROR. */
int feat_ctl_id(const char *s, sqlite3_int64 *id);
/* Opens app's database (feat_ctl_app_db) and picks the manager a reply
 * or push is recorded under: --manager's value (opt, checked to be of
 * app), else the app's only manager.  FEAT_CTL_OK with *db and *id, or
 * FEAT_CTL_FAIL after printing why. */
int feat_ctl_app_manager(struct feat_ctl *ctl, const char *app,
    const char *opt, sqlite3 **db, sqlite3_int64 *id);
/* Prints "featctl: <what>: <e as words>" and answers FEAT_CTL_FAIL. */
int feat_ctl_domain_fail(enum feat_error e, const char *what);
/*
 * The start every "GROUP VERB ID [--app ID]" command shares: parses the
 * line (--app only), the id (else "bad <what> id \"ARG\""), and opens the
 * database for the app.  FEAT_CTL_OK with *app (pointing into argv, or ""),
 * *id and *db set; else the exit status to answer, after printing why.
 */
int feat_ctl_app_item(struct feat_ctl *ctl, int argc, char **argv,
    const char *what, const char **app, sqlite3_int64 *id, sqlite3 **db);


/*
 * One page of an app's rows, for feat_ctl_app_list: adds up to limit row
 * objects, from offset on, to rows.  Answers FEAT_E_NONE or the domain's
 * error.
 */
typedef enum feat_error (*feat_ctl_page_pt)(struct feat_ctl *ctl,
    sqlite3 *db, const char *app, long long offset, long long limit,
    cJSON *rows);

/* A "GROUP list [--app ID] [--limit N] [--offset N]" command as data. */
struct feat_ctl_list {
    long long                      limit;     /* default --limit */
    long long                      max;       /* largest --limit */
    const char                    *doing;     /* "listing the FAQ" */
    feat_ctl_page_pt               page;
    const struct feat_ctl_column  *cols;
    size_t                         ncols;
};

/*
 * Runs such a command: parses the line, the paging and --app, opens the
 * app's database and prints the page as rows.  Answers the exit status,
 * after printing why when it is not FEAT_CTL_OK.
 */
int feat_ctl_app_list(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_list *list);


/*
 * "db migrate --check" (ctl_migcheck.c): prints whether each pending
 * migration only adds (online-safe) and applies none.  FEAT_CTL_OK when all
 * are, FEAT_CTL_FAIL otherwise.
 */
int feat_ctl_migrate_check(struct feat_ctl *ctl, sqlite3 *db);


/* ---- arguments (featctl.c) ----------------------------------------------- */

/*
 * An option a command accepts: "--name VALUE" or "--name=VALUE" when
 * has_value, else a flag.  The parser stores the value (or "on" for a flag)
 * into *value; the strings point into argv.
 */
struct feat_ctl_opt {
    const char   *name;       /* without the dashes: "open-login" */
    int           has_value;
    const char  **value;
};

/*
 * Splits argv into the options of opts (anywhere on the line; "--" ends
 * them; "--json" is always accepted and sets ctl->json) and exactly npos
 * positional words, stored into pos[0..npos-1].  Answers FEAT_OK, or
 * FEAT_ERROR after printing the reason and the command's usage to stderr.
 */
int feat_ctl_args(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_opt *opts, const char **pos, int npos);
/*
 * The start every command on one row shares (ctl_manager.c), "GROUP
 * VERB ID [WORD...] [--OPTION...]": parses the line by opts
 * (feat_ctl_args) into npos positional words pos[0..npos-1], and pos[0]
 * as the row's id into *id (else "bad <what> id \"ARG\"").  FEAT_CTL_OK;
 * else the exit status to answer, after printing why.
 */
int feat_ctl_item_args(struct feat_ctl *ctl, int argc, char **argv,
    const struct feat_ctl_opt *opts, const char *what, const char **pos,
    int npos, sqlite3_int64 *id);

/* Parses a decimal integer in [min, max] (no sign unless min < 0, no
 * spaces): FEAT_OK or FEAT_ERROR. */
int feat_ctl_int(const char *s, long long min, long long max,
    long long *out);
/*
 * --limit and --offset of a list command: limit 1..max (deflt when
 * limit_opt is NULL), offset 0..FEAT_CTL_MAX_LIMIT (0 when NULL).
 * FEAT_OK, or FEAT_ERROR after printing which one is bad and its range.
 */
int feat_ctl_paging(const char *limit_opt, const char *offset_opt,
    long long deflt, long long max, long long *limit, long long *offset);
/* "on"/"off" (also yes/no, true/false, 1/0): FEAT_OK or FEAT_ERROR. */
int feat_ctl_bool(const char *s, int *out);

/* Prints "featctl: <reason>" to stderr and answers FEAT_CTL_FAIL. */
int feat_ctl_fail(const char *fmt, ...) FEAT_PRINTF(1, 2);

/*
 * Opens the database named by the config and checks that its schema is
 * current (every embedded migration applied), so a command never meets a
 * missing table.  Answers the connection (owned by the runtime's db.c,
 * closed at exit), or NULL after printing the reason.
 */
sqlite3 *feat_ctl_db(struct feat_ctl *ctl, int need_schema);
/* 1 when cmd runs without the transaction and audit record featctl
 * holds around a command that changes data: it only reads (list, show,
 * get, export, audit), or records itself (app import). */
int feat_ctl_reads_only(const struct feat_ctl_command *cmd);


/* ---- output (featctl.c) -------------------------------------------------- */

/*
 * A column of a table: the key in each row object, the heading, and what
 * to show for an empty string (NULL: nothing; the default app's id "" is
 * shown as "\"\"" so that it reads as a value).  Values are rendered by
 * type: strings as they are (control characters shown as '?', so a
 * nickname cannot move the cursor), integers in decimal, booleans
 * "yes"/"no", null "-".
 */
struct feat_ctl_column {
    const char  *key;
    const char  *heading;
    const char  *empty;
};

#define FEAT_CTL_EMPTY_APP  "\"\""

/*
 * Prints rows (a cJSON array of objects): with --json the array itself,
 * else a table of cols, one line of headings, then one line per row with
 * columns padded to their widest cell.  Takes ownership of rows.
 */
void feat_ctl_print_rows(struct feat_ctl *ctl, cJSON *rows,
    const struct feat_ctl_column *cols, size_t ncols);
/*
 * Prints one object: with --json the object, else "key: value" lines in the
 * order of the object's members.  Takes ownership of obj.
 */
void feat_ctl_print_object(struct feat_ctl *ctl, cJSON *obj);
/* Prints a result: with --json the object, else the line msg.  Takes
 * ownership of obj. */
void feat_ctl_print_result(struct feat_ctl *ctl, cJSON *obj,
    const char *msg);

/* Prints what a removal answers: with --json {id, app_id, removed: true},
 * else "<what> <id> removed". */
void feat_ctl_print_removed(struct feat_ctl *ctl, const char *what,
    sqlite3_int64 id, const char *app);

/* A time as the install's ISO 8601 form ("2026-11-22T10:00:00+08:00"),
 * in ctl's arena; "" for 0. */
const char *feat_ctl_time(struct feat_ctl *ctl, sqlite3_int64 t);

#endif /* FEAT_CTL_H */
