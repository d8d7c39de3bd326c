/*
 * jwt.c: the v1 dialect's JSON Web Tokens, HS256 only (RFC 7519, RFC 7515
 * compact serialization).  Signing always writes the one header
 * {"alg":"HS256","typ":"JWT"}; verifying refuses every other algorithm,
 * "none" included, before it looks at the signature, compares the MAC in
 * constant time, and parses the payload only once the MAC has matched.
 * Base64url goes through crypto.c's strict decoder (no padding, no stray
 * bits), because a JWS segment has exactly one valid spelling and a
 * lenient decoder would let several spellings of one signature verify.
 * Claims (token_type, token_time) are the caller's business.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"

#define FEAT_JWT_HEADER  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"


/*
 * Decodes a segment, unpadded base64url, into an arena buffer with a NUL
 * after the data (so JSON can be parsed in place).  feat_base64_decode's
 * url form is strict: no padding, no character outside the alphabet, no
 * impossible length, no non-zero trailing bits.
 */
static int
feat_jwt_b64decode(struct feat_arena *a, const char *s, size_t n,
    unsigned char **out, size_t *outn)
{
    long            len;
    size_t          cap;
    unsigned char  *d;

    cap = n / 4 * 3 + 3;
    d = feat_arena_alloc(a, cap);

    len = feat_base64_decode(s, n, d, cap, 1);
    if (len < 0) {
        return FEAT_ERROR;
    }

    *out = d;
    *outn = (size_t) len;
    return FEAT_OK;
}


/* Writes the unpadded base64url of in[0..n) at out; answers its length,
 * or 0 when it does not fit. */
static size_t
feat_jwt_b64encode(const void *in, size_t n, char *out, size_t outsz)
{
    long  len;

    len = feat_base64_encode(in, n, out, outsz, 1);

    return (len < 0) ? 0 : (size_t) len;
}


int
feat_jwt_sign(struct feat_arena *a, const void *key, size_t klen,
    cJSON *payload, const char **out)
{
    char           *json, *tok;
    size_t          jlen, hlen, plen, slen, cap;
    unsigned char   mac[32];

    if (payload == NULL || !cJSON_IsObject(payload)) {
        return FEAT_ERROR;
    }

    json = cJSON_PrintUnformatted(payload);
    if (json == NULL) {
        feat_log(LOG_ERR, 0, "jwt: cannot serialize the payload");
        return FEAT_ERROR;
    }
    jlen = strlen(json);

    /* base64 grows by 4/3; room for padding, two dots, the MAC and a NUL */
    cap = (sizeof(FEAT_JWT_HEADER) / 3 + 1) * 4
          + (jlen / 3 + 1) * 4 + (32 / 3 + 1) * 4 + 8;
    if (cap > FEAT_JWT_MAX * 2) {
        cJSON_free(json);
        return FEAT_ERROR;
    }
    tok = feat_arena_alloc(a, cap);

    hlen = feat_jwt_b64encode(FEAT_JWT_HEADER, sizeof(FEAT_JWT_HEADER) - 1,
                              tok, cap);
    tok[hlen] = '.';
    plen = feat_jwt_b64encode(json, jlen, tok + hlen + 1, cap - hlen - 1);
    cJSON_free(json);
    if (hlen == 0 || plen == 0) {
        return FEAT_ERROR;
    }

    feat_hmac_sha256(key, klen, tok, hlen + 1 + plen, mac);

    tok[hlen + 1 + plen] = '.';
    slen = feat_jwt_b64encode(mac, sizeof(mac), tok + hlen + plen + 2,
                              cap - hlen - plen - 2);
    if (slen == 0 || hlen + plen + slen + 2 > FEAT_JWT_MAX) {
        return FEAT_ERROR;
    }

    *out = tok;
    return FEAT_OK;
}


/* Parses a whole NUL-terminated buffer of n bytes as one JSON value. */
static cJSON *
feat_jwt_json(const unsigned char *buf, size_t n)
{
    cJSON       *j;
    const char  *end;

    end = NULL;
    j = cJSON_ParseWithOpts((const char *) buf, &end, 1);
    if (j == NULL) {
        return NULL;
    }

    /* a NUL inside the segment would end the parse early: refuse it */
    if (end != (const char *) buf + n) {
        cJSON_Delete(j);
        return NULL;
    }

    return j;
}


/* Checks the decoded header: an object whose alg is exactly "HS256". */
static int
feat_jwt_header_ok(const unsigned char *buf, size_t n)
{
    cJSON  *h, *alg;
    int     ok;

    h = feat_jwt_json(buf, n);
    if (h == NULL) {
        return 0;
    }

    alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    ok = cJSON_IsObject(h)
         && cJSON_IsString(alg)
         && strcmp(alg->valuestring, "HS256") == 0
         /* we understand no extension, so "crit" must be refused */
         && cJSON_GetObjectItemCaseSensitive(h, "crit") == NULL;

    cJSON_Delete(h);
    return ok;
}


int
feat_jwt_verify(struct feat_arena *a, const void *key, size_t klen,
    const char *token, cJSON **payload)
{
    const char     *d1, *d2, *sig;
    size_t          n, hlen, plen, slen, len;
    unsigned char  *buf, *mac;
    unsigned char   want[32];
    cJSON          *j;

    if (token == NULL) {
        return FEAT_ERROR;
    }

    n = strnlen(token, FEAT_JWT_MAX + 1);
    if (n > FEAT_JWT_MAX) {
        return FEAT_ERROR;
    }

    d1 = memchr(token, '.', n);
    if (d1 == NULL) {
        return FEAT_ERROR;
    }
    d2 = memchr(d1 + 1, '.', n - (size_t) (d1 + 1 - token));
    if (d2 == NULL) {
        return FEAT_ERROR;
    }
    sig = d2 + 1;

    hlen = (size_t) (d1 - token);
    plen = (size_t) (d2 - d1 - 1);
    slen = n - (size_t) (sig - token);

    /* a fourth part (JWE has five) is simply a bad signature segment */
    if (hlen == 0 || plen == 0 || slen == 0) {
        return FEAT_ERROR;
    }

    if (feat_jwt_b64decode(a, token, hlen, &buf, &len) != FEAT_OK
        || !feat_jwt_header_ok(buf, len))
    {
        return FEAT_ERROR;
    }

    if (feat_jwt_b64decode(a, sig, slen, &mac, &len) != FEAT_OK
        || len != sizeof(want))
    {
        return FEAT_ERROR;
    }

    feat_hmac_sha256(key, klen, token, hlen + 1 + plen, want);
    if (!feat_ct_equal(mac, want, sizeof(want))) {
        return FEAT_ERROR;
    }

    /* only an authenticated payload is parsed */
    if (feat_jwt_b64decode(a, d1 + 1, plen, &buf, &len) != FEAT_OK) {
        return FEAT_ERROR;
    }

    j = feat_jwt_json(buf, len);
    if (j == NULL) {
        return FEAT_ERROR;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return FEAT_ERROR;
    }

    *payload = feat_arena_json(a, j);
    return FEAT_OK;
}


void
feat_jwt_app_key(const char *app_id, unsigned char key[32])
{
    const char  *secret;
    char         small[4 + 128], *buf;
    size_t       n;

    secret = feat_conf_str(FEAT_CONF_SECRET);
    if (app_id == NULL) {
        app_id = "";
    }

    /* app ids are short; a long one still gets its own key, never a cut */
    n = strlen(app_id);
    buf = small;
    if (n > sizeof(small) - 4) {
        buf = malloc(4 + n);
        if (buf == NULL) {
            feat_log(LOG_EMERG, errno, "malloc(%zu) failed", 4 + n);
            abort();
        }
    }
    memcpy(buf, "jwt:", 4);
    memcpy(buf + 4, app_id, n);

    feat_hmac_sha256(secret, strlen(secret), buf, 4 + n, key);

    if (buf != small) {
        free(buf);
    }
}
