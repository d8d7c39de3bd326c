/*
 * crypto-test.c: fcgi/crypto/crypto.c, fcgi/store/db.c and fcgi/store/rate.c.  Known-answer
 * vectors for SHA-256, HMAC-SHA256 (RFC 4231) and scrypt (RFC 7914, through
 * a stored password string), base64 round trips and refusals, random
 * strings, constant-time comparison, password hash and verify with small
 * parameters, AES-256-GCM sealing (the GCM spec's test case 16, round
 * trips and every refusal), the settings' sealing, URL and value checks,
 * then the database helpers and the rate limiter on a fresh database in a
 * temporary directory, and SHA256withRSA signatures with PEM key files
 * made here (checked against OpenSSL's own verifier).
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "runtime.h"
#include "../tap.h"

#define SECRET  "crypto-test-secret-0123456789abcdef0123"

/* RFC 7914 section 12: scrypt("pleaseletmein", "SodiumChloride",
 * N = 16384, r = 8, p = 1, 64 bytes), as a stored password string. */
#define RFC7914  "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$" \
                 "cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LU" \
                 "lwUkKpr55h6F3A1lHkDfzwF7RVdYhw"

static char  dir[] = "/tmp/feat-crypto-XXXXXX";


static void
test_digests(void)
{
    char  hex[65];

    feat_sha256_hex("abc", hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223"
                "b00361a396177a9cb410ff61f20015ad", "SHA-256(abc)");

    feat_sha256_hex("", hex);
    is_str(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                "27ae41e4649b934ca495991b7852b855", "SHA-256 of nothing");

    /* RFC 4231 test case 2 */
    feat_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", hex);
    is_str(hex, "5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843", "HMAC-SHA256 RFC 4231 #2");

    feat_hmac_sha256_hex("", 0, "", hex);
    is_str(hex, "b613679a0814d9ec772f95d778c35fc5"
                "ff1697c493715653c6c712144292c5ad", "HMAC-SHA256 empty key");

    /* RFC 1321's suite */
    feat_md5_hex("abc", hex);
    is_str(hex, "900150983cd24fb0d6963f7d28e17f72", "MD5(abc)");
    feat_md5_hex("", hex);
    is_str(hex, "d41d8cd98f00b204e9800998ecf8427e", "MD5 of nothing");
}


static void
test_base64(void)
{
    int            i, n, url, good;
    long           len;
    char           enc[256], name[64];
    unsigned char  raw[100], dec[128];
    static const char  *rfc[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" }
    };
    static const char  *bad_std[] = {
        "Z", "Zg=", "Zg===", "Zh==", "Zm9=", "Zm9v!", "Zm=9", "=Zm9",
        "Zm9v-_8", "Zg==Zg=="
    };
    static const char  *bad_url[] = {
        "Zg==", "Zm8=", "Z", "Zh", "+/8", "Zm9v YQ"
    };

    for (i = 0; i < (int) FEAT_NELEMS(rfc); i++) {
        len = feat_base64_encode(rfc[i][0], strlen(rfc[i][0]), enc,
                                 sizeof(enc), 0);
        snprintf(name, sizeof(name), "base64(\"%s\")", rfc[i][0]);
        is_str(len >= 0 ? enc : NULL, rfc[i][1], name);

        len = feat_base64_decode(rfc[i][1], strlen(rfc[i][1]), dec,
                                 sizeof(dec), 0);
        snprintf(name, sizeof(name), "decode \"%s\"", rfc[i][1]);
        is_str(len >= 0 ? (char *) dec : NULL, rfc[i][0], name);
    }

    raw[0] = 0xfb;
    raw[1] = 0xff;
    feat_base64_encode(raw, 2, enc, sizeof(enc), 0);
    is_str(enc, "+/8=", "std alphabet");
    feat_base64_encode(raw, 2, enc, sizeof(enc), 1);
    is_str(enc, "-_8", "url alphabet, no padding");

    len = feat_base64_decode("Zm8", 3, dec, sizeof(dec), 0);
    ok(len == 2 && memcmp(dec, "fo", 2) == 0, "std padding is optional");

    for (i = 0; i < (int) FEAT_NELEMS(bad_std); i++) {
        snprintf(name, sizeof(name), "std refuses \"%s\"", bad_std[i]);
        is_int(feat_base64_decode(bad_std[i], strlen(bad_std[i]), dec,
                                  sizeof(dec), 0), -1, name);
    }

    for (i = 0; i < (int) FEAT_NELEMS(bad_url); i++) {
        snprintf(name, sizeof(name), "url refuses \"%s\"", bad_url[i]);
        is_int(feat_base64_decode(bad_url[i], strlen(bad_url[i]), dec,
                                  sizeof(dec), 1), -1, name);
    }

    is_int(feat_base64_encode("foo", 3, enc, 4, 0), -1,
           "encode refuses a short buffer");
    is_int(feat_base64_decode("Zm9v", 4, dec, 3, 0), -1,
           "decode wants room for the NUL");

    /* hex digits, as the url and multipart decoders read them */
    ok(feat_unhex('0') == 0 && feat_unhex('9') == 9 && feat_unhex('a') == 10
       && feat_unhex('F') == 15, "unhex: digits of either case");
    ok(feat_unhex('g') == -1 && feat_unhex('G') == -1 && feat_unhex('/') == -1
       && feat_unhex(':') == -1 && feat_unhex('@') == -1
       && feat_unhex('`') == -1 && feat_unhex(0) == -1,
       "unhex: anything else is -1");

    good = 1;
    for (url = 0; url < 2; url++) {
        for (n = 0; n <= 100; n++) {
            feat_random(raw, (size_t) n);
            len = feat_base64_encode(raw, (size_t) n, enc, sizeof(enc), url);
            if (len < 0
                || feat_base64_decode(enc, (size_t) len, dec, sizeof(dec),
                                      url) != n
                || memcmp(raw, dec, (size_t) n) != 0)
            {
                good = 0;
                diag("round trip failed: url %d, %d bytes", url, n);
            }
        }
    }
    ok(good, "random round trips of 0..100 bytes, both alphabets");
}


static void
test_random(void)
{
    int       i, seen[256], all, bad;
    char      s[4096];
    uint32_t  v;

    memset(s, 'x', sizeof(s));
    feat_random_base62(s, 50);
    is_int((long long) strlen(s), 50, "base62: length 50");

    memset(seen, 0, sizeof(seen));
    bad = 0;
    for (i = 0; i < 40; i++) {
        feat_random_base62(s, sizeof(s) - 1);
        for (v = 0; v < sizeof(s) - 1; v++) {
            seen[(unsigned char) s[v]]++;
        }
    }

    all = 1;
    for (i = 0; i < 256; i++) {
        int  alnum;

        alnum = (i >= '0' && i <= '9') || (i >= 'A' && i <= 'Z')
                || (i >= 'a' && i <= 'z');
        if (alnum && seen[i] == 0) {
            all = 0;
        }
        if (!alnum && seen[i] != 0) {
            bad = 1;
        }
    }
    ok(all, "base62: all 62 characters occur");
    ok(!bad, "base62: nothing outside [0-9A-Za-z]");

    /* 163800 draws, 2642 expected per character: a biased generator
     * (modulo folding) would give '0' and '1' about 2x the others. */
    ok(seen['0'] < 2 * seen['z'] && seen['1'] < 2 * seen['y'],
       "base62: no visible bias toward the first characters");

    is_int(feat_random_uniform(1), 0, "uniform(1) is 0");

    bad = 0;
    for (i = 0; i < 1000; i++) {
        v = feat_random_uniform(7);
        if (v >= 7) {
            bad = 1;
        }
    }
    ok(!bad, "uniform(7) stays below 7");
}


static void
test_compare(void)
{
    ok(feat_ct_equal("abcdef", "abcdef", 6), "ct_equal: equal");
    ok(!feat_ct_equal("abcdef", "abcdeg", 6), "ct_equal: last byte");
    ok(feat_ct_equal("a", "b", 0), "ct_equal: empty");
    ok(feat_ct_streq("token", "token"), "ct_streq: equal");
    ok(!feat_ct_streq("token", "tokens"), "ct_streq: longer");
    ok(!feat_ct_streq("tokens", "token"), "ct_streq: shorter");
    ok(!feat_ct_streq("token", NULL), "ct_streq: NULL");
    ok(feat_ct_streq("", ""), "ct_streq: empty");
}


static volatile int  watching;
static int           seen_nice;    /* a thread of ours other than main's */


/* The nice value (field 19 of stat) of each task of this process. */
static void *
watch_tasks(void *arg)
{
    int             nice;
    DIR            *d;
    FILE           *f;
    char            path[300], buf[512], *p;
    pid_t           main_tid;
    struct dirent  *e;

    main_tid = *(pid_t *) arg;

    while (watching) {
        d = opendir("/proc/self/task");
        if (d == NULL) {
            break;
        }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || atoi(e->d_name) == main_tid) {
                continue;
            }
            snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
                     e->d_name);
            f = fopen(path, "r");
            if (f == NULL) {
                continue;
            }
            p = fgets(buf, sizeof(buf), f) != NULL ? strrchr(buf, ')')
                                                   : NULL;
            fclose(f);
            /* after ") ": state is field 3, nice field 19 */
            if (p != NULL
                && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u"
                          " %*u %*u %*u %*d %*d %*d %d", &nice) == 1
                && nice > seen_nice)
            {
                seen_nice = nice;
            }
        }
        closedir(d);
    }

    return NULL;
}


/*
 * After feat_crypto_init_shared(), a hash runs in a thread of its own at
 * scrypt.nice, while the caller's priority stays as it was; the result is
 * the same as inline (RFC 7914's vector).
 */
static void
test_nice(void)
{
    pid_t      me;
    pthread_t  w;
    int        before;

    feat_conf_set(FEAT_CONF_SCRYPT_NICE, "7");
    is_int(feat_crypto_init_shared(), FEAT_OK, "scrypt.nice 7");

    me = (pid_t) syscall(SYS_gettid);
    errno = 0;
    before = getpriority(PRIO_PROCESS, 0);
    watching = 1;
    seen_nice = -100;
    pthread_create(&w, NULL, watch_tasks, &me);

    feat_conf_set(FEAT_CONF_SCRYPT_LN, "14");
    is_int(feat_password_verify("pleaseletmein", RFC7914, NULL), FEAT_OK,
           "RFC 7914 vector verifies in the hashing thread");
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");

    watching = 0;
    pthread_join(w, NULL);

    is_int(seen_nice, 7, "the hash ran in a thread at nice 7");
    is_int(getpriority(PRIO_PROCESS, 0), before,
           "the caller's nice is what it was");

    feat_conf_set(FEAT_CONF_SCRYPT_NICE, "20");
    is_int(feat_crypto_init_shared(), FEAT_ERROR, "scrypt.nice 20 refused");
    feat_conf_set(FEAT_CONF_SCRYPT_NICE, "10");
    is_int(feat_crypto_init_shared(), FEAT_OK, "scrypt.nice back to 10");
}


static void
test_passwords(void)
{
    int    i, rehash;
    char   h[256], h2[256], longpw[1100], name[80];
    static const char  *bad[] = {
        "", "plain", "$scrypt$", "$scrypt$ln=4,r=8,p=1$",
        "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$",
        "$scrypt$ln=0,r=8,p=1$c2FsdHNhbHRzYWx0$" "aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=21,r=8,p=1$c2FsdHNhbHRzYWx0$" "aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=33,p=1$c2FsdHNhbHRzYWx0$" "aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=8,p=17$c2FsdHNhbHRzYWx0$" "aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=04,r=8,p=1$c2FsdHNhbHRzYWx0$" "aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$r=8,ln=4,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFz!GhhcaG2hoYXNoaGFzaA",
        "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA$",
        "$bcrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    };

    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");
    feat_conf_set(FEAT_CONF_SCRYPT_R, "8");
    feat_conf_set(FEAT_CONF_SCRYPT_P, "1");

    is_int(feat_password_hash("correct horse", h, sizeof(h)), FEAT_OK,
           "hash with ln=4");
    ok(strncmp(h, "$scrypt$ln=4,r=8,p=1$", 21) == 0, "hash format: %s", h);
    is_int((long long) strlen(h), 21 + 22 + 1 + 43,
           "salt and hash: unpadded base64 of 16 and 32 bytes");

    is_int(feat_password_hash("correct horse", h2, sizeof(h2)), FEAT_OK,
           "hash again");
    ok(strcmp(h, h2) != 0, "a fresh salt each time");

    rehash = -1;
    is_int(feat_password_verify("correct horse", h, &rehash), FEAT_OK,
           "verify: right password");
    is_int(rehash, 0, "verify: no rehash at the configured parameters");
    is_int(feat_password_verify("correct horsE", h, &rehash), FEAT_DECLINED,
           "verify: wrong password declined");
    is_int(feat_password_verify("", h, &rehash), FEAT_DECLINED,
           "verify: empty password declined");

    is_int(feat_password_hash("x", h2, 40), FEAT_ERROR,
           "hash refuses a short buffer");

    memset(longpw, 'a', sizeof(longpw) - 1);
    longpw[sizeof(longpw) - 1] = '\0';
    is_int(feat_password_hash(longpw, h2, sizeof(h2)), FEAT_ERROR,
           "hash refuses a password over 1024 bytes");
    is_int(feat_password_verify(longpw, h, NULL), FEAT_DECLINED,
           "verify declines a password over 1024 bytes");
    longpw[1024] = '\0';
    is_int(feat_password_hash(longpw, h2, sizeof(h2)), FEAT_OK,
           "hash takes exactly 1024 bytes");

    for (i = 0; i < (int) FEAT_NELEMS(bad); i++) {
        snprintf(name, sizeof(name), "malformed hash %d is an error", i);
        is_int(feat_password_verify("x", bad[i], &rehash), FEAT_ERROR, name);
    }

    feat_conf_set(FEAT_CONF_SCRYPT_LN, "5");
    rehash = 0;
    is_int(feat_password_verify("correct horse", h, &rehash), FEAT_OK,
           "verify after ln was raised");
    is_int(rehash, 1, "rehash set when the stored ln is lower");

    rehash = 0;
    is_int(feat_password_verify("correct horse", h, NULL), FEAT_OK,
           "rehash pointer may be NULL");

    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");
    feat_conf_set(FEAT_CONF_SCRYPT_P, "2");
    rehash = 0;
    feat_password_verify("correct horse", h, &rehash);
    is_int(rehash, 1, "rehash set when the stored p is lower");
    feat_conf_set(FEAT_CONF_SCRYPT_P, "1");

    /* scrypt itself, against RFC 7914's vector (64-byte key). */
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "14");
    rehash = -1;
    is_int(feat_password_verify("pleaseletmein", RFC7914, &rehash), FEAT_OK,
           "RFC 7914 scrypt vector verifies");
    is_int(rehash, 1, "a 14-byte salt asks for a rehash");
    is_int(feat_password_verify("pleaseletmeout", RFC7914, NULL),
           FEAT_DECLINED, "RFC 7914 vector, wrong password");
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");

    is_int(feat_crypto_init_shared(), FEAT_OK, "shared hashing cap");
    is_int(feat_password_hash("capped", h2, sizeof(h2)), FEAT_OK,
           "hash under the cap");
    is_int(feat_password_verify("capped", h2, NULL), FEAT_OK,
           "verify under the cap");

    test_nice();
}


/*
 * scrypt.max_concurrent is one cap for every process forked after
 * feat_crypto_init_shared(), as the workers are: while a child hashes, the
 * parent sees the slot taken, and sees it given back when the child is
 * done.
 */
static void
test_password_cap(void)
{
    int              status, seen;
    char             h[200];
    pid_t            pid;
    struct timespec  ms = { 0, 1000000 };

    feat_conf_set(FEAT_CONF_SCRYPT_MAX_CONCURRENT, "1");
    is_int(feat_crypto_init_shared(), FEAT_OK, "a cap of one hash");
    is_int(feat_crypto_pw_slots(), 1, "one free slot");

    feat_conf_set(FEAT_CONF_SCRYPT_LN, "16");
    pid = fork();
    if (pid == 0) {
        _exit(feat_password_hash("in a child", h, sizeof(h)) == FEAT_OK
              ? 0 : 1);
    }

    seen = 0;
    while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
        if (feat_crypto_pw_slots() == 0) {
            seen = 1;
        }
        nanosleep(&ms, NULL);
    }
    if (pid > 0 && !seen) {
        waitpid(pid, &status, 0);
    }
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");

    ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "a child hashed under the cap");
    ok(seen, "... and the parent saw its slot taken");
    is_int(feat_crypto_pw_slots(), 1, "... and given back");

    feat_conf_set(FEAT_CONF_SCRYPT_MAX_CONCURRENT, "2");
    is_int(feat_crypto_init_shared(), FEAT_OK, "cap back to two");
    is_int(feat_crypto_pw_slots(), 1,
           "... but one slot with 2 workers: one stays out of hashing");
    feat_conf_set(FEAT_CONF_WORKERS, "3");
    is_int(feat_crypto_init_shared(), FEAT_OK, "three workers");
    is_int(feat_crypto_pw_slots(), 2, "two free slots");
    feat_conf_set(FEAT_CONF_WORKERS, "2");
}


/*
 * A hash that finds the one slot taken is refused with FEAT_BUSY (after
 * scrypt.wait ms, 0 here) instead of waiting for it; and a process killed
 * while it holds the slot does not keep it: the next hash takes it over.
 */
static void
test_password_busy(void)
{
    int              status, seen, i;
    char             h[200];
    pid_t            pid;
    struct timespec  ms = { 0, 1000000 };

    feat_conf_set(FEAT_CONF_SCRYPT_MAX_CONCURRENT, "1");
    feat_conf_set(FEAT_CONF_SCRYPT_WAIT, "0");
    is_int(feat_crypto_init_shared(), FEAT_OK, "a cap of one, no wait");

    /* a long hash in a child: 64 MB, eight passes */
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "16");
    feat_conf_set(FEAT_CONF_SCRYPT_P, "8");
    pid = fork();
    if (pid == 0) {
        _exit(feat_password_hash("held", h, sizeof(h)) == FEAT_OK ? 0 : 1);
    }
    feat_conf_set(FEAT_CONF_SCRYPT_LN, "4");
    feat_conf_set(FEAT_CONF_SCRYPT_P, "1");

    seen = 0;
    for (i = 0; pid > 0 && i < 5000 && !seen; i++) {
        if (feat_crypto_pw_slots() == 0) {
            seen = 1;
            break;
        }
        nanosleep(&ms, NULL);
    }
    ok(seen, "the child holds the slot");

    if (seen) {
        is_int(feat_password_busy(), 1, "feat_password_busy says so");
        is_int(feat_password_hash("refused", h, sizeof(h)), FEAT_BUSY,
               "a hash meanwhile is refused: FEAT_BUSY");
        is_int(feat_password_verify("refused", RFC7914, NULL), FEAT_BUSY,
               "... so is a verify");
    }

    /* killed while hashing (or just done): the slot is not lost */
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    is_int(feat_password_hash("after", h, sizeof(h)), FEAT_OK,
           "after the holder died a hash runs");
    is_int(feat_crypto_pw_slots(), 1, "... and the slot is free again");
    is_int(feat_password_busy(), 0, "... and feat_password_busy no more");

    feat_conf_set(FEAT_CONF_SCRYPT_WAIT, "10");
    feat_conf_set(FEAT_CONF_SCRYPT_MAX_CONCURRENT, "2");
    is_int(feat_crypto_init_shared(), FEAT_OK, "cap back to two");
}


static void
test_db(struct feat_arena *a)
{
    int                           applied, n, known, good;
    char                          path[300];
    const char                   *s;
    sqlite3                      *db, *other;
    sqlite3_int64                 v;
    sqlite3_stmt                 *st;
    const struct feat_migration  *m;

    is_int(feat_db_open(), FEAT_OK, "db open");
    db = feat_db();
    ok(db != NULL, "feat_db() is the connection");

    known = 0;
    n = 0;
    for (m = feat_migrations; m->name != NULL; m++) {
        n++;
        known = m->version > known ? m->version : known;
    }

    is_int(feat_db_version(db), 0, "a new database is at version 0");
    is_int(feat_db_migrate(db, &applied), FEAT_OK, "migrate");
    is_int(applied, n, "every migration applied");
    is_int(feat_db_migrate(db, &applied), FEAT_OK, "migrate again");
    is_int(applied, 0, "nothing applied the second time");
    is_int(feat_db_version(db), known, "version is the last migration");

    is_int(feat_db_text(db, a, &s, "PRAGMA journal_mode", NULL), FEAT_OK,
           "journal_mode readable");
    is_str(s, "wal", "WAL");
    is_int(feat_db_int(db, &v, "PRAGMA foreign_keys", NULL), FEAT_OK,
           "foreign_keys readable");
    is_int(v, 1, "foreign keys on");

    is_int(feat_db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
                        " name TEXT UNIQUE, n INTEGER, f REAL, b BLOB)",
                        NULL), FEAT_OK, "exec: create");
    is_int(feat_db_exec(db, "INSERT INTO t (name, n, f, b)"
                        " VALUES (?, ?, ?, ?)", "sifb", "one",
                        (sqlite3_int64) 1 << 40, 2.5, "\0\1\2", 3),
           FEAT_OK, "exec: insert with s i f b");
    is_int(feat_db_exec(db, "INSERT INTO t (name, n) VALUES (?, ?)", "sd",
                        "one", 7), FEAT_BUSY, "constraint is FEAT_BUSY");
    is_int(feat_db_exec(db, "INSERT INTO t (name, n) VALUES (?, ?)", "sd",
                        (const char *) NULL, 7), FEAT_OK, "s NULL binds NULL");

    is_int(feat_db_int(db, &v, "SELECT n FROM t WHERE name = ?", "s", "one"),
           FEAT_OK, "int: a row");
    is_int(v, (sqlite3_int64) 1 << 40, "int: the 64-bit value");
    is_int(feat_db_int(db, &v, "SELECT n FROM t WHERE name = ?", "s", "no"),
           FEAT_DECLINED, "int: no row is DECLINED");
    is_int(feat_db_text(db, a, &s, "SELECT name FROM t WHERE n = ?", "i",
                        (sqlite3_int64) 1 << 40), FEAT_OK, "text: a row");
    is_str(s, "one", "text: the value, in the arena");
    is_int(feat_db_text(db, a, &s, "SELECT name FROM t WHERE n = 7", NULL),
           FEAT_OK, "text: a NULL column");
    is_str(s, "", "text: NULL reads as \"\"");

    st = feat_db_query(db, "SELECT length(b), f FROM t WHERE id = ?", "d",
                       1);
    ok(st != NULL && sqlite3_step(st) == SQLITE_ROW
       && sqlite3_column_int(st, 0) == 3
       && sqlite3_column_double(st, 1) == 2.5, "query: blob and double");
    feat_db_done(st);

    ok(feat_db_query(db, "SELECT ? + ?", "i", (sqlite3_int64) 1) == NULL,
       "query: too few bindings is refused");
    ok(feat_db_query(db, "SELECT ?", "x", 1) == NULL,
       "query: an unknown letter is refused");
    is_int(feat_db_exec(db, "SELEC nonsense", NULL), FEAT_ERROR,
           "bad SQL is an error");

    /* One statement per SQL text: the second query reuses the first's. */
    st = feat_db_query(db, "SELECT count(*) FROM t WHERE n > ?", "d", 0);
    feat_db_done(st);
    ok(st != NULL && feat_db_query(db, "SELECT count(*) FROM t WHERE n > ?",
                                   "d", 1) == st,
       "statement cache: the same SQL is prepared once");
    feat_db_done(st);

    /* The cache grows past its first size and still answers right. */
    good = 1;
    for (n = 0; n < 200; n++) {
        static char  sql[200][40];

        snprintf(sql[n], sizeof(sql[n]), "SELECT %d", n);
        if (feat_db_int(db, &v, sql[n], NULL) != FEAT_OK || v != n) {
            good = 0;
        }
    }
    for (n = 0; n < 200 && good; n++) {
        if (feat_db_int(db, &v, "SELECT ?", "d", n) != FEAT_OK || v != n) {
            good = 0;
        }
    }
    ok(good, "200 cached statements");

    is_int(feat_db_begin(db), FEAT_OK, "begin");
    ok(!sqlite3_get_autocommit(db), "in a transaction");

    /* IMMEDIATE: the write lock is taken at BEGIN, before any write, so
     * another connection cannot start a writing transaction. */
    snprintf(path, sizeof(path), "%s/test.db", dir);
    if (sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL)
        == SQLITE_OK)
    {
        sqlite3_busy_timeout(other, 0);
        is_int(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
               SQLITE_BUSY, "begin takes the write lock at once");
        sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    } else {
        ok(0, "open a second connection");
    }
    sqlite3_close(other);

    feat_db_exec(db, "INSERT INTO t (name) VALUES ('two')", NULL);
    feat_db_rollback(db);
    ok(sqlite3_get_autocommit(db), "rolled back");
    is_int(feat_db_int(db, &v, "SELECT count(*) FROM t", NULL), FEAT_OK,
           "count");
    is_int(v, 2, "rollback undid the insert");
    feat_db_rollback(db);
    ok(sqlite3_get_autocommit(db), "rollback without a transaction is safe");

    is_int(feat_db_begin(db), FEAT_OK, "begin again");
    feat_db_exec(db, "INSERT INTO t (name) VALUES ('two')", NULL);
    is_int(feat_db_commit(db), FEAT_OK, "commit");
    feat_db_int(db, &v, "SELECT count(*) FROM t", NULL);
    is_int(v, 3, "commit kept the insert");
}


static void
test_rate(void)
{
    int      i, rc, retry;
    sqlite3  *db;

    db = feat_db();

    for (i = 1; i <= 3; i++) {
        rc = feat_rate_hit(db, "", "test", "k1", 3, 60, &retry);
        if (rc != FEAT_OK) {
            break;
        }
    }
    is_int(i, 4, "three hits fit a limit of 3");

    is_int(feat_rate_check(db, "", "test", "k1", 3, 60, &retry), FEAT_BUSY,
           "check: a fourth would not fit");
    ok(retry >= 1 && retry <= 60, "check: retry_after %d in 1..60", retry);

    retry = 0;
    is_int(feat_rate_hit(db, "", "test", "k1", 3, 60, &retry), FEAT_BUSY,
           "the fourth hit is refused");
    ok(retry >= 1 && retry <= 60, "hit: retry_after %d in 1..60", retry);

    is_int(feat_rate_hit(db, "", "test", "k2", 3, 60, NULL), FEAT_OK,
           "another key has its own count");
    is_int(feat_rate_hit(db, "shop", "test", "k1", 3, 60, NULL), FEAT_OK,
           "another app has its own count");
    is_int(feat_rate_check(db, "", "test", "k1", 5, 60, NULL), FEAT_OK,
           "check does not count: 4 of 5");
    is_int(feat_rate_check(db, "", "test", "k1", 5, 60, NULL), FEAT_OK,
           "check again: still 4 of 5");

    /* Time passes (testing = on lets FEAT_CLOCK_SHIFT move feat_now()). */
    setenv("FEAT_CLOCK_SHIFT", "61", 1);
    is_int(feat_rate_hit(db, "", "test", "k1", 3, 60, &retry), FEAT_OK,
           "after the window the key is free again");
    is_int(retry, 0, "retry_after 0 when allowed");
    unsetenv("FEAT_CLOCK_SHIFT");

    is_int(feat_rate_clear(db, "", "test", "k1"), FEAT_OK, "clear");
    for (i = 1; i <= 3; i++) {
        if (feat_rate_hit(db, "", "test", "k1", 3, 60, NULL) != FEAT_OK) {
            break;
        }
    }
    is_int(i, 4, "after clear: three more fit");

    is_int(feat_rate_hit(db, "", "test", "k3", 0, 60, &retry), FEAT_BUSY,
           "a limit of 0 refuses");
}


/* Writes an RSA key of bits to dir/name.key (private) and dir/name.pub;
 * answers the key (the caller frees it). */
static EVP_PKEY *
rsa_files(const char *name, unsigned bits)
{
    FILE      *f;
    char       path[300];
    EVP_PKEY  *k;

    k = EVP_RSA_gen(bits);
    if (k == NULL) {
        printf("Bail out! EVP_RSA_gen(%u)\n", bits);
        exit(1);
    }

    snprintf(path, sizeof(path), "%s/%s.key", dir, name);
    f = fopen(path, "w");
    if (f == NULL
        || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
    {
        printf("Bail out! %s\n", path);
        exit(1);
    }
    fclose(f);

    snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
    f = fopen(path, "w");
    if (f == NULL || PEM_write_PUBKEY(f, k) != 1) {
        printf("Bail out! %s\n", path);
        exit(1);
    }
    fclose(f);

    return k;
}


/* A file's text, in the arena ("" when unreadable). */
static const char *
pem_text(struct feat_arena *a, const char *path)
{
    FILE    *f;
    char    *buf;
    size_t   n;

    buf = feat_arena_calloc(a, 16384);
    f = fopen(path, "r");
    if (f != NULL) {
        n = fread(buf, 1, 16383, f);
        buf[n] = '\0';
        fclose(f);
    }

    return buf;
}


static void
test_rsa(struct feat_arena *a)
{
    int              ok_std;
    char             key[300], pub[300], other[300], small[300], none[300];
    size_t           siglen, n2;
    EVP_PKEY        *k, *k2, *k3;
    EVP_MD_CTX      *md;
    unsigned char   *sig, *sig2;
    static const char  text[] = "app_id=2021&method=alipay.system.oauth.token";

    k = rsa_files("rsa", 2048);
    k2 = rsa_files("rsa2", 2048);
    k3 = rsa_files("rsa1024", 1024);

    snprintf(key, sizeof(key), "%s/rsa.key", dir);
    snprintf(pub, sizeof(pub), "%s/rsa.pub", dir);
    snprintf(other, sizeof(other), "%s/rsa2.pub", dir);
    snprintf(small, sizeof(small), "%s/rsa1024.key", dir);
    snprintf(none, sizeof(none), "%s/no-such.key", dir);

    ok(feat_rsa_sha256_sign(a, key, 2048, text, strlen(text), &sig, &siglen)
       == FEAT_OK && siglen == 256, "rsa: a 2048-bit key signs 256 bytes");

    ok(feat_rsa_sha256_verify(pub, 2048, text, strlen(text), sig, siglen)
       == FEAT_OK, "rsa: the signature verifies with the public key");

    /* OpenSSL's own verifier takes it: PKCS #1 v1.5 over SHA-256 */
    md = EVP_MD_CTX_new();
    ok_std = md != NULL
             && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1
             && EVP_DigestVerify(md, sig, siglen,
                                 (const unsigned char *) text,
                                 strlen(text)) == 1;
    EVP_MD_CTX_free(md);
    ok(ok_std, "rsa: a standard SHA256withRSA signature");

    ok(feat_rsa_sha256_verify(pub, 2048, text, strlen(text) - 1, sig, siglen)
       == FEAT_DECLINED, "rsa: other data: declined");
    sig2 = feat_arena_alloc(a, siglen);
    memcpy(sig2, sig, siglen);
    sig2[17] ^= 0x01;
    ok(feat_rsa_sha256_verify(pub, 2048, text, strlen(text), sig2, siglen)
       == FEAT_DECLINED, "rsa: a flipped bit: declined");
    ok(feat_rsa_sha256_verify(pub, 2048, text, strlen(text), sig, 10)
       == FEAT_DECLINED, "rsa: a short signature: declined");
    ok(feat_rsa_sha256_verify(other, 2048, text, strlen(text), sig, siglen)
       == FEAT_DECLINED, "rsa: another key: declined");

    ok(feat_rsa_sha256_sign(a, small, 2048, text, strlen(text), &sig2, &n2)
       == FEAT_ERROR, "rsa: a 1024-bit key under a 2048 minimum: error");
    ok(feat_rsa_sha256_sign(a, small, 1024, text, strlen(text), &sig2, &n2)
       == FEAT_OK && n2 == 128, "rsa: ... accepted with a 1024 minimum");
    ok(feat_rsa_sha256_sign(a, none, 2048, text, strlen(text), &sig2, &n2)
       == FEAT_ERROR, "rsa: a missing key file: error");
    ok(feat_rsa_sha256_sign(a, pub, 2048, text, strlen(text), &sig2, &n2)
       == FEAT_ERROR, "rsa: a public key to sign with: error");
    ok(feat_rsa_sha256_verify(key, 2048, text, strlen(text), sig, siglen)
       == FEAT_ERROR, "rsa: a private key file to verify with: error");
    ok(feat_rsa_sha256_verify(none, 2048, text, strlen(text), sig, siglen)
       == FEAT_ERROR, "rsa: a missing public key file: error");

    /* the same keys given as text (per-app settings) */
    ok(feat_rsa_sha256_sign_pem(a, pem_text(a, key), strlen(pem_text(a, key)),
                                2048, text, strlen(text), &sig2, &n2)
       == FEAT_OK && n2 == siglen && memcmp(sig2, sig, siglen) == 0,
       "rsa pem: the same signature from the key as text");
    ok(feat_rsa_sha256_verify_pem(pem_text(a, pub), strlen(pem_text(a, pub)),
                                  2048, text, strlen(text), sig, siglen)
       == FEAT_OK, "rsa pem: verifies with the public key as text");
    ok(feat_rsa_sha256_verify_pem(pem_text(a, other),
                                  strlen(pem_text(a, other)), 2048, text,
                                  strlen(text), sig, siglen)
       == FEAT_DECLINED, "rsa pem: another key: declined");
    ok(feat_rsa_sha256_sign_pem(a, "not a key", 9, 2048, text, strlen(text),
                                &sig2, &n2)
       == FEAT_ERROR, "rsa pem: text that is no key: error");
    ok(feat_rsa_sha256_sign_pem(a, pem_text(a, small),
                                strlen(pem_text(a, small)), 2048, text,
                                strlen(text), &sig2, &n2)
       == FEAT_ERROR, "rsa pem: a 1024-bit key under a 2048 minimum: error");

    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
}


static void
unhex(const char *h, unsigned char *out)
{
    size_t        i;
    unsigned int  b;

    for (i = 0; h[2 * i] != '\0'; i++) {
        sscanf(h + 2 * i, "%2x", &b);
        out[i] = (unsigned char) b;
    }
}


static void
test_aead(void)
{
    int            rc;
    size_t         i;
    char           hex[2 * 128 + 1];
    unsigned char  key[32], in[128], out[128], aad[20], sealed[128 + 28];
    unsigned char  other[128 + 28];

    /* McGrew and Viega, "The Galois/Counter Mode of Operation", test
     * case 16: AES-256, 96-bit IV, 60 bytes, 20 bytes of aad */
    unhex("feffe9928665731c6d6a8f9467308308"
          "feffe9928665731c6d6a8f9467308308", key);
    unhex("cafebabefacedbaddecaf888"
          "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
          "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
          "bcc9f662"
          "76fc6ece0f4e1768cddf8853bb2d551b", in);
    unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);

    rc = feat_aead_open(key, aad, sizeof(aad), in, 12 + 60 + 16, out);
    is_int(rc, FEAT_OK, "GCM test case 16 opens");
    feat_hex(out, 60, hex);
    is_str(hex, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
                "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
                "ba637b39", "... to its plaintext");

    in[12 + 59] ^= 1;
    is_int(feat_aead_open(key, aad, sizeof(aad), in, 88, out),
           FEAT_DECLINED, "a changed ciphertext byte does not open");
    for (i = 0; i < 60 && out[i] == 0; i++) { }
    is_int((long long) i, 60, "... and nothing of it is left in out");
    in[12 + 59] ^= 1;
    in[5] ^= 0x80;
    is_int(feat_aead_open(key, aad, sizeof(aad), in, 88, out),
           FEAT_DECLINED, "a changed nonce does not open");
    in[5] ^= 0x80;
    in[87] ^= 1;
    is_int(feat_aead_open(key, aad, sizeof(aad), in, 88, out),
           FEAT_DECLINED, "a changed tag does not open");
    in[87] ^= 1;
    aad[0] ^= 1;
    is_int(feat_aead_open(key, aad, sizeof(aad), in, 88, out),
           FEAT_DECLINED, "other associated data does not open");
    aad[0] ^= 1;
    is_int(feat_aead_open(key, aad, sizeof(aad), in, 27, out),
           FEAT_DECLINED, "shorter than nonce and tag: refused");

    /* seal: a fresh nonce each time, and it opens back */
    is_int(feat_aead_seal(key, "a", 1, "secret value", 12, sealed), FEAT_OK,
           "seal");
    is_int(feat_aead_seal(key, "a", 1, "secret value", 12, other), FEAT_OK,
           "seal again");
    ok(memcmp(sealed, other, 12) != 0, "... under another nonce");
    ok(memcmp(sealed + 12, "secret value", 12) != 0,
       "... the plaintext is not in the output");
    memset(out, 0, sizeof(out));
    is_int(feat_aead_open(key, "a", 1, sealed, 12 + 28, out), FEAT_OK,
           "opens");
    ok(memcmp(out, "secret value", 12) == 0, "... to the value");
    is_int(feat_aead_open(key, "b", 1, sealed, 12 + 28, out), FEAT_DECLINED,
           "... not with other aad");
    key[31] ^= 1;
    is_int(feat_aead_open(key, "a", 1, sealed, 12 + 28, out), FEAT_DECLINED,
           "... nor under another key");
    key[31] ^= 1;
    is_int(feat_aead_seal(key, NULL, 0, "", 0, sealed), FEAT_OK,
           "an empty value seals");
    is_int(feat_aead_open(key, NULL, 0, sealed, 28, out), FEAT_OK,
           "... and opens");
}


static const char *const  t_enum_values[] = { "MD5", "HMAC-SHA256", NULL };
static const struct feat_setting  t_int = {
    "t.int", FEAT_SETTING_INT, 0, "7200", NULL, 1, 86400, NULL, "", NULL
};
static const struct feat_setting  t_enum = {
    "t.enum", FEAT_SETTING_ENUM, 0, "MD5", NULL, 0, 0, t_enum_values, "", NULL
};
static const struct feat_setting  t_str = {
    "t.str", FEAT_SETTING_STR, 0, NULL, NULL, 0, 2, NULL, "", NULL
};

static const struct feat_setting  t_set_a[] = {
    { "t.one", FEAT_SETTING_BOOL, 0, "off", NULL, 0, 0, NULL, "", NULL },
    FEAT_NULL_SETTING
};
static const struct feat_setting  t_set_bad[] = {
    { "t.two", FEAT_SETTING_INT, 0, "0", NULL, 1, 9, NULL, "", NULL },
    FEAT_NULL_SETTING
};
static const struct feat_module  t_mod_a = { .name = "a",
                                             .settings = t_set_a };
static const struct feat_module  t_mod_bad = { .name = "b",
                                               .settings = t_set_bad };
static const struct feat_module *const  dup_mods[] = {
    &t_mod_a, &t_mod_a, NULL
};
static const struct feat_module *const  bad_mods[] = { &t_mod_bad, NULL };


static void
test_settings(struct feat_arena *a)
{
    char                        *out;
    size_t                       n, len;
    const char                  *norm, *reason;
    const unsigned char         *sealed;
    const struct feat_setting   *s;
    static const char *const     safe[] = {
        "https://openapi.alipay.com/gateway.do", "http://127.0.0.1/x",
        "http://127.0.0.1:8080/gw", "http://127.1.2.3:9", "http://localhost",
        "http://localhost:80/", "http://[::1]:9/a"
    };
    static const char *const     unsafe[] = {
        "http://example.com/", "http://128.0.0.1/", "http://127.0.0.1.nip.io/",
        "http://127.0.0.1:9@example.com/", "http://localhost.example.com/",
        "http://[::1]@example.com/", "http://127.0.0/", "http://1270.0.0.1/",
        "ftp://127.0.0.1/", "https://", "", "http://127.0.0.1\\@x/",
        "http://localhost#@example.com/", "http://127.0.0.256/"
    };

    for (n = 0; n < FEAT_NELEMS(safe); n++) {
        ok(feat_url_safe(safe[n]), "safe URL %s", safe[n]);
    }
    for (n = 0; n < FEAT_NELEMS(unsafe); n++) {
        ok(!feat_url_safe(unsafe[n]), "refused URL \"%s\"", unsafe[n]);
    }

    is_int(feat_settings_init(dup_mods), FEAT_ERROR,
           "a key declared by two modules is refused");
    is_int(feat_settings_init(bad_mods), FEAT_ERROR,
           "a default its own type refuses is refused");
    is_int(feat_settings_init(feat_modules), FEAT_OK,
           "the modules' settings merge");
    ok(feat_settings_count() >= 6, "... into a table");
    ok(feat_setting_find("alipay.private_key") != NULL,
       "alipay.private_key is declared");
    ok(feat_setting_find("alipay.nothing") == NULL, "an unknown key is not");

    /* sealed for one (app, key), it opens there only */
    is_int(feat_setting_seal(a, "shop", "alipay.private_key", "pem text",
                             &sealed, &n), FEAT_OK, "a setting seals");
    is_int((long long) n, 8 + FEAT_AEAD_OVERHEAD, "... nonce + 8 + tag");
    is_int(feat_setting_open("shop", "alipay.private_key", sealed, n, &out,
                             &len), FEAT_OK, "... and opens");
    is_str(out, "pem text", "... to its value");
    feat_cleanse(out, len);
    free(out);
    is_int(feat_setting_open("shop2", "alipay.private_key", sealed, n, &out,
                             &len), FEAT_DECLINED, "not for another app");
    is_int(feat_setting_open("shopa", "lipay.private_key", sealed, n, &out,
                             &len), FEAT_DECLINED,
           "not where app and key split differently");
    is_int(feat_setting_open("shop", "alipay.app_id", sealed, n, &out,
                             &len), FEAT_DECLINED, "not for another key");

    /* checks of each type */
    s = feat_setting_find("accounts.open_login");
    is_int(feat_setting_check(a, s, "yes", &norm, &reason), FEAT_OK,
           "bool: yes");
    is_str(norm, "on", "... stored as on");
    is_int(feat_setting_check(a, s, "maybe", &norm, &reason), FEAT_ERROR,
           "bool: maybe refused");
    s = feat_setting_find("accounts.default_scopes");
    is_int(feat_setting_check(a, s, " read  write ", &norm, &reason),
           FEAT_OK, "scopes normalized");
    is_str(norm, "read write", "... to single spaces");
    is_int(feat_setting_check(a, s, "read READ", &norm, &reason),
           FEAT_ERROR, "scopes: capitals refused");
    is_int(feat_setting_check(a, s, "read\nwrite", &norm, &reason),
           FEAT_ERROR, "strings: control characters refused");
    s = feat_setting_find("alipay.gateway");
    is_int(feat_setting_check(a, s, "http://192.0.2.1/gw", &norm, &reason),
           FEAT_ERROR, "url: plain http off this host refused");
    is_int(feat_setting_check(a, s, "https://x.example/gw", &norm, &reason),
           FEAT_OK, "url: https");
    is_int(feat_setting_check(a, &t_int, "42", &norm, &reason), FEAT_OK,
           "int: in range");
    is_int(feat_setting_check(a, &t_int, "-0", &norm, &reason), FEAT_ERROR,
           "int: below range refused");
    is_int(feat_setting_check(a, &t_int, "86401", &norm, &reason),
           FEAT_ERROR, "int: above range refused");
    is_int(feat_setting_check(a, &t_int, "+5", &norm, &reason), FEAT_ERROR,
           "int: a sign refused");
    is_int(feat_setting_check(a, &t_int, "5s", &norm, &reason), FEAT_ERROR,
           "int: trailing text refused");
    is_int(feat_setting_check(a, &t_int, "", &norm, &reason), FEAT_ERROR,
           "int: empty refused");
    is_int(feat_setting_check(a, &t_enum, "HMAC-SHA256", &norm, &reason),
           FEAT_OK, "enum: a value");
    is_int(feat_setting_check(a, &t_enum, "md5", &norm, &reason),
           FEAT_ERROR, "enum: case matters");
    is_int(feat_setting_check(a, &t_str, "\xe4\xb8\xad\xe6\x96\x87",
                              &norm, &reason), FEAT_OK,
           "str: two characters of Chinese fit in 2");
    is_int(feat_setting_check(a, &t_str, "abc", &norm, &reason), FEAT_ERROR,
           "str: three do not");
    is_int(feat_setting_check(a, &t_str, "\xff", &norm, &reason), FEAT_ERROR,
           "str: bad UTF-8 refused");

    s = feat_setting_find("alipay.public_key");
    is_int(feat_setting_check(a, s, "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                              "-----END PUBLIC KEY-----\n", &norm, &reason),
           FEAT_ERROR, "pem: a broken key refused");
}


int
main(void)
{
    int                 fd, i;
    char                conf[256], buf[1024], path[300];
    const char         *err;
    struct feat_arena  *a;
    static const char  *files[] = {
        "featcgi.conf", "test.db", "test.db-wal", "test.db-shm", "error.log",
        "rsa.key", "rsa.pub", "rsa2.key", "rsa2.pub", "rsa1024.key",
        "rsa1024.pub"
    };

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    snprintf(conf, sizeof(conf), "%s/featcgi.conf", dir);
    snprintf(buf, sizeof(buf),
             "secret = " SECRET "\n"
             "database = %s/test.db\n"
             "error_log = %s/error.log\n"
             "testing = on\n", dir, dir);

    fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, buf, strlen(buf)) != (ssize_t) strlen(buf)) {
        perror(conf);
        return 1;
    }
    close(fd);

    if (feat_conf_load(conf, feat_modules, &err) != FEAT_OK) {
        diag("config: %s", err);
        return 1;
    }
    feat_log_open();

    a = feat_arena_create();

    test_digests();
    test_base64();
    test_random();
    test_compare();
    test_passwords();
    test_password_cap();
    test_aead();
    test_settings(a);
    test_password_busy();
    test_db(a);
    test_rate();
    test_rsa(a);

    feat_db_close();
    feat_arena_destroy(a);
    feat_log_close();
    feat_conf_free();

    for (i = 0; i < (int) FEAT_NELEMS(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);

    return done_testing();
}
