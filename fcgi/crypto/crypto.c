/*
 * crypto.c: random bytes and strings, SHA-256, HMAC-SHA256, constant-time
 * comparison, base64 (standard and url alphabets), password hashing,
 * values sealed with AES-256-GCM and PEM key checks, all over OpenSSL 3.
 * Passwords are hashed with scrypt through EVP_KDF and stored as
 * "$scrypt$ln=15,r=8,p=3$<salt>$<hash>" (standard base64 without
 * padding), so the parameters travel with the hash and can be raised later.
 * scrypt is deliberately costly in memory and time, so hashes run under an
 * install-wide cap in shared memory that the master creates before fork and
 * every worker inherits.  The cap never parks a worker for long, and never
 * lets every worker hash: at most workers - 1 hash at once, and a hash that
 * finds no slot waits only when one is expected to free within scrypt.wait
 * ms; otherwise it is refused at once with FEAT_BUSY, and the request is
 * answered as throttled.  A storm of logins thus cannot take the workers
 * that serve everything else.  Last, RSA signatures (SHA256withRSA with
 * PEM keys) for the payment gateways.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "runtime.h"

#define FEAT_PW_MAX        1024    /* longer passwords are refused */
#define FEAT_PW_SALT       16
#define FEAT_PW_HASH       32
#define FEAT_PW_SALT_MIN   8       /* what a stored hash may hold */
#define FEAT_PW_SALT_MAX   64
#define FEAT_PW_HASH_MIN   16
#define FEAT_PW_HASH_MAX   64
#define FEAT_PW_LN_MAX     20
#define FEAT_PW_R_MAX      32
#define FEAT_PW_P_MAX      16
#define FEAT_PW_SLOTS_MAX  64      /* hashes at once, whatever the config */

/*
 * The install-wide cap on password hashing, in memory the master maps
 * before fork.  slot[0..slots-1] hold the pid of the process hashing in
 * them (0: free) and since when; slots is scrypt.max_concurrent but at most
 * workers - 1, so one worker is always out of hashing.  Slots are claimed
 * with compare-and-swap, so a process that dies holding one leaves a pid
 * that the next claim finds dead and takes over.  avg_ns, the recent
 * duration of a hash, tells a process that finds every slot taken whether
 * one will free within scrypt.wait: only then does it wait.
 */
struct feat_pw_shared {
    int                  slots;
    long long            wait_ns;     /* scrypt.wait */
    _Atomic long long    avg_ns;
    _Atomic pid_t        slot[FEAT_PW_SLOTS_MAX];
    _Atomic long long    since[FEAT_PW_SLOTS_MAX];
};

static struct feat_pw_shared  *feat_pw_shared;
static EVP_MAC  *feat_hmac_mac;   /* fetched once per process */
static EVP_KDF  *feat_scrypt_kdf;
/*
 * SHA-256 and a context for it, also fetched once: EVP_Digest with
 * EVP_sha256() looks the provider's implementation up on every call, which
 * cost half of the token check's hash (every authenticated request hashes
 * its token).
 */
static EVP_MD      *feat_sha256_md;
static EVP_MD_CTX  *feat_sha256_ctx;


/* OpenSSL failing where it cannot is a broken install: stop here. */
static void
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
feat_hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
    unsigned char out[32])
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
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    /* An empty key is legal in HMAC; OpenSSL wants a pointer all the same. */
    if (key == NULL || klen == 0) {
        key = empty;
        klen = 0;
    }

    if (EVP_MAC_init(ctx, key, klen, params) != 1
        || EVP_MAC_update(ctx, data, n) != 1
        || EVP_MAC_final(ctx, out, &len, 32) != 1
        || len != 32)
    {
        feat_crypto_die("HMAC-SHA256");
    }

    EVP_MAC_CTX_free(ctx);
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


int
feat_crypto_init_shared(void)
{
    long long               max, workers, wait;
    struct feat_pw_shared  *sh;

    max = feat_conf_int(FEAT_CONF_SCRYPT_MAX_CONCURRENT);
    if (max < 1 || max > 1024) {
        feat_log(LOG_EMERG, 0, "\"scrypt.max_concurrent\" must be 1..1024");
        return FEAT_ERROR;
    }

    wait = feat_conf_int(FEAT_CONF_SCRYPT_WAIT);
    if (wait < 0 || wait > 10000) {
        feat_log(LOG_EMERG, 0, "\"scrypt.wait\" must be 0..10000 (ms)");
        return FEAT_ERROR;
    }

    sh = mmap(NULL, sizeof(struct feat_pw_shared), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        feat_log(LOG_EMERG, errno, "mmap(%zu) failed",
                 sizeof(struct feat_pw_shared));
        return FEAT_ERROR;
    }

    /*
     * One worker always stays out of hashing, so that reads keep flowing
     * however many logins arrive (a single worker has nothing to keep).
     */
    workers = feat_conf_int(FEAT_CONF_WORKERS);
    if (workers > 1 && max > workers - 1) {
        max = workers - 1;
    }

    sh->slots = (int) (max < FEAT_PW_SLOTS_MAX ? max : FEAT_PW_SLOTS_MAX);
    sh->wait_ns = wait * 1000000;

    /*
     * On reload the master makes a new region for the new workers; the
     * old ones keep their own mapping of the old one until they exit, so
     * only this process's mapping is dropped.
     */
    if (feat_pw_shared != NULL) {
        munmap(feat_pw_shared, sizeof(struct feat_pw_shared));
    }

    feat_pw_shared = sh;

    return FEAT_OK;
}


static long long
feat_pw_clock(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/*
 * Claims a free slot for this process: its index, or -1 when every slot
 * is held.  When all are held they are looked at once more for processes
 * that died holding one (a worker killed while hashing never gives back),
 * whose slot is taken over: no leak outlives the next claim, and the fast
 * path makes no system call.
 */
static int
feat_pw_claim(struct feat_pw_shared *sh, pid_t me)
{
    int    i;
    pid_t  p;

    for (i = 0; i < sh->slots; i++) {
        p = 0;
        if (atomic_compare_exchange_strong(&sh->slot[i], &p, me)) {
            return i;
        }
    }

    for (i = 0; i < sh->slots; i++) {
        p = atomic_load(&sh->slot[i]);
        if (p != 0 && p != me && kill(p, 0) == -1 && errno == ESRCH
            && atomic_compare_exchange_strong(&sh->slot[i], &p, me))
        {
            feat_log(LOG_WARNING, 0, "password hashing slot of dead "
                     "process %ld taken over", (long) p);
            return i;
        }
    }

    return -1;
}


/*
 * Takes a hashing slot under the cap: FEAT_OK with *slot to give back (-1
 * when there is no cap), or FEAT_BUSY, having waited only while a slot
 * was expected to free before the scrypt.wait deadline.  The caller then
 * refuses its request as throttled.
 */
static int
feat_pw_slot_take(int *slot)
{
    int                     i;
    pid_t                   me;
    long long               now, end, soonest, t, avg;
    struct feat_pw_shared  *sh;
    static const struct timespec  tick = { 0, 200000 };

    *slot = -1;

    sh = feat_pw_shared;
    if (sh == NULL) {
        return FEAT_OK;
    }

    me = getpid();
    now = feat_pw_clock();
    end = now + sh->wait_ns;

    for ( ;; ) {
        *slot = feat_pw_claim(sh, me);
        if (*slot >= 0) {
            atomic_store(&sh->since[*slot], feat_pw_clock());
            return FEAT_OK;
        }

        /*
         * When does the first running hash end, by the recent average?
         * Waiting longer than the deadline would only park this worker.
         */
        avg = atomic_load(&sh->avg_ns);
        soonest = LLONG_MAX;
        for (i = 0; i < sh->slots; i++) {
            t = atomic_load(&sh->since[i]) + avg;
            if (t < soonest) {
                soonest = t;
            }
        }

        if (now >= end || soonest > end) {
            return FEAT_BUSY;
        }

        nanosleep(&tick, NULL);
        now = feat_pw_clock();
    }
}


int
feat_password_busy(void)
{
    int                     i;
    pid_t                   p;
    long long               end, avg;
    struct feat_pw_shared  *sh;

    sh = feat_pw_shared;
    if (sh == NULL) {
        return 0;
    }

    end = feat_pw_clock() + sh->wait_ns;
    avg = atomic_load(&sh->avg_ns);

    for (i = 0; i < sh->slots; i++) {
        p = atomic_load(&sh->slot[i]);

        /* free, about to be, or held by the dead: a hash would run */
        if (p == 0
            || (sh->wait_ns > 0 && atomic_load(&sh->since[i]) + avg <= end)
            || (kill(p, 0) == -1 && errno == ESRCH))
        {
            return 0;
        }
    }

    return 1;
}


static void
feat_pw_slot_give(int slot)
{
    long long               d, avg;
    struct feat_pw_shared  *sh;

    if (slot < 0) {
        return;
    }

    sh = feat_pw_shared;

    /* A rough moving average: lost updates between processes are fine. */
    d = feat_pw_clock() - atomic_load(&sh->since[slot]);
    avg = atomic_load(&sh->avg_ns);
    atomic_store(&sh->avg_ns, avg == 0 ? d : avg + (d - avg) / 8);

    atomic_store(&sh->slot[slot], 0);
}


int
feat_crypto_pw_slots(void)
{
    int                     i, n;
    struct feat_pw_shared  *sh;

    sh = feat_pw_shared;
    if (sh == NULL) {
        return -1;
    }

    n = 0;
    for (i = 0; i < sh->slots; i++) {
        if (atomic_load(&sh->slot[i]) == 0) {
            n++;
        }
    }

    return n;
}


/* scrypt(password, salt) with N = 2^ln into out[outlen]. */
static int
feat_scrypt(const char *password, size_t plen, const unsigned char *salt,
    size_t slen, unsigned ln, unsigned r, unsigned p, unsigned char *out,
    size_t outlen)
{
    int           rc, slot;
    uint64_t      n, maxmem;
    uint32_t      r32, p32;
    EVP_KDF_CTX  *ctx;
    OSSL_PARAM    params[7], *q;
    static const char  empty[1];

    if (feat_scrypt_kdf == NULL) {
        feat_scrypt_kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
        if (feat_scrypt_kdf == NULL) {
            feat_log(LOG_EMERG, 0, "EVP_KDF_fetch(SCRYPT) failed");
            return FEAT_ERROR;
        }
    }

    n = (uint64_t) 1 << ln;
    r32 = r;
    p32 = p;

    /*
     * scrypt needs 128 * r * N bytes for V and 128 * r * p for B; the
     * KDF refuses parameters above its maxmem, so it is set to what
     * these parameters need, plus slack for its own bookkeeping.
     */
    maxmem = 128 * (uint64_t) r * (n + p + 2) + 1024 * 1024;

    if (plen == 0) {
        password = empty;
    }

    q = params;
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                             (void *) password, plen);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                             (void *) salt, slen);
    *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32);
    *q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32);
    *q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
                                       &maxmem);
    *q = OSSL_PARAM_construct_end();

    if (feat_pw_slot_take(&slot) != FEAT_OK) {
        return FEAT_BUSY;
    }

    ctx = EVP_KDF_CTX_new(feat_scrypt_kdf);
    if (ctx == NULL) {
        feat_pw_slot_give(slot);
        feat_log(LOG_ERR, 0, "EVP_KDF_CTX_new() failed");
        return FEAT_ERROR;
    }

    rc = EVP_KDF_derive(ctx, out, outlen, params);
    feat_pw_slot_give(slot);

    EVP_KDF_CTX_free(ctx);

    if (rc != 1) {
        feat_log(LOG_ERR, 0, "scrypt(ln=%u,r=%u,p=%u) failed: %s", ln, r, p,
                 ERR_error_string(ERR_get_error(), NULL));
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* The configured parameters, bounded like stored ones. */
static int
feat_pw_params(unsigned *ln, unsigned *r, unsigned *p)
{
    long long  vln, vr, vp;

    vln = feat_conf_int(FEAT_CONF_SCRYPT_LN);
    vr = feat_conf_int(FEAT_CONF_SCRYPT_R);
    vp = feat_conf_int(FEAT_CONF_SCRYPT_P);

    if (vln < 1 || vln > FEAT_PW_LN_MAX || vr < 1 || vr > FEAT_PW_R_MAX
        || vp < 1 || vp > FEAT_PW_P_MAX)
    {
        feat_log(LOG_ERR, 0, "scrypt parameters out of bounds: "
                 "ln 1..%d, r 1..%d, p 1..%d", FEAT_PW_LN_MAX, FEAT_PW_R_MAX,
                 FEAT_PW_P_MAX);
        return FEAT_ERROR;
    }

    *ln = (unsigned) vln;
    *r = (unsigned) vr;
    *p = (unsigned) vp;

    return FEAT_OK;
}


int
feat_password_hash(const char *password, char *out, size_t outsz)
{
    int            n, rc;
    size_t         plen;
    unsigned       ln, r, p;
    unsigned char  salt[FEAT_PW_SALT], hash[FEAT_PW_HASH];
    char           bsalt[32], bhash[48];

    plen = strlen(password);
    if (plen > FEAT_PW_MAX) {
        return FEAT_ERROR;
    }

    if (feat_pw_params(&ln, &r, &p) != FEAT_OK) {
        return FEAT_ERROR;
    }

    feat_random(salt, sizeof(salt));

    rc = feat_scrypt(password, plen, salt, sizeof(salt), ln, r, p, hash,
                     sizeof(hash));
    if (rc != FEAT_OK) {
        return rc;
    }

    /* Standard alphabet, padding dropped: '=' would only be noise. */
    feat_base64_encode(salt, sizeof(salt), bsalt, sizeof(bsalt), 0);
    feat_base64_encode(hash, sizeof(hash), bhash, sizeof(bhash), 0);
    bsalt[strcspn(bsalt, "=")] = '\0';
    bhash[strcspn(bhash, "=")] = '\0';

    OPENSSL_cleanse(hash, sizeof(hash));

    n = snprintf(out, outsz, "$scrypt$ln=%u,r=%u,p=%u$%s$%s", ln, r, p,
                 bsalt, bhash);
    if (n < 0 || (size_t) n >= outsz) {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Parses "<name>=<1..max>" at *s and then the separator sep. */
static int
feat_pw_number(const char **s, const char *name, unsigned max, char sep,
    unsigned *out)
{
    size_t       len;
    unsigned     v;
    const char  *p;

    len = strlen(name);
    p = *s;

    if (strncmp(p, name, len) != 0 || p[len] != '=') {
        return FEAT_ERROR;
    }
    p += len + 1;

    /* Digits only, no leading zero, at most two of them (max <= 32). */
    if (p[0] < '1' || p[0] > '9') {
        return FEAT_ERROR;
    }
    v = (unsigned) (p[0] - '0');
    p++;
    if (p[0] >= '0' && p[0] <= '9') {
        v = v * 10 + (unsigned) (p[0] - '0');
        p++;
    }

    if (v > max || *p != sep) {
        return FEAT_ERROR;
    }

    *s = p + 1;
    *out = v;

    return FEAT_OK;
}


int
feat_password_verify(const char *password, const char *stored, int *rehash)
{
    int            rc;
    long           slen, hlen;
    size_t         plen;
    unsigned       ln, r, p, cln, cr, cp;
    const char    *s, *dollar;
    unsigned char  salt[FEAT_PW_SALT_MAX + 1], hash[FEAT_PW_HASH_MAX + 1];
    unsigned char  calc[FEAT_PW_HASH_MAX];

    if (rehash != NULL) {
        *rehash = 0;
    }

    if (stored == NULL || strncmp(stored, "$scrypt$", 8) != 0) {
        return FEAT_ERROR;
    }

    s = stored + 8;

    if (feat_pw_number(&s, "ln", FEAT_PW_LN_MAX, ',', &ln) != FEAT_OK
        || feat_pw_number(&s, "r", FEAT_PW_R_MAX, ',', &r) != FEAT_OK
        || feat_pw_number(&s, "p", FEAT_PW_P_MAX, '$', &p) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    dollar = strchr(s, '$');
    if (dollar == NULL) {
        return FEAT_ERROR;
    }

    slen = feat_base64_decode(s, (size_t) (dollar - s), salt, sizeof(salt),
                              0);
    hlen = feat_base64_decode(dollar + 1, strlen(dollar + 1), hash,
                              sizeof(hash), 0);

    if (slen < FEAT_PW_SALT_MIN || slen > FEAT_PW_SALT_MAX
        || hlen < FEAT_PW_HASH_MIN || hlen > FEAT_PW_HASH_MAX)
    {
        return FEAT_ERROR;
    }

    /* Refused, not an error: the stored hash is fine. */
    plen = strlen(password);
    if (plen > FEAT_PW_MAX) {
        return FEAT_DECLINED;
    }

    rc = feat_scrypt(password, plen, salt, (size_t) slen, ln, r, p, calc,
                     (size_t) hlen);
    if (rc != FEAT_OK) {
        return rc;
    }

    rc = CRYPTO_memcmp(calc, hash, (size_t) hlen) == 0
         ? FEAT_OK : FEAT_DECLINED;

    OPENSSL_cleanse(calc, sizeof(calc));

    if (rc == FEAT_OK && rehash != NULL
        && feat_pw_params(&cln, &cr, &cp) == FEAT_OK
        && (ln < cln || r < cr || p < cp || slen < FEAT_PW_SALT
            || hlen < FEAT_PW_HASH))
    {
        *rehash = 1;
    }

    return rc;
}


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
