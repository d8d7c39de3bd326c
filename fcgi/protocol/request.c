/*
 * request.c: reading a request from its FastCGI params and body.
 *
 * feat_req_init() takes what nginx sends (method, the decoded and
 * normalized $document_uri, the raw query string, content type, client
 * address (behind trusted_proxies, from their headers: origin.c), request
 * id); feat_req_read_body() reads CONTENT_LENGTH bytes into the arena
 * under a limit, draining a body that is too large so the connection
 * stays in step; feat_req_parse() splits the query string and parses the
 * body by its content type (JSON, urlencoded).  Also here: the urlencoded
 * parser and decoder, header, argument and path parameter lookups.  The
 * params are indexed once per request (feat_req_cgi()).
 * Pointers taken from the params live until FCGX_Finish_r(), which comes
 * after the reply and the access log.
 */

#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <fcgiapp.h>

#include "runtime.h"

#define FEAT_MAX_PAIRS       256         /* per urlencoded string */
#define FEAT_JSON_DEPTH      64
#define FEAT_DRAIN_MAX       (64 * 1024 * 1024)
#define FEAT_READ_CHUNK      (64 * 1024)
#define FEAT_HEADER_NAME_MAX 64


/*
 * The params feat_req_cgi() answers, in enum feat_cgi's order.  libfcgi's
 * FCGX_GetParam() scans every param with strncmp() at each lookup (some
 * ten lookups a request, ~5,000 instructions); one pass over envp instead
 * keeps these and the HTTP_* headers apart.
 */
static const struct {
    const char  *name;
    size_t       len;
} feat_cgi_names[FEAT_CGI_N] = {
#define FEAT_CGI_NAME(s)  { s, sizeof(s) - 1 }
    FEAT_CGI_NAME("REQUEST_METHOD"),
    FEAT_CGI_NAME("DOCUMENT_URI"),
    FEAT_CGI_NAME("REQUEST_URI"),
    FEAT_CGI_NAME("QUERY_STRING"),
    FEAT_CGI_NAME("CONTENT_TYPE"),
    FEAT_CGI_NAME("CONTENT_LENGTH"),
    FEAT_CGI_NAME("REMOTE_ADDR"),
    FEAT_CGI_NAME("FEAT_REQUEST_ID"),
    FEAT_CGI_NAME("FEAT_APP_ID"),
    FEAT_CGI_NAME("HTTPS"),
#undef FEAT_CGI_NAME
};


/* Fills r->cgi and r->http from r->envp; the first of a repeated name
 * wins, as with FCGX_GetParam(). */
static void
feat_req_index(struct feat_req *r)
{
    char        **p;
    const char   *s, *name;
    size_t        n, len;
    int           k;

    r->indexed = 1;

    if (r->envp == NULL) {
        return;
    }

    for (n = 0, p = r->envp; *p != NULL; p++) {
        n++;
    }

    r->http = feat_arena_alloc(r->arena, (n + 1) * sizeof(char *));

    for (p = r->envp; *p != NULL; p++) {
        s = *p;

        if (s[0] == 'H' && strncmp(s, "HTTP_", 5) == 0) {
            r->http[r->nhttp++] = *p;
            continue;
        }

        /* two bytes first: most params are none of ours */
        for (k = 0; k < FEAT_CGI_N; k++) {
            name = feat_cgi_names[k].name;
            len = feat_cgi_names[k].len;

            if (name[0] == s[0] && name[1] == s[1]
                && strncmp(name, s, len) == 0 && s[len] == '=')
            {
                if (r->cgi[k] == NULL) {
                    r->cgi[k] = s + len + 1;
                }
                break;
            }
        }
    }

    r->http[r->nhttp] = NULL;
}


const char *
feat_req_cgi(struct feat_req *r, enum feat_cgi k)
{
    if (!r->indexed) {
        feat_req_index(r);   /* a request a unit test built by hand */
    }

    return r->cgi[k];
}


/* The value of the HTTP_* param var (len bytes), or NULL. */
static const char *
feat_req_http(struct feat_req *r, const char *var, size_t len)
{
    int  i;

    if (!r->indexed) {
        feat_req_index(r);
    }

    for (i = 0; i < r->nhttp; i++) {
        if (r->http[i][5] == var[5] && strncmp(r->http[i], var, len) == 0
            && r->http[i][len] == '=')
        {
            return r->http[i] + len + 1;
        }
    }

    return NULL;
}


/* Decodes %XX in place (plus too when plus is set); the new length. */
static size_t
feat_decode(char *s, size_t n, int plus)
{
    size_t  i, j;
    int     hi, lo;

    for (i = 0, j = 0; i < n; i++, j++) {
        if (s[i] == '%' && i + 2 < n) {
            hi = feat_unhex((unsigned char) s[i + 1]);
            lo = feat_unhex((unsigned char) s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                s[j] = (char) (hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        s[j] = (plus && s[i] == '+') ? ' ' : s[i];
    }

    return j;
}


size_t
feat_url_decode(char *s, size_t n)
{
    return feat_decode(s, n, 1);
}


int
feat_parse_urlencoded(struct feat_arena *a, const char *s, size_t n,
    struct feat_kv **out, size_t *count)
{
    struct feat_kv  *kv;
    char            *copy, *p, *end, *amp, *eq;
    size_t           npairs, i, len;

    *out = NULL;
    *count = 0;

    if (s == NULL || n == 0) {
        return FEAT_OK;
    }

    /* count first: one allocation of the right size, and the cap */
    npairs = 1;
    for (i = 0; i < n; i++) {
        if (s[i] == '&' && ++npairs > FEAT_MAX_PAIRS + 1) {
            break;
        }
    }

    copy = feat_arena_strndup(a, s, n);
    kv = feat_arena_alloc(a, npairs * sizeof(struct feat_kv));
    end = copy + n;
    i = 0;

    for (p = copy; p < end; p = amp + 1) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }
        *amp = '\0';

        len = (size_t) (amp - p);
        if (len == 0) {
            continue;  /* "a=1&&b=2" */
        }

        if (i == FEAT_MAX_PAIRS) {
            return FEAT_ERROR;
        }

        eq = memchr(p, '=', len);
        if (eq == NULL) {
            kv[i].name = p;
            p[feat_url_decode(p, len)] = '\0';
            kv[i].value = amp;  /* the "" at the cut */
            kv[i].len = 0;
        } else {
            *eq = '\0';
            p[feat_url_decode(p, (size_t) (eq - p))] = '\0';
            kv[i].name = p;
            kv[i].len = feat_url_decode(eq + 1, (size_t) (amp - eq - 1));
            eq[1 + kv[i].len] = '\0';
            kv[i].value = eq + 1;
        }

        i++;
    }

    *out = kv;
    *count = i;

    return FEAT_OK;
}


static int
feat_is_hex(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (feat_unhex((unsigned char) s[i]) < 0) {
            return 0;
        }
    }

    return 1;
}


void
feat_req_init(struct feat_req *r, struct feat_arena *a, void *fcgi,
    char **envp)
{
    static const char   hex[] = "0123456789abcdef";
    const char         *s, *q;
    char               *path;
    unsigned char       rnd[16];
    size_t              n, i;

    memset(r, 0, sizeof(struct feat_req));
    r->arena = a;
    r->fcgi = fcgi;
    r->envp = envp;
    feat_req_index(r);

    clock_gettime(CLOCK_MONOTONIC, &r->start);

    s = feat_req_cgi(r, FEAT_CGI_REQUEST_METHOD);
    r->method_name = (s != NULL) ? s : "";
    r->method = feat_method_parse(r->method_name);

    /* nginx's $document_uri is decoded and normalized ("..", "//") */
    s = feat_req_cgi(r, FEAT_CGI_DOCUMENT_URI);
    if (s != NULL && s[0] != '\0') {
        r->path = s;
    } else {
        s = feat_req_cgi(r, FEAT_CGI_REQUEST_URI);
        if (s == NULL || s[0] == '\0') {
            s = "/";
        }
        q = strchr(s, '?');
        n = (q == NULL) ? strlen(s) : (size_t) (q - s);
        path = feat_arena_strndup(a, s, n);
        /* a path is not a form: '+' stays; a %00 ends it */
        path[feat_decode(path, n, 0)] = '\0';
        r->path = path;
    }

    s = feat_req_cgi(r, FEAT_CGI_QUERY_STRING);
    r->query = (s != NULL) ? s : "";

    r->content_type = feat_req_cgi(r, FEAT_CGI_CONTENT_TYPE);

    s = feat_req_cgi(r, FEAT_CGI_REMOTE_ADDR);
    r->remote_addr = feat_req_client(r, (s != NULL) ? s : "");
    /* the audit log's events of this request come from there */
    feat_audit_origin(r->remote_addr, "user");

    /*
     * nginx's $request_id (32 hex digits) whole, so that one id names the
     * request in nginx's access log, ours and X-Request-Id; 16 to 32 hex
     * digits are taken as given, anything else is replaced by our own.
     */
    s = feat_req_cgi(r, FEAT_CGI_REQUEST_ID);
    n = (s != NULL) ? strlen(s) : 0;
    if (n >= 16 && n < sizeof(r->request_id) && feat_is_hex(s, n)) {
        for (i = 0; i < n; i++) {
            r->request_id[i] = (char) tolower((unsigned char) s[i]);
        }
        r->request_id[n] = '\0';

    } else {
        feat_random(rnd, sizeof(rnd));
        for (i = 0; i < sizeof(rnd); i++) {
            r->request_id[2 * i] = hex[rnd[i] >> 4];
            r->request_id[2 * i + 1] = hex[rnd[i] & 0xf];
        }
        r->request_id[2 * sizeof(rnd)] = '\0';
    }

    feat_log_set_request(r->request_id);
}


int
feat_req_read_body(struct feat_req *r, size_t limit)
{
    FCGX_Stream         *in;
    const char          *s;
    char                 sink[8192];
    unsigned long long   len;
    size_t               got, left, drained;
    int                  n, want;

    s = feat_req_cgi(r, FEAT_CGI_CONTENT_LENGTH);

    if (r->fcgi == NULL) {
        /* unit tests put the body in place themselves */
        if (r->body == NULL) {
            r->body = feat_arena_strdup(r->arena, "");
            r->body_len = 0;
        }
        return FEAT_OK;
    }

    len = 0;
    if (s != NULL && s[0] != '\0') {
        if (strlen(s) > 18 || strspn(s, "0123456789") != strlen(s)) {
            feat_log(LOG_INFO, 0, "bad CONTENT_LENGTH \"%.32s\"", s);
            return FEAT_ERROR;
        }
        len = strtoull(s, NULL, 10);
    }

    in = ((FCGX_Request *) r->fcgi)->in;

    if (len > limit) {
        /* drain what is bounded, so the FastCGI stream stays in step */
        drained = 0;
        while (drained < len && drained < FEAT_DRAIN_MAX) {
            n = FCGX_GetStr(sink, sizeof(sink), in);
            if (n <= 0) {
                break;
            }
            drained += (size_t) n;
        }
        r->body = feat_arena_strdup(r->arena, "");
        r->body_len = 0;
        return FEAT_DECLINED;
    }

    r->body = feat_arena_alloc(r->arena, (size_t) len + 1);
    got = 0;

    while (got < len) {
        left = (size_t) len - got;
        want = (left > FEAT_READ_CHUNK) ? FEAT_READ_CHUNK : (int) left;
        n = FCGX_GetStr(r->body + got, want, in);
        if (n <= 0) {
            break;
        }
        got += (size_t) n;
    }

    r->body[got] = '\0';
    r->body_len = got;

    if (got < len) {
        feat_log(LOG_INFO, 0, "short body: %zu of %llu bytes", got, len);
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The media type of a Content-Type, without parameters, compared without
 * case: 1 when it is the type, or for "json" also any "+json" suffix type.
 */
static int
feat_content_is(const char *ct, const char *type)
{
    size_t  len, tlen;

    if (ct == NULL) {
        return 0;
    }

    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }

    len = strcspn(ct, ";");
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t')) {
        len--;
    }

    tlen = strlen(type);
    if (len == tlen && strncasecmp(ct, type, len) == 0) {
        return 1;
    }

    if (strcmp(type, "application/json") == 0 && len > 5
        && strncasecmp(ct + len - 5, "+json", 5) == 0
        && memchr(ct, '/', len) != NULL)
    {
        return 1;
    }

    return 0;
}


/* Nesting depth of a JSON text, strings skipped: cJSON's own limit (1000)
 * is too deep for a request body. */
static int
feat_json_too_deep(const char *s, size_t n)
{
    size_t  i;
    int     depth, in_string;

    depth = 0;
    in_string = 0;

    for (i = 0; i < n; i++) {
        if (in_string) {
            if (s[i] == '\\') {
                i++;
            } else if (s[i] == '"') {
                in_string = 0;
            }
        } else if (s[i] == '"') {
            in_string = 1;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++depth > FEAT_JSON_DEPTH) {
                return 1;
            }
        } else if (s[i] == '}' || s[i] == ']') {
            depth--;
        }
    }

    return 0;
}


int
feat_json_has_nul(const char *s, size_t n)
{
    size_t  i;
    int     in_string;

    in_string = 0;

    for (i = 0; i < n; i++) {
        if (!in_string) {
            in_string = (s[i] == '"');

        } else if (s[i] == '"') {
            in_string = 0;

        } else if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == 'u' && i + 5 < n && memcmp(&s[i + 2], "0000", 4)
                == 0)
            {
                return 1;
            }
            i++;  /* the escaped character: "\\u0000" is no NUL */
        }
    }

    return 0;
}


/*
 * 1 if name is a credential's: a password, a code, a token or a secret of
 * any spelling a client might use.  Matched without case: a proxy logs
 * "Password=" as readily as "password=".
 */
#define FEAT_NAME(s)  { s, sizeof(s) - 1 }

static int
feat_secret_name(const char *name)
{
    static const struct {
        const char  *s;
        size_t       n;
    }  exact[] = {
        FEAT_NAME("code"), FEAT_NAME("vcode"), FEAT_NAME("verify_code"),
        FEAT_NAME("sms_code"), FEAT_NAME("auth_code"), FEAT_NAME("captcha"),
        FEAT_NAME("pin"), FEAT_NAME("token"), FEAT_NAME("access_token"),
        FEAT_NAME("refresh_token"), FEAT_NAME("permit_token"),
        FEAT_NAME("id_token"), FEAT_NAME("auth_token"),
        FEAT_NAME("session_token"), FEAT_NAME("jwt")
    };
    size_t       i, n;
    const char  *p;

    /*
     * Every query argument of every v2 and feat request comes here (a
     * page's page_no and page_size): the lengths and first letters sort
     * out the names that cannot match before a comparison is made.
     */
    n = strlen(name);
    for (i = 0; i < FEAT_NELEMS(exact); i++) {
        if (exact[i].n == n && strcasecmp(name, exact[i].s) == 0) {
            return 1;
        }
    }

    /* not any "_token": an APNs device_token names a device, and feat's
     * DELETE apns-device-token/ takes it in the query */
    for (p = name; *p != '\0'; p++) {
        switch (*p | 0x20) {         /* 'P' and 'p', 'S' and 's' */
        case 'p':
            if (strncasecmp(p, "password", 8) == 0
                || strncasecmp(p, "passwd", 6) == 0)
            {
                return 1;
            }
            break;
        case 's':
            if (strncasecmp(p, "secret", 6) == 0) {
                return 1;
            }
            break;
        }
    }

    return 0;
}

#undef FEAT_NAME


/*
 * v2 and feat take credentials only in the body or in Authorization: in a
 * URL they reach proxies' logs, nginx's error log and browser histories.
 * A query string naming one is refused whatever its value, before any
 * handler runs.  v1 keeps the query strings its seed defines (get_token
 * and its kin); OAuth2 refuses any query string itself.
 */
static int
feat_req_query_secrets(struct feat_req *r)
{
    size_t  i;

    if (r->route == NULL || !(r->route->dialect & (FEAT_V2 | FEAT_FEAT))) {
        return FEAT_OK;
    }

    for (i = 0; i < r->nargs; i++) {
        if (feat_secret_name(r->args[i].name)) {
            r->bad_field = feat_arena_strdup(r->arena, r->args[i].name);
            r->bad_reason = "must be sent in the body, never in the URL";
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


int
feat_req_parse(struct feat_req *r)
{
    int  rc;

    if (feat_parse_urlencoded(r->arena, r->query, strlen(r->query), &r->args,
                              &r->nargs)
        != FEAT_OK)
    {
        r->bad_field = "query";
        r->bad_reason = "too many arguments";
        return FEAT_ERROR;
    }

    if (feat_req_query_secrets(r) != FEAT_OK) {
        return FEAT_ERROR;
    }

    /* a raw-body route calls feat_req_body itself, to answer its way */
    if (r->route != NULL && (r->route->flags & FEAT_RAW_BODY)) {
        return FEAT_OK;
    }

    rc = feat_req_body(r);

    /* multipart and the like: the upload handler reads the body itself */
    if (rc == FEAT_DECLINED && r->route != NULL
        && (r->route->flags & FEAT_UPLOAD))
    {
        return FEAT_OK;
    }

    return rc;
}


int
feat_req_body(struct feat_req *r)
{
    const char  *end;
    cJSON       *json;

    if (r->body == NULL || r->body_len == 0) {
        return FEAT_OK;
    }

    if (feat_content_is(r->content_type, "application/json")) {
        end = NULL;
        json = NULL;

        /* JSON text holds no raw NUL, and cJSON would take one for a
         * blank or an end */
        if (memchr(r->body, '\0', r->body_len) == NULL
            && !feat_json_too_deep(r->body, r->body_len))
        {
            json = cJSON_ParseWithLengthOpts(r->body, r->body_len + 1, &end,
                                             1);
        }

        /* cJSON stopped short of the body: refuse what it left */
        if (json != NULL && end != r->body + r->body_len) {
            cJSON_Delete(json);
            json = NULL;
        }

        if (json == NULL) {
            r->bad_field = "body";
            r->bad_reason = "malformed JSON";
            return FEAT_ERROR;
        }

        /* cJSON ends a string at \u0000: "x\u0000y" would be read as "x" */
        if (feat_json_has_nul(r->body, r->body_len)) {
            cJSON_Delete(json);
            r->bad_field = "body";
            r->bad_reason = "must not contain \\u0000";
            return FEAT_ERROR;
        }

        r->json = feat_arena_json(r->arena, json);

        /* Bodies are objects, or for a list (message/count) an array; a
         * bare number, string, boolean or null is nothing a route reads,
         * and must not pass for an empty body. */
        if (!cJSON_IsObject(json) && !cJSON_IsArray(json)) {
            r->bad_field = "body";
            r->bad_reason = "must be a JSON object";
            return FEAT_ERROR;
        }

        return FEAT_OK;
    }

    if (feat_content_is(r->content_type,
                        "application/x-www-form-urlencoded"))
    {
        if (feat_parse_urlencoded(r->arena, r->body, r->body_len, &r->form,
                                  &r->nform)
            != FEAT_OK)
        {
            r->bad_field = "body";
            r->bad_reason = "too many fields";
            return FEAT_ERROR;
        }

        return FEAT_OK;
    }

    /*
     * A body of any other type (or of none) would be read as no fields at
     * all, and a PUT would answer success having changed nothing.
     */
    return FEAT_DECLINED;
}


const char *
feat_req_header(struct feat_req *r, const char *name)
{
    char    var[5 + FEAT_HEADER_NAME_MAX + 1];
    size_t  len, i;

    len = strlen(name);
    if (len == 0 || len > FEAT_HEADER_NAME_MAX) {
        return NULL;
    }

    /* CGI names these two without the HTTP_ prefix */
    if (strcasecmp(name, "Content-Type") == 0) {
        return feat_req_cgi(r, FEAT_CGI_CONTENT_TYPE);
    }
    if (strcasecmp(name, "Content-Length") == 0) {
        return feat_req_cgi(r, FEAT_CGI_CONTENT_LENGTH);
    }

    memcpy(var, "HTTP_", 5);
    for (i = 0; i < len; i++) {
        var[5 + i] = (name[i] == '-') ? '_'
                                      : (char) toupper((unsigned char) name[i]);
    }
    var[5 + len] = '\0';

    return feat_req_http(r, var, 5 + len);
}


const char *
feat_req_param(struct feat_req *r, const char *name)
{
    int  i;

    for (i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].name, name) == 0) {
            return r->params[i].value;
        }
    }

    return NULL;
}


int
feat_req_param_id(struct feat_req *r, const char *name, sqlite3_int64 *id)
{
    const char     *s;
    size_t          len, i;
    sqlite3_int64   n;

    s = feat_req_param(r, name);
    if (s == NULL) {
        return FEAT_DECLINED;
    }

    /* 1 .. 2^53 (what a JSON client can hold), digits only, no 0 lead */
    len = strlen(s);
    if (len == 0 || len > 16 || s[0] == '0') {
        return FEAT_DECLINED;
    }

    n = 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return FEAT_DECLINED;
        }
        n = n * 10 + (s[i] - '0');
    }

    if (n > (sqlite3_int64) 1 << 53) {
        return FEAT_DECLINED;
    }

    *id = n;
    return FEAT_OK;
}


const char *
feat_req_arg(struct feat_req *r, const char *name)
{
    size_t  i;

    for (i = 0; i < r->nargs; i++) {
        if (strcmp(r->args[i].name, name) == 0) {
            return r->args[i].value;
        }
    }

    return NULL;
}
