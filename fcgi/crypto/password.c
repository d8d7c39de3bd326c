/*
 * password.c: password hashing.  Passwords are hashed with scrypt through
 * OpenSSL's EVP_KDF and stored as "$scrypt$ln=15,r=8,p=3$<salt>$<hash>"
 * (standard base64 without padding), so the parameters travel with the
 * hash and can be raised later.  scrypt is deliberately costly in memory
 * and time, so hashes run under an install-wide cap in shared memory that
 * the master creates before fork and every worker inherits.  The cap never
 * parks a worker for long, and never lets every worker hash: at most
 * workers - 1 hash at once, and a hash that finds no slot waits only when
 * one is expected to free within scrypt.wait ms; otherwise it is refused at
 * once with FEAT_BUSY, and the request is answered as throttled.  A storm
 * of logins thus cannot take the workers that serve everything else.
 *
 * Nor their CPU: a hash runs in a thread of its own at scrypt.nice (10 by
 * default), while the worker that asked waits for it.  On a small machine
 * the hashing worker otherwise gets a CPU's full share next to the worker
 * serving reads, nginx and the clients; at nice 10 the scheduler weighs
 * it at a tenth of them, so reads keep their latency while logins run on
 * what is left.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

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
static EVP_KDF  *feat_scrypt_kdf;     /* fetched once per process */
static int       feat_pw_nice;        /* scrypt.nice, 0: hash inline */

/* One derivation, handed to the hashing thread and back. */
struct feat_pw_job {
    EVP_KDF_CTX         *ctx;
    unsigned char       *out;
    size_t               outlen;
    const OSSL_PARAM    *params;
    int                  nice;
    int                  rc;      /* EVP_KDF_derive()'s */
};


int
feat_crypto_init_shared(void)
{
    long long               max, workers, wait, nice;
    const char             *hash_on;
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

    nice = feat_conf_int(FEAT_CONF_SCRYPT_NICE);
    if (nice < 0 || nice > 19) {
        feat_log(LOG_EMERG, 0, "\"scrypt.nice\" must be 0..19");
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

    /*
     * With a hashing pool the hashes belong there, and the same rule
     * holds inside it: one of its workers stays out of hashing, to refuse
     * at once the logins beyond the cap instead of leaving them queued on
     * its socket (a pool of one can only queue them).  A password route
     * that reaches the main pool anyway takes a slot of the same cap.
     */
    hash_on = feat_conf_path(FEAT_CONF_HASH_LISTEN);
    if (hash_on != NULL && hash_on[0] != '\0') {
        workers = feat_conf_int(FEAT_CONF_HASH_WORKERS);
        if (workers < 2) {
            workers = 2;        /* a pool of one: one hash at a time */
        }
    }

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
    feat_pw_nice = (int) nice;

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


static void *
feat_pw_thread(void *arg)
{
    struct feat_pw_job  *job = arg;

    /* Linux's nice is the thread's: the worker's own stays as it was. */
    if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid), job->nice)
        != 0)
    {
        feat_log(LOG_WARNING, errno, "setpriority(%d) of the hash failed",
                 job->nice);
    }

    job->rc = EVP_KDF_derive(job->ctx, job->out, job->outlen, job->params);

    return NULL;
}


/*
 * EVP_KDF_derive() at scrypt.nice: in a thread made for the hash, the
 * caller blocked until it ends (a hash costs ~100 ms, the thread tens of
 * microseconds).  Signals stay with the caller: the thread inherits its
 * mask, which holds the worker's signals while a request is in hand.
 * Inline when scrypt.nice is 0, or when no thread can be made.
 */
static int
feat_pw_derive(EVP_KDF_CTX *ctx, unsigned char *out, size_t outlen,
    const OSSL_PARAM *params)
{
    int                 err;
    pthread_t           t;
    struct feat_pw_job  job;

    if (feat_pw_nice == 0) {
        return EVP_KDF_derive(ctx, out, outlen, params);
    }

    job.ctx = ctx;
    job.out = out;
    job.outlen = outlen;
    job.params = params;
    job.nice = feat_pw_nice;
    job.rc = 0;

    err = pthread_create(&t, NULL, feat_pw_thread, &job);
    if (err != 0) {
        feat_log(LOG_WARNING, err, "pthread_create() failed: hashing inline");
        return EVP_KDF_derive(ctx, out, outlen, params);
    }

    pthread_join(t, NULL);

    return job.rc;
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

    rc = feat_pw_derive(ctx, out, outlen, params);
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

    /* Counted by the tests that prove how many passwords were checked
     * (lockout races, dummy hashes): the outcome is not logged. */
    feat_log(LOG_DEBUG, 0, "scrypt: a password checked");

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


int
feat_password_verify_dummy(const char *password)
{
    int   rc;
    char  stored[128];

    /*
     * A hash no password gives (a zero salt and a zero result, in the
     * stored form: standard base64 without padding) at the configured
     * parameters, so the check costs what a wrong password's costs.
     */
    snprintf(stored, sizeof(stored),
             "$scrypt$ln=%lld,r=%lld,p=%lld$%s$%s",
             feat_conf_int(FEAT_CONF_SCRYPT_LN),
             feat_conf_int(FEAT_CONF_SCRYPT_R),
             feat_conf_int(FEAT_CONF_SCRYPT_P),
             "AAAAAAAAAAAAAAAAAAAAAA",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    rc = feat_password_verify(password, stored, NULL);

    return rc == FEAT_OK ? FEAT_DECLINED : rc;
}
