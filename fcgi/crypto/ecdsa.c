/*
 * ecdsa.c: ES256 (ECDSA over P-256 with SHA-256, RFC 7518 3.4) and the
 * JSON Web Tokens signed with it that APNs' token-based authentication
 * takes: {"alg":"ES256","kid":KEY_ID} . {"iss":TEAM_ID,"iat":TIME}.
 * The key is the PEM text of Apple's .p8 file (a PKCS #8 P-256 key), a
 * secret per-app setting; the signature is JOSE's fixed-width r || s,
 * not OpenSSL's DER.  Modules reach OpenSSL only through here.
 */

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime.h"


int
feat_es256_sign(const char *pem, size_t len, const void *data, size_t n,
    unsigned char sig[64])
{
    int                   rc;
    BIO                  *bio;
    size_t                dlen;
    EVP_PKEY             *pkey;
    EVP_MD_CTX           *md;
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    unsigned char         der[80];
    const unsigned char  *p;

    rc = FEAT_ERROR;
    pkey = NULL;
    md = NULL;
    es = NULL;

    bio = (len <= INT_MAX) ? BIO_new_mem_buf(pem, (int) len) : NULL;
    if (bio == NULL) {
        goto done;
    }

    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC
        || EVP_PKEY_get_bits(pkey) != 256)
    {
        feat_log(LOG_ERR, 0, "es256: the key is no P-256 private key");
        goto done;
    }

    dlen = sizeof(der);
    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1
        || EVP_DigestSign(md, der, &dlen, data, n) != 1)
    {
        feat_log(LOG_ERR, 0, "es256: signing failed");
        goto done;
    }

    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) dlen);
    if (es == NULL) {
        goto done;
    }

    ECDSA_SIG_get0(es, &r, &s);

    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
    {
        goto done;
    }

    rc = FEAT_OK;

done:

    if (rc != FEAT_OK) {
        ERR_clear_error();
    }

    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);

    return rc;
}


int
feat_jwt_es256(struct feat_arena *a, const char *pem, size_t len,
    const char *kid, const char *iss, time_t iat, const char **out)
{
    char           head[160], claims[160], *buf;
    size_t         cap, n;
    long           k;
    unsigned char  sig[64];

    if (snprintf(head, sizeof(head), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
                 kid) >= (int) sizeof(head)
        || snprintf(claims, sizeof(claims), "{\"iss\":\"%s\",\"iat\":%lld}",
                    iss, (long long) iat) >= (int) sizeof(claims)
        || strpbrk(kid, "\"\\") != NULL || strpbrk(iss, "\"\\") != NULL)
    {
        feat_log(LOG_ERR, 0, "es256: key id or team id unfit for a JWT");
        return FEAT_ERROR;
    }

    cap = (sizeof(head) + sizeof(claims) + 64) * 4 / 3 + 16;
    buf = feat_arena_alloc(a, cap);

    k = feat_base64_encode(head, strlen(head), buf, cap, 1);
    if (k < 0) {
        return FEAT_ERROR;
    }
    n = (size_t) k;
    buf[n++] = '.';

    k = feat_base64_encode(claims, strlen(claims), buf + n, cap - n, 1);
    if (k < 0) {
        return FEAT_ERROR;
    }
    n += (size_t) k;

    if (feat_es256_sign(pem, len, buf, n, sig) != FEAT_OK) {
        return FEAT_ERROR;
    }

    buf[n++] = '.';

    k = feat_base64_encode(sig, sizeof(sig), buf + n, cap - n, 1);
    if (k < 0) {
        return FEAT_ERROR;
    }
    buf[n + (size_t) k] = '\0';

    *out = buf;
    return FEAT_OK;
}
