/*
 * content.c: what the console's content endpoints share (feedback.c,
 * faq.c, notices.c, pushes.c, projects.c, orders.c): times that may be
 * unset, a domain's refusal answered with the API's field name, the path's
 * object id, and the "status" filter of a list.
 *
 * Their writes all go the same way: feat_db_hold, the owning module's
 * domain function (whose own transaction is then a savepoint of the held
 * one), feat_admin_audit, feat_admin_release; the answer is read after
 * the commit.
 */

#include "config.h"

#include <string.h>

#include "feat.h"
#include "admin/admin.h"


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
