/*
 * users.c: an app's users in the console (featcgi-api(7) "ADMIN API"):
 * the list and search, one user, disable and enable, revoking its
 * sessions, deleting it and exporting what is stored about it.
 *
 * The work is the accounts module's, the same functions featctl's user
 * commands call (feat_user_search, feat_user_set_active,
 * feat_session_revoke_user, feat_user_delete, feat_user_export), so the
 * console and featctl cannot disagree.  The list, one user and each
 * change are the console's shapes (feat_admin_list, feat_admin_show and
 * feat_admin_write, fcgi/protocol/admin.c): a change runs inside one
 * transaction held around the call (feat_db_hold: the domain's own become
 * savepoints) with its audit row, so both commit or neither does, and
 * its answer is read before the commit.  An erased account (a tombstone)
 * can be looked at, not acted on.  The export is a read recorded after
 * it, outside any transaction: a handler of its own.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "accounts/accounts.h"
#include "admin/admin.h"

#define USER_QUERY_MAX  64

/* The declared fields (feat.h): what each route reads and answers. */
static const struct feat_field  list_in[] = {
    { "q", FEAT_FT_STR, FEAT_QUERY | FEAT_ALLOW_EMPTY, 0, USER_QUERY_MAX,
      NULL, "digits: the start of a phone number; with '@': the start of "
      "an email; else a piece of the nickname" },
    FEAT_NULL_FIELD
};

static const struct feat_field  delete_in[] = {
    { "confirm", FEAT_FT_STR, FEAT_REQUIRED, 1, 32, NULL,
      "the user's id, typed out" },
    FEAT_NULL_FIELD
};

#define USER_BRIEF_FIELDS                                                     \
    { "id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the user's id" },         \
    { "area", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,                         \
      "the phone's country code" },                                           \
    { "phone", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, "phone", "or \"\"" },        \
    { "email", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, "email", "or \"\"" },        \
    { "nickname", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "or \"\"" },        \
    { "disabled", FEAT_FT_BOOL, FEAT_REQUIRED, 0, 0, NULL,                    \
      "may not log in" },                                                     \
    { "created_at", FEAT_FT_TIME, FEAT_REQUIRED, 0, 0, NULL, "signed up" },   \
    { "last_login_at", FEAT_FT_TIME, FEAT_REQUIRED | FEAT_NULLABLE, 0, 0,     \
      NULL, "its newest session's creation, or null" }

static const struct feat_field  binding_out[] = {
    { "open_type", FEAT_FT_INT, FEAT_REQUIRED, 1, 4, NULL,
      "1 QQ, 2 WeChat, 3 Weibo, 4 Taobao" },
    { "created_at", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,
      "bound (unix seconds)" },
    FEAT_NULL_FIELD
};

static const struct feat_field  binding_row[] = {
    { "binding", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL, "one binding",
      binding_out },
    FEAT_NULL_FIELD
};

static const struct feat_field  brief_out[] = {
    USER_BRIEF_FIELDS,
    FEAT_NULL_FIELD
};

static const struct feat_field  user_out[] = {
    USER_BRIEF_FIELDS,
    { "username", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "its username" },
    { "avatar", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, "uri", "or \"\"" },
    { "gender", FEAT_FT_INT, FEAT_REQUIRED, 0, 2, NULL,
      "0 female, 1 male, 2 unknown" },
    { "birthday", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "YYYY-MM-DD or \"\"" },
    { "city", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "or \"\"" },
    { "address", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "or \"\"" },
    { "role", FEAT_FT_INT, FEAT_REQUIRED, 0, 9, NULL, "0: a user" },
    { "updated_at", FEAT_FT_TIME, FEAT_REQUIRED | FEAT_NULLABLE, 0, 0, NULL,
      "last changed" },
    { "deleted_at", FEAT_FT_TIME, FEAT_REQUIRED | FEAT_NULLABLE, 0, 0, NULL,
      "erased (a tombstone), or null" },
    { "sessions", FEAT_FT_INT, FEAT_REQUIRED, 0, 0, NULL,
      "its live sessions" },
    { "bindings", FEAT_FT_ARRAY, FEAT_REQUIRED, 0, 0, NULL,
      "its open-id bindings", binding_row },
    FEAT_NULL_FIELD
};

static const struct feat_schema  list_schema = {
    .summary = "The app's users, newest first, or those a query finds",
    .request = list_in,
    .answer = brief_out,
    .shape = FEAT_ANSWER_PAGE,
};

static const struct feat_schema  user_schema = {
    .summary = "One user, its live sessions and bindings",
    .answer = user_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  disable_schema = {
    .summary = "Disable a user and revoke its sessions (admin.user.disable)",
    .answer = user_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  enable_schema = {
    .summary = "Let a disabled user log in again (admin.user.enable)",
    .answer = user_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  revoke_schema = {
    .summary = "Revoke every session of a user (admin.user.revoke)",
    .answer = user_out,
    .shape = FEAT_ANSWER_OBJECT,
};

static const struct feat_schema  delete_schema = {
    .summary = "Delete a user's account as featctl user delete does "
               "(admin.user.delete)",
    .request = delete_in,
    .shape = FEAT_ANSWER_EMPTY,
};

static const struct feat_field  export_out[] = {
    { "user_id", FEAT_FT_ID, FEAT_REQUIRED, 0, 0, NULL, "the user" },
    { "app_id", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "its app" },
    { "exported_at", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "when" },
    { "tables", FEAT_FT_OBJ, FEAT_REQUIRED, 0, 0, NULL,
      "every table's rows about the user, by table" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  export_schema = {
    .summary = "Everything stored about a user, as featctl user export "
               "prints it (admin.user.export)",
    .answer = export_out,
    .shape = FEAT_ANSWER_OBJECT,
};


/* {"id","area","phone","email","nickname","disabled","created_at",
 * "last_login_at"} of a struct feat_user_brief */
static cJSON *
user_brief_json(struct feat_req *r, const void *item)
{
    cJSON                         *o;
    const struct feat_user_brief  *u;

    u = item;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double) u->id);
    cJSON_AddStringToObject(o, "area", u->area);
    cJSON_AddStringToObject(o, "phone", u->phone);
    cJSON_AddStringToObject(o, "email", u->email);
    cJSON_AddStringToObject(o, "nickname", u->nickname);
    cJSON_AddBoolToObject(o, "disabled", !u->is_active);
    feat_admin_json_time(r, o, "created_at", u->created_at);
    feat_admin_json_time(r, o, "last_login_at", u->last_login_at);

    return o;
}


/* The user of the path's {id} in r's app: FEAT_E_NONE with *u, or the
 * error (FEAT_E_NOT_FOUND for a malformed id too). */
static enum feat_error
user_of_path(struct feat_req *r, struct feat_user_brief *u)
{
    sqlite3_int64  id;

    if (feat_req_param_id(r, "id", &id) != FEAT_OK) {
        return FEAT_E_NOT_FOUND;
    }

    return feat_user_brief_get(feat_db(), r->arena, r->app->id, id, u);
}


/* The whole answer of one user: its brief, its profile, its live
 * sessions and its bindings; FEAT_E_NONE with *out (the caller's), or
 * the error. */
static enum feat_error
user_json(struct feat_req *r, sqlite3_int64 id, cJSON **out)
{
    long long               n;
    cJSON                  *o, *bindings;
    sqlite3                *db;
    enum feat_error         e;
    struct feat_user        u;
    struct feat_user_brief  b;

    db = feat_db();

    e = feat_user_brief_get(db, r->arena, r->app->id, id, &b);
    if (e == FEAT_E_NONE) {
        e = feat_user_get(db, r->arena, r->app->id, id, &u);
    }
    if (e == FEAT_E_NONE) {
        e = feat_session_count_live(db, r->app->id, id, &n);
    }
    if (e == FEAT_E_NONE) {
        e = feat_user_bindings(db, r->arena, r->app->id, id, &bindings);
    }
    if (e != FEAT_E_NONE) {
        return e;
    }

    o = user_brief_json(r, &b);
    cJSON_AddStringToObject(o, "username", u.username);
    cJSON_AddStringToObject(o, "avatar", u.avatar);
    cJSON_AddNumberToObject(o, "gender", u.gender);
    cJSON_AddStringToObject(o, "birthday", u.birthday);
    cJSON_AddStringToObject(o, "city", u.city);
    cJSON_AddStringToObject(o, "address", u.address);
    cJSON_AddNumberToObject(o, "role", u.role);
    feat_admin_json_time(r, o, "updated_at", u.updated_at);
    feat_admin_json_time(r, o, "deleted_at", b.deleted_at);
    cJSON_AddNumberToObject(o, "sessions", (double) n);
    cJSON_AddItemToObject(o, "bindings", bindings);

    *out = o;

    return FEAT_E_NONE;
}


/* GET /admin/api/apps/{app}/users?q=: a page of the users q finds (a
 * bad q is FEAT_E_BAD_FIELD with r->bad_field, answered as such). */
static enum feat_error
user_read(struct feat_req *r, int status, const struct feat_page *pg,
    long long *total, const void **items, size_t *n)
{
    const char        *q;
    enum feat_error    e;
    struct feat_rows   rows;

    (void) status;
    q = NULL;

    if (feat_in_field(r, &list_in[0], &q) == FEAT_ERROR) {
        return FEAT_E_BAD_FIELD;
    }

    e = feat_user_search(feat_db(), r->arena, r->app->id, q, pg->offset,
                         pg->size, &rows);
    if (e == FEAT_E_NONE) {
        *total = rows.total;
        *items = rows.items;
        *n = rows.n;
    }

    return e;
}


/*
 * The path's user (w->id), read before the transaction: one erased (a
 * tombstone) is not there to act on, answered 404 before a delete's
 * confirmation is looked at.  A delete (its op has fields) also reads
 * "confirm": the manager typed the id out, so a slip of the mouse
 * deletes nothing.
 */
static int
user_input(struct feat_req *r, struct feat_admin_write *w)
{
    char                    id[32];
    const char             *confirm;
    enum feat_error         e;
    struct feat_user_brief  u;

    e = feat_user_brief_get(feat_db(), r->arena, r->app->id, w->id, &u);
    if (e == FEAT_E_NONE && u.deleted_at != 0) {
        e = FEAT_E_NOT_FOUND;       /* erased: nothing left to act on */
    }
    if (e != FEAT_E_NONE) {
        feat_fail(r, e, "admin: user %lld", (long long) w->id);
        return FEAT_DECLINED;
    }

    if (w->op->fields == NULL) {
        return FEAT_OK;
    }

    confirm = NULL;
    if (feat_in_field(r, &w->op->fields[0], &confirm) != FEAT_OK) {
        return FEAT_ERROR;
    }

    snprintf(id, sizeof(id), "%lld", (long long) w->id);
    if (strcmp(confirm, id) != 0) {
        r->bad_field = "confirm";
        r->bad_reason = "is not the user's id";
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* Disables (the op's arg 0), enables (1) or revokes the sessions of (2)
 * the user, with the audit row saying how many sessions ended. */
static enum feat_error
user_act(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    int              revoked;
    enum feat_error  e;

    revoked = 0;

    if (w->op->arg == 2) {
        e = feat_session_revoke_user(db, r->app->id, w->id, 0);
        revoked = sqlite3_changes(db);
    } else {
        e = feat_user_set_active(db, r->app->id, w->id, w->op->arg,
                                 &revoked);
    }

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, w->id, w->op->action, "d", "sessions_revoked",
                            revoked) != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    return e;
}


/* Deletes the user as featctl user delete does. */
static enum feat_error
user_remove(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    /* recorded first: the deletion's own record then names the manager */
    if (feat_admin_audit(r, w->id, w->op->action, NULL) != FEAT_OK) {
        return FEAT_E_INTERNAL;
    }

    return feat_user_delete(db, r->arena, r->app->id, w->id, NULL, NULL,
                            r->remote_addr);
}


/* GET /admin/api/apps/{app}/users/{id}/export */
static int
admin_user_export(struct feat_req *r)
{
    cJSON                  *doc;
    enum feat_error         e;
    struct feat_user_brief  u;

    e = user_of_path(r, &u);
    if (e == FEAT_E_NONE) {
        e = feat_user_export(feat_db(), r->arena, r->app->id, u.id, &doc);
    }
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "export of user %s", feat_req_param(r, "id"));
    }

    /* a read, and still an action: whose data left, by whom */
    if (feat_admin_audit(r, u.id, "admin.user.export", NULL) != FEAT_OK) {
        cJSON_Delete(doc);
        return feat_fail(r, FEAT_E_INTERNAL, "export of user %lld",
                         (long long) u.id);
    }

    return feat_reply(r, doc);
}


#define USER_ACT(verb, n)                                                     \
    .what = "user", .action = "admin.user." verb,                             \
    .flags = FEAT_ADMIN_BY_ID | FEAT_ADMIN_AUDITS, .input = user_input,       \
    .change = user_act, .answer = user_json, .arg = n

static const struct feat_admin_list  user_list_op = {
    .what = "user", .read = user_read,
    .size = sizeof(struct feat_user_brief), .object = user_brief_json,
};

static const struct feat_admin_op  user_get_op = {
    .what = "user", .answer = user_json,
};

static const struct feat_admin_op  user_disable_op = {
    USER_ACT("disable", 0)
};

static const struct feat_admin_op  user_enable_op = {
    USER_ACT("enable", 1)
};

static const struct feat_admin_op  user_revoke_op = {
    USER_ACT("revoke", 2)
};

static const struct feat_admin_op  user_delete_op = {
    .what = "user", .action = "admin.user.delete",
    .flags = FEAT_ADMIN_BY_ID | FEAT_ADMIN_AUDITS, .fields = delete_in,
    .input = user_input, .change = user_remove,
};


const struct feat_route  admin_users_routes[] = {
    { FEAT_GET, "/admin/api/apps/{app}/users", FEAT_ADMIN,
      feat_admin_list, FEAT_MANAGER, &list_schema, &user_list_op },
    { FEAT_GET, "/admin/api/apps/{app}/users/{id}", FEAT_ADMIN,
      feat_admin_show, FEAT_MANAGER, &user_schema, &user_get_op },
    { FEAT_DELETE, "/admin/api/apps/{app}/users/{id}", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &delete_schema, &user_delete_op },
    { FEAT_POST, "/admin/api/apps/{app}/users/{id}/disable", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &disable_schema, &user_disable_op },
    { FEAT_POST, "/admin/api/apps/{app}/users/{id}/enable", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &enable_schema, &user_enable_op },
    { FEAT_POST, "/admin/api/apps/{app}/users/{id}/revoke", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &revoke_schema, &user_revoke_op },
    { FEAT_GET, "/admin/api/apps/{app}/users/{id}/export", FEAT_ADMIN,
      admin_user_export, FEAT_MANAGER, &export_schema },
    FEAT_NULL_ROUTE
};
