/*
 * crypto.c: random bytes and strings, SHA-256, HMAC-SHA256, MD5 (WeChat
 * Pay API v2's signature, never a password or a key), constant-time
 * comparison, wiping, hex and base64 (standard and url alphabets), all
 * over OpenSSL 3.  Password hashing is in password.c, RSA signatures and
 * sealed values in seal.c.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "runtime.h"

static EVP_MAC  *feat_hmac_mac;   /* fetched once per process */

/*
 * SHA-256 and a context for it, also fetched once: EVP_Digest with
 * EVP_sha256() looks the provider's implementation up on every call, which
 * cost half of the token check's hash (every authenticated request hashes
 * its token).
 */
static EVP_MD      *feat_sha256_md;
static EVP_MD_CTX  *feat_sha256_ctx;


/* OpenSSL failing where it cannot is a broken install: stop here. */
void
feat_crypto_die(const char *what)
{
    feat_log(LOG_EMERG, 0, "%s failed: %s", what,
             ERR_error_string(ERR_get_error(), NULL));
    abort();
}


void
feat_random(void *buf, size_t n)
{
    int             chunk;
    unsigned char  *p;

    p = buf;

    while (n > 0) {
        chunk = n > 65536 ? 65536 : (int) n;
        if (RAND_bytes(p, chunk) != 1) {
            feat_crypto_die("RAND_bytes()");
        }
        p += chunk;
        n -= (size_t) chunk;
    }
}


uint32_t
feat_random_uniform(uint32_t bound)
{
    uint32_t  r, min;

    if (bound < 2) {
        return 0;
    }

    /*
     * 2^32 mod bound values at the bottom would make some results more
     * likely than others; they are redrawn (fewer than half the draws).
     */
    min = (uint32_t) (-bound) % bound;

    do {
        feat_random(&r, sizeof(r));
    } while (r < min);

    return r % bound;
}


void
feat_random_base62(char *out, size_t n)
{
    size_t          i, k;
    unsigned char   buf[64], v;
    static const char  alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /*
     * Six random bits give 0..63; 62 and 63 are redrawn rather than folded
     * into the alphabet, which would favour its first two characters.
     */
    k = sizeof(buf);

    for (i = 0; i < n; /* void */) {
        if (k == sizeof(buf)) {
            feat_random(buf, sizeof(buf));
            k = 0;
        }

        v = buf[k++] & 0x3f;
        if (v < 62) {
            out[i++] = alphabet[v];
        }
    }

    out[n] = '\0';
}


void
feat_sha256(const void *data, size_t n, unsigned char out[32])
{
    if (feat_sha256_md == NULL) {
        feat_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        feat_sha256_ctx = EVP_MD_CTX_new();
        if (feat_sha256_md == NULL || feat_sha256_ctx == NULL) {
            feat_crypto_die("EVP_MD_fetch(SHA256)");
        }
    }

    if (EVP_DigestInit_ex2(feat_sha256_ctx, feat_sha256_md, NULL) != 1
        || EVP_DigestUpdate(feat_sha256_ctx, data, n) != 1
        || EVP_DigestFinal_ex(feat_sha256_ctx, out, NULL) != 1)
    {
        feat_crypto_die("SHA-256");
    }
}


void
feat_sha256_hex(const char *s, char out[65])
{
    unsigned char  md[32];

    feat_sha256(s, strlen(s), md);
    feat_hex(md, sizeof(md), out);
}


void
feat_md5(const void *data, size_t n, unsigned char out[16])
{
    unsigned int  len;

    if (EVP_Digest(data, n, out, &len, EVP_md5(), NULL) != 1 || len != 16) {
        feat_crypto_die("MD5");
    }
}


void
feat_md5_hex(const char *s, char out[33])
{
    unsigned char  md[16];

    feat_md5(s, strlen(s), md);
    feat_hex(md, sizeof(md), out);
}


/* HMAC with digest (an OpenSSL name) of outlen bytes; aborts on failure. */
static void
feat_hmac(const char *digest, size_t outlen, const void *key, size_t klen,
    const void *data, size_t n, unsigned char *out)
{
    size_t         len;
    EVP_MAC_CTX   *ctx;
    OSSL_PARAM     params[2];
    static const unsigned char  empty[1];

    if (feat_hmac_mac == NULL) {
        feat_hmac_mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        if (feat_hmac_mac == NULL) {
            feat_crypto_die("EVP_MAC_fetch(HMAC)");
        }
    }

    ctx = EVP_MAC_CTX_new(feat_hmac_mac);
    if (ctx == NULL) {
        feat_crypto_die("EVP_MAC_CTX_new()");
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    /* An empty key is legal in HMAC; OpenSSL wants a pointer all the same. */
    if (key == NULL || klen == 0) {
        key = empty;
        klen = 0;
    }

    if (EVP_MAC_init(ctx, key, klen, params) != 1
        || EVP_MAC_update(ctx, data, n) != 1
        || EVP_MAC_final(ctx, out, &len, outlen) != 1
        || len != outlen)
    {
        feat_crypto_die("HMAC");
    }

    EVP_MAC_CTX_free(ctx);
}


void
feat_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
    unsigned char out[32])
{
    feat_hmac("SHA256", 32, key, klen, data, n, out);
}


void
feat_hmac_sha1(const void *key, size_t klen, const void *data, size_t n,
    unsigned char out[20])
{
    feat_hmac("SHA1", 20, key, klen, data, n, out);
}


void
feat_hmac_sha256_hex(const void *key, size_t klen, const char *s,
    char out[65])
{
    unsigned char  md[32];

    feat_hmac_sha256(key, klen, s, strlen(s), md);
    feat_hex(md, sizeof(md), out);
}


/* Lower-case hex of in into out, which holds 2 * n + 1 bytes (NUL). */
void
feat_hex(const unsigned char *in, size_t n, char *out)
{
    size_t  i;
    static const char  digits[] = "0123456789abcdef";

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }

    out[2 * n] = '\0';
}


int
feat_unhex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
feat_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}


/*
 * Strings of different lengths are unequal at once: the length of a token
 * is public (it is fixed by its format), only its contents are secret.
 */
int
feat_ct_streq(const char *a, const char *b)
{
    size_t  la, lb;

    if (a == NULL || b == NULL) {
        return 0;
    }

    la = strlen(a);
    lb = strlen(b);

    if (la != lb) {
        return 0;
    }

    return CRYPTO_memcmp(a, b, la) == 0;
}


void
feat_cleanse(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}


/*
 * base64 of RFC 4648.  The standard alphabet is written with '=' padding;
 * the url alphabet without (as JWT wants).  Decoding takes the padding as
 * optional for the standard alphabet, refuses it for the url one, and
 * refuses characters outside the alphabet, impossible lengths and
 * non-zero bits left over in the last character, so that every byte
 * string has exactly one accepted encoding.
 */

static const char  feat_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char  feat_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


long
feat_base64_encode(const void *in, size_t n, char *out, size_t outsz,
    int url)
{
    size_t                i, o, need;
    uint32_t              v;
    const char           *abc;
    const unsigned char  *p;

    if (n > (size_t) LONG_MAX / 2) {
        return -1;
    }

    need = url ? (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0) : (n + 2) / 3 * 4;
    if (need + 1 > outsz) {
        return -1;
    }

    abc = url ? feat_b64_url : feat_b64_std;
    p = in;
    o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 0x3f];
        out[o++] = abc[(v >> 6) & 0x3f];
        out[o++] = abc[v & 0x3f];
    }

    if (n - i == 1) {
        v = (uint32_t) p[i] << 16;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 0x3f];
        if (!url) {
            out[o++] = '=';
            out[o++] = '=';
        }

    } else if (n - i == 2) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8;
        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 0x3f];
        out[o++] = abc[(v >> 6) & 0x3f];
        if (!url) {
            out[o++] = '=';
        }
    }

    out[o] = '\0';

    return (long) o;
}


static int
feat_b64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == (url ? '-' : '+')) {
        return 62;
    }
    if (c == (url ? '_' : '/')) {
        return 63;
    }

    return -1;
}


/* Decodes in[n]; out holds the bytes and a NUL, so outsz > the length. */
long
feat_base64_decode(const char *in, size_t n, unsigned char *out,
    size_t outsz, int url)
{
    int       d, bits;
    size_t    i, o, pad;
    uint32_t  acc;

    if (n > (size_t) LONG_MAX / 2) {
        return -1;
    }

    pad = 0;
    if (!url && n % 4 == 0 && n > 0 && in[n - 1] == '=') {
        pad = (in[n - 2] == '=') ? 2 : 1;
        n -= pad;
    }

    /* One character left over carries only six bits: never a byte. */
    if (n % 4 == 1) {
        return -1;
    }

    if (n * 3 / 4 + 1 > outsz) {
        return -1;
    }

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < n; i++) {
        d = feat_b64_value((unsigned char) in[i], url);
        if (d < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) d;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* The leftover bits of the last character must be zero. */
    if (acc != 0) {
        return -1;
    }

    /* Padding, when present, must be the padding this length needs. */
    if (pad != 0 && pad != (size_t) (4 - n % 4)) {
        return -1;
    }

    out[o] = '\0';

    return (long) o;
}
