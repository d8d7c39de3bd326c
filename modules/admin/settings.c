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
 * the keys and never a value (feat_admin_write, fcgi/protocol/admin.c);
 * null removes the app's own value.  The
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
static cJSON *
settings_json(struct feat_req *r, const struct setting_change *changes,
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

    return list;
}


/* GET /admin/api/apps/{app}/settings */
static int
admin_settings_get(struct feat_req *r)
{
    return feat_reply(r, settings_json(r, NULL, 0));
}


/* What a PUT reads: its changes, and their keys for the audit row. */
struct settings_in {
    struct setting_change  *ch;
    size_t                  n;
    char                    keys[SETTINGS_KEYS];
};


/* One member of the body as a setting's value (NULL: null, removed):
 * FEAT_OK with *value, or FEAT_ERROR when it is of no setting's type. */
static int
setting_arg(struct feat_req *r, const cJSON *it, const char **value)
{
    char  num[32];

    if (cJSON_IsNull(it)) {
        *value = NULL;
    } else if (cJSON_IsString(it)) {
        *value = it->valuestring;
    } else if (cJSON_IsBool(it)) {
        *value = cJSON_IsTrue(it) ? "on" : "off";
    } else if (cJSON_IsNumber(it)
               && it->valuedouble == (double) (long long) it->valuedouble)
    {
        snprintf(num, sizeof(num), "%lld", (long long) it->valuedouble);
        *value = feat_arena_strdup(r->arena, num);
    } else {
        return FEAT_ERROR;
    }

    return FEAT_OK;
}


/* PUT /admin/api/apps/{app}/settings {"key": value | null, ...}: every
 * value checked before anything is stored, all or none */
static int
settings_input(struct feat_req *r, struct feat_admin_write *w)
{
    size_t                  k, len;
    cJSON                  *it;
    const char             *value, *reason;
    struct settings_in     *in;
    struct setting_change  *ch;

    in = w->in;

    if (!cJSON_IsObject(r->json)) {
        r->bad_field = "body";
        r->bad_reason = "must be an object of settings";
        return FEAT_ERROR;
    }

    in->n = (size_t) cJSON_GetArraySize(r->json);
    if (in->n == 0 || in->n > SETTINGS_MAX) {
        r->bad_field = "body";
        r->bad_reason = "names no setting, or too many";
        return FEAT_ERROR;
    }

    ch = feat_arena_calloc(r->arena, in->n * sizeof(struct setting_change));
    in->ch = ch;
    len = 0;
    k = 0;

    cJSON_ArrayForEach(it, r->json) {
        ch[k].s = feat_setting_find(it->string);
        if (ch[k].s == NULL) {
            r->bad_field = feat_arena_strdup(r->arena, it->string);
            r->bad_reason = "no such setting";
            return FEAT_ERROR;
        }

        r->bad_field = ch[k].s->key;

        if (setting_arg(r, it, &value) != FEAT_OK) {
            r->bad_reason = "a string, number, boolean or null";
            return FEAT_ERROR;
        }

        if (value != NULL
            && feat_setting_check(r->arena, ch[k].s, value, &ch[k].value,
                                  &reason) != FEAT_OK)
        {
            r->bad_reason = reason;
            return FEAT_ERROR;
        }

        /* the keys (never a value) for the audit row, as long as fit */
        if (len + strlen(ch[k].s->key) + 2 < sizeof(in->keys)) {
            len += (size_t) snprintf(in->keys + len, sizeof(in->keys) - len,
                                     "%s%s", len > 0 ? " " : "",
                                     ch[k].s->key);
        }
        k++;
    }

    r->bad_field = NULL;

    return FEAT_OK;
}


/* Stores the changes with the audit row (the keys, never a value); the
 * answer is made from what was stored, not read back through the cache. */
static enum feat_error
settings_store(struct feat_req *r, sqlite3 *db, struct feat_admin_write *w)
{
    int                  rc;
    size_t               k;
    struct settings_in  *in;

    in = w->in;

    for (k = 0; k < in->n; k++) {
        if (in->ch[k].value != NULL) {
            rc = feat_setting_store(db, r->arena, r->app->id, in->ch[k].s,
                                    in->ch[k].value);
        } else {
            rc = feat_setting_remove(db, r->app->id, in->ch[k].s);
            if (rc == FEAT_DECLINED) {
                rc = FEAT_OK;       /* it had none: so be it */
            }
        }
        if (rc != FEAT_OK) {
            return FEAT_E_INTERNAL;
        }
    }

    if (feat_admin_audit(r, 0, w->op->action, "s", "keys", in->keys)
        != FEAT_OK)
    {
        return FEAT_E_INTERNAL;
    }

    w->out = settings_json(r, in->ch, in->n);

    return FEAT_E_NONE;
}


static const struct feat_admin_op  settings_put_op = {
    .what = "settings", .action = "admin.settings.update",
    .flags = FEAT_ADMIN_AUDITS, .in_size = sizeof(struct settings_in),
    .input = settings_input, .change = settings_store,
};


const struct feat_route  admin_settings_routes[] = {
    { FEAT_GET, "/admin/api/apps/{app}/settings", FEAT_ADMIN,
      admin_settings_get, FEAT_MANAGER, &get_schema },
    { FEAT_PUT, "/admin/api/apps/{app}/settings", FEAT_ADMIN,
      feat_admin_write, FEAT_MANAGER, &put_schema, &settings_put_op },
    FEAT_NULL_ROUTE
};
