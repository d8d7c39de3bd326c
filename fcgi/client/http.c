/*
 * http.c: the client for outside services (SMS gateways, AMap, Alipay,
 * mail servers), over libcurl.
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
static int feat_http_do(struct feat_arena *a, const char *method,
    const char *url, const char *const *headers, const char *body,
    size_t len, long timeout_ms, size_t max, int h2, const char *ca_file,
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


int
feat_http_request(struct feat_arena *a, const char *method, const char *url,
    const char *const *headers, const char *body, size_t len,
    long timeout_ms, size_t max, struct feat_http_resp *resp)
{
    return feat_http_do(a, method, url, headers, body, len, timeout_ms, max,
                        0, NULL, resp);
}


int
feat_http_h2(struct feat_arena *a, const char *url,
    const char *const *headers, const char *body, size_t len,
    long timeout_ms, size_t max, const char *ca_file,
    struct feat_http_resp *resp)
{
    return feat_http_do(a, "POST", url, headers, body, len, timeout_ms, max,
                        1, ca_file, resp);
}


/*
 * One exchange; h2: HTTP/2 only (h2 over TLS, or h2c with prior knowledge
 * for http://), ca_file (NULL or "": the system's) the CAs trusted.
 */
static int
feat_http_do(struct feat_arena *a, const char *method, const char *url,
    const char *const *headers, const char *body, size_t len,
    long timeout_ms, size_t max, int h2, const char *ca_file,
    struct feat_http_resp *resp)
{
    char                    errbuf[CURL_ERROR_SIZE], logurl[256];
    CURL                   *h;
    CURLcode                rc;
    struct curl_slist      *list, *l;
    struct feat_http_sink   sink;
    size_t                  i;
    long                    status;
    int                     ret;

    resp->status = 0;
    resp->body = NULL;
    resp->len = 0;

    /* libcurl reads 0 as "no timeout": never let a caller ask for that */
    if (timeout_ms <= 0) {
        timeout_ms = 1;
    }

    feat_http_log_url(url, logurl, sizeof(logurl));

    if (feat_http_fault()) {
        return FEAT_ERROR;
    }

    h = feat_http_easy();
    if (h == NULL) {
        return FEAT_ERROR;
    }

    memset(&sink, 0, sizeof(sink));
    sink.max = max;

    list = NULL;
    ret = FEAT_ERROR;
    errbuf[0] = '\0';

    for (i = 0; headers != NULL && headers[i] != NULL; i++) {
        l = curl_slist_append(list, headers[i]);
        if (l == NULL) {
            feat_log(LOG_ERR, 0, "curl_slist_append() failed");
            goto done;
        }
        list = l;
    }

    /* no "Expect: 100-continue" round trip for a small body */
    l = curl_slist_append(list, "Expect:");
    if (l == NULL) {
        feat_log(LOG_ERR, 0, "curl_slist_append() failed");
        goto done;
    }
    list = l;

    if (feat_http_protocols(h, "http,https") != FEAT_OK) {
        goto done;
    }

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "featcgi/" PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, feat_http_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);

    if (h2 && strncmp(url, "http://", 7) == 0) {
        /*
         * h2c (a loopback fake): libcurl 7.88 sends nothing on a reused
         * prior-knowledge connection (its command line does the same), so
         * each request gets its own.
         */
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         (long) CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);

    } else if (h2) {
        /* an HTTP/2 connection is kept and shared by the requests */
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                         (long) CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    }

    if (ca_file != NULL && ca_file[0] != '\0') {
        curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
    }

    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }

    rc = curl_easy_perform(h);

    /* the handle outlives the list: no dangling pointer left in it */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);

    if (rc != CURLE_OK) {
        if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
            feat_log(LOG_WARNING, 0, "%s %s: answer larger than %zu bytes",
                     method, logurl, max);
        } else {
            feat_log(LOG_WARNING, 0, "%s %s failed: %s", method, logurl,
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }
        goto done;
    }

    status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    resp->status = status;
    resp->len = sink.len;
    resp->body = feat_arena_strndup(a, sink.data ? sink.data : "",
                                    sink.len);
    ret = FEAT_OK;

done:

    curl_slist_free_all(list);
    free(sink.data);

    return ret;
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
