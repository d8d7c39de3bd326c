/*
 * accounts-test.c: the accounts module's domain, below HTTP.
 *
 * A temporary config (small scrypt parameters, the "log" SMS provider, a
 * test clock) and a fresh migrated database, then: account parsing and
 * normalization, code send limits (interval, hourly and daily with the
 * clock shifted, per address), attempts burning a code, expiry, consuming,
 * register and both logins with the lockout, sessions found by their hash,
 * rotation, the grace answer, reuse revoking the family, revocation, the
 * authenticate hook's header parsing, and the sweeps.  Prints TAP.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "accounts/accounts.h"
#include "../tap.h"

static char                dir[] = "/tmp/feat-accounts-XXXXXX";
static char                sms_log[256];
static struct feat_arena  *arena;
static long long           shift;

#define APP  ""

/* is_int with a printf-style name */
#define is_intf(got, want, ...)                                               \
    is_int_at((got), (want), __FILE__, __LINE__,                             \
              feat_arena_sprintf(arena, __VA_ARGS__))


/* Moves the test clock forward by s seconds. */
static void
clock_add(long long s)
{
    char  buf[32];

    shift += s;
    snprintf(buf, sizeof(buf), "%lld", shift);
    setenv("FEAT_CLOCK_SHIFT", buf, 1);
}


/* The code in the last line of the SMS log ("" when none). */
static const char *
last_code(void)
{
    static char   code[FEAT_CODE_LEN + 1];
    char          line[512];
    const char   *p;
    FILE         *f;

    code[0] = '\0';

    f = fopen(sms_log, "r");
    if (f == NULL) {
        return code;
    }

    while (fgets(line, sizeof(line), f) != NULL) {
        p = strstr(line, "code=");
        if (p != NULL && strlen(p + 5) >= FEAT_CODE_LEN) {
            memcpy(code, p + 5, FEAT_CODE_LEN);
            code[FEAT_CODE_LEN] = '\0';
        }
    }

    fclose(f);
    return code;
}


/* A code that differs from code in its last digit. */
static void
wrong_of(const char *code, char wrong[FEAT_CODE_LEN + 1])
{
    memcpy(wrong, code, FEAT_CODE_LEN + 1);
    wrong[FEAT_CODE_LEN - 1] = wrong[FEAT_CODE_LEN - 1] == '9'
                               ? '0' : wrong[FEAT_CODE_LEN - 1] + 1;
}


static struct feat_account
acct_of(const char *area, const char *account)
{
    struct feat_account  a;

    memset(&a, 0, sizeof(a));
    if (feat_account_parse(arena, area, account, &a) != FEAT_E_NONE) {
        fprintf(stderr, "# bad test account %s\n", account);
        exit(2);
    }

    return a;
}


static long long
count(const char *sql, const char *arg)
{
    sqlite3_int64  n;

    n = -1;
    if (feat_db_int(feat_db(), &n, sql, "s", arg) == FEAT_DECLINED) {
        n = 0;
    }

    return (long long) n;
}


static void
test_parse(void)
{
    static const struct {
        const char  *area;
        const char  *account;
        const char  *key;     /* NULL: invalid */
    } cases[] = {
        { NULL, "13800000000", "86:13800000000" },
        { "", "13800000000", "86:13800000000" },
        { "86", "13800000000", "86:13800000000" },
        { NULL, "23800000000", NULL },
        { NULL, "1380000000", NULL },
        { NULL, "138000000000", NULL },
        { NULL, "1380000000a", NULL },
        { NULL, "+13800000000", NULL },
        { "1", "2025550123", "1:2025550123" },
        { "852", "1234", "852:1234" },
        { "852", "123", NULL },
        { "44", "1234567890123456", NULL },
        { "12345", "12345678", NULL },
        { "8a", "12345678", NULL },
        { NULL, "", NULL },
        { NULL, "User.Name+tag@Example.COM", "user.name+tag@example.com" },
        { "44", "a@b.cn", "a@b.cn" },
        { NULL, "a@b", NULL },
        { NULL, "@b.cn", NULL },
        { NULL, "a@@b.cn", NULL },
        { NULL, "a@b@c.cn", NULL },
        { NULL, "a b@c.cn", NULL },
        { NULL, "a@b..cn", NULL },
        { NULL, "a@.b.cn", NULL },
        { NULL, "a@b.cn.", NULL },
        { NULL, ".a@b.cn", NULL },
        { NULL, "a@b_c.cn", NULL },
    };
    size_t                i;
    char                  longmail[300];
    enum feat_error       e;
    struct feat_account   a;

    for (i = 0; i < FEAT_NELEMS(cases); i++) {
        e = feat_account_parse(arena, cases[i].area, cases[i].account, &a);
        if (cases[i].key == NULL) {
            is_intf(e, FEAT_E_BAD_ACCOUNT, "account \"%s\" (area %s) refused",
                   cases[i].account, cases[i].area ? cases[i].area : "-");
        } else {
            ok(e == FEAT_E_NONE && strcmp(a.key, cases[i].key) == 0,
               "account \"%s\" (area %s) is %s", cases[i].account,
               cases[i].area ? cases[i].area : "-", cases[i].key);
        }
    }

    a = acct_of(NULL, "13800000000");
    ok(strcmp(a.area, "86") == 0 && strcmp(a.phone, "13800000000") == 0
       && a.email[0] == '\0' && strcmp(a.username, "13800000000") == 0,
       "phone parts");

    a = acct_of(NULL, "Bob@Example.com");
    ok(a.area[0] == '\0' && a.phone[0] == '\0'
       && strcmp(a.email, "bob@example.com") == 0
       && strcmp(a.username, "bob@example.com") == 0, "email parts");

    /* 254 characters is the longest address */
    memset(longmail, 'a', sizeof(longmail));
    memcpy(longmail, "x@", 2);
    memcpy(longmail + 250, ".cn", 4);
    is_int(feat_account_parse(arena, NULL, longmail, &a), FEAT_E_NONE,
           "253-character email");
    memset(longmail, 'a', sizeof(longmail));
    memcpy(longmail, "x@", 2);
    memcpy(longmail + 252, ".cn", 4);
    is_int(feat_account_parse(arena, NULL, longmail, &a), FEAT_E_BAD_ACCOUNT,
           "255-character email refused");

    ok(feat_purpose_valid("register") && feat_purpose_valid("login")
       && !feat_purpose_valid("reset") && !feat_purpose_valid(NULL),
       "purposes");
}


static void
test_send_limits(void)
{
    int                   i;
    char                  code[FEAT_CODE_LEN + 1];
    const char           *purpose;
    struct feat_account   a, b;
    sqlite3              *db;

    db = feat_db();
    a = acct_of(NULL, "13800000001");

    is_int(feat_code_default_purpose(db, APP, &a, &purpose), FEAT_E_NONE,
           "default purpose");
    is_str(purpose, "register", "unknown account: register");

    is_int(feat_code_send(db, arena, APP, &a, purpose, "10.0.0.1", code),
           FEAT_E_NONE, "code sent");
    ok(strlen(code) == 6 && strspn(code, "0123456789") == 6,
       "code is 6 digits");
    is_str(last_code(), code, "code delivered through the log provider");
    is_int(count("SELECT count(*) FROM codes WHERE account = ?1", a.key), 1,
           "one code row");
    is_int(count("SELECT count(*) FROM codes WHERE code_hmac = ?1", code), 0,
           "code not stored in clear");

    is_int(feat_code_send(db, arena, APP, &a, "login", "10.0.0.1", NULL),
           FEAT_E_TOO_FREQUENT, "resend within the interval refused");

    /* hourly: 5 sends, one per minute */
    for (i = 2; i <= 5; i++) {
        clock_add(61);
        is_intf(feat_code_send(db, arena, APP, &a, "register", "10.0.0.1",
                              NULL), FEAT_E_NONE, "send %d in the hour", i);
    }
    clock_add(61);
    is_int(feat_code_send(db, arena, APP, &a, "register", "10.0.0.1", NULL),
           FEAT_E_TOO_FREQUENT, "6th send in the hour refused");

    /* daily: 10 sends */
    clock_add(3600);
    for (i = 6; i <= 10; i++) {
        clock_add(61);
        is_intf(feat_code_send(db, arena, APP, &a, "register", "10.0.0.2",
                              NULL), FEAT_E_NONE, "send %d in the day", i);
    }
    clock_add(3600);
    is_int(feat_code_send(db, arena, APP, &a, "register", "10.0.0.3", NULL),
           FEAT_E_TOO_FREQUENT, "11th send in the day refused");
    clock_add(86400);
    is_int(feat_code_send(db, arena, APP, &a, "register", "10.0.0.3", NULL),
           FEAT_E_NONE, "a day later sending works again");

    /* per address */
    feat_conf_set(FEAT_CONF_CODE_IP_HOURLY_LIMIT, "3");
    for (i = 0; i < 3; i++) {
        b = acct_of("852", i == 0 ? "5550001" : i == 1 ? "5550002"
                                                       : "5550003");
        is_intf(feat_code_send(db, arena, APP, &b, "register", "10.9.9.9",
                              NULL), FEAT_E_NONE, "address send %d", i + 1);
    }
    b = acct_of("852", "5550004");
    is_int(feat_code_send(db, arena, APP, &b, "register", "10.9.9.9", NULL),
           FEAT_E_TOO_FREQUENT, "4th send from one address refused");
    is_int(count("SELECT count(*) FROM codes WHERE account = ?1", b.key), 0,
           "refused send stored nothing");
    is_int(feat_code_send(db, arena, APP, &b, "register", "10.9.9.8", NULL),
           FEAT_E_NONE, "another address may send");
    feat_conf_set(FEAT_CONF_CODE_IP_HOURLY_LIMIT, "20");

    /* a failed delivery leaves no code behind */
    b = acct_of("852", "5550005");
    feat_conf_set(FEAT_CONF_SMS_PROVIDER, "");
    i = feat_code_send(db, arena, APP, &b, "register", "10.1.1.1", NULL);
    ok(i == FEAT_E_SMS_DOWN, "no provider: SMS down (%d)", i);
    is_int(count("SELECT count(*) FROM codes WHERE account = ?1", b.key), 0,
           "undelivered code deleted");
    feat_conf_set(FEAT_CONF_SMS_PROVIDER, "log");
    is_int(feat_code_send(db, arena, APP, &b, "register", "10.1.1.1", NULL),
           FEAT_E_NONE, "and the account may send at once");
}


static void
test_check(void)
{
    int                   i;
    char                  code[FEAT_CODE_LEN + 1], old[FEAT_CODE_LEN + 1];
    char                  wrong[FEAT_CODE_LEN + 1];
    struct feat_account   a;
    sqlite3              *db;

    db = feat_db();
    a = acct_of(NULL, "13800000002");

    is_int(feat_code_send(db, arena, APP, &a, "register", NULL, code),
           FEAT_E_NONE, "code sent");
    wrong_of(code, wrong);

    is_int(feat_code_check(db, APP, &a, "register", wrong, 0),
           FEAT_E_BAD_CODE, "wrong code");
    is_int(feat_code_check(db, APP, &a, "login", code, 0), FEAT_E_BAD_CODE,
           "right code, wrong purpose");
    is_int(feat_code_check(db, APP, &a, "register", "12345", 0),
           FEAT_E_BAD_CODE, "short code");
    is_int(feat_code_check(db, APP, &a, "register", code, 0), FEAT_E_NONE,
           "right code");
    is_int(feat_code_check(db, APP, &a, "register", code, 0), FEAT_E_NONE,
           "checking does not consume");
    is_int(feat_code_check(db, "other", &a, "register", code, 0),
           FEAT_E_BAD_CODE, "another app does not see it");

    /* a new code supersedes the old one */
    memcpy(old, code, sizeof(old));
    clock_add(61);
    is_int(feat_code_send(db, arena, APP, &a, "register", NULL, code),
           FEAT_E_NONE, "second code sent");
    if (strcmp(old, code) != 0) {
        is_int(feat_code_check(db, APP, &a, "register", old, 0),
               FEAT_E_BAD_CODE, "superseded code refused");
    } else {
        ok(1, "superseded code refused (same digits drawn)");
    }
    is_int(feat_code_check(db, APP, &a, "register", code, 1), FEAT_E_NONE,
           "new code accepted and consumed");
    is_int(feat_code_check(db, APP, &a, "register", code, 0),
           FEAT_E_BAD_CODE, "consumed code refused");
    is_int(feat_code_check(db, APP, &a, "register", old, 0),
           FEAT_E_BAD_CODE, "superseded code stays refused");

    /* a failed delivery leaves the previous code usable */
    clock_add(61);
    is_int(feat_code_send(db, arena, APP, &a, "login", NULL, code),
           FEAT_E_NONE, "login code sent");
    clock_add(61);
    feat_conf_set(FEAT_CONF_SMS_PROVIDER, "");
    ok(feat_code_send(db, arena, APP, &a, "login", NULL, NULL)
       != FEAT_E_NONE, "undeliverable code");
    feat_conf_set(FEAT_CONF_SMS_PROVIDER, "log");
    is_int(feat_code_check(db, APP, &a, "login", code, 1), FEAT_E_NONE,
           "previous code still valid");

    /* attempts burn */
    clock_add(61);
    is_int(feat_code_send(db, arena, APP, &a, "register", NULL, code),
           FEAT_E_NONE, "third code sent");
    wrong_of(code, wrong);
    for (i = 0; i < 5; i++) {
        feat_code_check(db, APP, &a, "register", wrong, 0);
    }
    is_int(feat_code_check(db, APP, &a, "register", code, 0),
           FEAT_E_BAD_CODE, "5 wrong tries burn the code");

    /* expiry */
    clock_add(61);
    is_int(feat_code_send(db, arena, APP, &a, "register", NULL, code),
           FEAT_E_NONE, "fourth code sent");
    clock_add(299);
    is_int(feat_code_check(db, APP, &a, "register", code, 0), FEAT_E_NONE,
           "valid just before the ttl");
    clock_add(2);
    is_int(feat_code_check(db, APP, &a, "register", code, 0),
           FEAT_E_BAD_CODE, "expired after the ttl");
}


static void
test_register_login(struct feat_tokens *out)
{
    int                   i;
    char                  code[FEAT_CODE_LEN + 1], wrong[FEAT_CODE_LEN + 1];
    time_t                before;
    const char           *purpose;
    struct feat_user      u;
    struct feat_tokens    t;
    struct feat_account   a, m;
    sqlite3              *db;

    db = feat_db();
    a = acct_of("86", "13800000003");

    clock_add(3600);
    is_int(feat_code_send(db, arena, APP, &a, "register", NULL, code),
           FEAT_E_NONE, "register code sent");
    wrong_of(code, wrong);

    is_int(feat_account_register(db, APP, &a, wrong, "secret1", "read write",
                                 &t), FEAT_E_BAD_CODE,
           "register with a wrong code");
    is_int(count("SELECT count(*) FROM users WHERE phone = ?1", a.phone), 0,
           "no user made");

    before = feat_now();
    is_int(feat_account_register(db, APP, &a, code, "secret1", "read write",
                                 &t), FEAT_E_NONE, "register");
    ok(strlen(t.access) == 50 && strlen(t.refresh) == 50
       && strspn(t.access, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "abcdefghijklmnopqrstuvwxyz") == 50,
       "50-character base62 tokens");
    is_int(t.access_ttl, 604800, "expires_in");
    /* issued within the call: a slow run may cross a second meanwhile */
    ok(t.access_expires >= before + 604800
       && t.access_expires <= feat_now() + 604800, "access expiry");
    is_int(feat_code_check(db, APP, &a, "register", code, 0),
           FEAT_E_BAD_CODE, "register consumed the code");

    is_int(feat_user_find(db, arena, APP, &a, &u), FEAT_E_NONE, "user found");
    ok(strncmp(u.password, "$scrypt$", 8) == 0, "password stored hashed");
    ok(strlen(u.openid) == 40, "40-character openid");
    is_str(u.username, "13800000003", "username is the phone");
    ok(strcmp(u.area, "86") == 0 && u.is_active && u.role == 0
       && u.gender == 2, "defaults");

    is_int(feat_code_default_purpose(db, APP, &a, &purpose), FEAT_E_NONE,
           "default purpose");
    is_str(purpose, "login", "known account: login");

    clock_add(61);
    feat_code_send(db, arena, APP, &a, "register", NULL, code);
    is_int(feat_account_register(db, APP, &a, code, "secret1", "", &t),
           FEAT_E_REGISTERED, "register twice refused");

    /* password login and the lockout */
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.2.2.2",
                                       "read write", out), FEAT_E_NONE,
           "password login");
    m = acct_of(NULL, "13800000099");
    is_int(feat_account_login_password(db, APP, &m, "secret1", "10.2.2.2",
                                       "", &t), FEAT_E_NOT_REGISTERED,
           "unknown account");
    for (i = 1; i <= 5; i++) {
        is_intf(feat_account_login_password(db, APP, &a, "wrong-password",
                                           "10.2.2.2", "", &t),
               FEAT_E_WRONG_PASSWORD, "wrong password %d", i);
    }
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.2.2.3",
                                       "", &t), FEAT_E_LOCKED,
           "locked even with the right password");
    clock_add(901);
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.2.2.3",
                                       "", &t), FEAT_E_NONE,
           "unlocked after the window");
    is_int(feat_account_login_password(db, APP, &a, "wrong-password",
                                       "10.2.2.3", "", &t),
           FEAT_E_WRONG_PASSWORD, "a failure after success");
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.2.2.3",
                                       "", &t), FEAT_E_NONE,
           "success cleared the old failures");

    /* per address: distinct accounts failed, and a hard ceiling */
    feat_conf_set(FEAT_CONF_LOGIN_IP_MAX_FAILURES, "1");
    feat_conf_set(FEAT_CONF_LOGIN_IP_HARD_LIMIT, "4");
    is_int(feat_account_login_password(db, APP, &a, "wrong-password",
                                       "10.3.3.3", "", &t),
           FEAT_E_WRONG_PASSWORD, "address: a wrong password");
    is_int(feat_account_login_password(db, APP, &m, "secret1", "10.3.3.3",
                                       "", &t),
           FEAT_E_LOCKED, "address: a second account failed: locked");
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.3.3.3",
                                       "", &t), FEAT_E_NONE,
           "... the right password still logs in");
    for (i = 0; i < 2; i++) {
        is_intf(feat_account_login_password(db, APP, i ? &m : &a,
                                            "wrong-password", "10.3.3.3", "",
                                            &t),
                FEAT_E_LOCKED, "address: failure %d past the limit", i);
    }
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.3.3.3",
                                       "", &t), FEAT_E_LOCKED,
           "past the hard ceiling even the right password is refused");
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.3.3.4",
                                       "", &t), FEAT_E_NONE,
           "... the account itself is not (another address logs in)");
    feat_conf_set(FEAT_CONF_LOGIN_IP_HARD_LIMIT, "300");
    feat_conf_set(FEAT_CONF_LOGIN_IP_MAX_FAILURES, "30");
    clock_add(901);

    /* code login */
    is_int(feat_code_send(db, arena, APP, &a, "login", NULL, code),
           FEAT_E_NONE, "login code sent");
    is_int(feat_account_login_code(db, APP, &a, code, "read", &t),
           FEAT_E_NONE, "code login");
    is_int(feat_account_login_code(db, APP, &a, code, "read", &t),
           FEAT_E_BAD_CODE, "login code consumed");
    is_int(feat_account_login_code(db, APP, &m, code, "read", &t),
           FEAT_E_NOT_REGISTERED, "code login of an unknown account");

    /* disabled */
    feat_db_exec(db, "UPDATE users SET is_active = 0 WHERE phone = ?1", "s",
                 a.phone);
    is_int(feat_account_login_password(db, APP, &a, "secret1", "10.2.2.4",
                                       "", &t), FEAT_E_DISABLED,
           "disabled user");
    is_int(feat_session_lookup(db, arena, APP, out->access,
                               &(struct feat_session) { 0 }),
           FEAT_E_BAD_TOKEN, "a disabled user's token is refused");
    is_int(feat_session_lookup_user(db, arena, APP, out->access,
                                    &(struct feat_session) { 0 }, &u),
           FEAT_E_BAD_TOKEN, "... also when the lookup reads the user");
    feat_db_exec(db, "UPDATE users SET is_active = 1 WHERE phone = ?1", "s",
                 a.phone);

    /* email */
    m = acct_of(NULL, "Mail@Example.com");
    is_int(feat_code_send(db, arena, APP, &m, "register", NULL, code),
           FEAT_E_NONE, "mail code sent");
    if (code[0] != '\0' && feat_account_register(db, APP, &m, code,
                                                 "pässwörd", "", &t)
                           == FEAT_E_NONE)
    {
        is_int(feat_user_find(db, arena, APP, &m, &u), FEAT_E_NONE,
               "email user");
        ok(strcmp(u.email, "mail@example.com") == 0 && u.phone[0] == '\0'
           && strcmp(u.username, "mail@example.com") == 0, "email columns");
    } else {
        ok(0, "email register");
        ok(0, "email columns");
    }
}


static void
test_sessions(struct feat_tokens *t0)
{
    char                  hash[65];
    sqlite3_int64         uid;
    struct feat_tokens    t1, t2, t3, u0, u1;
    struct feat_session   s;
    struct feat_user      ur, ug;
    sqlite3              *db;

    db = feat_db();

    is_int(feat_session_lookup(db, arena, APP, t0->access, &s), FEAT_E_NONE,
           "session found by its access token");
    ok(s.id == t0->session_id && s.user_id == t0->user_id
       && strcmp(s.scope, "read write") == 0, "session fields");
    uid = s.user_id;

    /* the same session, its user's row read by the same statement */
    memset(&s, 0, sizeof(s));
    is_int(feat_session_lookup_user(db, arena, APP, t0->access, &s, &ur),
           FEAT_E_NONE, "session and user found together");
    is_int(feat_user_get(db, arena, APP, uid, &ug), FEAT_E_NONE,
           "the user on its own");
    ok(s.id == t0->session_id && s.user_id == uid
       && strcmp(s.scope, "read write") == 0, "... session fields the same");
    ok(ur.id == ug.id && strcmp(ur.app_id, ug.app_id) == 0
       && strcmp(ur.area, ug.area) == 0 && strcmp(ur.phone, ug.phone) == 0
       && strcmp(ur.email, ug.email) == 0
       && strcmp(ur.username, ug.username) == 0
       && strcmp(ur.openid, ug.openid) == 0
       && strcmp(ur.password, ug.password) == 0 && ur.role == ug.role
       && ur.is_active == ug.is_active
       && strcmp(ur.nickname, ug.nickname) == 0
       && strcmp(ur.avatar, ug.avatar) == 0 && ur.gender == ug.gender
       && strcmp(ur.birthday, ug.birthday) == 0
       && strcmp(ur.address, ug.address) == 0
       && strcmp(ur.city, ug.city) == 0
       && ur.password_changed_at == ug.password_changed_at
       && ur.created_at == ug.created_at && ur.updated_at == ug.updated_at,
       "... the user row is feat_user_get's");
    is_int(feat_session_lookup_user(db, arena, "other", t0->access, &s, &ur),
           FEAT_E_BAD_TOKEN, "... another app refuses it");

    feat_sha256_hex(t0->access, hash);
    is_int(count("SELECT count(*) FROM sessions WHERE access_hash = ?1",
                 hash), 1, "access token stored as its SHA-256");
    is_int(count("SELECT count(*) FROM sessions WHERE access_hash = ?1"
                 " OR refresh_hash = ?1", t0->access), 0,
           "no token stored in clear");

    is_int(feat_session_lookup(db, arena, APP, t0->refresh, &s),
           FEAT_E_BAD_TOKEN, "a refresh token is no access token");
    is_int(feat_session_lookup(db, arena, "other", t0->access, &s),
           FEAT_E_BAD_TOKEN, "another app refuses it");

    /* rotation, then the grace answer */
    is_int(feat_session_rotate(db, APP, 0, t0->refresh, &t1), FEAT_E_NONE,
           "rotate");
    ok(t1.session_id == t0->session_id && strcmp(t1.access, t0->access) != 0
       && strcmp(t1.refresh, t0->refresh) != 0 && strlen(t1.access) == 50
       && strlen(t1.refresh) == 50, "rotation: a new pair, same session");
    is_int(feat_session_lookup(db, arena, APP, t0->access, &s),
           FEAT_E_BAD_TOKEN, "old access token dead");
    is_int(feat_session_lookup(db, arena, APP, t1.access, &s), FEAT_E_NONE,
           "new access token works");

    is_int(feat_session_rotate(db, APP, 0, t0->refresh, &t2), FEAT_E_NONE,
           "old refresh within the grace");
    ok(strcmp(t1.access, t2.access) == 0 && strcmp(t1.refresh, t2.refresh) == 0
       && t1.access_expires == t2.access_expires,
       "grace answers the same pair");

    /* rotating further, then the first token again: reuse */
    clock_add(1);
    is_int(feat_session_rotate(db, APP, 0, t1.refresh, &t2), FEAT_E_NONE,
           "rotate again");
    is_int(feat_session_rotate(db, APP, 0, t0->refresh, &t3), FEAT_E_BAD_TOKEN,
           "token of a pair rotated further is reuse");
    is_int(feat_session_lookup(db, arena, APP, t2.access, &s),
           FEAT_E_BAD_TOKEN, "reuse revoked the family");
    is_int(feat_session_rotate(db, APP, 0, t2.refresh, &t3), FEAT_E_BAD_TOKEN,
           "the family's refresh token is dead too");

    /* reuse after the grace */
    is_int(feat_session_create(db, APP, uid, 0, "dev1", "read", &u0),
           FEAT_E_NONE, "new session");
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &u1), FEAT_E_NONE,
           "rotate");
    clock_add(11);
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &t3), FEAT_E_BAD_TOKEN,
           "old refresh after the grace refused");
    is_int(feat_session_lookup(db, arena, APP, u1.access, &s),
           FEAT_E_BAD_TOKEN, "and the family revoked");

    is_int(feat_session_rotate(db, APP, 0, "nope", &t3), FEAT_E_BAD_TOKEN,
           "unknown refresh token");

    /* expiry */
    feat_session_create(db, APP, uid, 0, NULL, "read", &u0);
    clock_add(604800);
    is_int(feat_session_lookup(db, arena, APP, u0.access, &s),
           FEAT_E_BAD_TOKEN, "expired access token");
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &u1), FEAT_E_NONE,
           "refresh after the access expiry");
    is_int(feat_session_lookup(db, arena, APP, u1.access, &s), FEAT_E_NONE,
           "rotated access works");
    clock_add(2592000);
    is_int(feat_session_rotate(db, APP, 0, u1.refresh, &u0), FEAT_E_BAD_TOKEN,
           "expired refresh token");

    /* destroy, revoke all */
    feat_session_create(db, APP, uid, 0, NULL, "read", &u0);
    is_int(feat_session_revoke(db, APP, u0.session_id), FEAT_E_NONE,
           "destroy");
    is_int(feat_session_lookup(db, arena, APP, u0.access, &s),
           FEAT_E_BAD_TOKEN, "destroyed access token");
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &u1), FEAT_E_BAD_TOKEN,
           "destroyed refresh token");

    feat_session_create(db, APP, uid, 0, NULL, "read", &u0);
    feat_session_create(db, APP, uid, 0, NULL, "read", &u1);
    is_int(feat_session_revoke_user(db, APP, uid, u1.session_id),
           FEAT_E_NONE, "revoke all but one");
    ok(feat_session_lookup(db, arena, APP, u0.access, &s) == FEAT_E_BAD_TOKEN
       && feat_session_lookup(db, arena, APP, u1.access, &s) == FEAT_E_NONE,
       "the kept one lives");

    is_int(feat_user_set_password(db, APP, uid, "newsecret", u1.session_id),
           FEAT_E_NONE, "password change");
    is_int(feat_session_lookup(db, arena, APP, u1.access, &s), FEAT_E_NONE,
           "keeps the current session");

    /* client tokens */
    is_int(feat_session_create(db, APP, 0, 7, NULL, "read", &u0),
           FEAT_E_NONE, "client token");
    ok(feat_session_lookup(db, arena, APP, u0.access, &s) == FEAT_E_NONE
       && s.user_id == 0 && s.client_id == 7, "client token has no user");
    ur.id = -1;
    ok(feat_session_lookup_user(db, arena, APP, u0.access, &s, &ur)
       == FEAT_E_NONE && s.user_id == 0 && s.client_id == 7 && ur.id == 0,
       "... nor a user row");

    /* a client's refresh token is that client's alone to rotate */
    is_int(feat_session_create(db, APP, uid, 7, "dev9", "read", &u0),
           FEAT_E_NONE, "client session of a user");
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &u1),
           FEAT_E_BAD_TOKEN, "first-party refresh refuses a client's token");
    is_int(feat_session_rotate(db, APP, 8, u0.refresh, &u1),
           FEAT_E_BAD_TOKEN, "another client's refresh refuses it too");
    ok(feat_session_lookup(db, arena, APP, u0.access, &s) == FEAT_E_NONE,
       "refused rotations left the session live");
    is_int(feat_session_rotate(db, APP, 7, u0.refresh, &u1), FEAT_E_NONE,
           "its own client rotates it");
    is_int(feat_session_rotate(db, APP, 0, u0.refresh, &t3),
           FEAT_E_BAD_TOKEN, "a rotated client token: refused for others");
    ok(feat_session_lookup(db, arena, APP, u1.access, &s) == FEAT_E_NONE,
       "and presenting it elsewhere burned nothing");

    /* sweeps */
    clock_add(3 * 86400);
    feat_session_sweep(db, feat_now() + 2592000 + 86400 + 1);
    feat_code_sweep(db, feat_now());
    is_int(count("SELECT count(*) FROM sessions WHERE app_id = ?1", APP), 0,
           "sessions swept");
    is_int(count("SELECT count(*) FROM session_rotated"
                 " WHERE refresh_hash <> ?1", ""), 0, "rotated tokens swept");
    is_int(count("SELECT count(*) FROM codes WHERE app_id = ?1", APP), 0,
           "codes swept");
}


static void
test_profile(void)
{
    struct feat_user            u;
    struct feat_account         a;
    struct feat_profile_update  p;
    sqlite3                    *db;

    db = feat_db();
    a = acct_of(NULL, "13800000003");

    if (feat_user_find(db, arena, APP, &a, &u) != FEAT_E_NONE) {
        ok(0, "profile user");
        return;
    }

    memset(&p, 0, sizeof(p));
    p.gender = 1;
    p.nickname = "Nick";
    p.birthday = "1991-03-08";
    is_int(feat_user_update_profile(db, APP, u.id, &p), FEAT_E_NONE,
           "profile update");
    feat_user_get(db, arena, APP, u.id, &u);
    ok(u.gender == 1 && strcmp(u.nickname, "Nick") == 0
       && strcmp(u.birthday, "1991-03-08") == 0 && u.address[0] == '\0',
       "fields set");

    memset(&p, 0, sizeof(p));
    p.gender = -1;
    p.nickname = "";
    p.address = "Somewhere";
    is_int(feat_user_update_profile(db, APP, u.id, &p), FEAT_E_NONE,
           "partial update");
    feat_user_get(db, arena, APP, u.id, &u);
    ok(u.gender == 1 && u.nickname[0] == '\0'
       && strcmp(u.birthday, "1991-03-08") == 0
       && strcmp(u.address, "Somewhere") == 0, "omitted kept, \"\" cleared");

    is_int(feat_user_update_profile(db, "other", u.id, &p),
           FEAT_E_NOT_FOUND, "another app's user is not found");
}


/* The authenticate hook through a request holding only params. */
static void
test_authenticate(void)
{
    char                  hdr[128], *envp[3];
    struct feat_req       r;
    struct feat_app       app = { APP };
    struct feat_tokens    t;
    struct feat_account   a;
    struct feat_user      u;
    sqlite3              *db;

    db = feat_db();
    a = acct_of(NULL, "13800000003");
    if (feat_user_find(db, arena, APP, &a, &u) != FEAT_E_NONE
        || feat_session_create(db, APP, u.id, 0, NULL, "read write", &t)
           != FEAT_E_NONE)
    {
        ok(0, "authenticate setup");
        return;
    }

    envp[0] = hdr;
    envp[1] = NULL;
    envp[2] = NULL;

#define AUTH_IN(d, value, flags)                                              \
    (memset(&r, 0, sizeof(r)), r.arena = arena, r.app = &app,                \
     r.envp = envp, r.dialect = (d), r.method = FEAT_POST,                   \
     snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=%s", value),             \
     feat_accounts_authenticate(&r, flags))
#define AUTH(value, flags)  AUTH_IN(FEAT_V2, value, flags)

    is_int(AUTH(feat_arena_sprintf(arena, "Token %s", t.access),
                FEAT_SESSION), FEAT_E_NONE, "Token scheme");
    ok(r.user_id == u.id && r.session_id == t.session_id
       && strcmp(r.scope, "read write") == 0
       && strcmp(r.token, t.access) == 0, "request filled");
    is_int(AUTH(feat_arena_sprintf(arena, "bearer  %s ", t.access),
                FEAT_SESSION), FEAT_E_NONE, "bearer, any case and spaces");
    is_int(AUTH("Token", FEAT_SESSION), FEAT_E_NO_TOKEN, "scheme alone");
    is_int(AUTH("Basic dXNlcjpwYXNz", FEAT_SESSION), FEAT_E_NO_TOKEN,
           "another scheme");
    is_int(AUTH("Token abc-def", FEAT_SESSION), FEAT_E_BAD_TOKEN,
           "not base62");
    is_int(AUTH("Token abcdef", FEAT_SESSION), FEAT_E_BAD_TOKEN,
           "unknown token");
    is_int(AUTH_IN(FEAT_V1, feat_arena_sprintf(arena, "Token %s", t.access),
                   FEAT_JWT),
           FEAT_E_BAD_TOKEN, "no JWT yet");
    is_int(AUTH_IN(FEAT_V1, feat_arena_sprintf(arena, "Token %s", t.access),
                   FEAT_SESSION),
           FEAT_E_NO_TOKEN, "v1 takes no Token scheme (its dialect's say)");
    is_int(AUTH_IN(FEAT_V2, "eyJhbGciOi.x.y", FEAT_JWT), FEAT_E_NO_TOKEN,
           "v2 takes no bare credential");
    is_int(AUTH("", 0), FEAT_E_NONE, "public route");

    envp[0] = NULL;
    is_int(feat_accounts_authenticate(&r, FEAT_SESSION), FEAT_E_NO_TOKEN,
           "no header");

#undef AUTH
#undef AUTH_IN
}


/* feat_account_resolve, feat_password_ok and the administration calls
 * featctl makes (last: 86:13800000003 exists, and disabling it revokes
 * the sessions the tests before hold). */
static void
test_admin(void)
{
    int                   revoked, i;
    char                  longpw[FEAT_PASSWORD_MAX + 2];
    sqlite3              *db;
    sqlite3_int64         id;
    long long             live;
    struct feat_user      u;
    struct feat_tokens    t;
    struct feat_account   a, r;

    db = feat_db();
    a = acct_of("86", "13800000003");

    ok(feat_account_resolve(db, arena, APP, "13800000003", &r)
       == FEAT_E_NONE && strcmp(r.key, "86:13800000003") == 0,
       "resolve: a plain phone is area 86");
    ok(feat_account_resolve(db, arena, APP, "+8613800000003", &r)
       == FEAT_E_NONE && strcmp(r.key, "86:13800000003") == 0,
       "resolve: +86... splits where a user is registered");
    ok(feat_account_resolve(db, arena, APP, "+4412345678", &r)
       == FEAT_E_NONE && strcmp(r.area, "4") == 0,
       "resolve: nobody registered: the first area that parses");
    is_int(feat_account_resolve(db, arena, APP, "+86abc", &r),
           FEAT_E_BAD_ACCOUNT, "resolve: +digits only");
    is_int(feat_account_resolve(db, arena, APP, "+", &r),
           FEAT_E_BAD_ACCOUNT, "resolve: + alone");

    ok(!feat_password_ok("12345") && feat_password_ok("123456"),
       "password: 6 code points at least");
    ok(feat_password_ok("\xe5\xaf\x86\xe7\xa0\x81\xe5\xaf\x86"
                        "\xe7\xa0\x81\xe5\xaf\x86\xe7\xa0\x81"),
       "password: 6 Chinese characters (18 bytes)");
    for (i = 0; i < FEAT_PASSWORD_MAX + 1; i++) {
        longpw[i] = 'x';
    }
    longpw[FEAT_PASSWORD_MAX + 1] = '\0';
    ok(!feat_password_ok(longpw), "password: 129 characters refused");
    longpw[FEAT_PASSWORD_MAX] = '\0';
    ok(feat_password_ok(longpw), "password: 128 accepted");
    ok(!feat_password_ok("abc\xff\xfe\xfd") && !feat_password_ok(NULL),
       "password: invalid UTF-8 or none refused");

    is_int(feat_user_find(db, arena, APP, &a, &u), FEAT_E_NONE, "the user");
    id = u.id;

    is_int(feat_user_set_active(db, "other-app", id, 0, &revoked),
           FEAT_E_NOT_FOUND, "disable in another app: not found");
    is_int(feat_user_set_role(db, "other-app", id, 3), FEAT_E_NOT_FOUND,
           "role in another app: not found");
    is_int(feat_user_set_role(db, APP, id, FEAT_ROLE_MAX + 1),
           FEAT_E_BAD_FIELD, "a role above the maximum");
    is_int(feat_user_get(db, arena, APP, id, &u), FEAT_E_NONE, "reloaded");
    ok(u.is_active && u.role == 0, "... untouched by those");

    is_int(feat_session_create(db, APP, id, 0, NULL, "", &t), FEAT_E_NONE,
           "a session");
    is_int(feat_session_create(db, APP, id, 0, NULL, "", &t), FEAT_E_NONE,
           "another");
    is_int(feat_session_count_live(db, APP, id, &live), FEAT_E_NONE,
           "live sessions counted");
    ok(live >= 2, "the user holds live sessions");
    is_int(feat_user_set_active(db, APP, id, 0, &revoked), FEAT_E_NONE,
           "disable");
    is_int(revoked, live, "disable revoked every live session");
    is_int(feat_session_count_live(db, APP, id, &live), FEAT_E_NONE,
           "counted again");
    is_int(live, 0, "none left");
    is_int(feat_user_set_active(db, APP, id, 1, NULL), FEAT_E_NONE,
           "enable");
    is_int(feat_user_set_role(db, APP, id, 2), FEAT_E_NONE, "role 2");
    is_int(feat_user_get(db, arena, APP, id, &u), FEAT_E_NONE, "reloaded");
    ok(u.is_active && u.role == 2, "active again, role 2");
    feat_user_set_role(db, APP, id, 0);
}


int
main(void)
{
    int                  applied;
    size_t               i;
    char                 path[256];
    const char          *err;
    FILE                *f;
    struct feat_tokens   t;

    static const char   *files[] = {
        "featcgi.conf", "test.db", "test.db-wal", "test.db-shm", "sms.log"
    };

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }

    snprintf(sms_log, sizeof(sms_log), "%s/sms.log", dir);
    snprintf(path, sizeof(path), "%s/featcgi.conf", dir);

    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return 2;
    }
    fprintf(f,
            "secret = accounts-test-secret-0123456789abcdefghij\n"
            "database = %s/test.db\n"
            "testing = on\n"
            "scrypt.ln = 4\n"
            "scrypt.r = 1\n"
            "scrypt.p = 1\n"
            "sms.provider = log\n"
            "sms.log_path = %s\n"
            "mail.provider = log\n",
            dir, sms_log);
    fclose(f);

    unsetenv("FEAT_CLOCK_SHIFT");

    if (feat_conf_load(path, feat_modules, &err) != FEAT_OK) {
        fprintf(stderr, "# config: %s\n", err);
        return 2;
    }

    /* the handlers read the apps' settings (accounts' scopes) */
    if (feat_settings_init(feat_modules) != FEAT_OK) {
        fprintf(stderr, "# settings table\n");
        exit(2);
    }

    if (feat_db_open() != FEAT_OK
        || feat_db_migrate(feat_db(), &applied) != FEAT_OK)
    {
        fprintf(stderr, "# database setup failed\n");
        return 2;
    }

    arena = feat_arena_create();

    test_parse();
    test_send_limits();
    test_check();
    test_register_login(&t);
    test_profile();
    test_authenticate();
    test_sessions(&t);
    test_admin();

    feat_arena_destroy(arena);
    feat_db_close();
    feat_conf_free();

    for (i = 0; i < FEAT_NELEMS(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        (void) unlink(path);
    }
    if (rmdir(dir) != 0) {
        diag("temporary directory %s left behind", dir);
    }

    return done_testing();
}
