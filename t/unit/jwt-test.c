/*
 * jwt-test.c: HS256 sign and verify (fcgi/crypto/jwt.c): a round trip, a
 * known-answer token computed outside featcgi (python3 hmac/hashlib/base64),
 * every refusal the v1 dialect relies on, and the per-app key derivation.
 */

#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "runtime.h"
#include "../tap.h"

#define KEY       "featcgi-test-key-0123456789abcdef"
#define PAYLOAD   "{\"token_type\":\"token\",\"user_id\":42," \
                  "\"token_time\":1700000000}"

/* python3: base64url(header) "." base64url(PAYLOAD) "." HMAC-SHA256(KEY) */
#define KAT_HEAD  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define KAT_BODY  "eyJ0b2tlbl90eXBlIjoidG9rZW4iLCJ1c2VyX2lkIjo0MiwidG9r" \
                  "ZW5fdGltZSI6MTcwMDAwMDAwMH0"
#define KAT_SIG   "RpdHL0SdtuYwAgigp20JVVlk7bzVlwptyqmgzH_zl9U"
#define KAT       KAT_HEAD "." KAT_BODY "." KAT_SIG

/* the same claims signed with HMAC-SHA512 under the same key */
#define HS512     "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9." KAT_BODY \
                  ".Ws_lB6JllesU2c9_UJ1zxdglQ9j5xl8X5n26FQqotlL4RGI3_xgx" \
                  "Ct0KzbiI3vSB85dqVZXtjDdiea--7FlzhQ"

/* python3: HMAC-SHA256(SECRET, "jwt:shop") */
#define SECRET    "0123456789abcdef0123456789abcdef-secret"
#define APPKEY    "a8f2bd0f2bd4dd5a0fa7f0a8c8726c67" \
                  "7f8b351ea17f6c4611944d935984d5a5"


/* A token with the given JSON header over KAT_BODY, correctly signed. */
static const char *
forge(struct feat_arena *a, const char *header)
{
    char           h[256], sig[64];
    char          *t;
    unsigned char  mac[32];
    long           n;

    n = feat_base64_encode(header, strlen(header), h, sizeof(h), 1);
    if (n < 0) {
        return "";
    }
    t = feat_arena_sprintf(a, "%s.%s", h, KAT_BODY);
    feat_hmac_sha256(KEY, strlen(KEY), t, strlen(t), mac);
    feat_base64_encode(mac, sizeof(mac), sig, sizeof(sig), 1);
    return feat_arena_sprintf(a, "%s.%s", t, sig);
}


static int
verify(struct feat_arena *a, const char *token)
{
    cJSON  *p;

    p = NULL;
    return feat_jwt_verify(a, KEY, strlen(KEY), token, &p);
}


static void
test_sign(struct feat_arena *a)
{
    cJSON        *claims, *p, *v;
    const char   *tok;

    claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "token_type", "token");
    cJSON_AddNumberToObject(claims, "user_id", 42);
    cJSON_AddNumberToObject(claims, "token_time", 1700000000);

    ok(feat_jwt_sign(a, KEY, strlen(KEY), claims, &tok) == FEAT_OK,
       "sign answers FEAT_OK");
    is_str(tok, KAT, "sign matches the known-answer token");
    cJSON_Delete(claims);

    p = NULL;
    ok(feat_jwt_verify(a, KEY, strlen(KEY), tok, &p) == FEAT_OK,
       "round trip verifies");
    v = cJSON_GetObjectItemCaseSensitive(p, "user_id");
    ok(cJSON_IsNumber(v) && v->valuedouble == 42, "user_id comes back");
    v = cJSON_GetObjectItemCaseSensitive(p, "token_type");
    ok(cJSON_IsString(v) && strcmp(v->valuestring, "token") == 0,
       "token_type comes back");

    ok(feat_jwt_verify(a, "other", 5, tok, &p) == FEAT_ERROR,
       "another key is refused");

    claims = cJSON_CreateArray();
    ok(feat_jwt_sign(a, KEY, strlen(KEY), claims, &tok) == FEAT_ERROR,
       "sign refuses a payload that is not an object");
    cJSON_Delete(claims);
}


static void
test_refusals(struct feat_arena *a)
{
    char  *t, *big;
    size_t n;

    ok(verify(a, KAT) == FEAT_OK, "the known-answer token verifies");

    ok(verify(a, forge(a, "{\"alg\":\"HS256\"}")) == FEAT_OK,
       "a header without typ is fine");
    ok(verify(a, forge(a, "{\"alg\":\"none\",\"typ\":\"JWT\"}"))
       == FEAT_ERROR, "alg none refused (even when signed)");
    ok(verify(a, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." KAT_BODY ".")
       == FEAT_ERROR, "alg none with an empty signature refused");
    ok(verify(a, HS512) == FEAT_ERROR, "HS512 refused");
    ok(verify(a, forge(a, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"))
       == FEAT_ERROR, "RS256 refused");
    ok(verify(a, forge(a, "{\"typ\":\"JWT\"}")) == FEAT_ERROR,
       "missing alg refused");
    ok(verify(a, forge(a, "{\"alg\":\"hs256\"}")) == FEAT_ERROR,
       "alg is case-sensitive");
    ok(verify(a, forge(a, "{\"alg\":\"HS256\",\"crit\":[\"x\"]}"))
       == FEAT_ERROR, "crit refused");
    ok(verify(a, forge(a, "[\"HS256\"]")) == FEAT_ERROR,
       "header not an object refused");
    ok(verify(a, forge(a, "{\"alg\":\"HS256\"")) == FEAT_ERROR,
       "header not JSON refused");

    /* tampered payload: user_id 42 -> 43, signature kept */
    t = feat_arena_sprintf(a, "%s.%s.%s", KAT_HEAD,
        "eyJ0b2tlbl90eXBlIjoidG9rZW4iLCJ1c2VyX2lkIjo0MywidG9r"
        "ZW5fdGltZSI6MTcwMDAwMDAwMH0", KAT_SIG);
    ok(verify(a, t) == FEAT_ERROR, "tampered payload refused");

    t = feat_arena_strdup(a, KAT);
    n = strlen(t);
    t[n - 5] = (t[n - 5] == 'A') ? 'B' : 'A';
    ok(verify(a, t) == FEAT_ERROR, "tampered signature refused");

    /* the last character carries 2 spare bits: flipping them is refused */
    t = feat_arena_strdup(a, KAT);
    t[n - 1] = 'V';
    ok(verify(a, t) == FEAT_ERROR, "non-canonical signature refused");

    t = feat_arena_strndup(a, KAT, n - 1);
    ok(verify(a, t) == FEAT_ERROR, "truncated signature refused");
    ok(verify(a, KAT_HEAD "." KAT_BODY) == FEAT_ERROR, "two parts refused");
    ok(verify(a, KAT ".x") == FEAT_ERROR, "four parts refused");
    ok(verify(a, KAT "=") == FEAT_ERROR, "padding refused");
    ok(verify(a, KAT_HEAD ".." KAT_SIG) == FEAT_ERROR, "empty payload refused");
    ok(verify(a, "") == FEAT_ERROR, "empty token refused");
    ok(verify(a, "a.b.c") == FEAT_ERROR, "garbage refused");
    ok(verify(a, NULL) == FEAT_ERROR, "NULL refused");

    t = feat_arena_sprintf(a, KAT_HEAD ".%s." KAT_SIG, "eyJ0b2tlbl90eX*l");
    ok(verify(a, t) == FEAT_ERROR, "bad base64url refused");

    big = feat_arena_alloc(a, FEAT_JWT_MAX + 64);
    memset(big, 'A', FEAT_JWT_MAX + 63);
    big[FEAT_JWT_MAX + 63] = '\0';
    memcpy(big, KAT, strlen(KAT));
    ok(verify(a, big) == FEAT_ERROR, "over-long token refused");
}


static void
test_payload_kinds(struct feat_arena *a)
{
    cJSON       *j;
    const char  *tok;

    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "s", "\xe4\xb8\xad\xe6\x96\x87");
    ok(feat_jwt_sign(a, KEY, strlen(KEY), j, &tok) == FEAT_OK
       && verify(a, tok) == FEAT_OK, "UTF-8 claims round trip");
    cJSON_Delete(j);

    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "pad", "");
    {
        char  *s = feat_arena_alloc(a, FEAT_JWT_MAX);

        memset(s, 'x', FEAT_JWT_MAX - 1);
        s[FEAT_JWT_MAX - 1] = '\0';
        cJSON_AddStringToObject(j, "big", s);
    }
    ok(feat_jwt_sign(a, KEY, strlen(KEY), j, &tok) == FEAT_ERROR,
       "sign refuses a token longer than FEAT_JWT_MAX");
    cJSON_Delete(j);
}


static void
test_app_key(void)
{
    unsigned char  k1[32], k2[32];
    char           hex[65];

    ok(feat_conf_set(FEAT_CONF_SECRET, SECRET) == FEAT_OK, "secret set");
    feat_jwt_app_key("shop", k1);
    feat_hex(k1, sizeof(k1), hex);
    is_str(hex, APPKEY, "app key is HMAC(secret, \"jwt:\" app)");

    feat_jwt_app_key("", k2);
    ok(memcmp(k1, k2, 32) != 0, "apps get different keys");
}


/* ES256: a fresh P-256 key signs; OpenSSL verifies r || s as DER. */
static void
test_es256(struct feat_arena *a)
{
    char                 *pem, *dot;
    long                  len;
    BIO                  *bio;
    size_t                derlen;
    EVP_PKEY             *key;
    EVP_MD_CTX           *md;
    ECDSA_SIG            *es;
    const char           *jwt;
    unsigned char         sig[64], *der, raw[80];
    long                  n;

    key = EVP_EC_gen("P-256");
    ok(key != NULL, "a P-256 key");
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    len = BIO_get_mem_data(bio, &pem);

    ok(feat_es256_sign(pem, (size_t) len, "abc", 3, sig) == FEAT_OK,
       "feat_es256_sign: FEAT_OK");

    es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    der = NULL;
    derlen = (size_t) i2d_ECDSA_SIG(es, &der);
    md = EVP_MD_CTX_new();
    ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1
       && EVP_DigestVerify(md, der, derlen, (const unsigned char *) "abc", 3)
          == 1, "... r || s verifies");
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);

    ok(feat_jwt_es256(a, pem, (size_t) len, "KEY123", "TEAM45", 1700000000,
                      &jwt) == FEAT_OK, "feat_jwt_es256: FEAT_OK");
    ok(strncmp(jwt, "eyJhbGciOiJFUzI1NiIsImtpZCI6IktFWTEyMyJ9.", 41) == 0,
       "... header {\"alg\":\"ES256\",\"kid\":\"KEY123\"}");
    dot = strrchr(jwt, '.');
    n = feat_base64_decode(dot + 1, strlen(dot + 1), raw, sizeof(raw), 1);
    ok(n == 64, "... a 64-byte signature");

    ok(feat_es256_sign("junk", 4, "abc", 3, sig) == FEAT_ERROR,
       "a key that is no PEM: FEAT_ERROR");

    BIO_free(bio);
    EVP_PKEY_free(key);
}


int
main(void)
{
    struct feat_arena  *a;

    a = feat_arena_create();

    test_sign(a);
    test_refusals(a);
    test_payload_kinds(a);
    test_app_key();
    test_es256(a);

    feat_arena_destroy(a);
    feat_conf_free();
    return done_testing();
}
