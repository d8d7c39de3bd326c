/*
 * admin.c: what the admin dialect's handlers share (feat.h, "the
 * console's handlers"), whichever module serves them: the console's FAQ,
 * notices, feedback inbox, pushes, projects and orders live in the
 * modules that own those domains, beside their v2, v1 and feat handlers,
 * and the admin module keeps sign-in, managers, users and settings.  Two
 * modules never include each other, so their common parts are here.
 *
 * Times that may be unset, a domain's refusal answered with the API's
 * field name, the path's object id, the "status" filter of a list, the
 * audit record a manager's change makes, and the three shapes the
 * console's endpoints take: a list (feat_admin_list), one object
 * (feat_admin_show) and a write (feat_admin_write: feat_db_hold, the
 * owning module's domain function, whose own transaction is then a
 * savepoint of the held one, feat_admin_audit, the answer read before
 * the commit, feat_admin_release).
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "feat.h"


int
feat_admin_audit(struct feat_req *r, sqlite3_int64 user_id,
    const char *action, const char *fmt, ...)
{
    int      rc;
    char     actor[40];
    va_list  ap;

    if (r->manager_id != 0) {
        snprintf(actor, sizeof(actor), "manager:%lld",
                 (long long) r->manager_id);
    } else {
        snprintf(actor, sizeof(actor), "manager");
    }

    feat_audit_origin(r->remote_addr != NULL ? r->remote_addr : "", actor);

    va_start(ap, fmt);
    rc = feat_audit_v(feat_db(), r->app->id, user_id, action, fmt, ap);
    va_end(ap);

    return rc;
}


void
feat_admin_json_time(struct feat_req *r, cJSON *o, const char *key,
    time_t t)
{
    if (t == 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }

    feat_json_add_str(o, key, feat_time(r, t));
}


int
feat_admin_fail(struct feat_req *r, enum feat_error e, const char *field,
    const char *what, sqlite3_int64 id)
{
    if (e == FEAT_E_BAD_FIELD && field != NULL) {
        return feat_fail_bad(r, field, NULL);
    }

    return feat_fail(r, e, "admin: %s %lld", what, (long long) id);
}


enum feat_error
feat_admin_release(sqlite3 *db, enum feat_error e)
{
    if (feat_db_release(db, e == FEAT_E_NONE) != FEAT_OK
        && e == FEAT_E_NONE)
    {
        return FEAT_E_INTERNAL;
    }

    return e;
}


int
feat_admin_path_id(struct feat_req *r, const char *what, sqlite3_int64 *id)
{
    if (feat_req_param_id(r, "id", id) == FEAT_OK) {
        return FEAT_OK;
    }

    feat_fail(r, FEAT_E_NOT_FOUND, "admin: %s id is not an id", what);

    return FEAT_ERROR;
}


int
feat_admin_status_arg(struct feat_req *r, const struct feat_field *f,
    const struct feat_admin_status *table, int *status)
{
    int          rc;
    size_t       i;
    const char  *s;

    /* the first row is the default */
    *status = table[0].value;

    rc = feat_in_field(r, f, &s);
    if (rc == FEAT_DECLINED) {
        return FEAT_OK;
    }

    if (rc == FEAT_OK) {
        for (i = 0; table[i].name != NULL; i++) {
            if (strcmp(table[i].name, s) == 0) {
                *status = table[i].value;
                return FEAT_OK;
            }
        }

        r->bad_field = "status";
        r->bad_reason = "is not a status of the list";
    }

    feat_fail_field(r);

    return FEAT_ERROR;
}


const char *
feat_admin_status_name(const struct feat_admin_status *table, int value)
{
    size_t  i;

    for (i = 0; table[i].name != NULL; i++) {
        if (table[i].value == value && strcmp(table[i].name, "all") != 0) {
            return table[i].name;
        }
    }

    return "";
}


int
feat_admin_show(struct feat_req *r)
{
    cJSON                       *o;
    sqlite3_int64                id;
    enum feat_error              e;
    const struct feat_admin_op  *op;

    op = r->route->data;

    if (feat_admin_path_id(r, op->what, &id) != FEAT_OK) {
        return FEAT_OK;
    }

    o = NULL;

    e = op->answer(r, id, &o);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(o);
        return feat_fail(r, e, "admin: %s %lld", op->what, (long long) id);
    }

    return feat_reply(r, o);
}


int
feat_admin_list(struct feat_req *r)
{
    int                             status;
    cJSON                          *list;
    size_t                          i, n;
    long long                       total;
    const void                     *items;
    struct feat_page                pg;
    enum feat_error                 e;
    const struct feat_admin_list   *l;

    l = r->route->data;

    if (feat_in_page(r, &pg) != FEAT_OK) {
        return feat_fail_field(r);
    }

    status = -1;
    if (l->status != NULL
        && feat_admin_status_arg(r, l->status, l->statuses, &status)
           != FEAT_OK)
    {
        return FEAT_OK;
    }

    items = NULL;
    n = 0;

    e = l->read(r, status, &pg, &total, &items, &n);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "admin: %s list", l->what);
    }

    list = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON_AddItemToArray(list, l->object(r, (const char *) items
                                                + i * l->size));
    }

    return feat_reply(r, feat_page_object(r, &pg, total, list));
}


int
feat_admin_write(struct feat_req *r)
{
    int                          rc;
    sqlite3                     *db;
    enum feat_error              e;
    struct feat_admin_write      w;
    const struct feat_admin_op  *op;

    op = r->route->data;

    memset(&w, 0, sizeof(w));
    w.op = op;

    if ((op->flags & FEAT_ADMIN_BY_ID)
        && feat_admin_path_id(r, op->what, &w.id) != FEAT_OK)
    {
        return FEAT_OK;
    }

    if (op->in_size != 0) {
        w.in = feat_arena_calloc(r->arena, op->in_size);
    }

    if (op->input != NULL) {
        rc = op->input(r, &w);
        if (rc == FEAT_DECLINED) {
            return FEAT_OK;         /* input answered r: a refusal */
        }
        if (rc != FEAT_OK) {
            return feat_fail_field(r);
        }
    }

    db = feat_db();

    if (feat_db_hold(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "admin: begin");
    }

    e = op->change(r, db, &w);

    if (e == FEAT_E_NONE && !(op->flags & FEAT_ADMIN_AUDITS)
        && feat_admin_audit(r, w.user_id, op->action, "i", op->what, w.id)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    /* the answer, as stored, before the commit */
    if (e == FEAT_E_NONE && op->answer != NULL) {
        e = op->answer(r, w.id, &w.out);
    }

    e = feat_admin_release(db, e);
    if (e != FEAT_E_NONE) {
        cJSON_Delete(w.out);
        return feat_admin_fail(r, e, w.bad, op->what, w.id);
    }

    if (w.out == NULL) {
        return feat_reply_empty(r, 204);
    }

    if (op->status != 0) {
        r->status = op->status;
    }

    return feat_reply(r, w.out);
}
