/*
 * origin.c: the two addresses a request carries.  The client's
 * (feat_req_client(), for rate limits, the logs, the audit and payments'
 * spbill_create_ip): the peer nginx saw, or behind trusted_proxies the
 * address their headers name.  Ours (feat_req_origin(), for absolute URLs
 * in answers): config public_url, else the scheme and a Host that is a
 * plain host[:port], held to config server_names when it lists names.
 * Both read headers a client writes, so each takes only what parses as
 * an address or a host name and nothing a client could smuggle past it.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"


/*
 * The client's address (issue 12, finding 8), taken once for every use
 * (rate limits, payments' spbill_create_ip, the logs): the peer nginx
 * saw, unless the peer is one of trusted_proxies.  Then it is the nearest
 * address of X-Forwarded-For that is not a trusted proxy itself, walking
 * from the right as nginx's real_ip_recursive does (every entry trusted:
 * the leftmost), or, without that header, X-Real-IP.  The walk stops at
 * an entry that is not an address literal, keeping what it had: nothing a
 * client wrote to the left of a trusted hop is ever taken.
 */
const char *
feat_req_client(struct feat_req *r, const char *peer)
{
    const char  *list, *h, *start, *end, *s, *e, *a, *found;

    list = feat_conf_str(FEAT_CONF_TRUSTED_PROXIES);
    if (list[0] == '\0' || feat_addr_in_list(list, peer, NULL) != 1) {
        return peer;
    }

    found = NULL;

    h = feat_req_header(r, "X-Forwarded-For");
    if (h != NULL) {
        end = h + strlen(h);

        while (end > h) {
            for (start = end; start > h && start[-1] != ','; start--) {
                /* one entry, from the right */
            }

            for (s = start; s < end && (*s == ' ' || *s == '\t'); s++) {
                /* leading blanks */
            }
            for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--) {
                /* trailing blanks */
            }

            if (!feat_addr_valid(s, (size_t) (e - s))) {
                break;
            }

            a = feat_arena_strndup(r->arena, s, (size_t) (e - s));
            found = a;
            if (feat_addr_in_list(list, a, NULL) != 1) {
                break;
            }

            end = start > h ? start - 1 : h;
        }

        return found != NULL ? found : peer;
    }

    h = feat_req_header(r, "X-Real-IP");
    if (h != NULL) {
        for (s = h; *s == ' ' || *s == '\t'; s++) {
            /* leading blanks */
        }
        for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');
             e--)
        {
            /* trailing blanks */
        }
        if (feat_addr_valid(s, (size_t) (e - s))) {
            return feat_arena_strndup(r->arena, s, (size_t) (e - s));
        }
    }

    return peer;
}


/* 1 if host is "name[:port]" or "[v6]:port" with nothing that could end
 * the authority of a URL or smuggle anything into a header. */
static int
feat_host_ok(const char *host)
{
    size_t       n, h;
    const char  *p;

    n = strlen(host);
    if (n == 0 || n > 255) {
        return 0;
    }

    if (host[0] == '[') {
        p = strchr(host, ']');
        if (p == NULL || p == host + 1) {
            return 0;
        }
        h = (size_t) (p - host) + 1;
        if (strspn(host + 1, "0123456789abcdefABCDEF:.") != h - 2) {
            return 0;
        }

    } else {
        h = strspn(host, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
        if (h == 0) {
            return 0;
        }
    }

    if (host[h] == '\0') {
        return 1;
    }

    /* a port: ':' and 1 to 5 digits, at most 65535 */
    return host[h] == ':' && n - h - 1 >= 1 && n - h - 1 <= 5
           && strspn(host + h + 1, "0123456789") == n - h - 1
           && atol(host + h + 1) <= 65535;
}


/*
 * The Host to write into URLs when config server_names lists names
 * (separated by spaces or commas): host itself when one of them matches
 * it, without case (a name with a port matches host:port exactly, one
 * without matches any port), else the first name as written.  NULL when
 * the list is empty.
 */
static const char *
feat_host_listed(struct feat_req *r, const char *host)
{
    const char  *names, *p, *end;
    size_t       len, hlen;
    const char  *first;
    size_t       flen;

    names = feat_conf_str(FEAT_CONF_SERVER_NAMES);
    first = NULL;
    flen = 0;

    /* the host part of "name:port" or "[v6]:port" */
    hlen = 0;
    if (host != NULL) {
        p = (host[0] == '[') ? strchr(host, ']') : NULL;
        p = (p != NULL) ? p + 1 : strchr(host, ':');
        hlen = (p != NULL) ? (size_t) (p - host) : strlen(host);
    }

    for (p = names; *p != '\0'; p = end) {
        p += strspn(p, " \t,");
        len = strcspn(p, " \t,");
        end = p + len;
        if (len == 0) {
            break;
        }
        if (first == NULL) {
            first = p;
            flen = len;
        }
        if (host != NULL
            && ((len == strlen(host) && strncasecmp(p, host, len) == 0)
                || (len == hlen && strncasecmp(p, host, len) == 0)))
        {
            return host;
        }
    }

    if (first == NULL) {
        return NULL;
    }

    return feat_arena_strndup(r->arena, first, flen);
}


const char *
feat_req_origin(struct feat_req *r)
{
    const char  *url, *host, *https, *listed;

    url = feat_conf_str(FEAT_CONF_PUBLIC_URL);
    if (url != NULL && url[0] != '\0') {
        return url;
    }

    host = feat_req_header(r, "Host");
    if (host != NULL && !feat_host_ok(host)) {
        host = NULL;
    }

    /*
     * A client names any Host it likes: where the operator has listed the
     * names, only those reach an answer, so no forged Host can plant its
     * own links (password reset mails, paging, media) in one.
     */
    listed = feat_host_listed(r, host);
    if (listed != NULL) {
        host = listed;
    }

    if (host == NULL) {
        return "http://localhost";
    }

    https = feat_req_cgi(r, FEAT_CGI_HTTPS);

    return feat_arena_sprintf(r->arena, "%s://%s",
                              (https != NULL && strcmp(https, "on") == 0)
                              ? "https" : "http", host);
}
