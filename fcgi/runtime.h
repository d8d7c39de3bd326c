/*
 * runtime.h: the runtime's own interfaces between its parts (config, log,
 * database setup, router, request reading, worker loop, master).  Modules
 * include feat.h only; featcgi's main, featctl and the unit tests include
 * this header too.
 */

#ifndef FEAT_RUNTIME_H
#define FEAT_RUNTIME_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

#include "feat.h"


/* ---- core/conf.c -------------------------------------------------------- */

/*
 * Loads a config file of "key = value" lines ('#' starts a comment, keys are
 * dotted: "sms.provider").  On success the new config replaces the current
 * one and FEAT_OK is answered; on failure (unreadable file, a line that does
 * not parse, an unknown key, a value of the wrong kind) the current config
 * stays, the reason goes to *err (static storage) and FEAT_ERROR is answered.
 * The keys known are the runtime's and those the modules of mods declare
 * (feat_modules, NULL-terminated; NULL for none).
 */
int feat_conf_load(const char *path, const struct feat_module *const *mods,
    const char **err);
/* Sets one option over the loaded file (featctl and tests); a PATH is kept
 * as given.  FEAT_OK, or FEAT_ERROR (logged) for a value of the wrong kind. */
int feat_conf_set(const struct feat_conf_option *o, const char *value);
/* The file of the last successful load, or NULL. */
const char *feat_conf_file(void);
/* Forgets every value (the defaults hold again) and the options learnt. */
void feat_conf_free(void);
/* The option of a key, the runtime's or one of the modules' that the last
 * load learnt, or NULL. */
const struct feat_conf_option *feat_conf_find(const char *key);
/* One line per option, sorted by key: key, kind, default, doc, separated
 * by tabs (featcgi -C).  FEAT_OK, or FEAT_ERROR when the options do not
 * build (a key declared twice, a bad default; logged). */
int feat_conf_print(FILE *f, const struct feat_module *const *mods);

/* The runtime's own options (FEAT_FOR_EACH_CONF), NULL-terminated. */
extern const struct feat_conf_option *const feat_conf_options[];


/* ---- core/files.c -------------------------------------------------------- */

/*
 * group is the config option naming the group that may read: FEAT_CONF_
 * FILE_GROUP for the database, FEAT_CONF_MEDIA_GROUP for media_dir.
 * feat_file_gid: FEAT_OK with *gid, FEAT_DECLINED when the option is
 * empty, FEAT_ERROR when it names no group.
 */
int feat_file_gid(const struct feat_conf_option *group, gid_t *gid);
/* The mode of a private file (dir 0: 0600, or 0640 when group names a
 * group) or directory (dir 1: 0700, or 0750). */
mode_t feat_file_mode(const struct feat_conf_option *group, int dir);
/*
 * Gives fd (or, when fd < 0, path) the private mode and, when group names
 * one, that group.  FEAT_OK; FEAT_ERROR (logged) when the mode cannot be
 * set.  A group that cannot be given (unknown, or not ours) is logged and
 * the file stays the owner's alone.
 */
int feat_file_private(const struct feat_conf_option *group, int fd,
    const char *path, int dir);
/* mkdir with the private mode: FEAT_OK (made, mode and group given),
 * FEAT_DECLINED (it exists: left as it is), FEAT_ERROR (errno set). */
int feat_file_mkdir(const struct feat_conf_option *group, const char *path);
/* The permission bits of mode beyond what feat_file_mode allows (0 when
 * none): what featctl check warns about. */
mode_t feat_file_loose(const struct feat_conf_option *group, mode_t mode,
    int dir);


/* ---- core/log.c ---------------------------------------------------------- */

/* Opens (or reopens) error_log and access_log from the config. */
int feat_log_open(void);
void feat_log_close(void);
/* The request id put on every line this process logs, or NULL. */
void feat_log_set_request(const char *id);
/* "role[pid]" put on every line: "master", "worker 3", "jobs", "featctl". */
void feat_log_set_role(const char *role);
/* One access log line: time, request id, app, method, path (never the
 * query string), status, duration in ms. */
void feat_log_access(struct feat_req *r, int status, double ms);


/* ---- core/time.c (the logs' clock) --------------------------------------- */

/* Notes the zone the process started in (TZ, or the system's when unset)
 * before conf.c first sets TZ to the apps' zone; later calls do nothing. */
void feat_time_keep_system_zone(void);
/* Writes t as "YYYY-MM-DDTHH:MM:SS+hh:mm" in that system zone (the one
 * nginx stamps its logs in) into buf[n], n >= 26; answers the length. */
size_t feat_time_log_stamp(time_t t, char *buf, size_t n);


/* ---- store/db.c ---------------------------------------------------------- */

/* The store's own: a failed call logged with SQLite's message (what, the
 * start of sql); a failed step logged (an injected fault has no message of
 * its own); a cached statement bound from fmt and ap, with extra
 * parameters left for the caller (see feat_db_query). */
void feat_db_log(int level, sqlite3 *db, const char *what, const char *sql);
void feat_db_step_failed(sqlite3 *db, int rc, const char *sql);
sqlite3_stmt *feat_db_vquery(sqlite3 *db, const char *sql, int extra,
    const char *fmt, va_list ap);

struct feat_migration {
    int          version;
    const char  *name;
    const char  *sql;
};
extern const struct feat_migration feat_migrations[];  /* migrations.c */

/* Opens the process's connection (config "database"), sets WAL,
 * synchronous, busy_timeout and foreign_keys.  FEAT_OK or FEAT_ERROR. */
int feat_db_open(void);
/* Finalizes the statement cache and closes the connection. */
void feat_db_close(void);
/*
 * The write gate (gate.c): feat_db_gate_init makes m (in memory shared
 * before the fork: feat_pool->write_gate) robust and process-shared and
 * this process's gate, which the children inherit; FEAT_OK or FEAT_ERROR
 * (logged).  feat_db_gate_off forgets it (the memory is unmapped).
 * feat_db_gate takes it, if there is one, before a BEGIN IMMEDIATE (db.c);
 * feat_db_ungate drops it when this process holds it and db has no
 * transaction open: at COMMIT and ROLLBACK, and as the worker's safety net
 * after a request.
 */
int feat_db_gate_init(pthread_mutex_t *m);
void feat_db_gate_off(void);
void feat_db_gate(void);
/*
 * With a gate, feat_db_gate_wal (feat_db_open) turns SQLite's
 * autocheckpoint into a note of the WAL's size, and feat_db_checkpoint_due
 * runs a PASSIVE checkpoint when that passed 1000 pages and db is outside
 * a transaction: a worker after sending an answer, the jobs process each
 * tick.
 */
void feat_db_gate_wal(sqlite3 *db);
void feat_db_checkpoint_due(sqlite3 *db);
void feat_db_ungate(sqlite3 *db);
/* The allocator SQLite is given (store/dbmem.c): free lists for its small
 * blocks; NULL in sanitizer builds, which keep SQLite's own. */
const sqlite3_mem_methods *feat_db_mem_methods(void);
/* Applies pending migrations in one transaction each; *applied counts them. */
int feat_db_migrate(sqlite3 *db, int *applied);
/* Highest applied migration version, or -1 on error. */
int feat_db_version(sqlite3 *db);
#ifdef FEAT_FAULT_INJECTION
/* Arms a fault for the request in hand: its n-th feat_db_step answers
 * SQLITE_IOERR (ROLLBACK excepted); n <= 0 disarms. */
void feat_db_fault_arm(long n);
#endif


/* ---- store/backup.c ------------------------------------------------------ */

/* backup.interval's bounds (s) and backup.keep's largest value. */
#define FEAT_BACKUP_INTERVAL_MIN  1
#define FEAT_BACKUP_INTERVAL_MAX  2678400
#define FEAT_BACKUP_KEEP_MAX      10000

struct feat_backup;

/*
 * Begins an online copy of src's main database into path, an empty file
 * the caller made (0600, O_EXCL): one read transaction of src is held
 * until the copy ends, and no lock that stops src's writers.  The copy,
 * owned by the caller until feat_backup_close; or NULL with err[n] saying
 * why (src's snapshot released).
 */
struct feat_backup *feat_backup_open(sqlite3 *src, const char *path,
    char *err, size_t n);
/*
 * Copies for about ms milliseconds (at least one step; ms < 0: to the
 * end).  FEAT_BUSY when there is more to copy; FEAT_OK when the copy is
 * complete: src's snapshot released, the file out of WAL mode (one file),
 * passing quick_check and fsync'ed; FEAT_ERROR with feat_backup_error()
 * saying why.  Call again after FEAT_BUSY only.
 */
int feat_backup_step(struct feat_backup *b, long ms);
/* Pages of the source (so far); why the copy failed (b's own text). */
int feat_backup_pages(const struct feat_backup *b);
const char *feat_backup_error(const struct feat_backup *b);
/*
 * Ends b and frees it: src's snapshot released, the copy's file closed
 * and, unless the copy completed, removed with its journals.
 */
void feat_backup_close(struct feat_backup *b);
/* Removes the file at path and its -journal, -wal and -shm. */
void feat_backup_unlink(const char *path);
/*
 * Removes "BASE.tmp-PID" files and their journals in dir whose process is
 * gone (backups killed outright), BASE being base or, with base NULL, any
 * scheduled backup's name.  Each removal is logged.
 */
void feat_backup_unlink_stale(const char *dir, const char *base);

/*
 * Scheduled backups (the jobs process).  feat_backup_start begins a copy
 * of the config's database on a connection of its own into a temporary
 * file in dir, for the name "featcgi-YYYYMMDDTHHMMSSZ.db" of now (UTC); it
 * first removes temporary files of processes that are gone.  The copy as
 * feat_backup_open's, or NULL with err[n] saying why (no file left).
 * feat_backup_place, after feat_backup_step answered FEAT_OK, renames the
 * copy to its name, fsyncs dir and removes the oldest backups beyond keep:
 * FEAT_OK, or FEAT_ERROR with feat_backup_error() (the copy removed).
 * feat_backup_name_of answers that name (b's own; "" for other copies).
 */
struct feat_backup *feat_backup_start(const char *dir, time_t now,
    char *err, size_t n);
int feat_backup_place(struct feat_backup *b, long keep);
const char *feat_backup_name_of(const struct feat_backup *b);
/* 1 when name is a scheduled backup's, with *t (may be NULL) its time;
 * else 0. */
int feat_backup_is_name(const char *name, time_t *t);
/* The newest scheduled backup in dir: FEAT_OK with name[n] and *t,
 * FEAT_DECLINED when there is none, FEAT_ERROR (errno) when dir does not
 * open. */
int feat_backup_newest(const char *dir, char *name, size_t n, time_t *t);
/* Removes the oldest scheduled backups in dir beyond keep (nothing else):
 * how many, or -1 (logged). */
long feat_backup_prune(const char *dir, long keep);
/*
 * Judges the backup.* options: FEAT_OK (off, or a directory this process
 * can write: a file is made and removed there), FEAT_ERROR when interval
 * or keep is out of bounds, FEAT_DECLINED when backup.dir is set but no
 * backup could be written there now; why[n] says which.
 */
int feat_backup_check(char *why, size_t n);


/* ---- client/http.c ------------------------------------------------------- */

#ifdef FEAT_FAULT_INJECTION
/* Arms a fault for the request in hand: its n-th feat_http_request or
 * feat_http_mail fails as a transport failure; n <= 0 disarms. */
void feat_http_fault_arm(long n);
#endif

/*
 * The multi interface: several exchanges in flight at once on one libcurl
 * multi handle (one per outside host: the jobs process keeps one per
 * provider and host).  An h2 handle multiplexes its exchanges as streams
 * of one connection (CURLPIPE_MULTIPLEX; h2c with prior knowledge takes
 * a connection each, as libcurl 7.88 cannot reuse one); an HTTP/1.1 handle
 * opens at most max_conns parallel connections and keeps them.  Easy
 * handles are kept and reused, so a long drain holds a flat amount of
 * memory.
 *
 * feat_http_multi_create answers a handle (the caller destroys it) or NULL
 * (logged).  feat_http_multi_add starts req (its strings must live until
 * the exchange is done) with data, the caller's pointer for it: FEAT_OK,
 * or FEAT_ERROR (logged, nothing started).  feat_http_multi_wait performs
 * and waits up to timeout_ms for something to happen.
 * feat_http_multi_done answers FEAT_OK with the next finished exchange's
 * *data and *resp (its body in a; status 0 after a transport failure or a
 * timeout, logged), or FEAT_DECLINED when none finished.
 * feat_http_multi_running: the exchanges started and not yet handed back.
 */
struct feat_http_multi;

struct feat_http_multi *feat_http_multi_create(int h2, long max_conns);
void feat_http_multi_destroy(struct feat_http_multi *m);
int feat_http_multi_add(struct feat_http_multi *m,
    const struct feat_http_req *req, void *data);
int feat_http_multi_wait(struct feat_http_multi *m, long timeout_ms);
int feat_http_multi_done(struct feat_http_multi *m, struct feat_arena *a,
    struct feat_http_resp *resp, void **data);
size_t feat_http_multi_running(const struct feat_http_multi *m);


/* ---- crypto/crypto.c ----------------------------------------------------- */

/* Logs OpenSSL's error for what failed where it cannot (a broken install)
 * and aborts. */
void feat_crypto_die(const char *what) __attribute__((noreturn));


/* ---- crypto/password.c --------------------------------------------------- */

/* Creates the shared memory that caps password work (config
 * scrypt.max_concurrent, scrypt.wait, workers); called by the master before
 * fork (and again on reload, for the new workers).  Without it hashing runs
 * uncapped and never answers FEAT_BUSY (featctl, unit tests). */
int feat_crypto_init_shared(void);

/* Free hashing slots under the cap right now, as every process sharing it
 * sees them; -1 when there is no cap.  For tests and diagnostics. */
int feat_crypto_pw_slots(void);


/* ---- protocol/router.c --------------------------------------------------- */

/* Merges every module's routes: FEAT_ERROR (logged) on a duplicate
 * (method, pattern) or a pattern that does not parse. */
int feat_router_build(const struct feat_module *const *mods);
void feat_router_free(void);

/*
 * Finds the route for (method, path), filling params (pointing into a
 * copy of path made in a) and *nparams.  When the path matches routes but
 * none with this method, answers NULL with *allowed set to their methods;
 * when nothing matches, NULL with *allowed 0.
 */
const struct feat_route *feat_router_match(struct feat_arena *a,
    const char *path, unsigned method, struct feat_kv *params,
    int *nparams, unsigned *allowed);
/* The merged table, one route per line ("featcgi -R"). */
void feat_router_print(FILE *f);
/* The i-th route of the merged table (from 0, in merge order) with the
 * one method it stands for and its module's name, or NULL past the last;
 * method and module may be NULL. */
const struct feat_route *feat_router_entry(size_t i, unsigned *method,
    const char **module);


/* ---- protocol/openapi.c -------------------------------------------------- */

/*
 * The OpenAPI 3.1 document of the merged route table (feat_router_build
 * first), built the first time and kept for the process: *text (NUL-
 * terminated, *len bytes; len and etag may be NULL) and *etag, the quoted
 * hash of those bytes.  Static storage until feat_openapi_free().
 * FEAT_OK, or FEAT_ERROR (logged) when it did not print.
 */
int feat_openapi_text(const char **text, size_t *len, const char **etag);
void feat_openapi_free(void);
/* FEAT_GET... for "GET"...; 0 for other methods. */
unsigned feat_method_parse(const char *s);
/* "GET", "POST"...; a mask gives "GET, POST" into buf. */
const char *feat_method_names(unsigned mask, char *buf, size_t n);


/* ---- protocol/input.c ---------------------------------------------------- */

/* Paging (feat_in_page): the size when none is asked, the largest size
 * (a larger one is cut), the largest page (15 digits: cJSON prints it
 * back exactly). */
#define FEAT_PAGE_SIZE      20
#define FEAT_PAGE_SIZE_MAX  100
#define FEAT_PAGE_MAX       999999999999999LL

/*
 * Checks a route's declared schema (feat_router_build calls it): known
 * field types and flags, 0 <= min <= max where they count, an ARRAY's
 * element, a known shape, a VALUE's row.  FEAT_OK, or FEAT_ERROR with
 * *field (the row's name, static) and *why (static text).
 */
int feat_schema_check(const struct feat_schema *s, const char **field,
    const char **why);


/* ---- protocol/dialect.c -------------------------------------------------- */

/* Checks every dialect's table and collects the modules' URL prefixes
 * (feat_router_build calls it): FEAT_OK, or FEAT_ERROR (logged) for a
 * missing row or a prefix two dialects claim. */
int feat_dialect_init(const struct feat_module *const *mods);
/* Checks that every dialect has a row for every error: FEAT_OK or
 * FEAT_ERROR (logged). */
int feat_dialect_check(void);
/* The dialect that answers path before (or without) a route: that of
 * the route patterns of another dialect than their shape's (oauth2's)
 * that match it, else its shape's (feat_dialect_of_shape), as the nginx
 * maps say. */
unsigned feat_dialect_of_path(const char *path);
/* The dialect of a path's shape: a trailing slash (feat), the longest
 * module prefix, else the rest's (v2) (API.md "Routing"). */
unsigned feat_dialect_of_shape(const char *path);
/* Whether a dialect is switched on (config "dialects"). */
int feat_dialect_enabled(unsigned id);
/* How d renders e (static storage). */
const struct feat_dialect_error *feat_dialect_row(
    const struct feat_dialect *d, enum feat_error e);
/* d's message for e, in English or Chinese (static storage). */
const char *feat_dialect_text(const struct feat_dialect *d,
    enum feat_error e, int english);
/* 1 when config locale is "en". */
int feat_dialect_locale_en(void);
/* "featcgi -E": one line per dialect and error, tab-separated: dialect,
 * name, HTTP status, code, zh, en. */
void feat_dialect_print_errors(FILE *f);
/* "featcgi -D nginx-maps": nginx's maps of the path's dialect and of its
 * own error bodies (nginx/featcgi-maps.conf).  a holds the bodies' work. */
void feat_dialect_print_nginx(FILE *f, struct feat_arena *a);


/* ---- protocol/request.c -------------------------------------------------- */

/* Fills r from the FastCGI params of fcgi (an FCGX_Request) and envp. */
void feat_req_init(struct feat_req *r, struct feat_arena *a, void *fcgi,
    char **envp);
/* The value of param k (a pointer into envp), or NULL when it is absent. */
const char *feat_req_cgi(struct feat_req *r, enum feat_cgi k);
/*
 * Reads the body (CONTENT_LENGTH bytes) up to limit: FEAT_OK, FEAT_DECLINED
 * when it is larger (the rest is drained so the connection stays sane), or
 * FEAT_ERROR on a short read.
 */
int feat_req_read_body(struct feat_req *r, size_t limit);
/* Parses the body by content type and the query string: FEAT_OK,
 * FEAT_ERROR with r->bad_field set (malformed JSON: "body"; on a v2 or
 * feat route, a credential's name in the query string: that name), or
 * FEAT_DECLINED for a body that is neither JSON nor urlencoded on a route
 * that is no upload (the runtime answers 415). */
int feat_req_parse(struct feat_req *r);


/* ---- protocol/origin.c --------------------------------------------------- */

/*
 * The client's address: peer (REMOTE_ADDR), or when peer is one of config
 * trusted_proxies the nearest address X-Forwarded-For (else X-Real-IP)
 * names that is not one of them.  peer itself or a copy in r's arena.
 * (feat_req_origin(), the other address, is in feat.h.)
 */
const char *feat_req_client(struct feat_req *r, const char *peer);


/* ---- protocol/reply.c ---------------------------------------------------- */

/* With r->fcgi NULL (unit tests) the replies write into the arena instead:
 * the whole answer ("Status: ..." headers, blank line, body) of the last
 * reply made for r, or NULL.  Valid until the arena's reset. */
const char *feat_reply_captured(struct feat_req *r);
/*
 * The absolute URL of r's list at page (feat's next/previous): the
 * request's origin and path, its other query arguments as sent, and
 * arg=page (none for page 1, as Django REST framework does).  In the
 * arena.
 */
char *feat_reply_page_url(struct feat_req *r, const char *arg,
    long long page);


/* ---- core/arena.c -------------------------------------------------------- */

/*
 * Hands a's memory to cJSON's allocation hooks until called again (NULL:
 * malloc and free again): the worker does it for its request arena, so
 * every cJSON item made while a request runs lives in that arena and goes
 * with its reset.  Nothing may keep a cJSON item from one request to the
 * next.  Free of memory cJSON had from malloc still frees.  A no-op in
 * AddressSanitizer builds, which keep malloc to see every lifetime.
 */
void feat_arena_json_hooks(struct feat_arena *a);
/* 1 if p points into memory a handed out, else 0. */
int feat_arena_owns(struct feat_arena *a, const void *p);


/* ---- protocol/json.c ----------------------------------------------------- */

/*
 * item printed as cJSON_PrintUnformatted prints it, byte for byte, into
 * a's memory (valid until its reset), NUL-terminated, its length in *len
 * when len is not NULL.  NULL when item is NULL or holds an invalid item
 * (cJSON_Invalid, a raw item without text), as cJSON answers NULL.
 */
char *feat_json_print(struct feat_arena *a, const cJSON *item, size_t *len);


/* ---- protocol/app.c ------------------------------------------------------ */

/* Sets r->app from FEAT_APP_ID, else X-App-Id when app_header is on, else
 * "": FEAT_E_NONE or FEAT_E_UNKNOWN_APP. */
enum feat_error feat_app_resolve(struct feat_req *r);


/* ---- protocol/settings.c, protocol/settings_set.c ------------------------ */

#define FEAT_SETTING_VALUE_MAX  (64 * 1024)   /* bytes, any value */

/* Merges the modules' settings into one table sorted by key: FEAT_ERROR
 * (logged) on a key declared twice or a declaration that does not hold
 * (its own default refused by its type).  Every program calls it once at
 * start (featcgi, featctl, the unit tests): the runtime cannot name the
 * modules itself, and until then no key is known.  It also hands the
 * modules to the outbox (feat_outbox_providers), whose rows follow the
 * apps' credentials. */
int feat_settings_init(const struct feat_module *const *mods);
/*
 * Seals value for (app, key): *out (in a) of *outlen bytes: FEAT_OK or
 * FEAT_ERROR.  feat_setting_open opens it back into *out (malloc'd, NUL
 * added; the caller wipes and frees it): FEAT_OK, FEAT_DECLINED when it
 * does not open for this app and key under this install's secret,
 * FEAT_ERROR.
 */
int feat_setting_seal(struct feat_arena *a, const char *app,
    const char *key, const char *value, const unsigned char **out,
    size_t *outlen);
int feat_setting_open(const char *app, const char *key, const void *sealed,
    size_t n, char **out, size_t *outlen);

/* Reads the settings version at most once a second and forgets every
 * cached app when it moved; called between requests and sweeps only. */
void feat_settings_refresh(sqlite3 *db);
/* Makes the next feat_settings_refresh read the version whatever the
 * time (the jobs process, when another connection committed). */
void feat_settings_recheck(void);
/* Forgets every cached app and default, wiping secrets. */
void feat_settings_flush(void);
/*
 * The cached app of id (loaded on a miss; a missing app is not cached):
 * FEAT_OK with *app, valid until the next refresh; FEAT_DECLINED when
 * there is no such app; FEAT_ERROR (logged).
 */
int feat_settings_app(sqlite3 *db, const char *id,
    const struct feat_app **app);


/* ---- process/worker.c ---------------------------------------------------- */

/* Routes and runs one request whose params are read: app, body limit,
 * parse, credentials, handler, access log.  Never fails: every outcome is
 * an answer. */
void feat_dispatch(struct feat_req *r);
/* A worker's life: init modules, accept and serve until told to stop.
 * Answers the process exit status. */
int feat_worker_main(int listen_fd, int worker_no);


/* ---- process/jobs.c ------------------------------------------------------ */

/* The jobs process: sweeps until told to stop; answers the exit status. */
int feat_jobs_main(void);


/* ---- process/listen.c ---------------------------------------------------- */

/* Binds config "listen" (unix path or TCP address) and listens: FEAT_OK,
 * or FEAT_ERROR (logged) when it is unusable or held by a running server. */
int feat_listen_open(void);
/* Writes config "pid_file" (none: nothing): FEAT_OK or FEAT_ERROR. */
int feat_listen_write_pid(void);
/* Whether "listen" value s is a TCP address: 1 with host[hn] and port[pn]
 * filled (no host: loopback), 0 for a unix socket path. */
int feat_listen_is_tcp(const char *s, char *host, size_t hn, char *port,
    size_t pn);
/* The listening descriptor (-1 before open), and "listen" as bound; the
 * hashing pool's ("hash_listen": -1 and "" when there is none). */
int feat_listen_fd_get(void);
const char *feat_listen_addr(void);
int feat_listen_hash_fd(void);
const char *feat_listen_hash_addr(void);
/* Master: closes the socket and removes the socket file and pid file it
 * created.  A child: feat_listen_forget only closes its inherited copy. */
void feat_listen_close(void);
/*
 * Master, stopping: removes the unix socket's file (still ours: the same
 * inode) so that no new connection can queue, keeping the socket open for
 * the workers to take what did.  Nothing for a TCP socket.
 */
void feat_listen_unlink(void);
void feat_listen_forget(void);
/* A worker: closes its inherited copies of every socket but fd. */
void feat_listen_keep_only(int fd);
/*
 * A binary upgrade.  The old master's child, about to exec the new binary:
 * feat_listen_export keeps the sockets open across the exec and names
 * them in the environment (FEAT_OK, or FEAT_ERROR).  The new master:
 * feat_listen_inherit takes them (feat_listen_open then binds only what
 * was not taken) and removes their names from the environment: FEAT_OK,
 * or FEAT_ERROR (logged) when they are missing or unusable.  A master
 * whose sockets another master serves on: feat_listen_leave closes its
 * copies, removes no socket file, and removes the pid file only while it
 * holds this pid.
 */
int feat_listen_export(void);
int feat_listen_inherit(void);
void feat_listen_leave(void);


/* ---- process/notify.c ---------------------------------------------------- */

/* Sends state ("READY=1", "STOPPING=1", ...) to the service manager named
 * by NOTIFY_SOCKET (sd_notify's protocol): FEAT_OK, also when there is
 * none; FEAT_ERROR (logged) when the send fails.  Master only. */
int feat_notify(const char *state);
/* Runs reload between "RELOADING=1" and "READY=1", so that the manager
 * sees the reload as one step whatever way reload returns. */
void feat_notify_reload(void (*reload)(void));


/* ---- process/master.c ---------------------------------------------------- */

/* Binds the socket, forks workers and the jobs process, supervises them
 * until SIGTERM/SIGINT (graceful) or SIGQUIT (immediate).  SIGHUP reloads
 * the config and replaces workers one by one; SIGUSR2 runs the binary
 * again from its path (argv: main's, kept for it) and hands the sockets
 * over to it.  Answers the exit status. */
int feat_master_main(const char *conf_path, char **argv);


/* ---- process/shared.c ---------------------------------------------------- */

/*
 * This worker's slot in the master's shared scoreboard: the worker writes
 * "METHOD PATTERN" of the route it runs before the handler and clears it
 * after; the master logs it when the worker dies by a signal.  NULL in a
 * process the master did not fork as a worker (tests, featctl).
 */
#define FEAT_SLOT_SIZE  96
extern char *feat_worker_slot;

/*
 * The pool's state, in memory the master shares with every child it forks
 * (NULL in any other process: featctl, -t, the unit tests).  The master
 * writes what it knows (the workers it wants and has, the jobs process's
 * pid), the jobs process the end of its last sweep, every worker the count
 * of requests it answered; /healthz reads it.  Words written by one
 * process and read by others, each on its own: no lock.
 */
struct feat_pool_state {
    volatile int        workers;        /* wanted ("workers") */
    volatile int        alive;          /* serving workers, retirees out */
    volatile int        jobs_pid;       /* 0: no jobs process now */
    volatile int        stopping;       /* the master is stopping */
    volatile long long  started;        /* unix seconds */
    volatile long long  jobs_sweep;     /* end of the last sweep, 0 none */
    volatile unsigned long long  served; /* requests answered */
    volatile unsigned long long  connections; /* FastCGI ones accepted */
    /* the jobs process's scheduled backups (store/backup.c), for /healthz */
    volatile long long  backup_at;      /* start of the last one tried */
    volatile long long  backup_ok_at;   /* start of the last good one */
    volatile int        backup_ok;      /* the last one tried succeeded */
    volatile int        backup_running; /* a copy is under way */
    char                backup_file[64];    /* the last good one's name */
    char                backup_error[256];  /* why the last one failed */
    /* the write gate (store/db.c): robust and process-shared */
    pthread_mutex_t     write_gate;
};
extern struct feat_pool_state *feat_pool;

/* ---- the outbox (fcgi/store/outbox.c) ------------------------------------ */

#define FEAT_OUTBOX_PENDING  0
#define FEAT_OUTBOX_SENDING  1
#define FEAT_OUTBOX_SENT     2
#define FEAT_OUTBOX_FAILED   3
#define FEAT_OUTBOX_SKIPPED  4

/*
 * The modules whose push providers decide which channels an app's rows
 * may be written for (feat_settings_init hands them over: store/ cannot
 * name the modules).  Until then every device gets a row.
 */
void feat_outbox_providers(const struct feat_module *const *mods);
/*
 * Writes the outbox rows of push push_id (scope as feat_push_queue's)
 * inside the caller's transaction: the devices of the listed users, or,
 * for every user, an outbox_fanout row the jobs process works through.
 * A device switched off, or on a channel the app has no credentials for,
 * gets no row; what was left out, and why, is logged.  Then judges the
 * push's status (1 at once when nothing is deliverable).  FEAT_OK or
 * FEAT_ERROR (logged).
 */
int feat_outbox_queue(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    int scope);
/*
 * Fans out one batch of up to batch users of the oldest push to every
 * user, in its own transaction.  FEAT_OK with *more 1 when a batch was
 * done (call again), 0 when there was none; FEAT_ERROR (logged).
 */
int feat_outbox_fanout(sqlite3 *db, long long batch, int *more);
/* Puts rows left sending (a crash) back to pending, due now; answers
 * how many, or -1 (logged). */
long long feat_outbox_rescue(sqlite3 *db);
/*
 * Marks up to max due pending rows sending (attempts + 1) in one
 * transaction and reads them into an arena array *rows of *n.
 * FEAT_OK or FEAT_ERROR (logged).
 */
int feat_outbox_claim(sqlite3 *db, struct feat_arena *a, long long now_ms,
    long long max, struct feat_outbox_row **rows, size_t *n);
/*
 * Resolves a sending row: status (PENDING again with next_at_ms, SENT,
 * FAILED, SKIPPED), the error (or ""), and when gone the device it was
 * for is dropped (an APNs token deleted, a v2 client switched off); then
 * judges the push's status, all in one transaction.  FEAT_OK or
 * FEAT_ERROR (logged).
 */
int feat_outbox_resolve(sqlite3 *db, const struct feat_outbox_row *row,
    int status, long long next_at_ms, const char *error, int gone);
/* The same inside the caller's transaction (several rows resolved in one
 * commit): FEAT_OK or FEAT_ERROR, and the caller rolls back. */
int feat_outbox_resolve_in(sqlite3 *db, const struct feat_outbox_row *row,
    int status, long long next_at_ms, const char *error, int gone);
/* Sets push_id's status from its rows (inside the caller's transaction,
 * or alone): FEAT_OK or FEAT_ERROR. */
int feat_outbox_judge(sqlite3 *db, sqlite3_int64 push_id);
/* The earliest next_at of a pending row into *ms (LLONG_MAX: none). */
int feat_outbox_next_due(sqlite3 *db, long long *ms);
/* Wall-clock milliseconds (FEAT_CLOCK_SHIFT included, as feat_now). */
long long feat_now_ms(void);


/* ---- delivery (fcgi/process/delivery.c) ---------------------------------- */

/* The jobs process's start: rows a crash left sending are due again. */
void feat_delivery_start(sqlite3 *db);
/* Its end: the provider hosts' connections closed, the slots freed. */
void feat_delivery_stop(void);
/*
 * Fans out and sends what is due, up to push.concurrency rows in flight
 * per provider host (a bounded amount in all, so the jobs loop keeps its
 * signals and sweeps; every row claimed is resolved before it returns);
 * answers the time in ms when it should run next (now when work is left,
 * LLONG_MAX when nothing is pending).
 */
long long feat_delivery_run(sqlite3 *db);


#endif /* FEAT_RUNTIME_H */
