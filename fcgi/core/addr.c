/*
 * addr.c: client addresses and lists of CIDR blocks.
 *
 * The config names addresses in lists ("127.0.0.0/8 ::1, fd00::/8"):
 * sds.allow_from, the addresses /sds_check_token answers, and
 * trusted_proxies, the proxies whose X-Forwarded-For or X-Real-IP header
 * names the client.  An entry is an IPv4 or IPv6 literal with an optional
 * prefix length; an IPv4-mapped IPv6 address matches as the IPv4 address
 * it maps.  Entries are separated by blanks or commas.
 */

#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "feat.h"

#define FEAT_ADDR_ENTRY_MAX  64      /* longest "address/prefix" accepted */


/*
 * Whether address a (an IPv4 or IPv6 literal) lies in the CIDR entry s of
 * n bytes ("127.0.0.0/8", "::1", "fd00::/8"): 1 or 0, -1 when s is
 * malformed.
 */
static int
feat_cidr_match(const char *s, size_t n, const char *a)
{
    int             fam, afam, max, bits, i;
    char            buf[FEAT_ADDR_ENTRY_MAX + 1], *slash, *end;
    long            len;
    unsigned char   net[16], addr[16];

    if (n == 0 || n > FEAT_ADDR_ENTRY_MAX) {
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';

    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash++ = '\0';
    }

    fam = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
    max = fam == AF_INET6 ? 128 : 32;
    if (inet_pton(fam, buf, net) != 1) {
        return -1;
    }

    bits = max;
    if (slash != NULL) {
        if (*slash < '0' || *slash > '9') {
            return -1;
        }
        len = strtol(slash, &end, 10);
        if (*end != '\0' || len < 0 || len > max) {
            return -1;
        }
        bits = (int) len;
    }

    afam = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
    if (inet_pton(afam, a, addr) != 1) {
        return 0;
    }

    if (afam == AF_INET6 && fam == AF_INET) {
        static const unsigned char  mapped[12] = {
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
        };

        if (memcmp(addr, mapped, sizeof(mapped)) != 0) {
            return 0;
        }
        memmove(addr, addr + 12, 4);
        afam = AF_INET;
    }

    if (afam != fam) {
        return 0;
    }

    for (i = 0; bits >= 8; i++, bits -= 8) {
        if (addr[i] != net[i]) {
            return 0;
        }
    }

    if (bits > 0 && ((addr[i] ^ net[i]) & (0xff00 >> bits) & 0xff) != 0) {
        return 0;
    }

    return 1;
}


int
feat_addr_in_list(const char *list, const char *a, const char **bad)
{
    int          rc, found;
    size_t       n;
    const char  *p;

    found = 0;

    for (p = list != NULL ? list : ""; *p != '\0'; p += n) {
        p += strspn(p, " \t,");
        n = strcspn(p, " \t,");
        if (n == 0) {
            continue;
        }

        rc = feat_cidr_match(p, n, a != NULL ? a : "");
        if (rc < 0) {
            if (bad != NULL) {
                *bad = p;
            }
            return -1;
        }
        found |= rc;
    }

    return found;
}


int
feat_addr_valid(const char *a, size_t n)
{
    char           buf[FEAT_ADDR_ENTRY_MAX + 1];
    unsigned char  addr[16];

    if (n == 0 || n > FEAT_ADDR_ENTRY_MAX) {
        return 0;
    }
    memcpy(buf, a, n);
    buf[n] = '\0';

    return inet_pton(memchr(buf, ':', n) != NULL ? AF_INET6 : AF_INET, buf,
                     addr) == 1;
}
