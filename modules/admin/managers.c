/*
 * managers.c: the console's credentials of a manager (sql/0150): its
 * login, its password and its TOTP secret, as featctl sets them and the
 * sign-in checks them.
 *
 * The password is scrypt, the users' scheme (fcgi/crypto/password.c).
 * The TOTP secret is RFC 6238's (HMAC-SHA-1, 6 digits, 30 s steps, one
 * step either side accepted); it is stored sealed (AES-256-GCM) under a
 * key derived from the install secret with "manager:<id>" as associated
 * data, so a copied database or a secret moved to another manager does
 * not open.  A code is good once: the step it matched is stored, and only
 * a later step is taken after it.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "admin/admin.h"

#define TOTP_SECRET_LEN   20       /* bytes: RFC 4226's recommendation */
#define TOTP_PERIOD       30
#define TOTP_DIGITS       6
#define TOTP_SEALED_MAX   (TOTP_SECRET_LEN + FEAT_AEAD_OVERHEAD)
#define TOTP_KEY_LABEL    "admin-totp:v1"

#define MANAGER_COLS                                                          \
    "id, app_id, name, ifnull(login, ''), totp_secret != '', disabled,"       \
    " all_apps, created_at"


int
feat_admin_login_ok(const char *s)
{
    size_t  n;

    n = strlen(s);
    if (n < FEAT_ADMIN_LOGIN_MIN || n > FEAT_ADMIN_LOGIN_MAX) {
        return 0;
    }

    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}


static void
manager_read(struct feat_arena *a, sqlite3_stmt *st, void *item)
{
    struct feat_admin_manager  *m = item;

    m->id = sqlite3_column_int64(st, 0);
    m->app_id = feat_db_col_text(a, st, 1);
    m->name = feat_db_col_text(a, st, 2);
    m->login = feat_db_col_text(a, st, 3);
    m->totp = sqlite3_column_int(st, 4) != 0;
    m->disabled = sqlite3_column_int(st, 5) != 0;
    m->all_apps = sqlite3_column_int(st, 6) != 0;
    m->created_at = (time_t) sqlite3_column_int64(st, 7);
}


enum feat_error
feat_admin_manager_get(sqlite3 *db, struct feat_arena *a, sqlite3_int64 id,
    struct feat_admin_manager *m)
{
    return feat_db_row(db, a,
               feat_db_query(db, "SELECT " MANAGER_COLS " FROM managers"
                             " WHERE id = ?1", "i", id),
               manager_read, m, "manager %lld", (long long) id);
}


enum feat_error
feat_admin_manager_set_login(sqlite3 *db, sqlite3_int64 id,
    const char *login, int all_apps)
{
    int  rc;

    if (!feat_admin_login_ok(login)) {
        return FEAT_E_BAD_FIELD;
    }

    rc = feat_db_exec(db, "UPDATE managers SET login = ?2, all_apps = ?3"
                      " WHERE id = ?1", "isd", id, login, all_apps ? 1 : 0);
    if (rc == FEAT_BUSY) {
        return FEAT_E_REGISTERED;       /* managers_login: unique */
    }
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


enum feat_error
feat_admin_manager_set_password(sqlite3 *db, sqlite3_int64 id,
    const char *password)
{
    int   rc;
    char  hash[256];

    if (!feat_password_ok(password)) {
        return FEAT_E_BAD_FIELD;
    }

    rc = feat_password_hash(password, hash, sizeof(hash));
    if (rc == FEAT_BUSY) {
        return FEAT_E_BUSY;
    }
    if (rc != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    if (feat_db_exec(db, "UPDATE managers SET password = ?2 WHERE id = ?1",
                     "is", id, hash) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db) != 1) {
        return FEAT_E_NOT_FOUND;
    }

    /* a new password ends what the old one opened */
    if (feat_db_exec(db, "DELETE FROM admin_sessions WHERE manager_id = ?1",
                     "i", id) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


enum feat_error
feat_admin_manager_set_disabled(sqlite3 *db, sqlite3_int64 id, int disabled)
{
    if (feat_db_exec(db, "UPDATE managers SET disabled = ?2 WHERE id = ?1",
                     "id", id, disabled ? 1 : 0) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    if (sqlite3_changes(db) != 1) {
        return FEAT_E_NOT_FOUND;
    }

    /* off means off now, not when the sessions run out */
    if (disabled
        && feat_db_exec(db, "DELETE FROM admin_sessions WHERE manager_id = ?1",
                        "i", id) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return FEAT_E_NONE;
}


/* ---- TOTP ---------------------------------------------------------------- */

unsigned long
feat_admin_hotp(const unsigned char *key, size_t klen, uint64_t step,
    int digits)
{
    int             i, off;
    unsigned long   bin, mod;
    unsigned char   msg[8], mac[20];

    for (i = 7; i >= 0; i--) {
        msg[i] = (unsigned char) (step & 0xff);
        step >>= 8;
    }

    feat_hmac_sha1(key, klen, msg, sizeof(msg), mac);

    /* RFC 4226 §5.3: dynamic truncation */
    off = mac[19] & 0x0f;
    bin = ((unsigned long) (mac[off] & 0x7f) << 24)
          | ((unsigned long) mac[off + 1] << 16)
          | ((unsigned long) mac[off + 2] << 8)
          | (unsigned long) mac[off + 3];

    for (mod = 1; digits > 0; digits--) {
        mod *= 10;
    }

    feat_cleanse(mac, sizeof(mac));

    return bin % mod;
}


/* The sealing key: HMAC-SHA256(install secret, label). */
static void
totp_key(unsigned char key[FEAT_AEAD_KEY])
{
    const char  *secret;

    secret = feat_conf_str(FEAT_CONF_SECRET);
    feat_hmac_sha256(secret, strlen(secret), TOTP_KEY_LABEL,
                     sizeof(TOTP_KEY_LABEL) - 1, key);
}


/* RFC 4648 base32, no padding, into out (at least 8 * n / 5 + 2). */
static void
base32(const unsigned char *in, size_t n, char *out)
{
    static const char  abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t             i;
    unsigned           buf, bits;

    buf = 0;
    bits = 0;

    for (i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            *out++ = abc[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }

    if (bits > 0) {
        *out++ = abc[(buf << (5 - bits)) & 31];
    }

    *out = '\0';
}


enum feat_error
feat_admin_totp_new(sqlite3 *db, struct feat_arena *a, sqlite3_int64 id,
    const char **uri)
{
    char                       aad[32], hex[2 * TOTP_SEALED_MAX + 1];
    char                       b32[64];
    enum feat_error            e;
    unsigned char              secret[TOTP_SECRET_LEN];
    unsigned char              key[FEAT_AEAD_KEY], sealed[TOTP_SEALED_MAX];
    struct feat_admin_manager  m;

    e = feat_admin_manager_get(db, a, id, &m);
    if (e != FEAT_E_NONE) {
        return e;
    }
    if (m.login[0] == '\0') {
        return FEAT_E_NOT_FOUND;
    }

    feat_random(secret, sizeof(secret));
    snprintf(aad, sizeof(aad), "manager:%lld", (long long) id);
    totp_key(key);

    if (feat_aead_seal(key, aad, strlen(aad), secret, sizeof(secret),
                       sealed) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    feat_hex(sealed, sizeof(sealed), hex);

    if (feat_db_exec(db, "UPDATE managers SET totp_secret = ?2,"
                     " totp_step = 0 WHERE id = ?1", "is", id, hex)
        != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
        goto done;
    }

    base32(secret, sizeof(secret), b32);
    *uri = feat_arena_sprintf(a, "otpauth://totp/featcgi:%s?secret=%s"
                              "&issuer=featcgi&algorithm=SHA1&digits=%d"
                              "&period=%d", m.login, b32, TOTP_DIGITS,
                              TOTP_PERIOD);
    e = FEAT_E_NONE;

done:

    feat_cleanse(secret, sizeof(secret));
    feat_cleanse(key, sizeof(key));
    feat_cleanse(b32, sizeof(b32));

    return e;
}


enum feat_error
feat_admin_totp_off(sqlite3 *db, sqlite3_int64 id)
{
    if (feat_db_exec(db, "UPDATE managers SET totp_secret = '',"
                     " totp_step = 0 WHERE id = ?1", "i", id) != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    return sqlite3_changes(db) == 1 ? FEAT_E_NONE : FEAT_E_NOT_FOUND;
}


int
feat_admin_totp_check(sqlite3 *db, sqlite3_int64 id, const char *code,
    time_t now, int64_t *step)
{
    int                 rc, i, d;
    char                aad[32];
    size_t              n;
    int64_t             last, s;
    const char         *hex;
    unsigned long       want;
    sqlite3_stmt       *st;
    struct feat_arena  *a;
    unsigned char       key[FEAT_AEAD_KEY], sealed[TOTP_SEALED_MAX];
    unsigned char       secret[TOTP_SECRET_LEN];

    n = strlen(code);
    if (n != TOTP_DIGITS || strspn(code, "0123456789") != n) {
        return FEAT_DECLINED;
    }
    want = 0;
    for (i = 0; i < TOTP_DIGITS; i++) {
        want = want * 10 + (unsigned long) (code[i] - '0');
    }

    a = feat_arena_create();
    rc = FEAT_ERROR;

    st = feat_db_query(db, "SELECT totp_secret, totp_step FROM managers"
                       " WHERE id = ?1", "i", id);
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        feat_db_done(st);
        feat_log(LOG_ERR, 0, "manager %lld: TOTP secret not read",
                 (long long) id);
        goto done;
    }
    hex = feat_db_col_text(a, st, 0);
    last = sqlite3_column_int64(st, 1);
    feat_db_done(st);

    if (strlen(hex) != 2 * TOTP_SEALED_MAX) {
        feat_log(LOG_ERR, 0, "manager %lld: TOTP secret malformed",
                 (long long) id);
        goto done;
    }
    for (i = 0; i < TOTP_SEALED_MAX; i++) {
        d = feat_unhex(hex[2 * i]);
        if (d < 0 || feat_unhex(hex[2 * i + 1]) < 0) {
            feat_log(LOG_ERR, 0, "manager %lld: TOTP secret malformed",
                     (long long) id);
            goto done;
        }
        sealed[i] = (unsigned char) (d << 4 | feat_unhex(hex[2 * i + 1]));
    }

    snprintf(aad, sizeof(aad), "manager:%lld", (long long) id);
    totp_key(key);
    rc = feat_aead_open(key, aad, strlen(aad), sealed, sizeof(sealed),
                        secret);
    feat_cleanse(key, sizeof(key));
    if (rc != FEAT_OK) {
        feat_log(LOG_ERR, 0, "manager %lld: TOTP secret does not open",
                 (long long) id);
        rc = FEAT_ERROR;
        goto done;
    }

    /* every step is tried, so the time does not tell which matched */
    rc = FEAT_DECLINED;
    for (s = (int64_t) (now / TOTP_PERIOD) - 1;
         s <= (int64_t) (now / TOTP_PERIOD) + 1; s++)
    {
        if (feat_admin_hotp(secret, sizeof(secret), (uint64_t) s,
                            TOTP_DIGITS) == want
            && s > last && rc == FEAT_DECLINED)
        {
            *step = s;
            rc = FEAT_OK;
        }
    }

    feat_cleanse(secret, sizeof(secret));

done:

    feat_arena_destroy(a);
    return rc;
}


int
feat_admin_totp_claim(sqlite3 *db, sqlite3_int64 id, int64_t step)
{
    if (feat_db_exec(db, "UPDATE managers SET totp_step = ?2"
                     " WHERE id = ?1 AND totp_step < ?2", "ii", id,
                     (sqlite3_int64) step) != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return sqlite3_changes(db) == 1 ? FEAT_OK : FEAT_DECLINED;
}
