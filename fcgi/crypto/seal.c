/*
 * seal.c: public-key signatures and sealed values.  RSA signatures
 * (SHA256withRSA, PEM keys given as a file or as text, a minimum key size)
 * sign and verify what the payment gateways exchange; AES-256-GCM seals the
 * per-app secrets stored in the database, with a random nonce per value and
 * associated data that binds a sealed value to its place; PEM checks refuse
 * a bad key when it is set rather than at first use.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime.h"


/* ---- RSA signatures ------------------------------------------------------ */

/*
 * The key in PEM file path (or, when pem is not NULL, in the text pem of
 * len bytes, path then only naming it in the log), private or public,
 * when it is an RSA key of at least min_bits bits; NULL otherwise
 * (logged).  Read on every call: the callers sign rarely, and a replaced
 * key file needs no reload.
 */
static EVP_PKEY *
feat_rsa_key(const char *path, const char *pem, size_t len, int private,
    int min_bits)
{
    BIO       *bio;
    EVP_PKEY  *pkey;

    if (pem != NULL) {
        bio = (len <= INT_MAX) ? BIO_new_mem_buf(pem, (int) len) : NULL;
        if (bio == NULL) {
            feat_log(LOG_ERR, 0, "rsa: cannot read %s", path);
            ERR_clear_error();
            return NULL;
        }

    } else if (path == NULL || path[0] == '\0') {
        feat_log(LOG_ERR, 0, "rsa: no key file");
        return NULL;

    } else {
        bio = BIO_new_file(path, "r");
        if (bio == NULL) {
            feat_log(LOG_ERR, errno, "rsa: cannot read \"%s\"", path);
            ERR_clear_error();
            return NULL;
        }
    }

    pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                   : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pkey == NULL) {
        feat_log(LOG_ERR, 0, "rsa: \"%s\" holds no PEM %s key", path,
                 private ? "private" : "public");
        ERR_clear_error();
        return NULL;
    }

    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA
        || EVP_PKEY_get_bits(pkey) < min_bits)
    {
        feat_log(LOG_ERR, 0, "rsa: \"%s\" is not an RSA key of at least %d"
                 " bits", path, min_bits);
        EVP_PKEY_free(pkey);
        return NULL;
    }

    return pkey;
}


/* Signs with pkey (NULL: it did not load, logged; freed here), what naming
 * it in the log. */
static int
feat_rsa_sign(struct feat_arena *a, EVP_PKEY *pkey, const char *what,
    const void *data, size_t n, unsigned char **sig, size_t *siglen)
{
    int             rc;
    size_t          len;
    EVP_MD_CTX     *md;
    unsigned char  *out;

    if (pkey == NULL) {
        return FEAT_ERROR;
    }

    rc = FEAT_ERROR;
    md = EVP_MD_CTX_new();

    /* the first call sizes the signature, the second makes it */
    if (md == NULL
        || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1
        || EVP_DigestSign(md, NULL, &len, data, n) != 1)
    {
        goto done;
    }

    out = feat_arena_alloc(a, len);

    if (EVP_DigestSign(md, out, &len, data, n) != 1) {
        goto done;
    }

    *sig = out;
    *siglen = len;
    rc = FEAT_OK;

done:

    if (rc != FEAT_OK) {
        feat_log(LOG_ERR, 0, "rsa: signing with \"%s\" failed", what);
        ERR_clear_error();
    }

    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);

    return rc;
}


/* Verifies with pkey (NULL: it did not load, logged; freed here). */
static int
feat_rsa_verify(EVP_PKEY *pkey, const char *what, const void *data, size_t n,
    const unsigned char *sig, size_t siglen)
{
    int          rc;
    EVP_MD_CTX  *md;

    if (pkey == NULL) {
        return FEAT_ERROR;
    }

    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
    {
        feat_log(LOG_ERR, 0, "rsa: verifying with \"%s\" failed", what);
        rc = FEAT_ERROR;

    } else {
        /* a wrong signature is an answer, not a failure */
        rc = (EVP_DigestVerify(md, sig, siglen, data, n) == 1)
             ? FEAT_OK : FEAT_DECLINED;
    }

    ERR_clear_error();
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);

    return rc;
}


int
feat_rsa_sha256_sign(struct feat_arena *a, const char *pem_path,
    int min_bits, const void *data, size_t n, unsigned char **sig,
    size_t *siglen)
{
    return feat_rsa_sign(a, feat_rsa_key(pem_path, NULL, 0, 1, min_bits),
                         pem_path, data, n, sig, siglen);
}


int
feat_rsa_sha256_sign_pem(struct feat_arena *a, const char *pem, size_t len,
    int min_bits, const void *data, size_t n, unsigned char **sig,
    size_t *siglen)
{
    return feat_rsa_sign(a, feat_rsa_key("(PEM)", pem, len, 1, min_bits),
                         "(PEM)", data, n, sig, siglen);
}


int
feat_rsa_sha256_verify(const char *pem_path, int min_bits, const void *data,
    size_t n, const unsigned char *sig, size_t siglen)
{
    return feat_rsa_verify(feat_rsa_key(pem_path, NULL, 0, 0, min_bits),
                           pem_path, data, n, sig, siglen);
}


int
feat_rsa_sha256_verify_pem(const char *pem, size_t len, int min_bits,
    const void *data, size_t n, const unsigned char *sig, size_t siglen)
{
    return feat_rsa_verify(feat_rsa_key("(PEM)", pem, len, 0, min_bits),
                           "(PEM)", data, n, sig, siglen);
}


/* ---- sealed values: AES-256-GCM --------------------------------------- */

/*
 * Values kept secret at rest (the per-app settings' merchant keys) are
 * sealed with AES-256-GCM: a fresh random 96-bit nonce per value (random
 * nonces are safe for far more than the 2^32 values an install will ever
 * seal under one key), the nonce stored in front of the ciphertext and the
 * 128-bit tag behind it.  The associated data binds a value to where it
 * belongs, so a ciphertext moved elsewhere fails to open.
 */

int
feat_aead_seal(const unsigned char key[FEAT_AEAD_KEY], const void *aad,
    size_t alen, const void *pt, size_t n, unsigned char *out)
{
    int              len, rc;
    EVP_CIPHER_CTX  *ctx;
    unsigned char   *nonce, *ct, *tag;

    if (n > INT_MAX - FEAT_AEAD_OVERHEAD || alen > INT_MAX) {
        return FEAT_ERROR;
    }

    nonce = out;
    ct = out + FEAT_AEAD_NONCE;
    tag = ct + n;

    feat_random(nonce, FEAT_AEAD_NONCE);

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        feat_crypto_die("EVP_CIPHER_CTX_new()");
    }

    rc = FEAT_ERROR;

    if (EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1
        || (alen > 0
            && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int) alen) != 1)
        || EVP_EncryptUpdate(ctx, ct, &len, pt, (int) n) != 1
        || (size_t) len != n
        || EVP_EncryptFinal_ex(ctx, ct + len, &len) != 1
        || len != 0
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, FEAT_AEAD_TAG,
                               tag) != 1)
    {
        feat_log(LOG_ERR, 0, "AES-256-GCM seal failed: %s",
                 ERR_error_string(ERR_get_error(), NULL));
        OPENSSL_cleanse(out, n + FEAT_AEAD_OVERHEAD);
        goto done;
    }

    rc = FEAT_OK;

done:

    EVP_CIPHER_CTX_free(ctx);
    return rc;
}


int
feat_aead_open(const unsigned char key[FEAT_AEAD_KEY], const void *aad,
    size_t alen, const unsigned char *in, size_t n, unsigned char *out)
{
    int              len, rc;
    size_t           ctlen;
    EVP_CIPHER_CTX  *ctx;
    unsigned char    tag[FEAT_AEAD_TAG];

    if (n < FEAT_AEAD_OVERHEAD || n > INT_MAX || alen > INT_MAX) {
        return FEAT_DECLINED;
    }

    ctlen = n - FEAT_AEAD_OVERHEAD;
    /* OpenSSL wants the expected tag writable */
    memcpy(tag, in + n - FEAT_AEAD_TAG, FEAT_AEAD_TAG);

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        feat_crypto_die("EVP_CIPHER_CTX_new()");
    }

    rc = FEAT_ERROR;

    if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), key, in, NULL) != 1
        || (alen > 0
            && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int) alen) != 1)
        || EVP_DecryptUpdate(ctx, out, &len, in + FEAT_AEAD_NONCE,
                             (int) ctlen) != 1
        || (size_t) len != ctlen
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, FEAT_AEAD_TAG,
                               tag) != 1)
    {
        feat_log(LOG_ERR, 0, "AES-256-GCM open failed: %s",
                 ERR_error_string(ERR_get_error(), NULL));
        goto failed;
    }

    /* the tag is checked here: a wrong key, aad or any changed byte */
    if (EVP_DecryptFinal_ex(ctx, out + len, &len) != 1) {
        ERR_clear_error();
        rc = FEAT_DECLINED;
        goto failed;
    }

    EVP_CIPHER_CTX_free(ctx);
    return FEAT_OK;

failed:

    /* nothing unauthenticated is left behind */
    OPENSSL_cleanse(out, ctlen);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}



int
feat_pem_check(const char *pem, size_t n, int private)
{
    BIO       *bio;
    X509      *cert;
    EVP_PKEY  *pkey;

    if (n > INT_MAX) {
        return FEAT_DECLINED;
    }

    bio = BIO_new_mem_buf(pem, (int) n);
    if (bio == NULL) {
        feat_crypto_die("BIO_new_mem_buf()");
    }

    cert = NULL;
    pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                   : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

    if (pkey == NULL && !private) {
        BIO_reset(bio);
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    }

    BIO_free(bio);
    ERR_clear_error();

    if (pkey == NULL && cert == NULL) {
        return FEAT_DECLINED;
    }

    EVP_PKEY_free(pkey);
    X509_free(cert);

    return FEAT_OK;
}
