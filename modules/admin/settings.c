/*
 * settings.c: an app's per-app settings in the console (featcgi-api(7)
 * "ADMIN API"), the keys of "featctl app set|get|unset".
 *
 * GET lists every declared setting, sorted by key, with its type, its
 * doc and its value (the app's own, else the default; null for none), a
 * secret only as "set": true or false, never its value.  PUT takes
 * {"key": value, ...}: each value is checked as featctl checks it
 * (feat_setting_check, the same function), all of them before anything is
 * stored, and stored in one transaction with the audit row, which names
 * the keys and never a value; null removes the app's own value.  The
 * process's settings cache sees a change within about two seconds (its
 * version is read between requests), so the answer of a PUT is made from
 * what was stored, not read back through the cache.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "admin/admin.h"

#define SETTINGS_MAX     256     /* keys one PUT may name */
#define SETTINGS_KEYS    900     /* bytes of the audit row's key list */

/* The declared answer (feat.h): one row per setting.  PUT's body is an
 * object whose members are the keys themselves: no fixed fields. */
static const struct feat_field  setting_out[] = {
    { "key", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "the setting's key" },
    { "type", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL,
      "str, int, bool, url, pem or enum" },
    { "secret", FEAT_FT_BOOL, FEAT_REQUIRED, 0, 0, NULL,
      "write-only: shown as set only" },
    { "value", FEAT_FT_STR, FEAT_NULLABLE, 0, 0, NULL,
      "a plain setting's value (a number or boolean by its type), or null" },
    { "set", FEAT_FT_BOOL, 0, 0, 0, NULL, "a secret has a value" },
    { "values", FEAT_FT_ARRAY, 0, 0, 0, NULL, "an enum's values",
      (const struct feat_field[]) {
          { "value", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "a value" },
          FEAT_NULL_FIELD } },
    { "doc", FEAT_FT_STR, FEAT_REQUIRED, 0, 0, NULL, "what it is for" },
    FEAT_NULL_FIELD
};

static const struct feat_schema  get_schema = {
    .summary = "Every per-app setting of the app; secrets only as set",
    .answer = setting_out,
    .shape = FEAT_ANSWER_LIST,
};

static const struct feat_schema  put_schema = {
    .summary = "Set settings, {\"key\": value | null}, all or none "
               "(admin.settings.update)",
    .answer = setting_out,
    .shape = FEAT_ANSWER_LIST,
};


/* What a PUT did to one key: the normal form stored, or removed. */
struct setting_change {
    const struct feat_setting  *s;
    const char                 *value;     /* NULL: removed */
};


static const char *
setting_type(const struct feat_setting *s)
{
    switch (s->type) {
    case FEAT_SETTING_INT:  return "int";
    case FEAT_SETTING_BOOL: return "bool";
    case FEAT_SETTING_URL:  return "url";
    case FEAT_SETTING_PEM:  return "pem";
    case FEAT_SETTING_ENUM: return "enum";
    default:                return "str";
    }
}


/* A value as JSON by its type: a number, a boolean or a string. */
static cJSON *
setting_value(const struct feat_setting *s, const char *v)
{
    int        b;
    long long  n;

    if (v == NULL) {
        return cJSON_CreateNull();
    }
    if (s->type == FEAT_SETTING_INT && feat_setting_parse_int(v, &n)
        == FEAT_OK)
    {
        return cJSON_CreateNumber((double) n);
    }
    if (s->type == FEAT_SETTING_BOOL && feat_setting_parse_bool(v, &b)
        == FEAT_OK)
    {
        return cJSON_CreateBool(b);
    }

    return cJSON_CreateString(v);
}


/* The answer of GET and PUT: the list, with changes (n of them) applied
 * over what the cache holds. */
static int
reply_settings(struct feat_req *r, const struct setting_change *changes,
    size_t n)
{
    int                         found;
    cJSON                      *list, *o, *vals;
    size_t                      i, k, len;
    const char                 *v;
    const char *const          *e;
    const struct feat_setting  *s;

    list = cJSON_CreateArray();

    for (i = 0; (s = feat_setting_at(i)) != NULL; i++) {
        found = 0;
        v = NULL;

        for (k = 0; k < n; k++) {
            if (changes[k].s == s) {
                found = 1;
                v = changes[k].value;
                if (v == NULL && feat_setting_default(s, &v, &len, NULL)
                    != FEAT_OK)
                {
                    v = NULL;
                }
                break;
            }
        }

        if (!found && feat_setting_get(r->app->id, s->key, &v, &len)
            != FEAT_OK)
        {
            v = NULL;
        }

        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", s->key);
        cJSON_AddStringToObject(o, "type", setting_type(s));
        cJSON_AddBoolToObject(o, "secret",
                              (s->flags & FEAT_SETTING_SECRET) != 0);
        if (s->flags & FEAT_SETTING_SECRET) {
            cJSON_AddBoolToObject(o, "set", v != NULL && v[0] != '\0');
        } else {
            cJSON_AddItemToObject(o, "value",
                setting_value(s, v != NULL && v[0] != '\0' ? v : NULL));
        }
        if (s->type == FEAT_SETTING_ENUM && s->values != NULL) {
            vals = cJSON_AddArrayToObject(o, "values");
            for (e = s->values; *e != NULL; e++) {
                cJSON_AddItemToArray(vals, cJSON_CreateString(*e));
            }
        }
        cJSON_AddStringToObject(o, "doc", s->doc != NULL ? s->doc : "");
        cJSON_AddItemToArray(list, o);
    }

    return feat_reply(r, list);
}


/* GET /admin/api/apps/{app}/settings */
static int
admin_settings_get(struct feat_req *r)
{
    return reply_settings(r, NULL, 0);
}


/* PUT /admin/api/apps/{app}/settings {"key": value | null, ...} */
static int
admin_settings_put(struct feat_req *r)
{
    int                     rc;
    char                    keys[SETTINGS_KEYS], num[32];
    size_t                  n, k, len;
    cJSON                  *it;
    sqlite3                *db;
    const char             *value, *reason;
    enum feat_error         e;
    struct setting_change  *ch;

    if (!cJSON_IsObject(r->json)) {
        return feat_fail_bad(r, "body", "must be an object of settings");
    }

    n = (size_t) cJSON_GetArraySize(r->json);
    if (n == 0 || n > SETTINGS_MAX) {
        return feat_fail_bad(r, "body", "names no setting, or too many");
    }

    ch = feat_arena_calloc(r->arena, n * sizeof(struct setting_change));
    keys[0] = '\0';
    len = 0;
    k = 0;

    /* every value checked before anything is stored: all or none */
    cJSON_ArrayForEach(it, r->json) {
        ch[k].s = feat_setting_find(it->string);
        if (ch[k].s == NULL) {
            return feat_fail_bad(r, feat_arena_strdup(r->arena, it->string),
                                 "no such setting");
        }

        if (cJSON_IsNull(it)) {
            value = NULL;
        } else if (cJSON_IsString(it)) {
            value = it->valuestring;
        } else if (cJSON_IsBool(it)) {
            value = cJSON_IsTrue(it) ? "on" : "off";
        } else if (cJSON_IsNumber(it)
                   && it->valuedouble == (double) (long long) it->valuedouble)
        {
            snprintf(num, sizeof(num), "%lld", (long long) it->valuedouble);
            value = feat_arena_strdup(r->arena, num);
        } else {
            return feat_fail_bad(r, ch[k].s->key,
                                 "a string, number, boolean or null");
        }

        if (value != NULL
            && feat_setting_check(r->arena, ch[k].s, value, &ch[k].value,
                                  &reason) != FEAT_OK)
        {
            return feat_fail_bad(r, ch[k].s->key, reason);
        }

        /* the keys (never a value) for the audit row, as long as fit */
        if (len + strlen(ch[k].s->key) + 2 < sizeof(keys)) {
            len += (size_t) snprintf(keys + len, sizeof(keys) - len, "%s%s",
                                     len > 0 ? " " : "", ch[k].s->key);
        }
        k++;
    }

    db = feat_db();
    if (feat_db_begin(db) != FEAT_OK) {
        return feat_fail(r, FEAT_E_INTERNAL, "settings of %s", r->app->id);
    }

    e = FEAT_E_NONE;
    for (k = 0; k < n && e == FEAT_E_NONE; k++) {
        if (ch[k].value != NULL) {
            rc = feat_setting_store(db, r->arena, r->app->id, ch[k].s,
                                    ch[k].value);
        } else {
            rc = feat_setting_remove(db, r->app->id, ch[k].s);
            if (rc == FEAT_DECLINED) {
                rc = FEAT_OK;       /* it had none: so be it */
            }
        }
        if (rc != FEAT_OK) {
            e = FEAT_E_INTERNAL;
        }
    }

    if (e == FEAT_E_NONE
        && feat_admin_audit(r, 0, "admin.settings.update", "s", "keys", keys)
           != FEAT_OK)
    {
        e = FEAT_E_INTERNAL;
    }

    e = feat_db_end(db, e);
    if (e != FEAT_E_NONE) {
        return feat_fail(r, e, "settings of %s", r->app->id);
    }

    return reply_settings(r, ch, n);
}


const struct feat_route  admin_settings_routes[] = {
    { FEAT_GET, "/admin/api/apps/{app}/settings", FEAT_ADMIN,
      admin_settings_get, FEAT_MANAGER, &get_schema },
    { FEAT_PUT, "/admin/api/apps/{app}/settings", FEAT_ADMIN,
      admin_settings_put, FEAT_MANAGER, &put_schema },
    FEAT_NULL_ROUTE
};
