/*
 * audit.c: an app's audit log in the console (featcgi-api(7) "ADMIN
 * API"): the rows of the runtime's audit table (fcgi/store/audit.c) of
 * the path's app, newest first, filtered by the user they are about, an
 * action prefix ("admin.user." or "login") and a time range given in RFC
 * 3339.  The app and time range are one range of audit_app (sql/0151);
 * the action prefix is a range too, never LIKE.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "feat.h"
#include "admin/admin.h"

#define ACTION_MAX  64
#define TIME_MAX    40

/* The declared fields (feat.h): what the route reads and answers. */
enum { IN_USER, IN_ACTION, IN_FROM, IN_TO };

static const struct feat_field  audit_in[] = {
    [IN_USER] =
    { "user", FEAT_FT_ID, FEAT_QUERY, 0, 0, NULL,
      "only the rows about this user" },
    [IN_ACTION] =
    { "action", FEAT_FT_STR, FEAT_QUERY | FEAT_ALLOW_EMPTY, 0, ACTION_MAX,
      NULL, "only the actions starting so (\"admin.user.\")" },
    [IN_FROM] =
    { "from", FEAT_FT_STR, FEAT_QUERY, 0, TIME_MAX, "date-time",
      "only rows at or after (RFC 3339)" },
    [IN_TO] =
    { "to", FEAT_FT_STR, FEAT_QUERY, 0, TIME_MAX, "date-time",
      "only rows at or before (RFC 3339)" },
    FEAT_NULL_FIELD
};

static const struct feat_field  audit_out[] = {
    { "id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the row's id" },
    { "at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "when" },
    { "user_id", FEAT_FT_ID, FEAT_REQUIRED | FEAT_NULLABLE, 0, 0, NULL,
      "the user it is about, or null" },
    { "action", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "what happened (\"admin.user.disable\", \"login_failed\")" },
    { "detail", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL,
      "the action's details" },
    { "address", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "the client's address, or \"\"" },
    { "actor", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "user, manager:<id>, or featctl's operator" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  audit_schema = {
    .summary = "The app's audit log, newest first",
    .request = audit_in,
    .answer = audit_out,
    .shape = FEAT_ANSWER_PAGE,
};

struct audit_row {
    sqlite3_int64   id;
    time_t          at;
    const char     *app_id;
    sqlite3_int64   user_id;
    const char     *action;
    const char     *detail;
    const char     *address;
    const char     *actor;
};

#define AUDIT_COLS(X, _)                                                      \
    X(struct audit_row, INT64, id, "id") _                                    \
    X(struct audit_row, TIME, at, "at") _                                     \
    X(struct audit_row, TEXT, app_id, "app_id") _                             \
    X(struct audit_row, INT64, user_id, "user_id") _                          \
    X(struct audit_row, TEXT, action, "action") _                             \
    X(struct audit_row, TEXT, detail, "detail") _                             \
    X(struct audit_row, TEXT, address, "address") _                           \
    X(struct audit_row, TEXT, actor, "actor")

static const struct feat_db_col  audit_cols[] = {
    AUDIT_COLS(FEAT_COL_MAP, )
};

FEAT_DB_READER(audit_read, audit_cols)

/* ?1 app, ?2 user (0: any), ?3 and ?4 the action's range ("" and "": any),
 * ?5 and ?6 the time range */
#define AUDIT_WHERE                                                           \
    " FROM audit WHERE app_id = ?1 AND at >= ?5 AND at <= ?6"                \
    " AND (?2 = 0 OR user_id = ?2)"                                           \
    " AND (?3 = '' OR (action >= ?3 AND action < ?4))"

static const struct feat_db_list  audit_list = {
    "SELECT count(*)" AUDIT_WHERE,
    "SELECT " AUDIT_COLS(FEAT_COL_SQL, ", ") AUDIT_WHERE
    " ORDER BY at DESC, id DESC LIMIT ?7 OFFSET ?8",
    audit_read, sizeof(struct audit_row), 100, "audit rows"
};


static int
digits(const char *s, int n, int *out)
{
    int  i, v;

    for (i = 0, v = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }

    *out = v;
    return 1;
}


/*
 * RFC 3339's date-time, "2026-12-01T08:00:00+08:00" (a fraction of a
 * second is taken and dropped; 'Z' or an offset is required): FEAT_OK
 * with *t, or FEAT_ERROR.
 */
static int
parse_time(const char *s, time_t *t)
{
    int        y, mo, d, h, mi, sec, oh, om, sign;
    struct tm  tm;

    if (strlen(s) < 20
        || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo)
        || s[7] != '-' || !digits(s + 8, 2, &d)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || !digits(s + 11, 2, &h) || s[13] != ':'
        || !digits(s + 14, 2, &mi) || s[16] != ':'
        || !digits(s + 17, 2, &sec))
    {
        return FEAT_ERROR;
    }

    s += 19;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            /* a fraction: seconds are what the log keeps */
        }
    }

    if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
        oh = 0;
        om = 0;
        sign = 1;
    } else if ((*s == '+' || *s == '-') && digits(s + 1, 2, &oh)
               && s[3] == ':' && digits(s + 4, 2, &om) && s[6] == '\0')
    {
        sign = (*s == '-') ? -1 : 1;
    } else {
        return FEAT_ERROR;
    }

    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || sec > 60 || oh > 23 || om > 59)
    {
        return FEAT_ERROR;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;

    /* timegm normalizes: a day past the month's end is refused here */
    *t = timegm(&tm);
    if (tm.tm_mday != d || tm.tm_mon != mo - 1) {
        return FEAT_ERROR;
    }

    *t -= sign * (oh * 3600 + om * 60);

    return FEAT_OK;
}


/* A query argument of RFC 3339 into *t; absent leaves it. */
static int
in_time(struct feat_req *r, const struct feat_field *f, time_t *t)
{
    const char  *s;

    s = NULL;

    switch (feat_in_field(r, f, &s)) {
    case FEAT_DECLINED:
        return FEAT_OK;
    case FEAT_OK:
        if (parse_time(s, t) == FEAT_OK) {
            return FEAT_OK;
        }
        r->bad_field = f->name;
        r->bad_reason = "not an RFC 3339 time";
        return FEAT_ERROR;
    default:
        return FEAT_ERROR;
    }
}


/* GET /admin/api/apps/{app}/audit?user=&action=&from=&to=: a page of
 * the rows the query's filters leave (a bad one is FEAT_E_BAD_FIELD with
 * r->bad_field, answered as such). */
static enum feat_error
audit_rows(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    time_t             from, to;
    long long          user;
    const char        *action, *hi;
    enum feat_error    e;
    struct feat_rows   rows;

    (void) status;
    user = 0;
    action = "";
    from = 0;
    to = (time_t) 1 << 40;

    if (feat_in_field(r, &audit_in[IN_USER], &user) == FEAT_ERROR
        || feat_in_field(r, &audit_in[IN_ACTION], &action) == FEAT_ERROR
        || in_time(r, &audit_in[IN_FROM], &from) != FEAT_OK
        || in_time(r, &audit_in[IN_TO], &to) != FEAT_OK)
    {
        return FEAT_E_BAD_FIELD;
    }

    /* U+10FFFF's UTF-8 sorts after every character's */
    hi = feat_arena_sprintf(r->arena, "%s\xf4\x8f\xbf\xbf", action);

    e = feat_db_rows(feat_db(), r->arena, &audit_list, pg->offset, pg->size,
                     1, &rows, "sissii", r->app->id, (sqlite3_int64) user,
                     action, hi, (sqlite3_int64) from, (sqlite3_int64) to);
    if (e == FEAT_E_NONE) {
        *total = rows.total;
        *items = rows.items;
        *n = rows.n;
    }

    return e;
}


static cJSON *
audit_object(struct feat_req *r, const void *item)
{
    cJSON                   *o, *detail;
    const struct audit_row  *a;

    a = item;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) a->id);
    cJSON_AddStringToObject(o, "at", feat_time(r, a->at));
    if (a->user_id != 0) {
        cJSON_AddNumberToObject(o, "user_id", (double) a->user_id);
    } else {
        cJSON_AddNullToObject(o, "user_id");
    }
    cJSON_AddStringToObject(o, "action", a->action);
    /* written by feat_audit, always an object; else shown as text */
    detail = cJSON_Parse(a->detail);
    if (detail == NULL) {
        detail = cJSON_CreateString(a->detail);
    }
    cJSON_AddItemToObject(o, "detail", detail);
    cJSON_AddStringToObject(o, "address", a->address);
    cJSON_AddStringToObject(o, "actor", a->actor);

    return o;
}


static const struct feat_admin_list  audit_list_op = {
    .what = "audit", .read = audit_rows, .size = sizeof(struct audit_row),
    .object = audit_object,
};


const struct feat_route  admin_audit_routes[] = {
    { FEAT_GET, "/admin/api/apps/{app}/audit", FEAT_ADMIN, feat_admin_list,
      FEAT_MANAGER, &audit_schema, &audit_list_op },
    FEAT_NULL_ROUTE
};
