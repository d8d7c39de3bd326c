/*
 * health.c: GET /healthz, the pool's state for monitors, load balancers
 * and "featctl status".  It answers loopback clients and the addresses of
 * health.allow_from only (403 to others), always in JSON of its own form:
 * 200 when everything is well, 503 when something is not, with the
 * reasons in "problems":
 *   - pool: fewer workers alive than "workers" (one in a crash loop's
 *     backoff), or the pool is stopping;
 *   - database: it cannot be read, or no write transaction can begin (a
 *     read-only file or file system, a write lock held past busy_timeout);
 *   - jobs: no jobs process, or its last sweep is older than
 *     health.sweep_age seconds (stuck, or stopped);
 *   - outbox: its backlog is reported, never judged;
 *   - backup: the scheduled backups' last result and time (backup.dir),
 *     reported, never judged: a failed backup is no reason to take the
 *     server out of a load balancer; monitors read "last_result".
 * The pool's part comes from the state the master shares with its
 * children (runtime.h, struct feat_pool_state); the database's is asked
 * with the worker's own connection.  A module of the runtime: it lives in
 * process/ because it reads the master's state.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runtime.h"

#define FEAT_HEALTH_CONF(X)                                                   \
    X(HEALTH_ALLOW_FROM, "health.allow_from", STR, "",                        \
      "addresses / CIDR blocks besides loopback that /healthz answers")       \
    X(HEALTH_SWEEP_AGE, "health.sweep_age", INT, "300",                       \
      "/healthz fails when the jobs process's last sweep is older (s)")

FEAT_HEALTH_CONF(FEAT_CONF_DECLARE)
FEAT_HEALTH_CONF(FEAT_CONF_DEFINE)

static const struct feat_conf_option *const  feat_health_conf[] = {
    FEAT_HEALTH_CONF(FEAT_CONF_ENTRY)
    NULL
};

static const char  feat_health_loopback[] = "127.0.0.0/8 ::1";


/* Loopback, or in health.allow_from: 1, else 0 (a bad list logs). */
static int
feat_health_allowed(const char *addr)
{
    int          rc;
    const char  *bad;

    if (feat_addr_in_list(feat_health_loopback, addr, &bad) == 1) {
        return 1;
    }

    rc = feat_addr_in_list(feat_conf_str(FEAT_CONF_HEALTH_ALLOW_FROM), addr,
                           &bad);
    if (rc < 0) {
        feat_log(LOG_ERR, 0, "health.allow_from: bad entry at \"%.64s\"",
                 bad);
    }

    return rc == 1;
}


static void
feat_health_problem(cJSON *problems, const char *what)
{
    cJSON_AddItemToArray(problems, cJSON_CreateString(what));
}


static cJSON *
feat_health_pool(cJSON *problems)
{
    cJSON  *o;

    o = cJSON_CreateObject();

    if (feat_pool == NULL) {
        /* a worker the master did not fork (cannot happen in a pool) */
        cJSON_AddBoolToObject(o, "known", 0);
        feat_health_problem(problems, "pool state unknown");
        return o;
    }

    cJSON_AddNumberToObject(o, "workers", feat_pool->workers);
    cJSON_AddNumberToObject(o, "alive", feat_pool->alive);
    cJSON_AddBoolToObject(o, "stopping", feat_pool->stopping);
    cJSON_AddNumberToObject(o, "started_at", (double) feat_pool->started);
    cJSON_AddNumberToObject(o, "requests", (double) feat_pool->served);
    cJSON_AddNumberToObject(o, "connections",
                            (double) feat_pool->connections);

    if (feat_pool->alive < feat_pool->workers) {
        feat_health_problem(problems, "workers missing");
    }
    if (feat_pool->stopping) {
        feat_health_problem(problems, "stopping");
    }

    return o;
}


static cJSON *
feat_health_database(sqlite3 *db, cJSON *problems)
{
    int            readable, writable;
    cJSON         *o;
    sqlite3_int64  n;

    readable = db != NULL
               && feat_db_int(db, &n, "SELECT count(*) FROM sqlite_master",
                              NULL) == FEAT_OK;

    /* A write transaction that begins: the file, its directory (WAL) and
     * the lock are there for writers.  Nothing is written. */
    writable = readable && !sqlite3_db_readonly(db, "main")
               && feat_db_begin(db) == FEAT_OK;
    if (writable) {
        feat_db_rollback(db);
    }

    o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "reachable", readable);
    cJSON_AddBoolToObject(o, "writable", writable);

    if (!readable) {
        feat_health_problem(problems, "database unreachable");
    } else if (!writable) {
        feat_health_problem(problems, "database not writable");
    }

    return o;
}


static cJSON *
feat_health_jobs(time_t now, cJSON *problems)
{
    long long  sweep, age;
    cJSON     *o;

    o = cJSON_CreateObject();
    if (feat_pool == NULL) {
        return o;
    }

    sweep = feat_pool->jobs_sweep;
    age = sweep > 0 ? (long long) now - sweep : -1;

    cJSON_AddBoolToObject(o, "alive", feat_pool->jobs_pid != 0);
    cJSON_AddNumberToObject(o, "pid", feat_pool->jobs_pid);
    cJSON_AddNumberToObject(o, "last_sweep", (double) sweep);
    cJSON_AddNumberToObject(o, "last_sweep_age", (double) age);

    if (feat_pool->jobs_pid == 0) {
        feat_health_problem(problems, "jobs process not running");

    } else if (age > feat_conf_int(FEAT_CONF_HEALTH_SWEEP_AGE)
               || (age < 0 && (long long) now - feat_pool->started
                              > feat_conf_int(FEAT_CONF_HEALTH_SWEEP_AGE)))
    {
        feat_health_problem(problems, "jobs process not sweeping");
    }

    return o;
}


static cJSON *
feat_health_outbox(sqlite3 *db)
{
    cJSON          *o;
    sqlite3_int64   pending, sending, fanout;

    pending = sending = fanout = -1;

    if (db != NULL) {
        if (feat_db_int(db, &pending, "SELECT count(*) FROM outbox"
                        " WHERE status = 0", NULL) != FEAT_OK)
        {
            pending = -1;
        }
        if (feat_db_int(db, &sending, "SELECT count(*) FROM outbox"
                        " WHERE status = 1", NULL) != FEAT_OK)
        {
            sending = -1;
        }
        if (feat_db_int(db, &fanout, "SELECT count(*) FROM outbox_fanout",
                        NULL) != FEAT_OK)
        {
            fanout = -1;
        }
    }

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pending", (double) pending);
    cJSON_AddNumberToObject(o, "sending", (double) sending);
    cJSON_AddNumberToObject(o, "fanout", (double) fanout);

    return o;
}


/*
 * The jobs process's scheduled backups.  The strings are copied out of
 * the shared state bounded: the jobs process may be writing them.
 */
static cJSON *
feat_health_backup(time_t now)
{
    char        file[sizeof(feat_pool->backup_file)];
    char        error[sizeof(feat_pool->backup_error)];
    long long   at, ok_at;
    cJSON      *o;
    const char  *dir;

    o = cJSON_CreateObject();

    dir = feat_conf_path(FEAT_CONF_BACKUP_DIR);
    cJSON_AddBoolToObject(o, "enabled", dir[0] != '\0');
    if (dir[0] == '\0' || feat_pool == NULL) {
        return o;
    }

    at = feat_pool->backup_at;
    ok_at = feat_pool->backup_ok_at;
    memcpy(file, feat_pool->backup_file, sizeof(file));
    file[sizeof(file) - 1] = '\0';
    memcpy(error, feat_pool->backup_error, sizeof(error));
    error[sizeof(error) - 1] = '\0';

    cJSON_AddNumberToObject(o, "interval",
                            (double) feat_conf_int(FEAT_CONF_BACKUP_INTERVAL));
    cJSON_AddBoolToObject(o, "running", feat_pool->backup_running);
    cJSON_AddNumberToObject(o, "last", (double) at);
    cJSON_AddStringToObject(o, "last_result",
                            at == 0 ? "none"
                                    : feat_pool->backup_ok ? "ok" : "failed");
    if (at != 0 && !feat_pool->backup_ok) {
        cJSON_AddStringToObject(o, "last_error", error);
    }
    cJSON_AddNumberToObject(o, "last_ok", (double) ok_at);
    cJSON_AddNumberToObject(o, "last_ok_age",
                            ok_at > 0 ? (double) (now - ok_at) : -1);
    cJSON_AddStringToObject(o, "last_ok_file", ok_at > 0 ? file : "");

    return o;
}


static int
feat_health_get(struct feat_req *r)
{
    time_t    now;
    cJSON    *o, *problems;
    sqlite3  *db;

    /* Its own form here too: a dialect's refusal may be a 200 (v2). */
    if (!feat_health_allowed(r->remote_addr)) {
        feat_log(LOG_INFO, 0, "healthz: refused to %s", r->remote_addr);
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "forbidden");
        return feat_reply_body(r, 403, o);
    }

    now = time(NULL);
    db = feat_db();

    o = cJSON_CreateObject();
    problems = cJSON_CreateArray();

    cJSON_AddItemToObject(o, "pool", feat_health_pool(problems));
    cJSON_AddItemToObject(o, "database",
                          feat_health_database(db, problems));
    cJSON_AddItemToObject(o, "jobs", feat_health_jobs(now, problems));
    cJSON_AddItemToObject(o, "outbox", feat_health_outbox(db));
    cJSON_AddItemToObject(o, "backup", feat_health_backup(now));
    cJSON_AddNumberToObject(o, "time", (double) now);
    cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);

    cJSON_AddStringToObject(o, "status",
                            cJSON_GetArraySize(problems) == 0 ? "ok"
                                                              : "fail");
    cJSON_AddItemToObject(o, "problems", problems);

    if (cJSON_GetArraySize(problems) != 0) {
        feat_log(LOG_WARNING, 0, "healthz: %s",
                 cJSON_GetArrayItem(problems, 0)->valuestring);
    }

    feat_reply_header(r, "Cache-Control", "no-store");

    return feat_reply_body(r, cJSON_GetArraySize(problems) == 0 ? 200 : 503,
                           o);
}


/* Refuses to start with an allow list that does not parse. */
static int
feat_health_init_master(void)
{
    const char  *bad;

    if (feat_addr_in_list(feat_conf_str(FEAT_CONF_HEALTH_ALLOW_FROM),
                          "127.0.0.1", &bad) < 0)
    {
        feat_log(LOG_EMERG, 0, "health.allow_from: bad entry at \"%.64s\"",
                 bad);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


static const struct feat_schema  feat_health_schema = {
    .summary = "The pool's health for monitors (loopback and "
               "health.allow_from only), in its own JSON form: 200 or 503",
    .shape = FEAT_ANSWER_RAW,
};

static const struct feat_route  feat_health_routes[] = {
    /* a body, which no monitor sends, is not even parsed */
    { FEAT_GET, "/healthz", FEAT_V2, feat_health_get,
      FEAT_ANY_DIALECT | FEAT_RAW_BODY, &feat_health_schema },
    FEAT_NULL_ROUTE
};


const struct feat_module  feat_health_module = {
    "health",
    feat_health_routes,
    feat_health_init_master,
    NULL,
    NULL,
    NULL,
    NULL,
    feat_health_conf,
    NULL,
    NULL,
    NULL,
    0
};
