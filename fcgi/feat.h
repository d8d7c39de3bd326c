/*
 * feat.h: the one header that modules include.
 *
 * It declares the runtime's public interface: result codes, the per-request
 * arena, the error vocabulary, the dialects that render it, routes and
 * modules, request input helpers, replies, the SQLite layer, crypto helpers,
 * rate limits, configuration, time formatting and logging.  Everything here
 * is implemented in fcgi/; nothing here knows about a particular module.
 */

#ifndef FEAT_H
#define FEAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#define FEAT_OK         0
#define FEAT_ERROR     -1
#define FEAT_BUSY      -2
#define FEAT_DECLINED  -3

#define FEAT_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define FEAT_NELEMS(a)     (sizeof(a) / sizeof((a)[0]))


/* ---- arena (fcgi/core/arena.c) ------------------------------------------- */

struct feat_arena;
typedef void (*feat_cleanup_pt)(void *data);

/* A new arena; aborts on allocation failure, so never NULL. */
struct feat_arena *feat_arena_create(void);
/* Runs the cleanups (last added first) and frees everything. */
void feat_arena_destroy(struct feat_arena *a);
/* Runs the cleanups and frees every block but the first: ready for reuse. */
void feat_arena_reset(struct feat_arena *a);
/* Memory that lives until the next reset, aligned for any type; never NULL. */
void *feat_arena_alloc(struct feat_arena *a, size_t n);
void *feat_arena_calloc(struct feat_arena *a, size_t n);
char *feat_arena_strdup(struct feat_arena *a, const char *s);
char *feat_arena_strndup(struct feat_arena *a, const char *s, size_t n);
char *feat_arena_sprintf(struct feat_arena *a, const char *fmt, ...)
    FEAT_PRINTF(2, 3);
/* fn(data) runs at reset or destroy, last added first. */
void feat_arena_cleanup_add(struct feat_arena *a, feat_cleanup_pt fn,
    void *data);
/* Hands a cJSON tree to the arena: cJSON_Delete at reset.  Returns item. */
cJSON *feat_arena_json(struct feat_arena *a, cJSON *item);
/* Ends a cJSON tree now: cJSON_Delete, or nothing when the tree lives in
 * a's hooked memory and goes with its reset. */
void feat_arena_json_delete_now(struct feat_arena *a, cJSON *item);
/*
 * Adds s to object o under key, copying neither: key must be a literal
 * and s live as long as the tree (the request's arena, or static).  Adds
 * nothing when s is NULL, as cJSON_AddStringToObject.  (protocol/json.c)
 */
void feat_json_add_str(cJSON *o, const char *key, const char *s);
/* Adds the number v to object o under key, a literal, not copied; the
 * same member as cJSON_AddNumberToObject.  (protocol/json.c) */
void feat_json_add_num(cJSON *o, const char *key, double v);
/*
 * The raw text of the value of top-level key in the JSON object body[n],
 * as the sender wrote it (providers sign those bytes, not a re-printing):
 * FEAT_OK with *start and *len pointing into body, FEAT_DECLINED if the
 * key is absent, FEAT_ERROR if body is not an object or holds the key
 * twice.  (protocol/json.c)
 */
int feat_json_raw_member(const char *body, size_t n, const char *key,
    const char **start, size_t *len);


/* ---- errors (fcgi/protocol/dialect.c) ------------------------------------ */

/*
 * The one error vocabulary: what went wrong, never how a dialect says it.
 * Columns: name, the level feat_fail logs it at, and the Chinese and English
 * messages every dialect answers with unless its own row gives other texts.
 * Each dialect's code and HTTP status for an error is one line of that
 * dialect's table in fcgi/protocol/dialect.c.
 */
#define FEAT_FOR_EACH_ERROR(X)                                                \
    X(INTERNAL, LOG_ERR, "服务器内部错误", "internal error")                 \
    X(NOT_FOUND, LOG_INFO, "数据未查到", "not found")                        \
    X(NO_ROUTE, LOG_INFO, "访问的路径不存在", "no such path")                \
    X(METHOD, LOG_INFO, "请求方法不允许", "method not allowed")              \
    X(FORBIDDEN, LOG_INFO, "该用户没有访问或操作权限", "permission denied")  \
    X(UNKNOWN_APP, LOG_INFO, "未知的应用", "unknown app")                    \
    X(DISABLED, LOG_INFO, "账号已被停用", "account disabled")                \
    X(SCOPE, LOG_INFO, "Token权限不足", "insufficient scope")                \
    X(NO_TOKEN, LOG_INFO, "缺少Token",                                       \
      "authentication credentials were not provided")                        \
    X(BAD_TOKEN, LOG_INFO,                                                   \
      "无效的Token, 可能是错误的, 失效的, 用户已被删除", "invalid token")    \
    X(TOKEN_EXPIRED, LOG_INFO, "Token已过期", "token expired")               \
    X(BAD_FIELD, LOG_INFO, "请求字段不合法", "invalid field")                \
    X(BAD_ACCOUNT, LOG_INFO, "手机号或邮箱格式不正确",                       \
      "invalid phone number or email")                                       \
    X(TOO_LARGE, LOG_INFO, "请求体过大", "request body too large")           \
    X(MEDIA_TYPE, LOG_INFO, "不支持的请求类型", "unsupported media type")    \
    X(NOT_REGISTERED, LOG_INFO, "用户未注册", "account not registered")      \
    X(WRONG_PASSWORD, LOG_INFO, "密码错误", "wrong password")                \
    X(BAD_CODE, LOG_INFO, "无效的验证码",                                    \
      "invalid or expired verification code")                                \
    X(REGISTERED, LOG_INFO, "用户已注册", "account already registered")      \
    X(BOUND, LOG_INFO, "已被其他账号绑定", "already bound to another account")\
    X(TOO_FREQUENT, LOG_INFO, "短信发送太频繁", "too many requests")         \
    X(LOCKED, LOG_INFO, "尝试次数过多, 请稍后再试", "too many attempts")     \
    X(BUSY, LOG_INFO, "登录请求过多, 请稍后再试",                            \
      "too many logins at once, retry shortly")                              \
    X(SMS_ARREARS, LOG_WARNING, "短信服务欠费",                              \
      "SMS service account in arrears")                                      \
    X(SMS_FAILED, LOG_WARNING, "短信服务其他错误信息", "SMS service error")  \
    X(SMS_DOWN, LOG_WARNING, "短信服务不可用, 可能是服务变更或参数错误导致", \
      "SMS service unavailable")                                             \
    X(MAIL_DOWN, LOG_WARNING,                                                \
      "邮件服务不可用, 可能是服务变更或参数错误导致",                        \
      "mail service unavailable")                                            \
    X(WRONG_STATE, LOG_INFO, "当前状态不允许该操作",                         \
      "not allowed in the current state")                                    \
    X(PERMIT, LOG_INFO, "无效的注册许可", "invalid permit token")            \
    X(UPLOAD, LOG_INFO, "上传的文件不被接受", "upload rejected")             \
    X(UPSTREAM, LOG_WARNING, "外部服务不可用",                               \
      "upstream service unavailable")                                        \
    X(BAD_REQUEST, LOG_INFO, "请求不合法", "bad request")                    \
    X(CLIENT, LOG_INFO, "客户端认证失败", "client authentication failed")    \
    X(GRANT, LOG_INFO, "无效的授权", "invalid grant")                        \
    X(CLIENT_GRANT, LOG_INFO, "该客户端不能使用此授权类型",                  \
      "grant type not allowed for this client")                              \
    X(GRANT_TYPE, LOG_INFO, "不支持的授权类型", "unsupported grant type")    \
    X(PAY_METHOD, LOG_INFO, "不支持的支付方式", "unsupported pay method")    \
    X(PAY_UNAVAILABLE, LOG_WARNING, "该应用未开通此支付方式",                \
      "payment unavailable")                                                 \
    X(PAY_GATEWAY, LOG_WARNING, "支付网关错误", "payment gateway error")    \
    X(UNAVAILABLE, LOG_WARNING, "服务暂时不可用, 请稍后再试",                \
      "service temporarily unavailable")                                     \
    X(TOTP, LOG_INFO, "需要正确的动态验证码",                                \
      "a valid one-time code is required")                                   \
    X(CSRF, LOG_INFO, "缺少或错误的CSRF令牌", "missing or wrong CSRF token")

enum feat_error {
    FEAT_E_NONE = 0,
#define FEAT_X(name, level, zh, en)  FEAT_E_##name,
    FEAT_FOR_EACH_ERROR(FEAT_X)
#undef FEAT_X
    FEAT_E_LAST
};

struct feat_error_info {
    const char  *name;     /* "NOT_FOUND" */
    int          level;    /* LOG_INFO... */
    const char  *zh;
    const char  *en;
};

/* The vocabulary's row of e; e must be a valid error (else an alert, and
 * INTERNAL's row).  Static storage. */
const struct feat_error_info *feat_error_info(enum feat_error e);


/* ---- dialects (fcgi/protocol/dialect.c) ---------------------------------- */

/* Dialect ids: a route's dialect, r->dialect. */
#define FEAT_V2      0x01
#define FEAT_V1      0x02
#define FEAT_FEAT    0x04
#define FEAT_OAUTH2  0x08    /* the /o/ endpoints: RFC 6749 §5.2 errors */
#define FEAT_ADMIN   0x10    /* /admin/api/: the console's JSON API */

/* Authorization header forms a dialect accepts; accounts checks them. */
#define FEAT_AUTH_TOKEN   0x01   /* "Token <t>" */
#define FEAT_AUTH_BEARER  0x02   /* "Bearer <t>" */
#define FEAT_AUTH_BARE    0x04   /* "<jwt>", no scheme */

/* Unmatched paths a dialect answers by their shape (besides the modules'
 * prefixes, struct feat_prefix). */
#define FEAT_SHAPE_SLASH  0x01   /* any path ending in '/' */
#define FEAT_SHAPE_REST   0x02   /* whatever no other dialect answers */

/* How one dialect renders one error. */
struct feat_dialect_error {
    int          status;   /* HTTP status */
    int          num;      /* the numeric code (v2, v1), else 0 */
    const char  *code;     /* the string code (feat, OAuth2), else NULL */
    const char  *zh;       /* the dialect's own texts, or NULL for the */
    const char  *en;       /* vocabulary's */
};

struct feat_req;
struct feat_page;

struct feat_dialect {
    unsigned                          id;        /* FEAT_V2... */
    const char                       *name;      /* "v2": -R, -E, nginx */
    /* the word of config "dialects" that switches it on */
    const char                       *switch_name;
    unsigned                          shapes;    /* FEAT_SHAPE_* */
    unsigned                          auth;      /* FEAT_AUTH_* */
    int                               english;   /* texts in English only */
    /* indexed by enum feat_error; every row has a status and one code */
    const struct feat_dialect_error  *errors;
    /* a success's envelope around data (consumed; NULL: the empty form) */
    cJSON                          *(*envelope)(cJSON *data);
    /* an error's body: its row, the text to send, and for a field error
     * the field and the reason (NULL: text); a (NULL outside a request)
     * holds what the body borrows */
    cJSON                          *(*error)(struct feat_arena *a,
                                             const struct feat_dialect_error
                                                 *row,
                                             const char *text,
                                             const char *field,
                                             const char *reason);
    /* headers of an error answer; may be NULL */
    void                            (*error_headers)(struct feat_req *r,
                                          const struct feat_dialect_error
                                              *row);
    const char                       *page_arg;  /* "page_no" */
    const char                       *size_arg;  /* NULL: a fixed size */
    /* a list page's answer object around items (consumed) */
    cJSON                          *(*page)(struct feat_req *r,
                                            const struct feat_page *pg,
                                            long long total, cJSON *items);
    /* a time in the dialect's form, in the arena */
    const char                     *(*time)(struct feat_arena *a, time_t t);
    /* a path under this prefix is the dialect's whatever its shape (a
     * trailing slash included), or NULL */
    const char                       *prefix;
    /* headers of every answer, success or error, ending in { NULL, NULL };
     * may be NULL */
    const struct feat_header         *headers;
    /* a body must be JSON: any other type is refused (FEAT_E_MEDIA_TYPE) */
    int                               json_only;
};

/* NULL-terminated, v2 v1 feat oauth2 admin. */
extern const struct feat_dialect *const feat_dialects[];

/* The dialect of id; an unknown id logs an alert and answers v2's.  Never
 * NULL, static storage. */
const struct feat_dialect *feat_dialect(unsigned id);
/* How r's dialect renders e (static storage). */
const struct feat_dialect_error *feat_error_row(struct feat_req *r,
    enum feat_error e);
/* The message r's dialect answers e with in the configured locale. */
const char *feat_error_text(struct feat_req *r, enum feat_error e);


/* ---- routes and modules (protocol/router.c, process/modules.c) ---------- */

#define FEAT_GET     0x01
#define FEAT_POST    0x02
#define FEAT_PUT     0x04
#define FEAT_PATCH   0x08
#define FEAT_DELETE  0x10

/* Route flags: policy the runtime applies before the handler runs. */
#define FEAT_PUBLIC      0x0000  /* no credentials */
#define FEAT_SESSION     0x0001  /* a session token (v2, feat) */
#define FEAT_JWT         0x0002  /* a v1 access JWT */
#define FEAT_UPLOAD      0x0004  /* body up to max_upload, not max_body */
#define FEAT_SCOPE_PAY   0x0008  /* needs scope pay_trade_order (only) */
#define FEAT_USER        0x0010  /* feat: a user, not a client_credentials token */
#define FEAT_RAW_BODY    0x0020  /* the handler calls feat_req_body */
#define FEAT_USER_ROW    0x0040  /* the handler reads the caller's user row:
                                    the session's read brings it along */
#define FEAT_HASH        0x0080  /* the handler may hash a password: nginx
                                    sends it to the hashing pool */
#define FEAT_SCOPE_NONE  0x0100  /* needs no scope: revoking one's own token;
                                    every other session route needs read
                                    (GET) or write (other methods) */
#define FEAT_MANAGER     0x0200  /* a manager's console session (admin), and
                                    its CSRF token on every method but GET;
                                    fills r->manager_id */
#define FEAT_ANY_DIALECT 0x1000  /* served whichever dialects are on (an
                                    operator's route: /healthz) */
#define FEAT_NO_APP      0x2000  /* served for an unknown app too (the
                                    OpenAPI document: nothing of an app) */
/* The common case: a session token that belongs to a user. */
#define FEAT_USER_SESSION  (FEAT_SESSION | FEAT_USER)

struct feat_req;
struct feat_conf_option;
struct feat_setting;
typedef int (*feat_handler_pt)(struct feat_req *r);

struct feat_schema;

/*
 * One route: { METHOD, "/path/{id}", DIALECT, handler, FLAGS, &schema }.
 * schema (struct feat_schema, with the typed input below) declares the
 * request fields the handler reads and the answer it gives; NULL for a
 * route not yet described (the OpenAPI document then shows only what the
 * table says: method, path, auth and the dialect's envelopes).  data is
 * the handler's own (r->route->data), for a handler that serves several
 * routes by what each names: the console's (feat_admin_list...).
 */
struct feat_route {
    unsigned                   method;
    const char                *pattern;    /* "/api/feedback/{id}" */
    unsigned                   dialect;
    feat_handler_pt            handler;
    unsigned                   flags;
    const struct feat_schema  *schema;
    const void                *data;
};

#define FEAT_NULL_ROUTE  { 0, NULL, 0, NULL, 0, NULL, NULL }

/*
 * A path prefix and the dialect that answers an unmatched path under it
 * ("/faq" covers "/faq/3" and "/faqx"): how a module's URLs are shaped.
 * The longest prefix wins; a path ending in '/' is feat's first of all.
 */
struct feat_prefix {
    const char  *prefix;
    unsigned     dialect;
};

#define FEAT_NULL_PREFIX  { NULL, 0 }

struct feat_push_provider;

struct feat_module {
    const char               *name;
    const struct feat_route  *routes;
    /* before fork: config is loaded, migrations applied; may be NULL */
    int                     (*init_master)(void);
    /* after fork, with the process's own connection; may be NULL */
    int                     (*init_worker)(sqlite3 *db);
    void                    (*exit_worker)(void);
    /*
     * Set by a module that owns credentials: checks them for the route's
     * flags and answers FEAT_E_NONE or the error to fail with.  The
     * runtime calls the hook of the module whose auth_flags hold one of
     * the route's credential flags: accounts' for FEAT_SESSION and
     * FEAT_JWT (the Authorization header: r->user_id, r->session_id,
     * r->scope), admin's for FEAT_MANAGER (the console's cookie:
     * r->manager_id).
     */
    enum feat_error         (*authenticate)(struct feat_req *r,
                                            unsigned flags);
    /* jobs process: periodic sweep; may be NULL */
    void                    (*sweep)(sqlite3 *db, time_t now);
    /* the module's own config options (FEAT_CONF_ENTRY), NULL-terminated;
     * may be NULL */
    const struct feat_conf_option *const  *conf;
    /* URL prefixes whose unmatched paths the module's dialect answers
     * (404, 405, nginx's own errors); may be NULL */
    const struct feat_prefix *prefixes;
    /* the per-app settings it reads, ending in FEAT_NULL_SETTING; may be
     * NULL (protocol/settings.c merges them, refusing duplicates) */
    const struct feat_setting  *settings;
    /* the delivery channel it sends pushes through, or NULL */
    const struct feat_push_provider  *push;
    /* the route flags whose credentials authenticate checks (FEAT_SESSION,
     * FEAT_JWT, FEAT_MANAGER); 0 without the hook */
    unsigned                  auth_flags;
};

/* NULL-terminated list in fcgi/process/modules.c */
extern const struct feat_module *const feat_modules[];


/* ---- per-app settings (fcgi/protocol/settings.c) ------------------------- */

/*
 * A setting an app may hold (featctl app set APP KEY=VALUE), declared by
 * the module that reads it.  An app without a value of its own gets the
 * value of config option conf when conf is not NULL and the config gives
 * it one (for FEAT_SETTING_CONF_FILE, the contents of the file it names),
 * else def (NULL: no value at all, read as "" or 0).
 *
 * Values are checked when they are set: STR valid UTF-8 without control
 * characters, at most max code points (0: 4096); INT a decimal in
 * [min, max]; BOOL on/off (yes/no, true/false, 1/0 are taken and stored
 * as on/off); URL https://, or http:// to a loopback host only
 * (feat_url_safe); PEM a key OpenSSL reads, private when SECRET, public
 * (or a certificate) otherwise; ENUM one of values.  SECRET values are
 * stored sealed (AES-256-GCM) and never shown.
 */
#define FEAT_SETTING_STR    1
#define FEAT_SETTING_INT    2
#define FEAT_SETTING_BOOL   3
#define FEAT_SETTING_URL    4
#define FEAT_SETTING_PEM    5
#define FEAT_SETTING_ENUM   6

#define FEAT_SETTING_SECRET     0x01
#define FEAT_SETTING_CONF_FILE  0x02

struct feat_setting {
    const char         *key;      /* "alipay.app_id": module prefix, dot */
    unsigned            type;     /* FEAT_SETTING_STR... */
    unsigned            flags;    /* FEAT_SETTING_SECRET... */
    const char         *def;
    /* the config option whose value is the default (FEAT_CONF_...), or
     * NULL */
    const struct feat_conf_option  *conf;
    long long           min;      /* INT bounds; STR max length in max */
    long long           max;
    const char *const  *values;   /* ENUM: NULL-terminated */
    const char         *doc;      /* one line for featctl and the docs */
    /* the module's own rule after the type's, or NULL: FEAT_OK with
     * *norm (value, or its normal form in a) or FEAT_ERROR with *reason */
    int               (*check)(struct feat_arena *a, const char *value,
                               const char **norm, const char **reason);
};

#define FEAT_NULL_SETTING  { NULL, 0, 0, NULL, NULL, 0, 0, NULL, NULL, NULL }

/*
 * The value of key for app (an app id; "" is the default app): the app's
 * own value, else the default above.  Strings are "" when there is none
 * and stay valid until the process starts its next request (the cache is
 * only refreshed between requests); a secret is the plaintext.  A stored
 * secret that does not open (moved, or another secret) is logged and has
 * no value, never the default instead.  A key no module declares is a
 * bug: logged at LOG_ALERT, answered "" or 0.  A database failure reading
 * the app's values is logged and answers the default.
 */
const char *feat_setting_str(const char *app, const char *key);
long long feat_setting_int(const char *app, const char *key);
int feat_setting_bool(const char *app, const char *key);
/* Like feat_setting_str, with the length (PEM and secrets may be long);
 * FEAT_OK when there is a value, FEAT_DECLINED when there is none. */
int feat_setting_get(const char *app, const char *key, const char **value,
    size_t *len);
/*
 * The declared settings and their writing (protocol/settings.c,
 * settings_set.c), for featctl's app commands and the admin API's
 * settings, which check and store values the same way.
 */
/* The merged table: its size and its i-th entry (NULL past the end). */
size_t feat_settings_count(void);
const struct feat_setting *feat_setting_at(size_t i);
/* The declaration of key, or NULL when no module declares it. */
const struct feat_setting *feat_setting_find(const char *key);

/*
 * Checks value against s: FEAT_OK with *norm (value itself, or its
 * normal form in a: "on", "42"), or FEAT_ERROR with *reason (static or in
 * a: "not on or off").
 */
int feat_setting_check(struct feat_arena *a, const struct feat_setting *s,
    const char *value, const char **norm, const char **reason);
/* A decimal integer (no sign '+', no spaces) or an on/off word (also
 * yes/no, true/false, 1/0) as settings take them: FEAT_OK or FEAT_ERROR. */
int feat_setting_parse_int(const char *s, long long *out);
int feat_setting_parse_bool(const char *s, int *out);
/*
 * The default of s (an app with no value of its own gets it): FEAT_OK
 * with *value (owned by the cache, valid until the next refresh or flush)
 * and *len, or FEAT_DECLINED when there is none.  *origin (if not NULL)
 * gets where it comes from: the config key, or "default".
 */
int feat_setting_default(const struct feat_setting *s, const char **value,
    size_t *len, const char **origin);
/*
 * Stores value (already checked) as app's value of s, sealed when s is
 * secret; the caller holds the transaction.  FEAT_OK, FEAT_BUSY when app
 * does not exist (foreign key), FEAT_ERROR (logged).
 */
int feat_setting_store(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_setting *s, const char *value);
/* Removes app's value of s: FEAT_OK, FEAT_DECLINED (it had none),
 * FEAT_ERROR. */
int feat_setting_remove(sqlite3 *db, const char *app,
    const struct feat_setting *s);
/*
 * 1 when url may carry credentials: https://, or plain http:// only to a
 * loopback host (127.0.0.0/8, [::1], localhost) followed by nothing but a
 * port before the path; else 0.
 */
int feat_url_safe(const char *url);


/* ---- request (fcgi/protocol/request.c, fcgi/protocol/input.c) ------------ */

#define FEAT_MAX_PATH_PARAMS  4

struct feat_kv {
    const char  *name;
    const char  *value;
    size_t       len;   /* value length (may hold NULs from %00) */
};

struct feat_app {
    const char  *id;
};

struct feat_header {
    const char  *name;
    const char  *value;
};

/* The FastCGI params the runtime reads, found in one pass (request.c). */
enum feat_cgi {
    FEAT_CGI_REQUEST_METHOD = 0,
    FEAT_CGI_DOCUMENT_URI,
    FEAT_CGI_REQUEST_URI,
    FEAT_CGI_QUERY_STRING,
    FEAT_CGI_CONTENT_TYPE,
    FEAT_CGI_CONTENT_LENGTH,
    FEAT_CGI_REMOTE_ADDR,
    FEAT_CGI_REQUEST_ID,
    FEAT_CGI_APP_ID,
    FEAT_CGI_HTTPS,
    FEAT_CGI_N
};

struct feat_req {
    struct feat_arena        *arena;
    void                     *fcgi;        /* FCGX_Request */
    char                    **envp;
    int                       indexed;     /* cgi and http filled */
    int                       nhttp;
    const char               *cgi[FEAT_CGI_N];  /* values, or NULL */
    char                    **http;        /* the HTTP_* params */

    unsigned                  method;
    const char               *method_name;
    const char               *path;        /* without the query string */
    const char               *query;       /* raw, without '?', never NULL */
    const char               *remote_addr;
    const char               *content_type;
    char                      request_id[33];  /* 16..32 hex */
    struct timespec           start;

    const struct feat_app    *app;         /* never NULL once routed */
    unsigned                  dialect;
    const struct feat_route  *route;
    int                       nparams;
    struct feat_kv            params[FEAT_MAX_PATH_PARAMS];

    char                     *body;        /* NUL-terminated */
    size_t                    body_len;
    cJSON                    *json;        /* the body when it is JSON */
    struct feat_kv           *form;        /* urlencoded body */
    size_t                    nform;
    struct feat_kv           *args;        /* query string */
    size_t                    nargs;

    sqlite3_int64             user_id;     /* 0: none */
    sqlite3_int64             session_id;  /* 0: none (JWT or public) */
    sqlite3_int64             client_id;   /* OAuth2 client, 0: none */
    const char               *scope;       /* space-separated, or NULL */
    const char               *token;       /* the credential presented */
    const void               *user_row;    /* the authenticating module's
                                              user row (FEAT_USER_ROW), or
                                              its manager row (admin) */
    sqlite3_int64             manager_id;  /* FEAT_MANAGER: 0: none */

    const char               *bad_field;   /* set by feat_in_* on error */
    const char               *bad_reason;

    int                       status;      /* reply status, 0: dialect's */
    struct feat_header        headers[8];  /* extra reply headers */
    int                       nheaders;
};

/*
 * Parses r's body by its content type: JSON (application/json or a +json
 * type) into r->json, an object or an array nested at most 64 deep and
 * without \u0000 in a string; urlencoded into r->form.  The runtime does
 * it before every handler except a FEAT_RAW_BODY route's, which calls it
 * itself to answer a malformed body in its own form.  FEAT_OK (also for
 * no body), FEAT_DECLINED for a body of any other type, or FEAT_ERROR with
 * r->bad_field ("body") and r->bad_reason set.
 */
int feat_req_body(struct feat_req *r);
/*
 * Makes app id the request's app (r->app), as if nginx had named it: the
 * admin API's "/admin/api/apps/{app}/" routes, once the manager may see
 * it.  FEAT_E_NONE, FEAT_E_UNKNOWN_APP (no such app; r->app unchanged) or
 * FEAT_E_INTERNAL (logged).  (protocol/app.c)
 */
enum feat_error feat_app_select(struct feat_req *r, const char *id);
/* A request header by its HTTP name ("X-App-Id"), or NULL. */
const char *feat_req_header(struct feat_req *r, const char *name);
/* A path parameter ("{id}") by name, or NULL. */
const char *feat_req_param(struct feat_req *r, const char *name);
/* A path parameter as a positive id: FEAT_OK, or FEAT_DECLINED if absent
 * or not a positive integer (handlers answer not found). */
int feat_req_param_id(struct feat_req *r, const char *name,
    sqlite3_int64 *id);
/* A query string argument, or NULL (first of repeated ones). */
const char *feat_req_arg(struct feat_req *r, const char *name);
/*
 * "scheme://host[:port]" for absolute URLs in answers (paging links, image
 * URLs, Link headers), without a trailing slash: config public_url when
 * set, else the request's scheme and Host header when Host is a plain
 * host[:port] (letters, digits, '.', '-', or a bracketed IPv6 address)
 * and, when config server_names lists names, one of them (else the first
 * name listed), else "http://localhost".  In the arena or static storage.
 */
const char *feat_req_origin(struct feat_req *r);

#define FEAT_REQUIRED    0x01
#define FEAT_ALLOW_EMPTY 0x02  /* a required string may be "" */
#define FEAT_QUERY       0x04  /* look only in the query string */
#define FEAT_NULLABLE    0x08  /* a JSON null reads as absent: a client may
                                  echo back the null our answers show */

/*
 * Typed input.  A field is looked for in the JSON body, else the urlencoded
 * body, else the query string.  Each answers FEAT_OK with *out set,
 * FEAT_DECLINED when the field is absent and optional (*out untouched), or
 * FEAT_ERROR with r->bad_field and r->bad_reason set: missing and required,
 * wrong type, null, too long (max counts code points; 0 means no limit),
 * out of range.  Strings live in the arena and are valid UTF-8 without NUL.
 */
int feat_in_str(struct feat_req *r, const char *name, const char **out,
    size_t max, unsigned flags);
int feat_in_int(struct feat_req *r, const char *name, long long *out,
    long long min, long long max, unsigned flags);
int feat_in_bool(struct feat_req *r, const char *name, int *out,
    unsigned flags);

struct feat_page {
    long long  page;       /* from 1 */
    long long  size;       /* 1..100 */
    long long  offset;
};

/* Paging arguments by the dialect's names, with defaults and clamps. */
int feat_in_page(struct feat_req *r, struct feat_page *pg);

/*
 * Declared fields.  A route says what it reads and what it answers in
 * static rows next to its handler (struct feat_schema, the route's last
 * member); the handler reads its input through those rows
 * (feat_in_field), and the OpenAPI document (featctl openapi, GET
 * /api/openapi.json) is made from the same rows, so the limits a client
 * is told are the ones the server applies.  A list of fields is an array
 * ending in FEAT_NULL_FIELD, written as a route table is:
 *
 *     static const struct feat_field  v2_feedback_create_in[] = {
 *         { "feedback_content", FEAT_FT_STR, FEAT_REQUIRED,
 *           0, FEAT_FEEDBACK_CONTENT_MAX, NULL, "what the user says" },
 *         { "contact_phone", FEAT_FT_STR, FEAT_ALLOW_EMPTY | FEAT_NULLABLE,
 *           0, FEAT_FEEDBACK_PHONE_MAX, "phone", "a number to call back" },
 *         FEAT_NULL_FIELD
 *     };
 *
 * Path parameters are not fields: the pattern names them ("{id}") and
 * feat_req_param_id reads them.  A paged answer's paging arguments are
 * not fields either: FEAT_ANSWER_PAGE implies the dialect's.
 */
enum feat_field_type {
    FEAT_FT_STR = 1,  /* string: [min, max] code points (max 0: no limit;
                         min is not applied to an empty string, which
                         FEAT_REQUIRED and FEAT_ALLOW_EMPTY govern) */
    FEAT_FT_INT,      /* integer in [min, max]: a JSON number or digits */
    FEAT_FT_ID,       /* a row id: an integer from 1 (min, max unused) */
    FEAT_FT_BOOL,     /* JSON true/false; a form's true, false, 1, 0 */
    FEAT_FT_NUM,      /* a number (answers) */
    FEAT_FT_TIME,     /* a time in the dialect's form (answers); format
                         names another form ("v2": without the "T") */
    FEAT_FT_OBJ,      /* an object: its fields in sub (NULL: free-form) */
    FEAT_FT_ARRAY,    /* [min, max] elements (max 0: no limit) of the one
                         row *sub (its name unused) */
    FEAT_FT_FILE      /* a multipart part of an upload (FEAT_UPLOAD) */
};

struct feat_field {
    const char               *name;    /* NULL ends a list */
    enum feat_field_type      type;
    unsigned                  flags;   /* FEAT_REQUIRED, FEAT_ALLOW_EMPTY,
                                          FEAT_QUERY, FEAT_NULLABLE */
    long long                 min;     /* by type, above */
    long long                 max;
    const char               *format;  /* "phone", "email", "uri"..., or
                                          NULL: a hint for the document */
    const char               *doc;     /* one English line */
    const struct feat_field  *sub;     /* OBJ's fields, ARRAY's element */
};

#define FEAT_NULL_FIELD  { NULL, 0, 0, 0, 0, NULL, NULL, NULL }

/* The shapes of a success's data (inside the dialect's envelope).  A
 * schema may name several (v1's reply list: LIST, or PAGE with ?page=). */
#define FEAT_ANSWER_OBJECT  0x01  /* an object of the answer fields */
#define FEAT_ANSWER_PAGE    0x02  /* the dialect's page of such objects */
#define FEAT_ANSWER_LIST    0x04  /* a JSON array of such objects */
#define FEAT_ANSWER_VALUE   0x08  /* one value: the row answer[0] */
#define FEAT_ANSWER_EMPTY   0x10  /* the dialect's empty success ({}) */
#define FEAT_ANSWER_RAW     0x20  /* no envelope: an image, a provider's
                                     text or XML (feat_reply_text) */

/*
 * What a route reads and answers.  Written with designated initializers
 * ({ .summary = ..., .request = ..., .answer = ..., .shape = ... }), so
 * members added later leave every schema compiling.  The router checks
 * each route's schema at start (known types and flags, min <= max, an
 * ARRAY's element, a shape) and refuses to start on a bad one.
 */
struct feat_schema {
    const char               *summary;  /* one English line */
    const struct feat_field  *request;  /* NULL: reads no fields */
    const struct feat_field  *answer;   /* NULL: none (EMPTY, RAW) */
    unsigned                  shape;    /* FEAT_ANSWER_* */
    int                       status;   /* the success's HTTP status
                                           (0: 200) */
};

/*
 * Reads the declared field f into *out, by the C type of out, which must
 * match f's type (checked at compile time against out, at run time
 * against f: a mismatch is a bug, logged at LOG_ALERT):
 *
 *     const char **  FEAT_FT_STR          (feat_in_str with f's limits)
 *     long long *    FEAT_FT_INT, _ID     (feat_in_int; sqlite3_int64 too)
 *     int *          FEAT_FT_BOOL         (feat_in_bool)
 *     cJSON **       FEAT_FT_OBJ, _ARRAY  (the JSON body only; an ARRAY's
 *                                          count and its STR, INT, ID or
 *                                          BOOL elements are checked)
 *
 * Answers as feat_in_str: FEAT_OK with *out set (a cJSON item belongs to
 * r->json), FEAT_DECLINED when the field is absent (or null and
 * FEAT_NULLABLE) and optional, *out untouched, or FEAT_ERROR with
 * r->bad_field and r->bad_reason set: the handler answers
 * feat_fail_field(r).
 */
#define feat_in_field(r, f, out)                                              \
    _Generic((out),                                                           \
        const char **: feat_in_field_str,                                     \
        long long *: feat_in_field_int,                                       \
        int *: feat_in_field_bool,                                            \
        cJSON **: feat_in_field_json)((r), (f), (out))

int feat_in_field_str(struct feat_req *r, const struct feat_field *f,
    const char **out);
int feat_in_field_int(struct feat_req *r, const struct feat_field *f,
    long long *out);
int feat_in_field_bool(struct feat_req *r, const struct feat_field *f,
    int *out);
int feat_in_field_json(struct feat_req *r, const struct feat_field *f,
    cJSON **out);

/* Number of Unicode code points in valid UTF-8 s, or -1 if invalid. */
long feat_utf8_len(const char *s, size_t n);
/* Whether s (NULL: absent) is valid UTF-8 of at most max code points, and
 * not empty when required: the check of the domains' free-text fields. */
int feat_utf8_ok(const char *s, long max, int required);

/* Decodes %XX and '+' in place; answers the new length. */
size_t feat_url_decode(char *s, size_t n);
/* Splits an urlencoded string (copied into the arena) into pairs. */
int feat_parse_urlencoded(struct feat_arena *a, const char *s, size_t n,
    struct feat_kv **out, size_t *count);
/* 1 when a JSON text has a \u0000 escape in a string (cJSON would end the
 * string there, so the value read would not be the value sent), else 0. */
int feat_json_has_nul(const char *s, size_t n);


/* ---- replies (fcgi/protocol/reply.c) ------------------------------------- */

/*
 * Every handler ends with one of these, which write the answer and return
 * FEAT_OK.  They take ownership of the cJSON they are given.
 *
 * feat_reply: success in the dialect's envelope (v2 data, v1 merged into
 *   {"code":0,"message":...} or under "data", feat {"data":...}).
 * feat_reply_body: a whole body as given (the seed's exceptions).
 * feat_fail: the error e in the dialect's form; fmt is logged, not sent.
 */
int feat_reply(struct feat_req *r, cJSON *data);
int feat_reply_body(struct feat_req *r, int status, cJSON *body);
int feat_reply_empty(struct feat_req *r, int status);
/* A body that is not JSON (a payment provider's XML or text), as given,
 * with Content-Type type (static or in the arena). */
int feat_reply_text(struct feat_req *r, int status, const char *type,
    const char *text);
int feat_fail(struct feat_req *r, enum feat_error e, const char *fmt, ...)
    FEAT_PRINTF(3, 4);
/* feat_fail with text as the message sent instead of the table's (OAuth2's
 * error_description); text (static or in the arena) is logged too. */
int feat_fail_text(struct feat_req *r, enum feat_error e, const char *text);
/* e about one field of the request: feat answers "errors": {field:
 * [e's message]}, v1 and v2 name the field after the message. */
int feat_fail_at(struct feat_req *r, enum feat_error e, const char *field);
/* Fails with FEAT_E_BAD_FIELD naming r->bad_field. */
int feat_fail_field(struct feat_req *r);
/* Sets r->bad_field and r->bad_reason, then feat_fail_field. */
int feat_fail_bad(struct feat_req *r, const char *field, const char *reason);
/* Adds a reply header; name and value must outlive the request. */
void feat_reply_header(struct feat_req *r, const char *name,
    const char *value);

/* The dialect's paged object around items (consumed): v2 and v1
 * {"total","pages","current_page","page_size","data"}, feat
 * {"count","next","previous","results"}. */
cJSON *feat_page_object(struct feat_req *r, const struct feat_page *pg,
    long long total, cJSON *items);
/*
 * A new object that opens with the members every row of the seed's v2
 * models has, in its order: "id", "app_id", "created_at", "updated_at"
 * (times in r's dialect, feat_time).  app_id must live as long as the tree
 * (a row's arena string): it is not copied.  The caller adds the rest and
 * owns the tree.  (protocol/json.c)
 */
cJSON *feat_json_record(struct feat_req *r, sqlite3_int64 id,
    const char *app_id, time_t created_at, time_t updated_at);


/* ---- database (fcgi/store/db.c) ------------------------------------------ */

/* The process's own connection, opened after fork. */
sqlite3 *feat_db(void);

/*
 * A cached prepared statement for sql (a string literal: the cache is keyed
 * by its address), reset and with bindings cleared, then bound from fmt:
 *   's' const char * (NULL binds NULL), 'i' sqlite3_int64, 'd' int,
 *   'b' const void *, int (blob), 'f' double.
 * NULL on error (logged).  The caller steps it and calls feat_db_done().
 */
sqlite3_stmt *feat_db_query(sqlite3 *db, const char *sql,
    const char *fmt, ...);
/* Resets a statement from feat_db_query so it holds no read lock. */
void feat_db_done(sqlite3_stmt *st);
/* Reads the current row of st into item: a module's column reader. */
typedef void (*feat_db_row_pt)(struct feat_arena *a, sqlite3_stmt *st,
    void *item);

/*
 * A declarative row reader.  A module describes a struct's columns once,
 * as an X-macro list in SELECT order (struct, type, field, SQL), and
 * makes from that one list both the column list of its SELECTs and the
 * map the reader fills the struct by, so the two cannot drift apart:
 *
 *     #define FAQ_COLS(X, _)                                           \
 *         X(struct feat_faq, INT64, id, "id") _                        \
 *         X(struct feat_faq, TEXT, title, "title") _                   \
 *         X(struct feat_faq, TIME, created_at, "created_at")
 *     #define FAQ_COLUMNS  FAQ_COLS(FEAT_COL_SQL, ", ")
 *     static const struct feat_db_col  faq_cols[] = {
 *         FAQ_COLS(FEAT_COL_MAP, )
 *     };
 *     FEAT_DB_READER(faq_row, faq_cols)
 *
 *     "SELECT " FAQ_COLUMNS " FROM faq WHERE ..."   (id, title, created_at)
 *
 * faq_row is then a feat_db_row_pt for feat_db_row and struct
 * feat_db_list.  A join that qualifies the columns ("f.id") takes a
 * generator of the module's own in place of FEAT_COL_SQL.  Each
 * FEAT_COL_<TYPE>(struct, field) checks the field's C type at compile
 * time: INT64 sqlite3_int64, INT int, BOOL int (0 or 1), UINT unsigned,
 * TIME time_t, TEXT const char * (an arena copy, "" for NULL).  A NULL
 * number reads as 0.
 */
enum feat_db_type {
    FEAT_DB_INT64 = 1,
    FEAT_DB_INT,
    FEAT_DB_BOOL,
    FEAT_DB_UINT,
    FEAT_DB_TIME,
    FEAT_DB_TEXT
};

struct feat_db_col {
    enum feat_db_type  type;
    size_t             offset;    /* of the field in the struct */
};

/* offsetof(s, f), which compiles only when the field has C type t. */
#define FEAT_COL_AT(s, f, t)  _Generic(((s *) 0)->f, t: offsetof(s, f))

#define FEAT_COL_INT64(s, f)                                                  \
    { FEAT_DB_INT64, FEAT_COL_AT(s, f, sqlite3_int64) }
#define FEAT_COL_INT(s, f)                                                    \
    { FEAT_DB_INT, FEAT_COL_AT(s, f, int) }
#define FEAT_COL_BOOL(s, f)                                                   \
    { FEAT_DB_BOOL, FEAT_COL_AT(s, f, int) }
#define FEAT_COL_UINT(s, f)                                                   \
    { FEAT_DB_UINT, FEAT_COL_AT(s, f, unsigned) }
#define FEAT_COL_TIME(s, f)                                                   \
    { FEAT_DB_TIME, FEAT_COL_AT(s, f, time_t) }
#define FEAT_COL_TEXT(s, f)                                                   \
    { FEAT_DB_TEXT, FEAT_COL_AT(s, f, const char *) }

/* The generators for an X-macro column list: the map entry, the SQL. */
#define FEAT_COL_MAP(s, type, f, sql)  FEAT_COL_##type(s, f),
#define FEAT_COL_SQL(s, type, f, sql)  sql

/*
 * Fills item from the n columns of st's current row that start at column
 * first, by the map cols (cols[i] reads column first + i).
 */
void feat_db_read(struct feat_arena *a, sqlite3_stmt *st, int first,
    const struct feat_db_col *cols, size_t n, void *item);

/* Defines the static feat_db_row_pt name that reads a row by the map
 * cols (an array, FEAT_NELEMS counts it) from column 0. */
#define FEAT_DB_READER(name, cols)                                            \
    static void                                                               \
    name(struct feat_arena *a, sqlite3_stmt *st, void *item)                  \
    {                                                                         \
        feat_db_read(a, st, 0, cols, FEAT_NELEMS(cols), item);                \
    }

/*
 * Steps st (from feat_db_query; NULL, its failure, is passed on) for the
 * one row it may answer, read into item by fn, then calls feat_db_done.
 * Answers FEAT_E_NONE, FEAT_E_NOT_FOUND when there is no row, or
 * FEAT_E_INTERNAL, logged as "<fmt...>: <SQLite's message>".
 */
enum feat_error feat_db_row(sqlite3 *db, struct feat_arena *a,
    sqlite3_stmt *st, feat_db_row_pt fn, void *item, const char *fmt, ...)
    FEAT_PRINTF(6, 7);
/*
 * A paged list as a module describes it once, in static data.  count is
 * "SELECT COUNT(*) ..." and page "SELECT <columns> ... LIMIT ? OFFSET ?"
 * over the same FROM and WHERE: both take the parameters of feat_db_rows'
 * fmt, and page two more, its last, which feat_db_rows binds itself.
 * count may be NULL for a list that is never counted; max 0 means no cap.
 */
struct feat_db_list {
    const char      *count;    /* a string literal (the statement cache) */
    const char      *page;     /* a string literal */
    feat_db_row_pt   row;      /* reads one row into an item */
    size_t           size;     /* bytes of one item */
    long long        max;      /* rows one page may ask for; 0: no cap */
    const char      *what;     /* names the list in the log */
};

/* What feat_db_rows answers. */
struct feat_rows {
    long long        total;    /* every row, or -1 when not counted */
    void            *items;    /* arena array of n items, NULL if none */
    size_t           n;
};

/*
 * One page of l: up to limit rows (clamped to l->max) from offset, read by
 * l->row into an arena array, with every row of the list counted in
 * out->total when count is set (the count query runs only when the page
 * cannot tell: a short page ends the list).  A limit below 1 or a
 * negative offset reads no row.  Answers FEAT_E_NONE, or FEAT_E_INTERNAL
 * (logged with l->what) with out empty.
 */
enum feat_error feat_db_rows(sqlite3 *db, struct feat_arena *a,
    const struct feat_db_list *l, long long offset, long long limit,
    int count, struct feat_rows *out, const char *fmt, ...);
/*
 * feat_db_rows of a counted page, answered in the three parts a domain's
 * list function hands its callers: *total, *items (items is the address
 * of the caller's item pointer, a struct x **, set to the arena array or
 * NULL) and *n.  Answers as feat_db_rows; on failure *total is 0.
 */
enum feat_error feat_db_page(sqlite3 *db, struct feat_arena *a,
    const struct feat_db_list *l, long long offset, long long limit,
    long long *total, void *items, size_t *n, const char *fmt, ...);
/* Runs a statement to completion: FEAT_OK, FEAT_BUSY on a constraint
 * violation, FEAT_ERROR otherwise (logged). */
int feat_db_exec(sqlite3 *db, const char *sql, const char *fmt, ...);
/*
 * Runs an INSERT of one row into an app's table (as feat_db_exec) whose
 * one constraint a checked row can break is its app_id reference:
 * FEAT_E_NONE with *id the new rowid, FEAT_E_UNKNOWN_APP when a constraint
 * refuses the row, FEAT_E_INTERNAL otherwise (logged).
 */
enum feat_error feat_db_insert(sqlite3 *db, sqlite3_int64 *id,
    const char *sql, const char *fmt, ...);
/*
 * Runs an UPDATE or DELETE of the rows its key finds (as feat_db_exec):
 * FEAT_E_NONE when it changed one or more, FEAT_E_NOT_FOUND when no row
 * matched, FEAT_E_INTERNAL when it failed (logged).
 */
enum feat_error feat_db_change(sqlite3 *db, const char *sql,
    const char *fmt, ...);
/* First column of the first row: FEAT_OK, FEAT_DECLINED (no row), or
 * FEAT_ERROR. */
int feat_db_int(sqlite3 *db, sqlite3_int64 *out, const char *sql,
    const char *fmt, ...);
/* Text of the first column of the first row, copied into the arena. */
int feat_db_text(sqlite3 *db, struct feat_arena *a, const char **out,
    const char *sql, const char *fmt, ...);

/*
 * One transaction around a whole command (featctl) or call (the admin
 * API's, whose audit row commits with what the domain did): feat_db_hold
 * begins it (BEGIN IMMEDIATE), and until feat_db_release the domain's
 * feat_db_begin, commit and rollback are savepoints inside it.
 * feat_db_release commits (commit set) or rolls back everything.  Both
 * answer FEAT_OK or FEAT_ERROR (logged).
 */
int feat_db_hold(sqlite3 *db);
int feat_db_release(sqlite3 *db, int commit);
/* BEGIN IMMEDIATE (waits busy_timeout), COMMIT, ROLLBACK. */
int feat_db_begin(sqlite3 *db);
int feat_db_commit(sqlite3 *db);
void feat_db_rollback(sqlite3 *db);
/*
 * Ends the transaction of feat_db_begin by its outcome e: FEAT_E_NONE
 * commits, and answers FEAT_E_INTERNAL when COMMIT fails (rolled back);
 * any other e rolls back and is answered as it is.  A write's one exit:
 *     done:
 *         return feat_db_end(db, e);
 */
enum feat_error feat_db_end(sqlite3 *db, enum feat_error e);

/* A column as an arena string ("" for NULL). */
const char *feat_db_col_text(struct feat_arena *a, sqlite3_stmt *st, int i);

/* sqlite3_step through the runtime's hook: under --enable-fault-injection
 * the N-th step of a request that armed N (header X-Feat-Fault-Step with
 * testing on) answers SQLITE_IOERR, and every sqlite3_step in the code
 * goes through it. */
int feat_db_step(sqlite3_stmt *st);
#ifdef FEAT_FAULT_INJECTION
#define sqlite3_step(st)  feat_db_step(st)
#endif


/* ---- outside services' exchanges (fcgi/client/http.c; functions below) -- */

/* One HTTP exchange as a caller describes it (the multi interface's
 * unit; the strings must live until the exchange is done). */
struct feat_http_req {
    const char         *method;     /* "POST", "GET", ... */
    const char         *url;
    const char *const  *headers;    /* "Name: value", NULL-terminated */
    const char         *body;       /* NULL: none (GET) */
    size_t              len;
    long                timeout_ms; /* connect and total */
    size_t              max;        /* bytes of the answer at most */
    /* HTTP/2 only: h2 over TLS for https://, h2c with prior knowledge
     * for http:// (a loopback fake) */
    int                 h2;
    const char         *ca_file;    /* NULL or "": the system's CAs */
};

struct feat_http_resp {
    long     status;     /* HTTP status, 0 when none was received */
    char    *body;       /* NUL-terminated, in the arena */
    size_t   len;
};


/* ---- the push queue (fcgi/store/pushq.c) -------------------------------- */

#define FEAT_PUSH_SCOPE_ALL      0   /* every user of the app */
#define FEAT_PUSH_SCOPE_LISTED   1   /* the users listed */

/*
 * Queues a push (status 0; the jobs process delivers it) from manager_id
 * (0: the system, stored as NULL) to every user of app or to the n users
 * listed (duplicates are fine).  Writes inside the caller's transaction
 * and opens none; the caller has checked title, body and that the users
 * are of app.  FEAT_OK with *push_id (if not NULL), or FEAT_ERROR
 * (logged): the caller rolls back.
 */
int feat_push_queue(sqlite3 *db, const char *app, sqlite3_int64 manager_id,
    const char *title, const char *body, int scope,
    const sqlite3_int64 *users, size_t n, sqlite3_int64 *push_id);

/* Outbox row states (sql/0070_outbox.sql). */
#define FEAT_OUTBOX_PENDING  0
#define FEAT_OUTBOX_SENDING  1
#define FEAT_OUTBOX_SENT     2
#define FEAT_OUTBOX_FAILED   3
#define FEAT_OUTBOX_SKIPPED  4   /* no provider or credentials any more */

/* How far the delivery of one push has come: its outbox rows by state,
 * and whether the jobs process is still writing them (a push to all). */
struct feat_outbox_counts {
    long long  pending;
    long long  sending;
    long long  sent;
    long long  failed;
    long long  skipped;
    int        fanout;
};

/* One outbox row as its sender sees it. */
struct feat_outbox_entry {
    sqlite3_int64   id;
    sqlite3_int64   user_id;
    const char     *channel;     /* "apns", "getui" */
    int             status;      /* FEAT_OUTBOX_* */
    int             attempts;
    const char     *last_error;  /* "" when none */
    time_t          created_at;
    time_t          updated_at;  /* when the state was last changed */
};

/*
 * The outbox rows of push push_id of app counted by state into *c:
 * FEAT_OK, or FEAT_ERROR (logged).  (fcgi/store/outbox.c)
 */
int feat_outbox_counts(sqlite3 *db, const char *app, sqlite3_int64 push_id,
    struct feat_outbox_counts *c);
/*
 * A page of the outbox rows of push push_id of app, in the order they
 * were written: *total counts them all; *items (arena array, NULL when *n
 * is 0) holds at most limit (capped at 100) from offset.  FEAT_E_NONE or
 * FEAT_E_INTERNAL (logged).
 */
enum feat_error feat_outbox_list(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 push_id, long long offset,
    long long limit, long long *total, struct feat_outbox_entry **items,
    size_t *n);

/* One outbox row as the drain hands it to a provider, with its push. */
struct feat_outbox_row {
    sqlite3_int64   id;
    sqlite3_int64   push_id;
    const char     *app_id;
    sqlite3_int64   user_id;
    const char     *channel;     /* "apns", "getui" */
    sqlite3_int64   device_id;
    const char     *token;
    int             sandbox;
    const char     *request_id;  /* UUID, the same for every attempt */
    int             attempts;    /* this attempt included */
    time_t          created_at;
    const char     *title;
    const char     *body;
};

/* What a provider answers for one outbox row. */
#define FEAT_SEND_OK     0   /* delivered (the provider took it) */
#define FEAT_SEND_RETRY  1   /* transient: timeout, 429, 5xx: try again */
#define FEAT_SEND_FAIL   2   /* permanent: never try this row again */
#define FEAT_SEND_GONE   3   /* permanent, and the device is no more */
#define FEAT_SEND_AGAIN  4   /* judge: the credential was refused as
                                expired: prepare again with a fresh one
                                and resend at once (once per attempt) */
#define FEAT_SEND_START  5   /* prepare: s->req is ready to go */

/*
 * One delivery of an outbox row in flight.  The jobs process owns it and
 * its arena, which lives until the row is resolved (strings the request
 * points at go there).  prepare fills req (and may note in cred the
 * credential it used, so judge can tell which one was refused); judge
 * reads resp, whose status is 0 when no answer came (a transport failure
 * or a timeout).  err holds the reason of any answer but FEAT_SEND_OK.
 */
struct feat_push_send {
    struct feat_arena             *a;
    const struct feat_outbox_row  *row;
    /* prepare: the previous answer was FEAT_SEND_AGAIN for cred */
    int                            again;
    const char                    *cred;
    struct feat_http_req           req;
    struct feat_http_resp          resp;
    char                           err[320];
};

/*
 * A delivery channel: the outbox rows of channel go to it.  ready answers
 * 1 when app holds what the channel needs (credentials); a push gets no
 * row for a channel that is not ready.  prepare answers FEAT_SEND_START
 * with s->req filled, or a FEAT_SEND_* result when no request is needed
 * (a credential that cannot be had); judge answers FEAT_SEND_* (or
 * FEAT_SEND_AGAIN) from s->resp.  The jobs process
 * (fcgi/process/delivery.c) sends several rows' requests at once over the
 * client's multi interface (HTTP/2 streams on one connection for an h2
 * request, parallel connections otherwise), so both run between other
 * rows' exchanges and must not block for long.  A module plugs a provider
 * in through struct feat_module's push.
 */
struct feat_push_provider {
    const char  *channel;
    int        (*ready)(const char *app);
    int        (*prepare)(struct feat_push_send *s);
    int        (*judge)(struct feat_push_send *s);
};


/* ---- the audit log (fcgi/store/audit.c) --------------------------------- */

/*
 * Records a security event about user_id (0: none) of app in the audit
 * table, inside the caller's transaction (it opens none), so the record
 * commits or rolls back with the change.  action is a literal
 * ("login_failed"); fmt describes the detail object, one character a
 * member, each taking a key (a literal) and a value: 's' const char *
 * (NULL is ""), 'i' sqlite3_int64, 'd' int; NULL or "" for {}.  Address
 * and actor are the process's origin (feat_audit_origin).  Never put a
 * secret or an account in the detail.  FEAT_OK, or FEAT_ERROR (logged):
 * the caller fails its change.
 */
int feat_audit(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *action, const char *fmt, ...);
/* feat_audit with the detail's pairs in ap. */
int feat_audit_v(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *action, const char *fmt, va_list ap);
/* Where the next events come from: the client address ("" for none) and
 * the actor ("user" for a request, the operator's Unix user for
 * featctl); both are copied (at most 63 bytes), kept by core/log.c.
 * feat_audit_origin_get answers them (static storage). */
void feat_audit_origin(const char *address, const char *actor);
void feat_audit_origin_get(const char **address, const char **actor);
/* Deletes events older than audit.retention_days (0 keeps them all):
 * answers how many, or -1 (logged).  The jobs process calls it. */
long long feat_audit_prune(sqlite3 *db, time_t now);


/* ---- the console's handlers (fcgi/protocol/admin.c) --------------------- */

/*
 * What the admin dialect's handlers share, whichever module serves them
 * (the console's FAQ is the faq module's, its feedback inbox feedback's):
 * the routes' path, the answers' conventions, the writes' one shape and
 * the audit record every write makes.  The admin module itself (sign-in,
 * managers, users, settings) uses them too; r->manager_id is set by its
 * authenticate hook for every FEAT_MANAGER route.
 */

/* The routes of one app: "/admin/api/apps/{app}/faq". */
#define FEAT_ADMIN_APP_PREFIX  "/admin/api/apps/{app}/"
/* An answer's member always there (FEAT_REQUIRED in an answer), and a
 * list's "status" query field (at most 16 characters: the words). */
#define FEAT_ADMIN_ALWAYS      FEAT_REQUIRED
#define FEAT_ADMIN_STATUS_MAX  16

/* A value of a list's "status" filter, in a table ending in { NULL, 0 }
 * whose first row is the default. */
struct feat_admin_status {
    const char  *name;      /* "open", "all"... */
    int          value;     /* the domain's; -1 for "all" */
};

/*
 * Records action ("admin.user.disable") about user_id (0: none) of r's app
 * in the audit log, inside the caller's transaction: actor
 * "manager:<r->manager_id>", the client's address.  fmt as feat_audit's.
 * FEAT_OK or FEAT_ERROR (logged): the caller fails its change.
 */
int feat_admin_audit(struct feat_req *r, sqlite3_int64 user_id,
    const char *action, const char *fmt, ...);

/* Adds key: t in r's time form, or null when t is 0 (not yet). */
void feat_admin_json_time(struct feat_req *r, cJSON *o, const char *key,
    time_t t);
/* Answers the domain's refusal e: a field error names field (the API's
 * name of it), any other e is answered as it is, logged with what, id. */
int feat_admin_fail(struct feat_req *r, enum feat_error e, const char *field,
    const char *what, sqlite3_int64 id);
/* Ends a write's feat_db_hold by its outcome e: FEAT_E_NONE commits
 * (FEAT_E_INTERNAL when the commit fails), anything else rolls back and
 * is answered as it is. */
enum feat_error feat_admin_release(sqlite3 *db, enum feat_error e);
/* The path's {id}: FEAT_OK with *id, or FEAT_ERROR once 404 has been
 * answered (not an id). */
int feat_admin_path_id(struct feat_req *r, const char *what,
    sqlite3_int64 *id);
/* The query's "status" (the declared field f) by table: FEAT_OK with
 * *status (the default when absent), or FEAT_ERROR once 400 "status" has
 * been answered. */
int feat_admin_status_arg(struct feat_req *r, const struct feat_field *f,
    const struct feat_admin_status *table, int *status);
/* The name of value in table (never "all"), or "". */
const char *feat_admin_status_name(const struct feat_admin_status *table,
    int value);

/*
 * Object id of r's app as the answers show it, into *out (the caller's):
 * FEAT_E_NONE, or the domain's error (FEAT_E_NOT_FOUND...).  A write
 * calls it inside its transaction, so that nothing fails after the
 * commit.
 */
typedef enum feat_error (*feat_admin_answer_pt)(struct feat_req *r,
    sqlite3_int64 id, cJSON **out);

/*
 * The console's three handlers, one for each shape its endpoints take;
 * each serves the routes whose data (struct feat_route's) says what:
 *
 * feat_admin_show: GET .../{id}, data a struct feat_admin_op of which
 *   what and answer are read: the path's object by answer, or its error
 *   (logged with what).
 * feat_admin_list: a list, data a struct feat_admin_list (below).
 * feat_admin_write: a change, data a struct feat_admin_op (below).
 *
 * Each answers r and returns FEAT_OK.
 */
int feat_admin_show(struct feat_req *r);
int feat_admin_list(struct feat_req *r);
int feat_admin_write(struct feat_req *r);

/*
 * A list: the page asked for (and, with status, the "status" filter by
 * statuses), read by read into *items (n rows of size bytes each, in the
 * arena) and *total, each row answered by object, in the dialect's page.
 */
struct feat_admin_list {
    const char                      *what;      /* "faq": the log's */
    const struct feat_field         *status;    /* or NULL: no filter */
    const struct feat_admin_status  *statuses;
    enum feat_error                (*read)(struct feat_req *r, int status,
                                           const struct feat_page *pg,
                                           long long *total,
                                           const void **items, size_t *n);
    size_t                           size;
    cJSON                         *(*object)(struct feat_req *r,
                                             const void *item);
};

/*
 * A write, one shape for every change the console makes: the path's {id}
 * (FEAT_ADMIN_BY_ID), the request's fields (input, into the in_size bytes
 * of w->in, zeroed), then in one held transaction (feat_db_hold: the
 * domain's own transactions are savepoints of it) the domain's change,
 * the audit record (action with {what: id}, about w->user_id; with
 * FEAT_ADMIN_AUDITS change records action itself, with more detail) and
 * the answer read before the commit (answer, or what change left in
 * w->out; none: 204).  A refusal rolls back and is answered by
 * feat_admin_fail with w->bad.
 */
#define FEAT_ADMIN_BY_ID   0x01
#define FEAT_ADMIN_AUDITS  0x02

struct feat_admin_write;

struct feat_admin_op {
    const char               *what;     /* "faq": logs', the audit's key */
    const char               *action;   /* "admin.faq.create" */
    int                       status;   /* a success's: 0 (200) or 201 */
    unsigned                  flags;    /* FEAT_ADMIN_BY_ID, _AUDITS */
    const struct feat_field  *fields;   /* the request's, input's */
    size_t                    in_size;
    /* FEAT_OK, FEAT_ERROR with r->bad_field set, or FEAT_DECLINED once
     * it has answered r (the path's object is not there: 404 before a
     * field's 400); NULL: no fields */
    int                     (*input)(struct feat_req *r,
                                     struct feat_admin_write *w);
    enum feat_error         (*change)(struct feat_req *r, sqlite3 *db,
                                      struct feat_admin_write *w);
    feat_admin_answer_pt      answer;   /* NULL: w->out */
    int                       arg;      /* change's own (an operation) */
};

/* One write's state, which the op's functions fill. */
struct feat_admin_write {
    const struct feat_admin_op  *op;
    void                        *in;       /* input's fields */
    sqlite3_int64                id;       /* the path's, or the new one */
    sqlite3_int64                user_id;  /* the audit record's, 0 none */
    const char                  *bad;      /* a field error's field */
    cJSON                       *out;      /* the answer */
};


/* ---- crypto (fcgi/crypto/crypto.c) --------------------------------------- */

/* Bytes from the CSPRNG; aborts if it fails (there is no safe fallback). */
void feat_random(void *buf, size_t n);
/* n random characters of [0-9A-Za-z] and a NUL into out[n + 1]. */
void feat_random_base62(char *out, size_t n);
/* A uniformly random integer in [0, bound). */
uint32_t feat_random_uniform(uint32_t bound);

void feat_sha256(const void *data, size_t n, unsigned char out[32]);
/* Lower-case hex of SHA-256(s) into out[65]. */
void feat_sha256_hex(const char *s, char out[65]);
/* MD5, for WeChat Pay API v2's MD5 signature only (a protocol's demand,
 * never for anything secret); the hex form is lower-case into out[33]. */
void feat_md5(const void *data, size_t n, unsigned char out[16]);
void feat_md5_hex(const char *s, char out[33]);
void feat_hmac_sha256(const void *key, size_t klen, const void *data,
    size_t n, unsigned char out[32]);
void feat_hmac_sha256_hex(const void *key, size_t klen, const char *s,
    char out[65]);
/* HMAC-SHA1, for providers that sign with it (Alibaba Cloud's RPC API). */
void feat_hmac_sha1(const void *key, size_t klen, const void *data,
    size_t n, unsigned char out[20]);
void feat_hex(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit (either case), or -1 for any other c. */
int feat_unhex(int c);
/* 1 if equal, 0 if not, in time independent of the contents. */
int feat_ct_equal(const void *a, const void *b, size_t n);
int feat_ct_streq(const char *a, const char *b);
/* Overwrites n bytes at p with zeros in a way the compiler keeps (keys,
 * secrets before they go out of scope). */
void feat_cleanse(void *p, size_t n);

/* base64 (std or url alphabet); out gets NUL; answers length or -1. */
long feat_base64_encode(const void *in, size_t n, char *out, size_t outsz,
    int url);
long feat_base64_decode(const char *in, size_t n, unsigned char *out,
    size_t outsz, int url);

/*
 * Password hashing: scrypt through EVP_KDF.  The string stored is
 * "$scrypt$ln=15,r=8,p=3$<salt b64>$<hash b64>".  feat_password_hash
 * answers FEAT_OK; feat_password_verify answers FEAT_OK on a match (and sets
 * *rehash when the stored parameters are below the configured ones),
 * FEAT_DECLINED on a mismatch, FEAT_ERROR on a malformed hash.  Both need
 * a slot under the install's cap on concurrent hashes (scrypt.max_concurrent,
 * at most workers - 1): they wait for one only while a running hash is
 * expected to end within scrypt.wait ms, and answer FEAT_BUSY when none
 * came, having hashed nothing; the caller then refuses with FEAT_E_BUSY
 * and writes nothing.
 */
int feat_password_hash(const char *password, char *out, size_t outsz);
/* 1 when a hash begun now would be refused with FEAT_BUSY, else 0: a hint
 * that lets a login refuse before its reads (the hash still decides). */
int feat_password_busy(void);
int feat_password_verify(const char *password, const char *stored,
    int *rehash);
/*
 * The work of a wrong password without a stored hash (an unknown account,
 * one without a password): a verification at the configured parameters
 * against a hash nothing matches, so an answer's time cannot tell those
 * from a wrong password.  FEAT_DECLINED, or FEAT_BUSY (no slot: nothing
 * hashed, as feat_password_verify), or FEAT_ERROR.
 */
int feat_password_verify_dummy(const char *password);

/*
 * SHA256withRSA signatures (RSASSA-PKCS1-v1_5 over SHA-256, Alipay's
 * "RSA2") with keys in PEM files, read on each call so that a replaced
 * file needs no reload; a key that is not RSA or has fewer than min_bits
 * bits is refused.  feat_rsa_sha256_sign signs data[0..n) with the private
 * key in pem_path (PKCS #8 or traditional PEM): FEAT_OK with *sig (in the
 * arena) and *siglen, or FEAT_ERROR (logged).  feat_rsa_sha256_verify
 * checks sig against the public key in pem_path ("PUBLIC KEY" PEM):
 * FEAT_OK when it is data's signature, FEAT_DECLINED when it is not,
 * FEAT_ERROR (logged) when the key cannot be read or used.
 */
int feat_rsa_sha256_sign(struct feat_arena *a, const char *pem_path,
    int min_bits, const void *data, size_t n, unsigned char **sig,
    size_t *siglen);
int feat_rsa_sha256_verify(const char *pem_path, int min_bits,
    const void *data, size_t n, const unsigned char *sig, size_t siglen);
/* The same with the key given as PEM text of len bytes (a per-app
 * setting) instead of a file. */
int feat_rsa_sha256_sign_pem(struct feat_arena *a, const char *pem,
    size_t len, int min_bits, const void *data, size_t n,
    unsigned char **sig, size_t *siglen);
int feat_rsa_sha256_verify_pem(const char *pem, size_t len, int min_bits,
    const void *data, size_t n, const unsigned char *sig, size_t siglen);

/*
 * ES256 (fcgi/crypto/ecdsa.c): signs data[0..n) with the P-256 private
 * key in the PEM text pem of len bytes (an APNs .p8) into sig, JOSE's
 * r || s: FEAT_OK or FEAT_ERROR (logged).  feat_jwt_es256 makes the JWT
 * {"alg":"ES256","kid":kid} . {"iss":iss,"iat":iat} . signature into
 * *out (in the arena): FEAT_OK or FEAT_ERROR (logged).
 */
int feat_es256_sign(const char *pem, size_t len, const void *data, size_t n,
    unsigned char sig[64]);
int feat_jwt_es256(struct feat_arena *a, const char *pem, size_t len,
    const char *kid, const char *iss, time_t iat, const char **out);

/*
 * Sealed values: AES-256-GCM under a 32-byte key, a random 12-byte nonce
 * per value, aad (may be empty) authenticated with it.  feat_aead_seal
 * writes n + FEAT_AEAD_OVERHEAD bytes to out: nonce, ciphertext, tag; it
 * answers FEAT_OK, or FEAT_ERROR (logged) if OpenSSL fails.
 * feat_aead_open reads those n bytes back into out (n - FEAT_AEAD_OVERHEAD
 * bytes): FEAT_OK; FEAT_DECLINED when in is too short or does not
 * authenticate (another key, another aad, a changed byte), out then wiped;
 * FEAT_ERROR if OpenSSL fails.
 */
#define FEAT_AEAD_KEY       32
#define FEAT_AEAD_NONCE     12
#define FEAT_AEAD_TAG       16
#define FEAT_AEAD_OVERHEAD  (FEAT_AEAD_NONCE + FEAT_AEAD_TAG)
int feat_aead_seal(const unsigned char key[FEAT_AEAD_KEY], const void *aad,
    size_t alen, const void *pt, size_t n, unsigned char *out);
int feat_aead_open(const unsigned char key[FEAT_AEAD_KEY], const void *aad,
    size_t alen, const unsigned char *in, size_t n, unsigned char *out);
/* FEAT_OK when pem (n bytes) holds a PEM key OpenSSL reads: a private key
 * when private, else a public key or a certificate; else FEAT_DECLINED. */
int feat_pem_check(const char *pem, size_t n, int private);


/* ---- rate limits (fcgi/store/rate.c) ------------------------------------- */

/*
 * Counts one event in (bucket, key) of app and answers FEAT_OK if no more
 * than limit events fell in the last window seconds, else FEAT_BUSY (the
 * event is still counted when count is set).  *retry_after, if not NULL,
 * gets the seconds until a slot frees.  Shared by all processes (SQLite).
 */
int feat_rate_hit(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, int *retry_after);
/* Like feat_rate_hit but only looks: counts nothing. */
int feat_rate_check(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, int *retry_after);
/*
 * Reserves one event of (bucket, key) of app atomically: FEAT_OK with *id
 * the event's row when fewer than limit events fell in the last window
 * seconds, FEAT_BUSY (nothing counted, *id 0) when not, FEAT_ERROR
 * (logged).  Racing takes never get more than limit events between them.
 * A window of 0 or less limits nothing and counts nothing (*id 0).
 */
int feat_rate_take(sqlite3 *db, const char *app, const char *bucket,
    const char *key, int limit, int window, sqlite3_int64 *id);
/* Takes back the event id from feat_rate_take (0: nothing).  FEAT_OK or
 * FEAT_ERROR (logged). */
int feat_rate_undo(sqlite3 *db, sqlite3_int64 id);
/* Forgets the events of (bucket, key). */
int feat_rate_clear(sqlite3 *db, const char *app, const char *bucket,
    const char *key);


/* ---- addresses (fcgi/core/addr.c) --------------------------------------- */

/*
 * Whether address a (an IPv4 or IPv6 literal) is in list, CIDR entries
 * ("127.0.0.0/8 ::1, fd00::/8") separated by blanks or commas: 1 or 0, or
 * -1 when an entry is malformed (*bad, if bad is not NULL, points at it).
 * An IPv4-mapped IPv6 address matches as the IPv4 address it maps.
 */
int feat_addr_in_list(const char *list, const char *a, const char **bad);
/* 1 when the n bytes at a are an IPv4 or IPv6 literal, else 0. */
int feat_addr_valid(const char *a, size_t n);


/* ---- configuration (fcgi/core/conf.c) ----------------------------------- */

/*
 * Typed options.  Each option is declared once, in an X-macro list, with
 * its id, key, kind, default and a line of documentation: the runtime's in
 * FEAT_FOR_EACH_CONF below, a module's in its own header (the module hands
 * them to the runtime through struct feat_module's conf, and
 * feat_conf_load learns them from the module list it is given).  The list
 * makes each option an object FEAT_CONF_<ID> that code names it by, so a
 * misspelt option does not compile and no default is repeated where it is
 * read:
 *
 *     #define FEAT_ACCOUNTS_CONF(X)                                      \
 *         X(CODE_TTL, "code.ttl", INT, "300", "code lifetime (s)")       \
 *         ...
 *     FEAT_ACCOUNTS_CONF(FEAT_CONF_DECLARE)             (the header)
 *     FEAT_ACCOUNTS_CONF(FEAT_CONF_DEFINE)              (one .c file)
 *     static const struct feat_conf_option *const  accounts_conf[] = {
 *         FEAT_ACCOUNTS_CONF(FEAT_CONF_ENTRY) NULL      (its module's conf)
 *     };
 *     ttl = feat_conf_int(FEAT_CONF_CODE_TTL);
 *
 * Kinds: STR the text as written, INT a decimal integer, BOOL on/off (also
 * yes/no, true/false, 1/0), SIZE bytes with an optional k/m/g suffix, PATH
 * a file name taken relative to the config file's directory ("stderr",
 * "off", "" and, for listen, host:port are kept as written).
 */
enum feat_conf_kind {
    FEAT_CONF_T_STR = 's',
    FEAT_CONF_T_INT = 'i',
    FEAT_CONF_T_BOOL = 'b',
    FEAT_CONF_T_SIZE = 'z',
    FEAT_CONF_T_PATH = 'p'
};

/* The live value of an option: the runtime's, read through the accessors. */
struct feat_conf_value {
    char                    *str;   /* malloc'd; NULL: the default holds */
    long long                num;   /* INT, BOOL and SIZE */
    struct feat_conf_value  *next;  /* the slots holding a value */
};

struct feat_conf_option {
    const char              *key;      /* as written in the file */
    enum feat_conf_kind      kind;
    const char              *def;      /* the default, as it would be written */
    const char              *doc;      /* one line, for featcgi -C */
    struct feat_conf_value  *value;
};

/* An option as an object of one element, so that its name is a pointer. */
#define FEAT_CONF_DECLARE(id, key, kind, def, doc)                            \
    extern const struct feat_conf_option  FEAT_CONF_##id[1];
#define FEAT_CONF_DEFINE(id, key, kind, def, doc)                             \
    static struct feat_conf_value  feat_conf_value_##id;                      \
    const struct feat_conf_option  FEAT_CONF_##id[1] = {                      \
        { key, FEAT_CONF_T_##kind, def, doc, &feat_conf_value_##id }          \
    };
#define FEAT_CONF_ENTRY(id, key, kind, def, doc)  FEAT_CONF_##id,

/* The runtime's options; the modules' own are in their headers. */
#define FEAT_FOR_EACH_CONF(X)                                                 \
    X(ACCESS_LOG, "access_log", PATH, "off", "access log path, or off")       \
    X(APP_HEADER, "app_header", BOOL, "off",                                  \
      "X-App-Id picks the app when no FEAT_APP_ID is set")                    \
    X(AUDIT_RETENTION_DAYS, "audit.retention_days", INT, "180",              \
      "days the audit log keeps an event (0: for ever)")                      \
    X(BACKUP_DIR, "backup.dir", PATH, "",                                     \
      "directory of the jobs process's scheduled backups (empty: none)")      \
    X(BACKUP_INTERVAL, "backup.interval", INT, "86400",                       \
      "seconds between scheduled backups (1..2678400)")                      \
    X(BACKUP_KEEP, "backup.keep", INT, "7",                                   \
      "scheduled backups kept in backup.dir, the newest (at least 1)")        \
    X(BUSY_TIMEOUT, "busy_timeout", INT, "5000",                              \
      "SQLite busy timeout (ms)")                                             \
    X(DATABASE, "database", PATH, "featcgi.db", "SQLite database file")       \
    X(DIALECTS, "dialects", STR, "v2 v1 feat admin",                          \
      "dialects served (v2 v1 feat admin)")                                   \
    X(ERROR_LOG, "error_log", PATH, "stderr", "error log path, or stderr")    \
    X(FILE_GROUP, "file_group", STR, "",                                      \
      "group that may read the database and its -wal, -shm (0640)")          \
    X(IMAGE_MAX_PIXELS, "image.max_pixels", INT, "40000000",                  \
      "largest image accepted, width times height (from its header)")         \
    X(IMAGE_MAX_SIDE, "image.max_side", INT, "10000",                         \
      "largest width or height of an image accepted")                         \
    X(JOBS_INTERVAL, "jobs.interval", INT, "30",                              \
      "seconds between the jobs process sweeps")                              \
    X(HASH_LISTEN, "hash_listen", PATH, "",                                   \
      "socket of the password-hashing pool (empty: no such pool)")            \
    X(HASH_WORKERS, "hash_workers", INT, "2",                                 \
      "workers of the password-hashing pool")                                 \
    X(LISTEN, "listen", PATH, "featcgi.sock",                                 \
      "unix socket path, or host:port")                                       \
    X(LISTEN_GROUP, "listen_group", STR, "",                                  \
      "group of the unix socket (default: the master's)")                     \
    X(LISTEN_MODE, "listen_mode", STR, "0660", "unix socket mode (octal)")    \
    X(LOCALE, "locale", STR, "zh", "message language: zh or en")              \
    X(LOG_LEVEL, "log_level", STR, "info",                                    \
      "lowest level logged (syslog name)")                                    \
    X(MAX_BODY, "max_body", SIZE, "1m", "body limit of ordinary requests")    \
    X(MAX_UPLOAD, "max_upload", SIZE, "10m", "body limit of uploads")         \
    X(MEDIA_DIR, "media_dir", PATH, "media", "directory of uploaded files")   \
    X(MEDIA_GROUP, "media_group", STR, "",                                    \
      "group that may read media_dir, nginx's (0750, uploads 0640)")          \
    X(MEDIA_URL, "media_url", STR, "/media/",                                 \
      "public URL prefix of media_dir")                                       \
    X(PID_FILE, "pid_file", PATH, "", "file the master writes its pid to")    \
    X(PUSH_CONCURRENCY, "push.concurrency", INT, "16",                        \
      "push deliveries in flight at once per provider host")                  \
    X(PUSH_LOG_PATH, "push.log_path", PATH, "",                               \
      "deliver pushes into this file, not to the providers (development)")    \
    X(PUSH_MAX_ATTEMPTS, "push.max_attempts", INT, "8",                       \
      "attempts of one push delivery (default of the app setting)")           \
    X(PUSH_RETRY_BASE, "push.retry_base", INT, "1000",                        \
      "ms before the first retry of a delivery; doubles each time")           \
    X(PUSH_TTL, "push.ttl", INT, "86400",                                     \
      "seconds a push delivery is tried (default of the app setting)")        \
    X(PUBLIC_URL, "public_url", STR, "",                                      \
      "scheme://host of absolute URLs in answers (default: from Host)")       \
    X(SCRYPT_LN, "scrypt.ln", INT, "15", "scrypt cost: log2 N")               \
    X(SCRYPT_MAX_CONCURRENT, "scrypt.max_concurrent", INT, "2",               \
      "password hashes running at once, per install")                         \
    X(SCRYPT_NICE, "scrypt.nice", INT, "10",                                  \
      "nice value (0..19) of the thread that computes a password hash")       \
    X(SCRYPT_P, "scrypt.p", INT, "3", "scrypt parallelism p")                 \
    X(SCRYPT_R, "scrypt.r", INT, "8", "scrypt block size r")                  \
    X(SCRYPT_WAIT, "scrypt.wait", INT, "10",                                  \
      "ms a password hash may wait for a slot before it is refused")          \
    X(SECRET, "secret", STR, "",                                              \
      "install secret, at least 32 characters (required)")                    \
    X(SERVER_NAMES, "server_names", STR, "",                                  \
      "host names absolute URLs may take from Host when public_url is empty") \
    X(SYNCHRONOUS, "synchronous", STR, "normal",                              \
      "SQLite synchronous: normal or full")                                   \
    X(TESTING, "testing", BOOL, "off",                                        \
      "test mode: honours FEAT_CLOCK_SHIFT (never in production)")            \
    X(TIMEZONE, "timezone", STR, "Asia/Shanghai",                             \
      "time zone of rendered times")                                          \
    X(TRUSTED_PROXIES, "trusted_proxies", STR, "",                            \
      "proxies (CIDR list) whose X-Forwarded-For or X-Real-IP names the "     \
      "client")                                                               \
    X(WORKER_CONNECTIONS, "worker_connections", INT, "256",                  \
      "FastCGI connections a worker holds open at once (nginx keeps them)") \
    X(WORKERS, "workers", INT, "2", "worker processes")

FEAT_FOR_EACH_CONF(FEAT_CONF_DECLARE)

/*
 * The value of an option: the one loaded (or set), else its default.  Each
 * reads one kind (a read of another kind is a bug, logged at LOG_ALERT):
 * feat_conf_str a STR, feat_conf_path a PATH (resolved), feat_conf_int an
 * INT, feat_conf_bool a BOOL (1 or 0), feat_conf_size a SIZE in bytes.
 * Strings are never NULL ("" when empty) and stay valid until the next
 * load, set or feat_conf_free.
 */
const char *feat_conf_str(const struct feat_conf_option *o);
const char *feat_conf_path(const struct feat_conf_option *o);
long long feat_conf_int(const struct feat_conf_option *o);
int feat_conf_bool(const struct feat_conf_option *o);
long long feat_conf_size(const struct feat_conf_option *o);


/* ---- time (fcgi/core/time.c) --------------------------------------------- */

/* Seconds since the epoch (a test clock can shift it: FEAT_CLOCK_SHIFT). */
time_t feat_now(void);
/* "YYYY-MM-DD HH:MM:SS" in the configured time zone. */
const char *feat_time_v2(struct feat_arena *a, time_t t);
/* "YYYY-MM-DDTHH:MM:SS.uuuuuu" local time (v1). */
const char *feat_time_v1(struct feat_arena *a, time_t t);
/* "YYYY-MM-DDTHH:MM:SS+08:00" (feat). */
const char *feat_time_iso(struct feat_arena *a, time_t t);
/* The time form of r's dialect (fcgi/protocol/dialect.c). */
const char *feat_time(struct feat_req *r, time_t t);
/* Parses "YYYY-MM-DD" as a real calendar date: FEAT_OK or FEAT_ERROR. */
int feat_parse_date(const char *s);


/* ---- outside services (fcgi/client/http.c) ------------------------------- */

/* (struct feat_http_req and struct feat_http_resp are above, with the
 * push queue that uses them) */

/*
 * One HTTP exchange through the process's libcurl handle (created after
 * fork, reused).  headers is a NULL-terminated list of "Name: value" or
 * NULL; body NULL means GET.  The answer is capped at max bytes.  Answers
 * FEAT_OK when an HTTP answer arrived (any status), FEAT_ERROR on a
 * transport failure or timeout (logged at LOG_WARNING).
 */
int feat_http_request(struct feat_arena *a, const char *method,
    const char *url, const char *const *headers, const char *body,
    size_t len, long timeout_ms, size_t max, struct feat_http_resp *resp);

/*
 * Sends one mail through the same handle to url (smtp:// or smtps://):
 * from and rcpt are bare envelope addresses, msg the whole RFC 5322
 * message with CRLF line ends.  With a username (NULL or "" for none) the
 * connection must be TLS (smtps:// or STARTTLS).  Answers FEAT_OK when the
 * server took the message, FEAT_ERROR otherwise (logged at LOG_WARNING).
 */
int feat_http_mail(const char *url, const char *username,
    const char *password, const char *from, const char *rcpt,
    const char *msg, size_t len, long timeout_ms);


/* ---- jwt, multipart, images (crypto/, protocol/, media/) ------------------- */

#define FEAT_JWT_MAX  4096       /* longest token verified, in bytes */

/*
 * HS256 JWTs.  feat_jwt_sign serializes payload (not consumed) under the
 * header {"alg":"HS256","typ":"JWT"}; *out is a NUL-terminated arena string.
 * FEAT_OK, or FEAT_ERROR if the token would exceed FEAT_JWT_MAX.
 * feat_jwt_verify answers FEAT_OK with *payload (a JSON object owned by the
 * arena) only for a well-formed token whose alg is exactly "HS256" and whose
 * signature matches; FEAT_ERROR otherwise.  Expiry is the caller's.
 */
int feat_jwt_sign(struct feat_arena *a, const void *key, size_t klen,
    cJSON *payload, const char **out);
int feat_jwt_verify(struct feat_arena *a, const void *key, size_t klen,
    const char *token, cJSON **payload);
/* An app's v1 JWT key: HMAC-SHA256(config secret, "jwt:" app_id). */
void feat_jwt_app_key(const char *app_id, unsigned char key[32]);

/* Limits of feat_multipart_parse; a 0 field takes the default. */
struct feat_multipart_limits {
    size_t  max_parts;     /* default 32 */
    size_t  max_header;    /* header bytes of one part, default 4096 */
    size_t  max_part;      /* content bytes of one part, default no limit */
    size_t  max_total;     /* whole body, default no limit */
};

struct feat_part {
    const char  *name;          /* form field name (arena) */
    const char  *filename;      /* NULL if none; bytes as sent, no NUL */
    const char  *content_type;  /* "text/plain" when not given */
    const char  *data;          /* points into the body, not copied */
    size_t       len;
};

/*
 * Splits a multipart/form-data body (RFC 7578) held in memory.  lim may be
 * NULL for the defaults.  FEAT_OK with *parts (an arena array) and *nparts;
 * FEAT_ERROR with *reason (static text) on a malformed body or a limit.
 */
int feat_multipart_parse(struct feat_arena *a, const char *content_type,
    const char *body, size_t len, const struct feat_multipart_limits *lim,
    struct feat_part **parts, size_t *nparts, const char **reason);
/* Parses r's body with the max_upload limits: FEAT_OK; FEAT_DECLINED when
 * the body is not multipart/form-data; FEAT_ERROR with *reason. */
int feat_req_multipart(struct feat_req *r, struct feat_part **parts,
    size_t *n, const char **reason);
/* The first part named name, or NULL. */
const struct feat_part *feat_part_find(const struct feat_part *parts,
    size_t n, const char *name);

#define FEAT_IMAGE_PNG   1
#define FEAT_IMAGE_JPEG  2
#define FEAT_IMAGE_GIF   3

struct feat_image_info {
    int          type;           /* FEAT_IMAGE_* */
    const char  *content_type;   /* "image/png"..., static */
    const char  *ext;            /* "png", "jpg", "gif", static */
    unsigned     width;
    unsigned     height;
};

/*
 * Recognizes a PNG, JPEG or GIF by its bytes alone and walks its structure:
 * FEAT_OK with *info; FEAT_DECLINED for anything else, a truncated or
 * corrupt file, or a side of 0; FEAT_ERROR for an image whose header (any
 * GIF frame's too) claims more than config image.max_side on a side or
 * image.max_pixels in all, judged before anything else of it is read.
 */
int feat_image_inspect(const unsigned char *p, size_t n,
    struct feat_image_info *info);
/*
 * A copy (in the arena) without metadata, made in one pass over the
 * structure feat_image_inspect proved: JPEG keeps of its APPn segments
 * only APP0 JFIF, APP2 ICC_PROFILE and APP14 Adobe, and loses COM; PNG
 * keeps the critical chunks and of the ancillary ones only tRNS, gAMA,
 * cHRM, sRGB, iCCP and pHYs; GIF loses comment extensions and application
 * extensions but the NETSCAPE2.0 loop block; bytes after IEND, EOI or the
 * GIF trailer are dropped.  Everything kept is byte for byte the same.
 * FEAT_OK; otherwise what feat_image_inspect answers (FEAT_DECLINED,
 * FEAT_ERROR).
 */
int feat_image_strip(struct feat_arena *a, const unsigned char *p, size_t n,
    unsigned char **out, size_t *outn);
/*
 * Writes p under config media_dir as "<2 chars>/<32 base62>.<ext>" (temp
 * file, fsync, rename; mode 0600 in 0700 directories, or 0640 and 0750
 * with config media_group).  FEAT_OK with *relpath (arena) to append
 * to media_url; FEAT_ERROR (logged) on a file system failure.
 */
int feat_image_store(struct feat_arena *a, const unsigned char *p, size_t n,
    const struct feat_image_info *info, const char **relpath);
/* Removes a stored file: FEAT_OK, FEAT_DECLINED if it was not there,
 * FEAT_ERROR for a refused path (logged) or a failed unlink. */
int feat_image_remove(const char *relpath);


/* ---- log (fcgi/core/log.c) ----------------------------------------------- */

/* Logs at a syslog level; err is an errno or 0.  LOG_ALERT means a bug. */
void feat_log(int level, int err, const char *fmt, ...) FEAT_PRINTF(3, 4);

#endif /* FEAT_H */
