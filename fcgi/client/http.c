/*
 * http.c: the client for outside services (SMS gateways, AMap, Alipay,
 * mail servers, push providers), over libcurl.
 *
 * Each process owns one easy handle, made the first time it is needed and
 * reused afterwards so that connections and TLS sessions to a gateway stay
 * warm.  A handle is never carried across fork(): the pid that made it is
 * remembered, and a child that finds its parent's handle makes its own.
 * Every exchange is bounded: connect and total timeouts, a cap on the size
 * of the answer, no redirects, and only the protocols the call is meant to
 * speak (http and https for feat_http_request, smtp and smtps for
 * feat_http_mail), so a URL from the config cannot be turned into a file://
 * or gopher:// request.  TLS peers are always verified.  Failures are
 * logged with curl's own error text and the URL without its query string
 * or credentials; bodies are never logged, since they carry codes and keys.
 *
 * The multi interface (feat_http_multi_*) runs several exchanges at once
 * for the jobs process's push delivery: one multi handle per outside
 * host, HTTP/2 streams multiplexed on one connection, or a bounded number
 * of parallel HTTP/1.1 connections, with the same setup and bounds as a
 * single exchange.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "runtime.h"


/* Slack for the answer buffer's first allocation. */
#define FEAT_HTTP_FIRST_ALLOC  4096

struct feat_http_sink {
    char    *data;   /* malloc'd; copied into the arena, then freed */
    size_t   len;
    size_t   size;
    size_t   max;
    int      over;   /* the answer went past max */
};

struct feat_http_source {
    const char  *data;
    size_t       len;
    size_t       pos;
};


static CURL   *feat_http_handle;
static pid_t   feat_http_pid;
/*
 * A handle inherited from the parent.  Cleaning it up could shut down TLS
 * on sockets the parent still uses, so it is only set aside; keeping the
 * pointer here also tells leak checkers that it was not lost.
 */
static CURL   *feat_http_inherited;
static int     feat_http_global;

#if (FEAT_FAULT_INJECTION)
/* The fault armed for the request in hand (feat_http_fault_arm): the
 * call that makes feat_http_calls reach it fails.  0: disarmed. */
static long    feat_http_fault_at;
static long    feat_http_calls;
#endif


static CURL *feat_http_easy(void);
static int feat_http_fault(void);
static size_t feat_http_write(char *ptr, size_t size, size_t nmemb,
    void *userdata);
static size_t feat_http_read(char *ptr, size_t size, size_t nmemb,
    void *userdata);
static int feat_http_protocols(CURL *h, const char *list);
static const char *feat_http_log_url(const char *url, char *buf, size_t n);
static int feat_http_setup(CURL *h, const struct feat_http_req *req,
    struct feat_http_sink *sink, char *errbuf, struct curl_slist **list);
static int feat_http_finish(CURL *h, CURLcode rc, struct feat_arena *a,
    const char *method, const char *logurl, struct feat_http_sink *sink,
    const char *errbuf, size_t max, struct feat_http_resp *resp);
static int feat_http_do(struct feat_arena *a, const struct feat_http_req *req,
    struct feat_http_resp *resp);


/*
 * The process's handle, reset to defaults, or NULL (logged).  curl's global
 * state is set up once per process: a child inherits its parent's.
 */
static CURL *
feat_http_easy(void)
{
    CURLcode  rc;
    pid_t     pid;

    pid = getpid();

    if (!feat_http_global) {
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            feat_log(LOG_ERR, 0, "curl_global_init() failed: %s",
                     curl_easy_strerror(rc));
            return NULL;
        }
        feat_http_global = 1;
    }

    if (feat_http_handle != NULL && feat_http_pid != pid) {
        feat_http_inherited = feat_http_handle;
        feat_http_handle = NULL;
    }

    if (feat_http_handle == NULL) {
        feat_http_handle = curl_easy_init();
        if (feat_http_handle == NULL) {
            feat_log(LOG_ERR, 0, "curl_easy_init() failed");
            return NULL;
        }
        feat_http_pid = pid;

    } else {
        /* options go, the connection cache stays */
        curl_easy_reset(feat_http_handle);
    }

    return feat_http_handle;
}


#if (FEAT_FAULT_INJECTION)
void
feat_http_fault_arm(long n)
{
    feat_http_fault_at = (n > 0) ? n : 0;
    feat_http_calls = 0;
}
#endif


/*
 * With --enable-fault-injection, the N-th outside call of the request that
 * armed N (feat_http_fault_arm) fails as a transport failure would, so
 * tests can walk every error path of a caller.
 */
static int
feat_http_fault(void)
{
#if (FEAT_FAULT_INJECTION)
    if (feat_http_fault_at > 0 && ++feat_http_calls == feat_http_fault_at) {
        feat_log(LOG_WARNING, 0, "fault injected in outside call %ld",
                 feat_http_calls);
        return 1;
    }
#endif

    return 0;
}


/*
 * The answer goes into a malloc'd buffer, which can grow (the arena
 * cannot); past max the transfer is aborted by answering short.
 */
static size_t
feat_http_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct feat_http_sink  *s = userdata;
    size_t                  n, need, nsize;
    char                   *p;

    n = size * nmemb;

    if (n > s->max - s->len) {
        s->over = 1;
        return 0;
    }

    need = s->len + n + 1;

    if (need > s->size) {
        nsize = s->size ? s->size : FEAT_HTTP_FIRST_ALLOC;
        while (nsize < need) {
            nsize *= 2;
        }

        p = realloc(s->data, nsize);
        if (p == NULL) {
            feat_log(LOG_EMERG, errno, "realloc(%zu) failed", nsize);
            abort();
        }

        s->data = p;
        s->size = nsize;
    }

    memcpy(s->data + s->len, ptr, n);
    s->len += n;

    return n;
}


static size_t
feat_http_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct feat_http_source  *s = userdata;
    size_t                    n;

    n = size * nmemb;
    if (n > s->len - s->pos) {
        n = s->len - s->pos;
    }

    memcpy(ptr, s->data + s->pos, n);
    s->pos += n;

    return n;
}


/*
 * Limits the handle to the protocols in list.  A libcurl that does not take
 * the option would allow every protocol it knows, so that is an error.
 */
static int
feat_http_protocols(CURL *h, const char *list)
{
    CURLcode  rc;

    rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, list);
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, list);
    }

    if (rc != CURLE_OK) {
        feat_log(LOG_ERR, 0, "libcurl cannot limit protocols to %s: %s",
                 list, curl_easy_strerror(rc));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/*
 * The URL as it may be logged: scheme, host and path, without user
 * information (credentials), query string or fragment (keys such as
 * AMap's travel in the query).
 */
static const char *
feat_http_log_url(const char *url, char *buf, size_t n)
{
    const char  *host, *at, *end, *slash;
    size_t       len;
    int          w;

    host = strstr(url, "://");
    host = (host == NULL) ? url : host + 3;

    end = host + strcspn(host, "?#");
    slash = memchr(host, '/', end - host);
    at = memchr(host, '@', (slash ? slash : end) - host);

    w = snprintf(buf, n, "%.*s", (int) (host - url), url);
    if (w < 0 || (size_t) w >= n) {
        return "(url)";
    }

    if (at != NULL) {
        host = at + 1;
    }

    len = end - host;
    snprintf(buf + w, n - w, "%.*s", (int) len, host);

    return buf;
}


/*
 * Sets h up for req: the answer into sink, curl's error text into errbuf,
 * the header list into *list (the caller frees it after the exchange).
 * FEAT_OK or FEAT_ERROR (logged).
 */
static int
feat_http_setup(CURL *h, const struct feat_http_req *req,
    struct feat_http_sink *sink, char *errbuf, struct curl_slist **list)
{
    long                timeout_ms;
    size_t              i;
    struct curl_slist  *l;

    /* libcurl reads 0 as "no timeout": never let a caller ask for that */
    timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 1;

    memset(sink, 0, sizeof(*sink));
    sink->max = req->max;
    errbuf[0] = '\0';
    *list = NULL;

    for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        l = curl_slist_append(*list, req->headers[i]);
        if (l == NULL) {
            feat_log(LOG_ERR, 0, "curl_slist_append() failed");
            return FEAT_ERROR;
        }
        *list = l;
    }

    /* no "Expect: 100-continue" round trip for a small body */
    l = curl_slist_append(*list, "Expect:");
    if (l == NULL) {
        feat_log(LOG_ERR, 0, "curl_slist_append() failed");
        return FEAT_ERROR;
    }
    *list = l;

    if (feat_http_protocols(h, "http,https") != FEAT_OK) {
        return FEAT_ERROR;
    }

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "featcgi/" PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *list);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) req->max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, feat_http_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);

    if (req->h2 && strncmp(req->url, "http://", 7) == 0) {
        /*
         * h2c (a loopback fake): libcurl 7.88 sends nothing on a reused
         * prior-knowledge connection, nor on a second stream of one (its
         * command line does the same), so each request gets its own.
         */
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         (long) CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);

    } else if (req->h2) {
        /* an HTTP/2 connection is kept and its streams shared: a request
         * waits for the connection under way rather than open another */
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         (long) CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    }

    if (req->ca_file != NULL && req->ca_file[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
    }

    if (req->body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) req->len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
    {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }

    return FEAT_OK;
}


/*
 * The end of an exchange on h (rc: curl's result): FEAT_OK with the
 * status and the answer copied into a, or FEAT_ERROR (logged).
 */
static int
feat_http_finish(CURL *h, CURLcode rc, struct feat_arena *a,
    const char *method, const char *logurl, struct feat_http_sink *sink,
    const char *errbuf, size_t max, struct feat_http_resp *resp)
{
    long  status;

    if (rc != CURLE_OK) {
        if (sink->over || rc == CURLE_FILESIZE_EXCEEDED) {
            feat_log(LOG_WARNING, 0, "%s %s: answer larger than %zu bytes",
                     method, logurl, max);
        } else {
            feat_log(LOG_WARNING, 0, "%s %s failed: %s", method, logurl,
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }
        return FEAT_ERROR;
    }

    status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    resp->status = status;
    resp->len = sink->len;
    resp->body = feat_arena_strndup(a, sink->data ? sink->data : "",
                                    sink->len);

    return FEAT_OK;
}


int
feat_http_request(struct feat_arena *a, const char *method, const char *url,
    const char *const *headers, const char *body, size_t len,
    long timeout_ms, size_t max, struct feat_http_resp *resp)
{
    struct feat_http_req  req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.body = body;
    req.len = len;
    req.timeout_ms = timeout_ms;
    req.max = max;

    return feat_http_do(a, &req, resp);
}


/* One exchange on the process's easy handle. */
static int
feat_http_do(struct feat_arena *a, const struct feat_http_req *req,
    struct feat_http_resp *resp)
{
    char                    errbuf[CURL_ERROR_SIZE], logurl[256];
    CURL                   *h;
    CURLcode                rc;
    struct curl_slist      *list;
    struct feat_http_sink   sink;
    int                     ret;

    resp->status = 0;
    resp->body = NULL;
    resp->len = 0;

    feat_http_log_url(req->url, logurl, sizeof(logurl));

    if (feat_http_fault()) {
        return FEAT_ERROR;
    }

    h = feat_http_easy();
    if (h == NULL) {
        return FEAT_ERROR;
    }

    ret = FEAT_ERROR;

    if (feat_http_setup(h, req, &sink, errbuf, &list) != FEAT_OK) {
        goto done;
    }

    rc = curl_easy_perform(h);

    /* the handle outlives the list: no dangling pointer left in it */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);

    ret = feat_http_finish(h, rc, a, req->method, logurl, &sink, errbuf,
                           req->max, resp);

done:

    curl_slist_free_all(list);
    free(sink.data);

    return ret;
}


/* ---- the multi interface ------------------------------------------------- */

/* One exchange of a multi handle, kept with its easy handle for reuse. */
struct feat_http_xfer {
    CURL                   *h;
    struct curl_slist      *list;
    struct feat_http_sink   sink;
    char                    errbuf[CURL_ERROR_SIZE];
    char                    logurl[256];
    const char             *method;
    size_t                  max;
    void                   *data;
    struct feat_http_xfer  *next;     /* the free list */
};

struct feat_http_multi {
    CURLM                  *m;
    pid_t                   pid;
    size_t                  running;
    struct feat_http_xfer  *free;
};


struct feat_http_multi *
feat_http_multi_create(int h2, long max_conns)
{
    struct feat_http_multi  *m;

    if (feat_http_easy() == NULL) {        /* curl's global state */
        return NULL;
    }

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        feat_log(LOG_EMERG, errno, "calloc() failed");
        abort();
    }

    m->m = curl_multi_init();
    if (m->m == NULL) {
        feat_log(LOG_ERR, 0, "curl_multi_init() failed");
        free(m);
        return NULL;
    }

    m->pid = getpid();

    if (h2) {
        /* every exchange a stream of one connection (h2 over TLS) */
        curl_multi_setopt(m->m, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX);
        curl_multi_setopt(m->m, CURLMOPT_MAX_CONCURRENT_STREAMS,
                          max_conns > 0 ? max_conns : 100L);
    } else {
        curl_multi_setopt(m->m, CURLMOPT_PIPELINING, (long) CURLPIPE_NOTHING);
        curl_multi_setopt(m->m, CURLMOPT_MAX_HOST_CONNECTIONS,
                          max_conns > 0 ? max_conns : 0L);
    }
    /* connections kept warm between batches */
    curl_multi_setopt(m->m, CURLMOPT_MAXCONNECTS,
                      max_conns > 0 ? max_conns : 16L);

    return m;
}


void
feat_http_multi_destroy(struct feat_http_multi *m)
{
    struct feat_http_xfer  *x;

    if (m == NULL) {
        return;
    }

    if (m->running > 0) {
        feat_log(LOG_ALERT, 0, "http multi destroyed with %zu exchanges "
                 "in flight", m->running);
    }

    while ((x = m->free) != NULL) {
        m->free = x->next;
        curl_easy_cleanup(x->h);
        free(x);
    }

    /* a handle inherited across fork is only set aside, as the easy one */
    if (m->pid == getpid()) {
        curl_multi_cleanup(m->m);
    }

    free(m);
}


int
feat_http_multi_add(struct feat_http_multi *m,
    const struct feat_http_req *req, void *data)
{
    CURLMcode               rc;
    struct feat_http_xfer  *x;

    if (feat_http_fault()) {
        return FEAT_ERROR;
    }

    x = m->free;

    if (x != NULL) {
        m->free = x->next;
        /* options go, the connection cache is the multi handle's */
        curl_easy_reset(x->h);

    } else {
        x = calloc(1, sizeof(*x));
        if (x == NULL) {
            feat_log(LOG_EMERG, errno, "calloc() failed");
            abort();
        }

        x->h = curl_easy_init();
        if (x->h == NULL) {
            feat_log(LOG_ERR, 0, "curl_easy_init() failed");
            free(x);
            return FEAT_ERROR;
        }
    }

    x->data = data;
    x->method = req->method;
    x->max = req->max;
    feat_http_log_url(req->url, x->logurl, sizeof(x->logurl));

    if (feat_http_setup(x->h, req, &x->sink, x->errbuf, &x->list)
        != FEAT_OK)
    {
        goto failed;
    }

    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);

    rc = curl_multi_add_handle(m->m, x->h);
    if (rc != CURLM_OK) {
        feat_log(LOG_ERR, 0, "curl_multi_add_handle() failed: %s",
                 curl_multi_strerror(rc));
        goto failed;
    }

    m->running++;
    return FEAT_OK;

failed:

    curl_slist_free_all(x->list);
    x->list = NULL;
    free(x->sink.data);
    x->sink.data = NULL;
    x->next = m->free;
    m->free = x;

    return FEAT_ERROR;
}


int
feat_http_multi_wait(struct feat_http_multi *m, long timeout_ms)
{
    int        still;
    CURLMcode  rc;

    rc = curl_multi_perform(m->m, &still);

    if (rc == CURLM_OK && still > 0 && timeout_ms > 0) {
        rc = curl_multi_poll(m->m, NULL, 0, (int) timeout_ms, NULL);
        if (rc == CURLM_OK) {
            rc = curl_multi_perform(m->m, &still);
        }
    }

    if (rc != CURLM_OK) {
        feat_log(LOG_ERR, 0, "curl multi: %s", curl_multi_strerror(rc));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


int
feat_http_multi_done(struct feat_http_multi *m, struct feat_arena *a,
    struct feat_http_resp *resp, void **data)
{
    int                     left;
    CURLMsg                *msg;
    struct feat_http_xfer  *x;

    resp->status = 0;
    resp->body = NULL;
    resp->len = 0;
    *data = NULL;

    while ((msg = curl_multi_info_read(m->m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);

        (void) feat_http_finish(msg->easy_handle, msg->data.result, a,
                                x->method, x->logurl, &x->sink, x->errbuf,
                                x->max, resp);

        /* the connection stays in the multi handle's cache */
        curl_multi_remove_handle(m->m, x->h);
        curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
        curl_slist_free_all(x->list);
        x->list = NULL;
        free(x->sink.data);
        x->sink.data = NULL;

        *data = x->data;
        x->next = m->free;
        m->free = x;
        m->running--;

        return FEAT_OK;
    }

    return FEAT_DECLINED;
}


size_t
feat_http_multi_running(const struct feat_http_multi *m)
{
    return m->running;
}


int
feat_http_mail(const char *url, const char *username, const char *password,
    const char *from, const char *rcpt, const char *msg, size_t len,
    long timeout_ms)
{
    char                     errbuf[CURL_ERROR_SIZE], logurl[256];
    char                     env_from[320], env_rcpt[320];
    CURL                    *h;
    CURLcode                 rc;
    struct curl_slist       *rcpts;
    struct feat_http_source  src;
    int                      w;

    feat_http_log_url(url, logurl, sizeof(logurl));

    if (timeout_ms <= 0) {
        timeout_ms = 1;
    }

    /* the envelope addresses go on SMTP command lines */
    if (strpbrk(from, "\r\n<>") != NULL || strpbrk(rcpt, "\r\n<>") != NULL) {
        feat_log(LOG_ERR, 0, "mail to %s: bad envelope address", logurl);
        return FEAT_ERROR;
    }

    w = snprintf(env_from, sizeof(env_from), "<%s>", from);
    if (w < 0 || (size_t) w >= sizeof(env_from)) {
        feat_log(LOG_ERR, 0, "mail to %s: sender too long", logurl);
        return FEAT_ERROR;
    }

    w = snprintf(env_rcpt, sizeof(env_rcpt), "<%s>", rcpt);
    if (w < 0 || (size_t) w >= sizeof(env_rcpt)) {
        feat_log(LOG_ERR, 0, "mail to %s: recipient too long", logurl);
        return FEAT_ERROR;
    }

    if (feat_http_fault()) {
        return FEAT_ERROR;
    }

    h = feat_http_easy();
    if (h == NULL) {
        return FEAT_ERROR;
    }

    if (feat_http_protocols(h, "smtp,smtps") != FEAT_OK) {
        return FEAT_ERROR;
    }

    rcpts = curl_slist_append(NULL, env_rcpt);
    if (rcpts == NULL) {
        feat_log(LOG_ERR, 0, "curl_slist_append() failed");
        return FEAT_ERROR;
    }

    src.data = msg;
    src.len = len;
    src.pos = 0;
    errbuf[0] = '\0';

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, feat_http_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &src);
    /*
     * One connection per mail.  Codes by mail are rare, and an SMTP session
     * kept in the handle's cache goes stale on the server's idle timeout or
     * outlives the server it was opened to (the tests saw a mail delivered
     * over a connection to a relay that had been stopped).
     */
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);

    if (username != NULL && username[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_USERNAME, username);
        curl_easy_setopt(h, CURLOPT_PASSWORD,
                         password != NULL ? password : "");
        /*
         * A password never crosses the network in clear: over smtp:// the
         * server must take STARTTLS or the mail is not sent.
         */
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);

    } else {
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
    }

    rc = curl_easy_perform(h);

    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    /* the password must not linger in the reused handle */
    curl_easy_reset(h);
    curl_slist_free_all(rcpts);

    if (rc != CURLE_OK) {
        feat_log(LOG_WARNING, 0, "mail to %s failed: %s", logurl,
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}
