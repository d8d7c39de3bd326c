/*
 * accounts.h: the accounts module's public interface.
 *
 * Accounts are the users of an app, how they prove who they are
 * (verification codes, passwords) and the sessions they hold afterwards.
 * Everything here is domain logic that knows nothing of HTTP: plain
 * functions over the process's SQLite connection, the app id, plain values
 * and an arena for the strings they answer.  Every one answers an
 * enum feat_error, FEAT_E_NONE on success, so the v2, v1 and feat handlers
 * and featctl share it and each renders the outcome in its own dialect.
 * Every query filters by the app id given.
 */

#ifndef FEAT_ACCOUNTS_H
#define FEAT_ACCOUNTS_H

#include "feat.h"

#define FEAT_TOKEN_LEN       50    /* access and refresh tokens, base62 */
#define FEAT_TOKEN_MAX       200   /* longest token a client may present */
#define FEAT_CODE_LEN        6     /* verification codes, digits */
#define FEAT_CODE_MAX        16    /* longest code a client may present */
#define FEAT_OPENID_LEN      40
#define FEAT_EMAIL_MAX       254
#define FEAT_ACCOUNT_MAX     254   /* longest account field accepted */
#define FEAT_AREA_MAX        8     /* longest area field accepted */
#define FEAT_PASSWORD_MIN    6     /* code points */
#define FEAT_PASSWORD_MAX    128

#define FEAT_PURPOSE_REGISTER  "register"
#define FEAT_PURPOSE_LOGIN     "login"
#define FEAT_PURPOSE_DELETE    "delete"    /* proves an account deletion */

/* Profile field limits (code points), shared by every dialect. */
#define FEAT_NICKNAME_MAX    32
#define FEAT_AVATAR_MAX      512
#define FEAT_ADDRESS_MAX     128
#define FEAT_CITY_MAX        64
#define FEAT_BIRTHDAY_MAX    10    /* "YYYY-MM-DD" */
#define FEAT_GENDER_MAX      2     /* 0 female, 1 male, 2 unknown */


/* ---- per-app settings (account.c) ---------------------------------------- */

/*
 * accounts.open_login (bool, off): v1 get_token_by_open may log anyone in
 * by a binding's open id alone.  accounts.default_scopes (a list of 1 to
 * 16 scopes of [a-z0-9_:.-], "read write"): the scope of every session a
 * login opens.  Both were columns of apps before sql/0043.
 */
#define FEAT_ACCOUNTS_OPEN_LOGIN  "accounts.open_login"
#define FEAT_ACCOUNTS_SCOPES      "accounts.default_scopes"
extern const struct feat_setting  feat_accounts_settings[];
/* app's accounts.default_scopes (feat_setting_str's lifetime). */
const char *feat_accounts_scopes(const char *app);

/*
 * Space-separated lists of names: a session's scopes, an OAuth2 client's
 * scopes and grants (auth.c).  feat_list_next answers the next word of
 * the list at *p, not NUL-terminated, with its length (at least 1) in *n,
 * and moves *p past it; NULL at the end.  feat_list_has: 1 if the list
 * holds name (not empty), else 0.
 */
const char *feat_list_next(const char **p, size_t *n);
int feat_list_has(const char *list, const char *name);


/* ---- accounts (account.c) ------------------------------------------------ */

/*
 * A parsed account.  Every string lives in the arena given to
 * feat_account_parse.  key is the normalized form used in codes.account
 * and in rate-limit keys: "<area>:<digits>" for a phone, the lower-cased
 * address for an email.
 */
struct feat_account {
    const char  *key;
    const char  *area;      /* "86"...; "" for an email */
    const char  *phone;     /* digits; "" for an email */
    const char  *email;     /* lower-cased; "" for a phone */
    const char  *username;  /* the phone digits or the email */
};

/*
 * Parses an account as clients send it: area (NULL or "" means "86") and
 * account (a phone number, or an email when it holds '@').  Answers
 * FEAT_E_NONE with *out filled, or FEAT_E_BAD_ACCOUNT.
 */
enum feat_error feat_account_parse(struct feat_arena *a, const char *area,
    const char *account, struct feat_account *out);

/*
 * The account a login name gives: a phone of area 86 or an email as
 * feat_account_parse reads them, or "+<area><phone>", split at the first
 * area length (1 to 4 digits) that names a user registered in app, else
 * at the first that parses (so a wrong password and an unknown account
 * look alike).  FEAT_E_NONE with *out, FEAT_E_BAD_ACCOUNT or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_account_resolve(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *username, struct feat_account *out);

/* 1 if s is "register", "login" or "delete", else 0. */
int feat_purpose_valid(const char *s);

/* 1 if password is valid UTF-8 of FEAT_PASSWORD_MIN to FEAT_PASSWORD_MAX
 * code points, else 0: the one password rule of every dialect. */
int feat_password_ok(const char *password);

/* The tokens of a session as the client gets them once. */
struct feat_tokens {
    sqlite3_int64  session_id;
    sqlite3_int64  user_id;                      /* 0 for client tokens */
    char           access[FEAT_TOKEN_LEN + 1];
    char           refresh[FEAT_TOKEN_LEN + 1];
    time_t         access_expires;
    time_t         refresh_expires;
    long long      access_ttl;                   /* session.access_ttl */
};

/*
 * Registers acct with a password, consuming the "register" code: the code
 * check, the user and its first session are one transaction.  scope is the
 * session's scope (the app's accounts.default_scopes).  Answers
 * FEAT_E_NONE with *t filled, FEAT_E_REGISTERED, FEAT_E_BAD_CODE,
 * FEAT_E_BUSY (no password hashing slot: nothing spent or written) or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_account_register(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code, const char *password,
    const char *scope, struct feat_tokens *t);

/*
 * Opens the transaction a registration writes in (feat_account_register's,
 * feat's permits): begins it, checks that acct is still not registered,
 * and checks and spends its "register" code.  FEAT_E_NONE with the
 * transaction open for the caller to finish.  Otherwise the transaction is
 * over, committed on FEAT_E_BAD_CODE so the counted attempt stays, rolled
 * back else, and the answer is FEAT_E_REGISTERED, FEAT_E_BAD_CODE or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_account_register_begin(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code);

/*
 * Password login from client address ip, with the failed-login lockout
 * (login.max_failures per account, login.ip_max_failures per ip, within
 * login.window).  Re-hashes a password stored with weaker parameters.
 * Answers FEAT_E_NONE with a new session in *t, FEAT_E_LOCKED, FEAT_E_BUSY
 * (no password hashing slot: refused, and not counted as a failure),
 * FEAT_E_NOT_REGISTERED, FEAT_E_WRONG_PASSWORD, FEAT_E_DISABLED or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_account_login_password(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, const char *ip,
    const char *scope, struct feat_tokens *t);

/*
 * The same checks without the session (v1, which issues JWTs; OAuth2's
 * password grant; a deletion's proof): lockout, password, disabled user,
 * re-hash, clearing the account's failures.  Failures and the lockout go
 * to the audit log; a success does not (the caller records what it made
 * of it: a login, a deletion).  FEAT_E_NONE with *user_id, or the errors
 * of feat_account_login_password.
 */
enum feat_error feat_account_check_password(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, const char *ip,
    sqlite3_int64 *user_id);

/*
 * Code login: verifies and consumes the "login" code and creates the
 * session in one transaction.  Answers FEAT_E_NONE, FEAT_E_NOT_REGISTERED,
 * FEAT_E_DISABLED, FEAT_E_BAD_CODE or FEAT_E_INTERNAL.
 */
enum feat_error feat_account_login_code(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *code, const char *scope,
    struct feat_tokens *t);


/* ---- failed-attempt limits (lockout.c) ----------------------------------- */

/*
 * One attempt at a secret (a password, an OAuth2 client secret) from a
 * client address, reserved before the secret is checked.  The limits are
 * login.max_failures per subject key, login.ip_hard_limit failures per
 * address (past which even the right secret is refused) and
 * login.ip_max_failures distinct subjects failed per address (past which a
 * failure answers FEAT_E_LOCKED), all within login.window.
 */
struct feat_attempt {
    const char     *app;
    const char     *bucket;      /* the subject's lockout bucket */
    const char     *key;         /* its key there; NULL: no lockout */
    const char     *subject;     /* what the address failed on */
    const char     *ip;          /* NULL or "": no address limits */
    sqlite3_int64   key_event;   /* the reservations, 0: none */
    sqlite3_int64   ip_event;
};

/*
 * Reserves the attempt: bucket and key (NULL: none, as for an unknown
 * account) name the subject's lockout, subject (an account key,
 * "client:<id>") what the address's distinct count counts, ip the client
 * address.  The strings must outlive the attempt.  FEAT_E_NONE with the
 * reservations in *at; FEAT_E_LOCKED or FEAT_E_INTERNAL with none.  The
 * caller ends it with exactly one of the three below.
 */
enum feat_error feat_attempt_begin(sqlite3 *db, const char *app,
    const char *bucket, const char *key, const char *subject,
    const char *ip, struct feat_attempt *at);
/* The secret was wrong (or the subject unknown): the reservations stay
 * as failures.  Answers FEAT_E_LOCKED when the address is now past its
 * distinct-subject limit, else e. */
enum feat_error feat_attempt_failed(sqlite3 *db, struct feat_attempt *at,
    enum feat_error e);
/* The secret was right: the subject's failures are forgotten and the
 * address's reservation taken back. */
void feat_attempt_succeeded(sqlite3 *db, struct feat_attempt *at);
/* Nothing was checked (no hashing slot, a disabled user, an error): both
 * reservations are taken back. */
void feat_attempt_cancel(sqlite3 *db, struct feat_attempt *at);


/* ---- verification codes (codes.c) ---------------------------------------- */

/*
 * The purpose a code for acct gets when the client names none: "register"
 * when the account is unknown in app, else "login".  *purpose is a static
 * string.  FEAT_E_NONE or FEAT_E_INTERNAL.
 */
enum feat_error feat_code_default_purpose(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char **purpose);

/*
 * Makes a new code for (app, acct, purpose) from client address ip and
 * delivers it (SMS or mail).  The send limits (code.resend_interval,
 * code.hourly_limit, code.daily_limit per account; code.phone_daily_limit
 * per phone across every app; code.ip_hourly_limit per ip) and the insert
 * are one transaction; delivery runs after commit,
 * and a failed delivery deletes the code again.  Once delivered it retires
 * older unused ones of the same purpose.  code_out, if not NULL, gets the
 * code (v1's expose_codes).  Answers FEAT_E_NONE, FEAT_E_TOO_FREQUENT, a
 * delivery error (FEAT_E_SMS_*, FEAT_E_MAIL_DOWN) or FEAT_E_INTERNAL.
 */
enum feat_error feat_code_send(sqlite3 *db, struct feat_arena *a,
    const char *app, const struct feat_account *acct, const char *purpose,
    const char *ip, char code_out[FEAT_CODE_LEN + 1]);

/*
 * Checks code against the newest live code of (app, acct, purpose); with
 * consume set a match uses it up.  A mismatch counts an attempt, and
 * code.max_attempts of them burn the code.  Answers FEAT_E_NONE,
 * FEAT_E_BAD_CODE or FEAT_E_INTERNAL.  feat_code_check runs its own
 * transaction; feat_code_check_locked runs inside one the caller holds
 * (which must commit even on FEAT_E_BAD_CODE, to keep the attempt).
 */
enum feat_error feat_code_check(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *purpose, const char *code,
    int consume);
enum feat_error feat_code_check_locked(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *purpose, const char *code,
    int consume);

/* Deletes codes created before now minus a day (jobs process). */
void feat_code_sweep(sqlite3 *db, time_t now);

/*
 * API.md "Enumeration": an answer that tells a registered account from an
 * unknown one costs what /check/register costs, one event of the address's
 * code allowance (code.ip_hourly_limit).  Given the outcome e of a request
 * from ip: FEAT_E_REGISTERED and FEAT_E_NOT_REGISTERED are counted, and
 * the refusals an unknown or a known account gets instead (a wrong code, a
 * bad permit) only look, so that once the allowance is spent both answer
 * FEAT_E_TOO_FREQUENT alike.  Answers e, FEAT_E_TOO_FREQUENT or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_code_ip_probe(sqlite3 *db, const char *app,
    const char *ip, enum feat_error e);


/* ---- users (users.c) ----------------------------------------------------- */

/* A users row; strings live in the arena given to the loader. */
struct feat_user {
    sqlite3_int64  id;
    const char    *app_id;
    const char    *area;
    const char    *phone;
    const char    *email;
    const char    *username;
    const char    *openid;
    const char    *password;         /* the stored hash, "" when none */
    int            role;
    int            is_active;
    const char    *nickname;
    const char    *avatar;
    int            gender;           /* 0 female, 1 male, 2 unknown */
    const char    *birthday;         /* "YYYY-MM-DD" or "" */
    const char    *address;
    const char    *city;
    time_t         password_changed_at;
    time_t         created_at;
    time_t         updated_at;
};

/*
 * The user of app with account acct (feat_user_find) or with id
 * (feat_user_get).  FEAT_E_NONE with *u filled, FEAT_E_NOT_REGISTERED
 * (find) or FEAT_E_NOT_FOUND (get) when there is none, FEAT_E_INTERNAL.
 */
enum feat_error feat_user_find(sqlite3 *db, struct feat_arena *a,
    const char *app, const struct feat_account *acct, struct feat_user *u);
enum feat_error feat_user_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_user *u);
/*
 * The caller's user (r->user_id of r->app): the row the session's read
 * brought (FEAT_USER_ROW) when there is one, else feat_user_get().
 */
enum feat_error feat_user_of(struct feat_req *r, struct feat_user *u);
/* Fills *u from st's columns c to c + 18, in FEAT_USER_COLS order. */
void feat_user_fill(struct feat_arena *a, sqlite3_stmt *st, int c,
    struct feat_user *u);
/* struct feat_user's columns in SELECT order: the column lists (users.c's
 * own and FEAT_USER_COLUMNS_U for a join of users as u) and the map
 * feat_user_fill reads by are all made from it. */
#define FEAT_USER_COLS(X, _)                                                 \
    X(struct feat_user, INT64, id, "id") _                                   \
    X(struct feat_user, TEXT, app_id, "app_id") _                            \
    X(struct feat_user, TEXT, area, "area") _                                \
    X(struct feat_user, TEXT, phone, "phone") _                              \
    X(struct feat_user, TEXT, email, "email") _                              \
    X(struct feat_user, TEXT, username, "username") _                        \
    X(struct feat_user, TEXT, openid, "openid") _                            \
    X(struct feat_user, TEXT, password, "password") _                        \
    X(struct feat_user, INT, role, "role") _                                 \
    X(struct feat_user, BOOL, is_active, "is_active") _                      \
    X(struct feat_user, TEXT, nickname, "nickname") _                        \
    X(struct feat_user, TEXT, avatar, "avatar") _                            \
    X(struct feat_user, INT, gender, "gender") _                             \
    X(struct feat_user, TEXT, birthday, "birthday") _                        \
    X(struct feat_user, TEXT, address, "address") _                          \
    X(struct feat_user, TEXT, city, "city") _                                \
    X(struct feat_user, TIME, password_changed_at, "password_changed_at") _  \
    X(struct feat_user, TIME, created_at, "created_at") _                    \
    X(struct feat_user, TIME, updated_at, "updated_at")

#define FEAT_USER_IN_U(s, type, f, sql)  "u." sql
#define FEAT_USER_COLUMNS_U  FEAT_USER_COLS(FEAT_USER_IN_U, ", ")

/* Sets *id to the user of acct in app, or 0.  FEAT_E_NONE or INTERNAL. */
enum feat_error feat_user_lookup_id(sqlite3 *db, const char *app,
    const struct feat_account *acct, sqlite3_int64 *id);
/* Whether acct may still register in app: FEAT_E_NONE when no user has
 * it, FEAT_E_REGISTERED, or FEAT_E_INTERNAL. */
enum feat_error feat_user_absent(sqlite3 *db, const char *app,
    const struct feat_account *acct);
/*
 * A registration's checks before its transaction: feat_user_absent, then
 * password's hash into hash[size].  FEAT_E_NONE, FEAT_E_REGISTERED,
 * FEAT_E_BUSY (no hashing slot) or FEAT_E_INTERNAL.  The caller's
 * transaction must look again: another may register meanwhile.
 */
enum feat_error feat_user_absent_hash(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password, char *hash,
    size_t size);

/*
 * Inserts a user for acct with a password hash ("" for none) and a fresh
 * openid; run it inside a transaction the caller holds.  Answers
 * FEAT_E_NONE with *id set, FEAT_E_REGISTERED when the account exists (a
 * unique-constraint race included), or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_create(sqlite3 *db, const char *app,
    const struct feat_account *acct, const char *password_hash,
    sqlite3_int64 *id);

/*
 * A profile change: NULL strings and gender -1 leave a field as it is, ""
 * clears one.  The caller has validated every field (limits above,
 * gender 0..FEAT_GENDER_MAX, birthday by feat_user_birthday_ok).
 */
struct feat_profile_update {
    const char  *nickname;
    const char  *avatar;
    int          gender;
    const char  *birthday;
    const char  *address;
    const char  *city;
};

/* 1 if a birthday is "" (it clears the field) or a real calendar date
 * "YYYY-MM-DD", else 0: the rule of every dialect's profile change. */
int feat_user_birthday_ok(const char *s);

/* Applies u in one UPDATE with updated_at = now: FEAT_E_NONE,
 * FEAT_E_NOT_FOUND or FEAT_E_INTERNAL. */
enum feat_error feat_user_update_profile(sqlite3 *db, const char *app,
    sqlite3_int64 id, const struct feat_profile_update *u);

/*
 * Sets a new password (hashed here, outside any transaction), stamps
 * password_changed_at and revokes every session of the user except
 * keep_session (0: all), in one transaction.  FEAT_E_NONE,
 * FEAT_E_NOT_FOUND, FEAT_E_BUSY (no password hashing slot: nothing
 * changed) or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_set_password(sqlite3 *db, const char *app,
    sqlite3_int64 id, const char *password, sqlite3_int64 keep_session);


/*
 * Administration (featctl's user commands), each of user id in app only.
 * feat_user_set_active turns a user off or on; turning it off also
 * revokes every live session of the user in the same transaction, so that
 * turning it on again does not bring old tokens back, and *revoked (if
 * not NULL) gets how many.  feat_user_set_role sets the role, 0 (a user)
 * to FEAT_ROLE_MAX, else FEAT_E_BAD_FIELD.  Both answer FEAT_E_NONE,
 * FEAT_E_NOT_FOUND (no such user in app) or FEAT_E_INTERNAL.
 */
#define FEAT_ROLE_MAX  9

enum feat_error feat_user_set_active(sqlite3 *db, const char *app,
    sqlite3_int64 id, int active, int *revoked);
enum feat_error feat_user_set_role(sqlite3 *db, const char *app,
    sqlite3_int64 id, int role);

/*
 * Deletes user id of app (erase.c): erases the account, the profile, the
 * images (their files after the commit), the open-id and Alipay
 * bindings, push clients and device tokens, every session, and the
 * account's codes, permits and counts, keeps the feedback anonymous and
 * the users row as a tombstone (deleted_at), and records
 * "account_deleted" in the audit log, all in one transaction.  The proof
 * is password (checked, rate limited and locked out as a login's) or
 * code (a "delete" code sent to the account, consumed), or neither for
 * the operator (featctl); ip is the client's address (NULL: none).
 * Answers FEAT_E_NONE, FEAT_E_NOT_FOUND (no such user, or deleted
 * already), FEAT_E_WRONG_PASSWORD, FEAT_E_LOCKED, FEAT_E_BUSY,
 * FEAT_E_BAD_CODE or FEAT_E_INTERNAL; nothing is changed unless it
 * answers FEAT_E_NONE.  The callers check that a user asks for itself.
 */
enum feat_error feat_user_delete(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, const char *password,
    const char *code, const char *ip);

/*
 * Everything stored about user id of app as one JSON object (erase.c):
 * {"user_id","app_id","exported_at","tables":{table:[rows]}}, the users
 * row and the rows of every table with a user_id, owner_id or bidder_id
 * column, without password hashes and token hashes.  FEAT_E_NONE with
 * *out (the caller deletes it), FEAT_E_NOT_FOUND or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_export(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, cJSON **out);

/*
 * The console's directory of an app's users (directory.c).
 * feat_user_search: a page of the live users of app, newest first: all
 * when q is NULL or "", else those whose phone starts with q (digits),
 * whose email starts with q (a query with '@'), or whose nickname holds q
 * (ASCII case folded); out->items are struct feat_user_brief.
 * FEAT_E_NONE or FEAT_E_INTERNAL.  feat_user_bindings: the user's open-id
 * bindings as a JSON array of {"open_type","created_at"} (unix seconds)
 * into *out (the caller owns it): FEAT_E_NONE or FEAT_E_INTERNAL.
 */
struct feat_user_brief {
    sqlite3_int64   id;
    const char     *area;
    const char     *phone;
    const char     *email;
    const char     *nickname;
    int             is_active;
    time_t          created_at;
    time_t          last_login_at;   /* its newest session's, 0: none */
    time_t          deleted_at;      /* erased (a tombstone), 0: not */
};

/* User id of app, erased ones too: FEAT_E_NONE with *u, FEAT_E_NOT_FOUND
 * or FEAT_E_INTERNAL. */
enum feat_error feat_user_brief_get(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, struct feat_user_brief *u);

enum feat_error feat_user_search(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *q, long long offset, long long limit,
    struct feat_rows *out);
enum feat_error feat_user_bindings(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 id, cJSON **out);

/*
 * What the feedback desk sent a user, for the modules that sum up a
 * user's messages (notices' summary, push's message count) without
 * knowing the feedback module: feat_user_replies_unread counts the unread
 * replies to user_id's feedback; feat_user_reply_latest answers the newest
 * reply's content (in a) and time, or FEAT_E_NOT_FOUND when there is
 * none.  FEAT_E_NONE or FEAT_E_INTERNAL.
 */
enum feat_error feat_user_replies_unread(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, long long *count);
enum feat_error feat_user_reply_latest(sqlite3 *db, struct feat_arena *a,
    const char *app, sqlite3_int64 user_id, const char **content,
    time_t *created_at);


/* ---- sessions (sessions.c) ----------------------------------------------- */

/*
 * Creates a session for user_id (0 for an OAuth client token) with
 * client_id (0: none), device_id (NULL: "") and scope, lifetimes from
 * session.access_ttl and session.refresh_ttl.  Runs inside the caller's
 * transaction if there is one.  FEAT_E_NONE with *t filled, or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_session_create(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 client_id, const char *device_id,
    const char *scope, struct feat_tokens *t);

/*
 * Rotates the session that refresh belongs to: both tokens change, the
 * old refresh token is remembered for reuse detection.  Presented again
 * within session.grace seconds while the pair it produced is current, it
 * answers that same pair; any other use of a rotated token revokes the
 * session.  FEAT_E_NONE with *t filled, FEAT_E_BAD_TOKEN (unknown,
 * expired, revoked, reused, or the user disabled), or FEAT_E_INTERNAL.
 * The session must belong to client_id (0: a first-party session, made
 * by a login of the v2 or feat API): a token of another client counts as
 * unknown, and presenting it neither rotates nor revokes anything, so one
 * party cannot burn another's family.
 */
enum feat_error feat_session_rotate(sqlite3 *db, const char *app,
    sqlite3_int64 client_id, const char *refresh, struct feat_tokens *t);

/* Revokes one session of app (already revoked is fine) and records
 * "session_revoked" in the audit log, in one transaction (the caller's
 * when one is open).  FEAT_E_NONE or FEAT_E_INTERNAL. */
enum feat_error feat_session_revoke(sqlite3 *db, const char *app,
    sqlite3_int64 session_id);

/* Revokes every live session of a user except keep (0: none kept).
 * Runs inside the caller's transaction if there is one. */
enum feat_error feat_session_revoke_user(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, sqlite3_int64 keep);

/* Counts the live sessions of a user of app (not revoked, refresh not
 * expired) into *n.  FEAT_E_NONE or FEAT_E_INTERNAL. */
enum feat_error feat_session_count_live(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, long long *n);

/* What an access token grants; scope lives in the arena. */
struct feat_session {
    sqlite3_int64  id;
    sqlite3_int64  user_id;     /* 0: an OAuth client token */
    sqlite3_int64  client_id;   /* 0: none */
    const char    *scope;
};

/*
 * Looks up a live access token of app: not revoked, not expired, its user
 * active.  One indexed read, no writes.  FEAT_E_NONE with *s filled,
 * FEAT_E_BAD_TOKEN, or FEAT_E_INTERNAL.
 */
enum feat_error feat_session_lookup(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *access, struct feat_session *s);
/*
 * feat_session_lookup(), and the session's user row read in the same
 * statement (the join that checks the user is active): *u as
 * feat_user_get() fills it, u->id 0 for a client token.  Saves the user
 * route its own read (route flag FEAT_USER_ROW).
 */
enum feat_error feat_session_lookup_user(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *access, struct feat_session *s,
    struct feat_user *u);

/*
 * Deletes sessions whose refresh expired more than a day ago and rotated
 * tokens that can no longer be valid (jobs process).
 */
void feat_session_sweep(sqlite3 *db, time_t now);


/* ---- v1 JWTs (auth.c) ---------------------------------------------------- */

/*
 * The v1 dialect's tokens (seeds/003): HS256 JWTs under the app's key
 * (feat_jwt_app_key) whose payload is exactly
 * {"token_type":T,"user_id":N,"token_time":E}, E being the expiry.  They
 * are stateless: a password change ends every one issued before it.
 */
#define FEAT_V1_ACCESS        "token"
#define FEAT_V1_REFRESH       "refresh_token"
#define FEAT_V1_ACCESS_TTL    604800
#define FEAT_V1_REFRESH_TTL   1209600

/* The rate bucket of code sends per client address (codes.c); v1's
 * /check/register counts in it too. */
#define FEAT_CODE_IP_BUCKET   "code_ip"

struct feat_v1_tokens {
    const char  *access;            /* arena strings */
    const char  *refresh;
    time_t       issued;
};

/*
 * Signs a fresh access and refresh JWT for u in app.  The issue time is
 * now, or one second after u's last password change when that is not in
 * the past, so that every token is either before or after a change.
 * FEAT_E_NONE with *t (strings in a) or FEAT_E_INTERNAL.
 */
enum feat_error feat_v1_tokens_issue(struct feat_arena *a, const char *app,
    const struct feat_user *u, struct feat_v1_tokens *t);

/*
 * Checks a v1 JWT of type (FEAT_V1_ACCESS or FEAT_V1_REFRESH) in app:
 * signature and alg, payload types, expiry, the user (exists, active) and
 * that it was issued after the user's last password change.  Answers
 * FEAT_E_NONE with *u (strings in a) and *issued, FEAT_E_TOKEN_EXPIRED,
 * FEAT_E_BAD_TOKEN or FEAT_E_INTERNAL.
 */
enum feat_error feat_v1_token_check(sqlite3 *db, struct feat_arena *a,
    const char *app, const char *token, const char *type,
    struct feat_user *u, time_t *issued);


/* ---- third-party bindings (openid.c) ------------------------------------- */

#define FEAT_OPEN_TYPE_MIN  1       /* QQ */
#define FEAT_OPEN_TYPE_MAX  4       /* Taobao */
#define FEAT_OPEN_ID_MAX    128     /* code points */

/*
 * Binds (open_type, open_id) to user_id in app, replacing the user's
 * earlier binding of that type.  FEAT_E_NONE (also when it was already
 * bound to this user), FEAT_E_BOUND when another user holds the pair, or
 * FEAT_E_INTERNAL.
 */
enum feat_error feat_open_bind(sqlite3 *db, const char *app,
    sqlite3_int64 user_id, int open_type, const char *open_id);

/* The user holding (open_type, open_id) in app: FEAT_E_NONE with *user_id,
 * FEAT_E_NOT_REGISTERED when nobody does, or FEAT_E_INTERNAL. */
enum feat_error feat_open_find(sqlite3 *db, const char *app, int open_type,
    const char *open_id, sqlite3_int64 *user_id);


/* ---- config (declared here, defined in v2.c) ---------------------------- */

/* The accounts module's config options (see feat.h): codes, their
 * delivery, logins and sessions. */
#define FEAT_ACCOUNTS_CONF(X)                                                 \
    X(CODE_DAILY_LIMIT, "code.daily_limit", INT, "10",                        \
      "verification codes per account a day")                                 \
    X(CODE_HOURLY_LIMIT, "code.hourly_limit", INT, "5",                       \
      "verification codes per account an hour")                               \
    X(CODE_IP_HOURLY_LIMIT, "code.ip_hourly_limit", INT, "20",                \
      "verification codes per client address an hour")                        \
    X(CODE_MAX_ATTEMPTS, "code.max_attempts", INT, "5",                       \
      "wrong tries that burn a code")                                         \
    X(CODE_PHONE_DAILY_LIMIT, "code.phone_daily_limit", INT, "20",            \
      "verification codes per phone number a day, across every app")          \
    X(CODE_RESEND_INTERVAL, "code.resend_interval", INT, "60",                \
      "seconds between two codes to one account")                             \
    X(CODE_TTL, "code.ttl", INT, "300", "verification code lifetime (s)")     \
    X(LOGIN_IP_HARD_LIMIT, "login.ip_hard_limit", INT, "300",                 \
      "failed logins per client address in a window past which even the "     \
      "right password is refused")                                            \
    X(LOGIN_IP_MAX_FAILURES, "login.ip_max_failures", INT, "30",              \
      "accounts failed per client address in a window; past it a failure "    \
      "answers locked")                                                       \
    X(LOGIN_MAX_FAILURES, "login.max_failures", INT, "5",                     \
      "failed logins per account in a window")                                \
    X(LOGIN_WINDOW, "login.window", INT, "900",                               \
      "failed-login window and lockout (s)")                                  \
    X(MAIL_FROM, "mail.from", STR, "", "sender address of mail")              \
    X(MAIL_PASSWORD, "mail.password", STR, "", "SMTP password")               \
    X(MAIL_PROVIDER, "mail.provider", STR, "",                                \
      "mail delivery: log or smtp (none if empty)")                           \
    X(MAIL_SMTP_URL, "mail.smtp_url", STR, "",                                \
      "SMTP server URL (smtps://host:465)")                                   \
    X(MAIL_TIMEOUT, "mail.timeout", INT, "10000", "SMTP timeout (ms)")        \
    X(MAIL_USERNAME, "mail.username", STR, "", "SMTP user name")              \
    X(SESSION_ACCESS_TTL, "session.access_ttl", INT, "604800",                \
      "access token lifetime (s)")                                            \
    X(SESSION_GRACE, "session.grace", INT, "10",                              \
      "seconds a rotated refresh token still answers the same pair")          \
    X(SESSION_REFRESH_TTL, "session.refresh_ttl", INT, "2592000",             \
      "refresh token lifetime (s)")                                           \
    X(SMS_ALIYUN_ACCESS_KEY_ID, "sms.aliyun.access_key_id", STR, "",          \
      "Alibaba Cloud AccessKey id (provider aliyun)")                         \
    X(SMS_ALIYUN_ACCESS_KEY_SECRET, "sms.aliyun.access_key_secret", STR, "",  \
      "Alibaba Cloud AccessKey secret (provider aliyun)")                     \
    X(SMS_ALIYUN_SIGN_NAME, "sms.aliyun.sign_name", STR, "",                  \
      "SMS signature name (provider aliyun)")                                 \
    X(SMS_ALIYUN_TEMPLATE_CODE, "sms.aliyun.template_code", STR, "",          \
      "SMS template code, with a ${code} parameter (provider aliyun)")        \
    X(SMS_ALIYUN_URL, "sms.aliyun.url", STR, "https://dysmsapi.aliyuncs.com/",\
      "Alibaba Cloud SMS endpoint (provider aliyun)")                         \
    X(SMS_HTTP_KEY, "sms.http_key", STR, "", "SMS gateway API key")           \
    X(SMS_HTTP_TIMEOUT, "sms.http_timeout", INT, "5000",                      \
      "SMS gateway timeout (ms)")                                             \
    X(SMS_HTTP_URL, "sms.http_url", STR, "", "SMS gateway URL")               \
    X(SMS_LOG_PATH, "sms.log_path", PATH, "sms.log",                          \
      "file of the log provider")                                             \
    X(SMS_PROVIDER, "sms.provider", STR, "",                                  \
      "SMS code delivery: log, http or aliyun")

FEAT_ACCOUNTS_CONF(FEAT_CONF_DECLARE)


/* ---- the module (auth.c, v2.c) ------------------------------------------- */

/* For a refusal e of a password flow: FEAT_E_BUSY (no hashing slot) gets
 * "Retry-After: 1" on r, in every dialect; other errors nothing. */
void feat_accounts_retry_after(struct feat_req *r, enum feat_error e);

/* The authenticate hook (see struct feat_module). */
enum feat_error feat_accounts_authenticate(struct feat_req *r,
    unsigned flags);

/*
 * Request fields several dialects read, as rows of their routes' schemas
 * (feat.h, struct feat_field): the handlers read them through these rows
 * and the OpenAPI document shows them, so each limit is written once.
 */
#define FEAT_ACCOUNTS_IN_AREA                                                 \
    { "area", FEAT_FT_STR, 0, 0, FEAT_AREA_MAX, NULL,                         \
      "a phone number's country calling code (absent: 86)", NULL }
#define FEAT_ACCOUNTS_IN_ACCOUNT                                              \
    { "account", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_ACCOUNT_MAX, NULL,       \
      "a phone number or an email address", NULL }
#define FEAT_ACCOUNTS_IN_REFRESH                                              \
    { "refresh_token", FEAT_FT_STR, FEAT_REQUIRED, 0, FEAT_TOKEN_MAX, NULL,   \
      "the session's refresh token", NULL }

/*
 * Input the dialects' handlers share (v2.c).  Each answers FEAT_OK with its
 * out parameter set, or FEAT_ERROR once the failure has been answered (the
 * handler then returns FEAT_OK).
 *
 * feat_accounts_in_account: "area" (optional) and "account", parsed into
 *   *acct; a malformed account fails FEAT_E_BAD_ACCOUNT naming "account".
 * feat_accounts_refresh: "refresh_token", whose session of r's app it
 *   rotates into *t; the rotation's error is answered as it is.
 */
int feat_accounts_in_account(struct feat_req *r, struct feat_account *acct);
int feat_accounts_refresh(struct feat_req *r, struct feat_tokens *t);

extern const struct feat_module  feat_accounts_module;

#endif /* FEAT_ACCOUNTS_H */
