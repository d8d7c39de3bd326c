/*
 * v2.c: the push module's v2 handlers (seeds/004): device binding and its
 * switch, the push log (list, detail, hide all) and the unread counts of
 * GET /api/message/count.  Every route needs a session and sees only the
 * caller's devices and the pushes that reach the caller.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "push/push.h"


/* The read push ids of one message/count request. */
struct v2_ids {
    sqlite3_int64  *ids;
    size_t          n;
};


/*
 * The declared fields (feat.h, struct feat_field): what each route reads
 * and answers.  The handlers read their input through these rows and the
 * OpenAPI document is made from them.  In an answer FEAT_REQUIRED says
 * the member is always there.
 */
#define V2_ALWAYS  FEAT_REQUIRED

/* "android" or "ios": the domain refuses the rest, this only bounds it */
#define V2_CLIENT_TYPE_MAX  16

enum { V2_BIND_CLIENT_ID, V2_BIND_CLIENT_TYPE };

static const struct feat_field  v2_bind_in[] = {
    [V2_BIND_CLIENT_ID] =
    { "client_id", FEAT_FT_STR, FEAT_REQUIRED,
      0, FEAT_PUSH_CLIENT_ID_MAX, NULL,
      "the push service's client id: printable ASCII" },
    [V2_BIND_CLIENT_TYPE] =
    { "client_type", FEAT_FT_STR, FEAT_REQUIRED,
      0, V2_CLIENT_TYPE_MAX, NULL, "android or ios" },
    FEAT_NULL_FIELD
};

enum { V2_SWITCH_ON };

static const struct feat_field  v2_switch_in[] = {
    [V2_SWITCH_ON] =
    { "switch", FEAT_FT_BOOL, FEAT_REQUIRED, 0, 0, NULL,
      "whether the device gets pushes" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_id_element = {
    "id", FEAT_FT_INT, 0, LLONG_MIN, LLONG_MAX, NULL,
    "a push read (unknown ids are ignored)"
};

static const struct feat_field  v2_count_in[] = {
    /* read by v2_ids_gather, not through the row: also "1,2,3" or
     * "[1,2,3]" as text, repeated push_ids= or push_ids[]= in the query
     * or a form, or a JSON body that is the array itself; a non-integer
     * is refused as "must be a list of integers" */
    { "push_ids", FEAT_FT_ARRAY, FEAT_NULLABLE, 0, FEAT_PUSH_READ_IDS_MAX,
      NULL, "the pushes the client has read; absent: none",
      &v2_id_element },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_client_out[] = {
    { "id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the binding's id" },
    { "app_id", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "the app" },
    { "created_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "bound" },
    { "updated_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "last changed" },
    { "user_id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the caller" },
    { "client_id", FEAT_FT_STR, V2_ALWAYS, 0, FEAT_PUSH_CLIENT_ID_MAX, NULL,
      "the push service's client id" },
    { "client_type", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "android or ios" },
    { "switch", FEAT_FT_BOOL, V2_ALWAYS, 0, 0, NULL,
      "whether the device gets pushes" },
    FEAT_NULL_FIELD
};

/* The detail's members; the list's are these and push_status. */
#define V2_PUSH_FIELDS                                                        \
    { "id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL, "the push's id" },             \
    { "app_id", FEAT_FT_STR, V2_ALWAYS, 0, 0, NULL, "the app" },              \
    { "created_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "sent" },            \
    { "updated_at", FEAT_FT_TIME, V2_ALWAYS, 0, 0, NULL, "last changed" },    \
    { "push_title", FEAT_FT_STR, V2_ALWAYS, 0, FEAT_PUSH_TITLE_MAX, NULL,     \
      "its title" },                                                          \
    { "push_body", FEAT_FT_STR, V2_ALWAYS, 0, FEAT_PUSH_BODY_MAX, NULL,       \
      "its text" },                                                           \
    { "push_scope", FEAT_FT_INT, V2_ALWAYS, 0, 1, NULL,                       \
      "0 every user of the app, 1 listed users" },                            \
    { "manager_id", FEAT_FT_ID, V2_ALWAYS, 0, 0, NULL,                        \
      "the administrator who sent it" }

static const struct feat_field  v2_push_out[] = {
    V2_PUSH_FIELDS,
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_push_list_out[] = {
    V2_PUSH_FIELDS,
    { "push_status", FEAT_FT_INT, V2_ALWAYS,
      FEAT_PUSH_QUEUED, FEAT_PUSH_FAILED, NULL, "0 queued, 1 sent, 2 failed" },
    FEAT_NULL_FIELD
};

static const struct feat_field  v2_count_out[] = {
    { "push_count", FEAT_FT_INT, V2_ALWAYS, 0, LLONG_MAX, NULL,
      "the caller's visible pushes not in push_ids" },
    { "feedback_count", FEAT_FT_INT, V2_ALWAYS, 0, LLONG_MAX, NULL,
      "unread replies to the caller's feedback" },
    FEAT_NULL_FIELD
};


static cJSON *
v2_client_object(struct feat_req *r, const struct feat_push_client *c)
{
    cJSON  *o;

    o = feat_json_record(r, c->id, c->app_id, c->created_at,
                         c->updated_at);
    cJSON_AddNumberToObject(o, "user_id", (double) c->user_id);
    cJSON_AddStringToObject(o, "client_id", c->client_id);
    cJSON_AddStringToObject(o, "client_type", c->client_type);
    cJSON_AddBoolToObject(o, "switch", c->on != 0);

    return o;
}


/* The seed's list object carries push_status, its detail object not. */
static cJSON *
v2_push_object(struct feat_req *r, const struct feat_push *p, int status)
{
    cJSON  *o;

    o = feat_json_record(r, p->id, p->app_id, p->created_at,
                         p->updated_at);
    cJSON_AddStringToObject(o, "push_title", p->title);
    cJSON_AddStringToObject(o, "push_body", p->body);
    cJSON_AddNumberToObject(o, "push_scope", p->scope);
    cJSON_AddNumberToObject(o, "manager_id", (double) p->manager_id);

    if (status) {
        cJSON_AddNumberToObject(o, "push_status", p->status);
    }

    return o;
}


/* POST /api/push/bind */
static int
v2_push_bind(struct feat_req *r)
{
    const char               *client_id, *client_type, *bad;
    enum feat_error           e;
    struct feat_push_client   c;

    if (feat_in_field(r, &v2_bind_in[V2_BIND_CLIENT_ID], &client_id)
        != FEAT_OK
        || feat_in_field(r, &v2_bind_in[V2_BIND_CLIENT_TYPE], &client_type)
           != FEAT_OK)
    {
        return feat_fail_field(r);
    }

    bad = NULL;
    e = feat_push_bind(feat_db(), r->arena, r->app->id, r->user_id,
                       client_id, client_type, &c, &bad);

    if (e == FEAT_E_BAD_FIELD && bad != NULL) {
        return feat_fail_bad(r, bad,
                            strcmp(bad, "client_type") == 0
                            ? "must be android or ios"
                            : "must be printable ASCII");
    }

    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "push bind of user %lld failed",
                         (long long) r->user_id);
    }

    return feat_reply(r, v2_client_object(r, &c));
}


/* The {client_id} of the path, or NULL when it cannot be one. */
static const char *
v2_client_param(struct feat_req *r)
{
    const char  *s;

    s = feat_req_param(r, "client_id");

    return (s != NULL && feat_push_client_id_ok(s)) ? s : NULL;
}


/* GET /api/push/switch/{client_id} */
static int
v2_switch_get(struct feat_req *r)
{
    const char               *client_id;
    enum feat_error           e;
    struct feat_push_client   c;

    client_id = v2_client_param(r);
    if (client_id == NULL) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "not a client id");
    }

    e = feat_push_client_get(feat_db(), r->arena, r->app->id, r->user_id,
                             client_id, &c);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "no push client of user %lld",
                         (long long) r->user_id);
    }

    return feat_reply(r, v2_client_object(r, &c));
}


/* PUT /api/push/switch/{client_id} {"switch": bool} */
static int
v2_switch_set(struct feat_req *r)
{
    int              on;
    const char      *client_id;
    enum feat_error  e;

    if (feat_in_field(r, &v2_switch_in[V2_SWITCH_ON], &on) != FEAT_OK) {
        return feat_fail_field(r);
    }

    client_id = v2_client_param(r);
    if (client_id == NULL) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "not a client id");
    }

    e = feat_push_switch_set(feat_db(), r->app->id, r->user_id, client_id,
                             on);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "no push client of user %lld",
                         (long long) r->user_id);
    }

    return feat_reply(r, cJSON_CreateObject());
}


/* GET /api/push/log */
static int
v2_log_list(struct feat_req *r)
{
    size_t             i, n;
    cJSON             *list;
    long long          total;
    struct feat_page   pg;
    struct feat_push  *items;
    enum feat_error    e;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    e = feat_push_log_list(feat_db(), r->arena, r->app->id, r->user_id,
                           pg.offset, pg.size, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "push log failed");
    }

    list = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, v2_push_object(r, &items[i], 1));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


/* GET /api/push/log/{id} */
static int
v2_log_get(struct feat_req *r)
{
    sqlite3_int64     id;
    struct feat_push  p;
    enum feat_error   e;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return feat_fail(r, FEAT_E_NOT_FOUND, "push id is not an id");
    }

    e = feat_push_log_get(feat_db(), r->arena, r->app->id, r->user_id, id,
                          &p);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "push %lld not visible to user %lld",
                         (long long) id, (long long) r->user_id);
    }

    return feat_reply(r, v2_push_object(r, &p, 0));
}


/* DELETE /api/push/log/delete: hides every push there is now */
static int
v2_log_hide(struct feat_req *r)
{
    enum feat_error  e;

    e = feat_push_log_hide(feat_db(), r->app->id, r->user_id);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "push log hide failed");
    }

    return feat_reply(r, cJSON_CreateObject());
}


/* Adds one id to the set: FEAT_OK, or FEAT_ERROR when there are too many. */
static int
v2_ids_add(struct feat_req *r, struct v2_ids *set, sqlite3_int64 id)
{
    if (set->n >= FEAT_PUSH_READ_IDS_MAX) {
        return FEAT_ERROR;
    }

    if (set->ids == NULL) {
        set->ids = feat_arena_alloc(r->arena, FEAT_PUSH_READ_IDS_MAX
                                              * sizeof(sqlite3_int64));
    }

    set->ids[set->n++] = id;

    return FEAT_OK;
}


/* One decimal integer, nothing else, into *id. */
static int
v2_id_parse(const char *s, size_t len, sqlite3_int64 *id)
{
    char       *end, buf[32];
    long long   v;

    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }

    while (len > 0 && s[len - 1] == ' ') {
        len--;
    }

    /* a %00 in a query value would end the copy early: refuse it */
    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL
        || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-'))
    {
        return FEAT_ERROR;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    errno = 0;
    v = strtoll(buf, &end, 10);

    if (errno != 0 || end == buf || *end != '\0') {
        return FEAT_ERROR;
    }

    *id = v;

    return FEAT_OK;
}


/*
 * The text forms of push_ids: "1,2,3" or "[1,2,3]" (spaces allowed around
 * the numbers); "" and "[]" hold none.  len, not NUL, ends the text: a
 * form value may hold a %00, which then fails as a non-digit.
 */
static int
v2_ids_text(struct feat_req *r, struct v2_ids *set, const char *s,
    size_t len)
{
    size_t          i, start;
    sqlite3_int64   id;

    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }

    while (len > 0 && s[len - 1] == ' ') {
        len--;
    }

    if (len > 0 && s[0] == '[') {
        if (len < 2 || s[len - 1] != ']') {
            return FEAT_ERROR;
        }

        s++;
        len -= 2;

        while (len > 0 && *s == ' ') {
            s++;
            len--;
        }
    }

    if (len == 0) {
        return FEAT_OK;
    }

    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && s[i] != ',') {
            continue;
        }

        if (v2_id_parse(s + start, i - start, &id) != FEAT_OK
            || v2_ids_add(r, set, id) != FEAT_OK)
        {
            return FEAT_ERROR;
        }

        start = i + 1;
    }

    return FEAT_OK;
}


/* A JSON array of integers (or of strings holding one). */
static int
v2_ids_json(struct feat_req *r, struct v2_ids *set, const cJSON *array)
{
    double          d;
    const cJSON    *item;
    sqlite3_int64   id;

    cJSON_ArrayForEach(item, array) {
        if (cJSON_IsNumber(item)) {
            d = item->valuedouble;

            /* beyond 2^53 a double no longer names one integer; the range
             * test comes first, as the cast of a huge double is undefined */
            if (d > 9007199254740992.0 || d < -9007199254740992.0
                || d != (double) (sqlite3_int64) d)
            {
                return FEAT_ERROR;
            }

            id = (sqlite3_int64) d;

        } else if (cJSON_IsString(item)) {
            if (v2_id_parse(item->valuestring, strlen(item->valuestring),
                            &id)
                != FEAT_OK)
            {
                return FEAT_ERROR;
            }

        } else {
            return FEAT_ERROR;
        }

        if (v2_ids_add(r, set, id) != FEAT_OK) {
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


/* push_ids in the query string or a form body: every occurrence counts
 * ("push_ids=1&push_ids=2", also "push_ids[]=" as some clients send). */
static int
v2_ids_pairs(struct feat_req *r, struct v2_ids *set, const struct feat_kv *kv,
    size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(kv[i].name, "push_ids") != 0
            && strcmp(kv[i].name, "push_ids[]") != 0)
        {
            continue;
        }

        if (v2_ids_text(r, set, kv[i].value, kv[i].len) != FEAT_OK) {
            return FEAT_ERROR;
        }
    }

    return FEAT_OK;
}


/*
 * Gathers push_ids from every place a client may put them: a JSON body
 * that is the array itself or an object with "push_ids" (an array, a
 * string in the text form, or null), a form body, and the query string.
 * No typed input helper reads lists or repeated arguments, hence the walk
 * over the parsed body and the pairs here.
 */
static int
v2_ids_gather(struct feat_req *r, struct v2_ids *set)
{
    const cJSON  *v;

    if (r->json != NULL) {
        if (cJSON_IsArray(r->json)) {
            if (v2_ids_json(r, set, r->json) != FEAT_OK) {
                return FEAT_ERROR;
            }

        } else if (cJSON_IsObject(r->json)) {
            v = cJSON_GetObjectItemCaseSensitive(r->json, "push_ids");

            if (cJSON_IsArray(v)) {
                if (v2_ids_json(r, set, v) != FEAT_OK) {
                    return FEAT_ERROR;
                }

            } else if (cJSON_IsString(v)) {
                if (v2_ids_text(r, set, v->valuestring,
                                strlen(v->valuestring))
                    != FEAT_OK)
                {
                    return FEAT_ERROR;
                }

            } else if (v != NULL && !cJSON_IsNull(v)) {
                return FEAT_ERROR;
            }
        }
    }

    if (v2_ids_pairs(r, set, r->form, r->nform) != FEAT_OK) {
        return FEAT_ERROR;
    }

    return v2_ids_pairs(r, set, r->args, r->nargs);
}


/* GET /api/message/count */
static int
v2_message_count(struct feat_req *r)
{
    cJSON            *o;
    long long         pushes, replies;
    struct v2_ids     set;
    enum feat_error   e;

    set.ids = NULL;
    set.n = 0;

    if (v2_ids_gather(r, &set) != FEAT_OK) {
        return feat_fail_bad(r, "push_ids",
                            set.n >= FEAT_PUSH_READ_IDS_MAX
                            ? "too many ids" : "must be a list of integers");
    }

    e = feat_push_unread_count(feat_db(), r->arena, r->app->id, r->user_id,
                               set.ids, set.n, &pushes);
    if (e == FEAT_E_NONE) {
        e = feat_user_replies_unread(feat_db(), r->app->id, r->user_id,
                                     &replies);
    }

    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "message count failed");
    }

    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "push_count", (double) pushes);
    cJSON_AddNumberToObject(o, "feedback_count", (double) replies);

    return feat_reply(r, o);
}


/*
 * Devices and pushes belong to a user: a token without one (OAuth2
 * client_credentials) is refused by the runtime.  DELETE
 * /api/push/log/delete shares its shape with GET /api/push/log/{id}; the
 * router prefers the literal segment, and "delete" is no id for GET.
 */
#define V2_USER  (FEAT_USER_SESSION)

static const struct feat_schema  v2_push_bind_schema = {
    .summary = "Bind a device's push client id to the caller (moves it "
               "from another user)",
    .request = v2_bind_in,
    .answer = v2_client_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v2_switch_get_schema = {
    .summary = "One of the caller's devices and its push switch",
    .answer = v2_client_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v2_switch_set_schema = {
    .summary = "Turn pushes to one of the caller's devices on or off",
    .request = v2_switch_in,
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  v2_log_list_schema = {
    .summary = "The pushes that reach the caller, newest first",
    .answer = v2_push_list_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  v2_log_get_schema = {
    .summary = "One push that reaches the caller",
    .answer = v2_push_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  v2_log_hide_schema = {
    .summary = "Hide from the caller every push there is now",
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_schema  v2_message_count_schema = {
    .summary = "Unread pushes and feedback replies",
    .request = v2_count_in,
    .answer = v2_count_out,
    .shape = FEAT_ANSWER_OBJECT,
};


static const struct feat_route  push_routes[] = {
    { FEAT_POST,   "/api/push/bind",       FEAT_V2, v2_push_bind,
      V2_USER, &v2_push_bind_schema },
    { FEAT_GET,    "/api/push/switch/{client_id}", FEAT_V2, v2_switch_get,
      V2_USER, &v2_switch_get_schema },
    { FEAT_PUT,    "/api/push/switch/{client_id}", FEAT_V2, v2_switch_set,
      V2_USER, &v2_switch_set_schema },
    { FEAT_GET,    "/api/push/log",        FEAT_V2, v2_log_list,
      V2_USER, &v2_log_list_schema },
    { FEAT_GET,    "/api/push/log/{id}",   FEAT_V2, v2_log_get,
      V2_USER, &v2_log_get_schema },
    { FEAT_DELETE, "/api/push/log/delete", FEAT_V2, v2_log_hide,
      V2_USER, &v2_log_hide_schema },
    { FEAT_GET,    "/api/message/count",   FEAT_V2, v2_message_count,
      V2_USER, &v2_message_count_schema },
    FEAT_NULL_ROUTE
};


/* Delivery's per-app knobs (fcgi/process/delivery.c reads them); the
 * config options of the same names are every app's defaults. */
static const struct feat_setting  push_settings[] = {
    { "push.max_attempts", FEAT_SETTING_INT, 0, NULL,
      FEAT_CONF_PUSH_MAX_ATTEMPTS, 1, 100, NULL,
      "attempts of one push delivery before it fails", NULL },
    { "push.ttl", FEAT_SETTING_INT, 0, NULL, FEAT_CONF_PUSH_TTL, 60,
      2419200, NULL, "seconds a push delivery is tried", NULL },
    { "getui.app_id", FEAT_SETTING_STR, 0, NULL, NULL, 0, 64, NULL,
      "Getui app id (the REST API v2 path)", NULL },
    { "getui.app_key", FEAT_SETTING_STR, 0, NULL, NULL, 0, 64, NULL,
      "Getui app key", NULL },
    { "getui.master_secret", FEAT_SETTING_STR, FEAT_SETTING_SECRET, NULL,
      NULL, 0, 128, NULL, "Getui master secret (signs the auth)", NULL },
    { "getui.url", FEAT_SETTING_URL, 0, "https://restapi.getui.com/v2",
      NULL, 0, 0, NULL, "Getui REST API v2 base URL", NULL },
    FEAT_NULL_SETTING
};

static const struct feat_push_provider  push_getui = {
    "getui", feat_getui_ready, feat_getui_prepare, feat_getui_judge
};


const struct feat_module  feat_push_module = {
    .name = "push",
    .routes = push_routes,
    .settings = push_settings,
    .push = &push_getui,
};
