/*
 * account.c: what an account is, and the flows that prove one.
 *
 * feat_account_parse turns the (area, account) pair clients send into the
 * normalized form the rest of the module keys on: "<area>:<digits>" for a
 * phone number, the lower-cased address for an email.  The flows below
 * (register, password login, code login) tie the codes, users and sessions
 * parts together; each keeps slow work (scrypt) outside the write lock and
 * does its reads and writes in one BEGIN IMMEDIATE transaction, so two
 * workers racing on one account see a consistent outcome.
 */

#include "config.h"

#include <ctype.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"

#define DEFAULT_AREA  "86"
#define AREA_DIGITS_MAX  4       /* longest area code */

#define LOGIN_FAIL     "login_fail"    /* per account: lockout.c */

/* Long enough for any "$scrypt$..." string crypto.c makes. */
#define HASH_MAX  256


static int
all_digits(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/* RFC 5322 atext plus '.', the characters a local part may use unquoted;
 * quoted local parts are not accepted (no provider needs them). */
static int
local_char(int c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}


static int
email_valid(const char *s, size_t n)
{
    const char  *at, *dom, *p;
    size_t       local_len;
    int          dots;

    if (n > FEAT_EMAIL_MAX) {
        return 0;
    }

    at = memchr(s, '@', n);
    if (at == NULL || memchr(at + 1, '@', n - (at - s) - 1) != NULL) {
        return 0;
    }

    local_len = at - s;
    if (local_len == 0 || local_len > 64
        || s[0] == '.' || at[-1] == '.')
    {
        return 0;
    }

    for (p = s; p < at; p++) {
        if (!local_char((unsigned char) *p)
            || (*p == '.' && p[1] == '.'))
        {
            return 0;
        }
    }

    /* The domain: dot-separated labels of letters, digits and '-'. */
    dom = at + 1;
    if (dom == s + n || *dom == '.' || s[n - 1] == '.') {
        return 0;
    }

    dots = 0;
    for (p = dom; p < s + n; p++) {
        if (*p == '.') {
            if (p[1] == '.') {
                return 0;
            }
            dots++;

        } else if (!isalnum((unsigned char) *p) && *p != '-') {
            return 0;
        }
    }

    return dots > 0;
}


enum feat_error
feat_account_parse(struct feat_arena *a, const char *area,
    const char *account, struct feat_account *out)
{
    size_t   alen, n, i;
    char    *email;

    if (account == NULL) {
        return FEAT_E_BAD_ACCOUNT;
    }

    n = strlen(account);

    if (strchr(account, '@') != NULL) {
        if (!email_valid(account, n)) {
            return FEAT_E_BAD_ACCOUNT;
        }

        email = feat_arena_strndup(a, account, n);
        for (i = 0; i < n; i++) {
            email[i] = (char) tolower((unsigned char) email[i]);
        }

        out->key = email;
        out->area = "";
        out->phone = "";
        out->email = email;
        out->username = email;
        return FEAT_E_NONE;
    }

    /* A phone number: the seed's area is optional and means China. */
    if (area == NULL || area[0] == '\0') {
        area = DEFAULT_AREA;
    }

    alen = strlen(area);
    if (alen < 1 || alen > AREA_DIGITS_MAX || !all_digits(area, alen)
        || !all_digits(account, n))
    {
        return FEAT_E_BAD_ACCOUNT;
    }

    if (strcmp(area, DEFAULT_AREA) == 0) {
        if (n != 11 || account[0] != '1') {
            return FEAT_E_BAD_ACCOUNT;
        }

    } else if (n < 4 || n > 15) {
        return FEAT_E_BAD_ACCOUNT;
    }

    out->area = feat_arena_strndup(a, area, alen);
    out->phone = feat_arena_strndup(a, account, n);
    out->email = "";
    out->username = out->phone;
    out->key = feat_arena_sprintf(a, "%s:%s", out->area, out->phone);

    return FEAT_E_NONE;
}


int
feat_purpose_valid(const char *s)
{
    return s != NULL && (strcmp(s, FEAT_PURPOSE_REGISTER) == 0
                         || strcmp(s, FEAT_PURPOSE_LOGIN) == 0
                         || strcmp(s, FEAT_PURPOSE_DELETE) == 0);
}


enum feat_error
feat_account_resolve(sqlite3 *db, struct feat_arena *a, const char *app,
    const char *username, struct feat_account *out)
{
    int                  found;
    char                 area[AREA_DIGITS_MAX + 1];
    size_t               i, n;
    sqlite3_int64        id;
    enum feat_error      e;
    struct feat_account  cand;

    if (username[0] != '+') {
        return feat_account_parse(a, NULL, username, out);
    }

    username++;
    n = strlen(username);
    if (n == 0 || !all_digits(username, n)) {
        return FEAT_E_BAD_ACCOUNT;
    }

    /*
     * Split at the first area length that names a registered user, else
     * at the first that parses, so that a wrong password and an unknown
     * account look alike to the caller.
     */
    found = 0;

    for (i = 1; i <= AREA_DIGITS_MAX && i < n; i++) {
        memcpy(area, username, i);
        area[i] = '\0';

        if (feat_account_parse(a, area, username + i, &cand) != FEAT_E_NONE) {
            continue;
        }

        if (!found) {
            *out = cand;
            found = 1;
        }

        e = feat_user_lookup_id(db, app, &cand, &id);
        if (e != FEAT_E_NONE) {
            return e;
        }

        if (id != 0) {
            *out = cand;
            return FEAT_E_NONE;
        }
    }

    return found ? FEAT_E_NONE : FEAT_E_BAD_ACCOUNT;
}


int
feat_password_ok(const char *password)
{
    long  n;

    if (password == NULL) {
        return 0;
    }

    n = feat_utf8_len(password, strlen(password));

    return n >= FEAT_PASSWORD_MIN && n <= FEAT_PASSWORD_MAX;
}


enum feat_error
feat_account_register_begin(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code)
{
    enum feat_error  e;

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_user_absent(db, app, acct);
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    e = feat_code_check_locked(db, app, acct, FEAT_PURPOSE_REGISTER, code, 1);
    if (e == FEAT_E_BAD_CODE) {
        /* keep the counted attempt */
        if (feat_db_commit(db) != FEAT_OK) {
            feat_db_rollback(db);
            return FEAT_E_INTERNAL;
        }
        return e;
    }

    if (e != FEAT_E_NONE) {
        goto failed;
    }

    return FEAT_E_NONE;

failed:

    feat_db_rollback(db);
    return e;
}


enum feat_error
feat_account_register(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code, const char *password,
    const char *scope, struct feat_tokens *t)
{
    char             hash[HASH_MAX];
    sqlite3_int64    id;
    enum feat_error  e;

    /* the transaction feat_account_register_begin opens looks again, to
     * close the race */
    e = feat_user_absent_hash(db, app, acct, password, hash, sizeof(hash));
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_account_register_begin(db, app, acct, code);
    if (e != FEAT_E_NONE) {
        return e;
    }

    e = feat_user_create(db, app, acct, hash, &id);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    e = feat_session_create(db, app, id, 0, NULL, scope, t);

done:

    return feat_db_end(db, e);
}


/*
 * Records a lockout in the audit log when the failure just counted was
 * the one that locked the account (the next attempt will be refused).
 * The record stands alone, as the failure's count does.
 */
static void
login_lockout_audit(sqlite3 *db, const char *app,
    const struct feat_account *acct, sqlite3_int64 user_id)
{
    int  max, window;

    max = (int) feat_conf_int(FEAT_CONF_LOGIN_MAX_FAILURES);
    window = (int) feat_conf_int(FEAT_CONF_LOGIN_WINDOW);

    if (feat_rate_check(db, app, LOGIN_FAIL, acct->key, max, window, NULL)
        == FEAT_BUSY)
    {
        (void) feat_audit(db, app, user_id, "lockout", "di", "failures", max,
                          "window", (sqlite3_int64) window);
    }
}


/* Stores a stronger hash of a password that just verified, unless it
 * changed meanwhile.  Failure is logged and otherwise ignored: the login
 * itself succeeded. */
static void
login_rehash(sqlite3 *db, const char *app, const struct feat_user *u,
    const char *password)
{
    char  hash[HASH_MAX];

    /* No slot (FEAT_BUSY) included: the next login re-hashes. */
    if (feat_password_hash(password, hash, sizeof(hash)) != FEAT_OK) {
        return;
    }

    if (feat_db_exec(db,
            "UPDATE users SET password = ?1"
            " WHERE id = ?2 AND app_id = ?3 AND password = ?4",
            "siss", hash, u->id, app, u->password) != FEAT_OK)
    {
        feat_log(LOG_WARNING, 0, "user %lld: password rehash not stored",
                 (long long) u->id);
    }
}


enum feat_error
feat_account_check_password(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, const char *ip,
    sqlite3_int64 *user_id)
{
    int                  rc, rehash;
    enum feat_error      e;
    struct feat_user     u;
    struct feat_arena   *a;
    struct feat_attempt  at;

    /*
     * In a storm of logins most are refused for want of a hashing slot:
     * refused before the lockout and user reads, they cost the workers
     * that serve everything else as little as can be.  Not an attempt:
     * nothing is counted.
     */
    if (feat_password_busy()) {
        return FEAT_E_BUSY;
    }

    a = feat_arena_create();

    e = feat_user_find(db, a, app, acct, &u);
    if (e == FEAT_E_NOT_REGISTERED) {
        /* Guessing accounts counts against the address, not an account. */
        e = feat_attempt_begin(db, app, NULL, NULL, acct->key, ip, &at);
        if (e != FEAT_E_NONE) {
            goto done;
        }

        /* A wrong password's work: the answer's time does not tell an
         * unknown account (OAuth2 answers both invalid_grant). */
        if (feat_password_verify_dummy(password) == FEAT_BUSY) {
            feat_attempt_cancel(db, &at);
            e = FEAT_E_BUSY;
            goto done;
        }

        e = feat_attempt_failed(db, &at, FEAT_E_NOT_REGISTERED);
        (void) feat_audit(db, app, 0, "login_failed", "s", "reason",
                          "not_registered");
        goto done;
    }

    if (e != FEAT_E_NONE) {
        goto done;
    }

    /* The attempt is reserved before the hash (lockout.c). */
    e = feat_attempt_begin(db, app, LOGIN_FAIL, acct->key, acct->key, ip,
                           &at);
    if (e != FEAT_E_NONE) {
        goto done;
    }

    rehash = 0;
    if (u.password[0] == '\0') {
        /* An account made by a code login has no password to match; it
         * costs what a wrong one does all the same. */
        rc = feat_password_verify_dummy(password);
        if (rc == FEAT_ERROR) {
            rc = FEAT_DECLINED;
        }

    } else {
        rc = feat_password_verify(password, u.password, &rehash);
    }

    if (rc == FEAT_BUSY) {
        /* Not an attempt: refused before any check, so nothing counted. */
        feat_attempt_cancel(db, &at);
        e = FEAT_E_BUSY;
        goto done;
    }

    if (rc == FEAT_DECLINED) {
        e = feat_attempt_failed(db, &at, FEAT_E_WRONG_PASSWORD);
        (void) feat_audit(db, app, u.id, "login_failed", "s", "reason",
                          "wrong_password");
        login_lockout_audit(db, app, acct, u.id);
        goto done;
    }

    if (rc != FEAT_OK) {
        feat_attempt_cancel(db, &at);
        feat_log(LOG_ERR, 0, "user %lld: stored password hash is malformed",
                 (long long) u.id);
        e = FEAT_E_INTERNAL;
        goto done;
    }

    /* Told only to someone who knows the password. */
    if (!u.is_active) {
        feat_attempt_cancel(db, &at);
        e = FEAT_E_DISABLED;
        goto done;
    }

    feat_attempt_succeeded(db, &at);

    if (rehash) {
        login_rehash(db, app, &u, password);
    }

    *user_id = u.id;

done:

    feat_arena_destroy(a);
    return e;
}


/* The checks, then the session and its audit record in one transaction:
 * v2 and feat logins. */
enum feat_error
feat_account_login_password(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, const char *ip,
    const char *scope, struct feat_tokens *t)
{
    sqlite3_int64    id;
    enum feat_error  e;

    e = feat_account_check_password(db, app, acct, password, ip, &id);
    if (e != FEAT_E_NONE) {
        return e;
    }

    if (feat_db_begin(db) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    e = feat_session_create(db, app, id, 0, NULL, scope, t);
    if (e == FEAT_E_NONE
        && feat_audit(db, app, id, "login", "s", "method", "password")
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    return feat_db_end(db, e);
}


enum feat_error
feat_account_login_code(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code, const char *scope,
    struct feat_tokens *t)
{
    enum feat_error     e;
    struct feat_user    u;
    struct feat_arena  *a;

    a = feat_arena_create();

    if (feat_db_begin(db) != FEAT_OK) {
        feat_arena_destroy(a);
        return FEAT_E_INTERNAL;
    }

    e = feat_user_find(db, a, app, acct, &u);
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    e = feat_code_check_locked(db, app, acct, FEAT_PURPOSE_LOGIN, code, 1);
    if (e == FEAT_E_BAD_CODE) {
        /* keep the counted attempt */
        if (feat_db_commit(db) != FEAT_OK) {
            e = FEAT_E_INTERNAL;
            goto failed;
        }
        goto done;
    }

    if (e != FEAT_E_NONE) {
        goto failed;
    }

    /* Rolled back below, so the code stays usable if the user returns. */
    if (!u.is_active) {
        e = FEAT_E_DISABLED;
        goto failed;
    }

    e = feat_session_create(db, app, u.id, 0, NULL, scope, t);
    if (e != FEAT_E_NONE) {
        goto failed;
    }

    if (feat_audit(db, app, u.id, "login", "s", "method", "code") != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    if (feat_db_commit(db) != FEAT_OK) {
        e = FEAT_E_INTERNAL;
        goto failed;
    }

    goto done;

failed:

    feat_db_rollback(db);

done:

    feat_arena_destroy(a);
    return e;
}


/*
 * A scope list normalized ("read  write" → "read write"): at most 16
 * scopes, each 1-64 of [a-z0-9_:.-], no duplicates (a duplicate is a typo
 * worth reporting, not silently merging).
 */
#define SCOPES_COUNT  16
#define SCOPE_MAX     64

static int
accounts_scopes_check(struct feat_arena *a, const char *s, const char **norm,
    const char **reason)
{
    size_t       n, i, k, len[SCOPES_COUNT];
    char        *out;
    const char  *scope[SCOPES_COUNT];

    for (n = 0; ; n++) {
        while (*s == ' ') {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        if (n == SCOPES_COUNT) {
            *reason = "more than 16 scopes";
            return FEAT_ERROR;
        }

        scope[n] = s;
        len[n] = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_:.-");
        if (s[len[n]] != '\0' && s[len[n]] != ' ') {
            *reason = "a scope is made of a-z, 0-9, '_', ':', '.' and '-'";
            return FEAT_ERROR;
        }
        if (len[n] > SCOPE_MAX) {
            *reason = "a scope is at most 64 characters";
            return FEAT_ERROR;
        }

        for (i = 0; i < n; i++) {
            if (len[i] == len[n] && memcmp(scope[i], s, len[n]) == 0) {
                *reason = feat_arena_sprintf(a, "\"%.*s\" twice",
                                             (int) len[n], s);
                return FEAT_ERROR;
            }
        }

        s += len[n];
    }

    if (n == 0) {
        *reason = "empty";
        return FEAT_ERROR;
    }

    out = feat_arena_alloc(a, SCOPES_COUNT * (SCOPE_MAX + 1));
    for (i = 0, k = 0; i < n; i++) {
        if (i > 0) {
            out[k++] = ' ';
        }
        memcpy(out + k, scope[i], len[i]);
        k += len[i];
    }
    out[k] = '\0';

    *norm = out;
    return FEAT_OK;
}


const struct feat_setting  feat_accounts_settings[] = {
    { FEAT_ACCOUNTS_OPEN_LOGIN, FEAT_SETTING_BOOL, 0, "off", NULL, 0, 0,
      NULL, "v1 get_token_by_open logs in by a binding's open id", NULL },
    { FEAT_ACCOUNTS_SCOPES, FEAT_SETTING_STR, 0, "read write", NULL, 0,
      SCOPES_COUNT * (SCOPE_MAX + 1), NULL,
      "scopes of the sessions logins open (space-separated)",
      accounts_scopes_check },
    FEAT_NULL_SETTING
};


const char *
feat_accounts_scopes(const char *app)
{
    return feat_setting_str(app, FEAT_ACCOUNTS_SCOPES);
}
