/*
 * settings_set.c: the writing half of the per-app settings (settings.c
 * reads them): a value checked against its key's declaration and put in
 * its normal form, secrets sealed with AES-256-GCM under a key derived
 * from the install secret with "app id NUL key" as the associated data
 * (so a sealed value copied to another app or key does not open), and the
 * rows of app_settings written and removed.  featctl is its caller; the
 * server only opens what is stored here.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define FEAT_SETTING_STR_MAX    4096          /* code points, STR default */
#define FEAT_SETTING_URL_MAX    2048
#define FEAT_SETTINGS_AAD_MAX   256
#define FEAT_SETTINGS_LABEL     "settings:aes-256-gcm:v1"


/* ---- checking values ---------------------------------------------------- */

int
feat_url_safe(const char *url)
{
    int          octet, parts;
    long         v;
    const char  *p;
    char        *end;

    if (strncmp(url, "https://", 8) == 0) {
        return url[8] != '\0';
    }

    if (strncmp(url, "http://", 7) != 0) {
        return 0;
    }

    p = url + 7;

    if (strncmp(p, "localhost", 9) == 0) {
        p += 9;

    } else if (strncmp(p, "[::1]", 5) == 0) {
        p += 5;

    } else {
        /* 127.0.0.0/8, written as four plain decimal parts */
        for (parts = 0; parts < 4; parts++) {
            if (parts > 0) {
                if (*p != '.') {
                    return 0;
                }
                p++;
            }
            if (!isdigit((unsigned char) *p)) {
                return 0;
            }
            errno = 0;
            v = strtol(p, &end, 10);
            if (errno != 0 || v > 255 || end - p > 3) {
                return 0;
            }
            octet = (int) v;
            if (parts == 0 && octet != 127) {
                return 0;
            }
            p = end;
        }
    }

    /*
     * After the host only a port may come before the path: in
     * "http://127.0.0.1:9@example.com/" the host is example.com, and
     * anything else there ('@', '\\', '?', '#') is where URL parsers
     * disagree.
     */
    if (*p == ':') {
        p++;
        p += strspn(p, "0123456789");
    }

    return *p == '/' || *p == '\0';
}


int
feat_setting_parse_int(const char *s, long long *out)
{
    char  *end;

    if (*s == '\0' || isspace((unsigned char) *s) || *s == '+') {
        return FEAT_ERROR;
    }

    errno = 0;
    *out = strtoll(s, &end, 10);

    return errno == 0 && *end == '\0' ? FEAT_OK : FEAT_ERROR;
}


int
feat_setting_parse_bool(const char *s, int *out)
{
    size_t                    i;
    static const char *const  yes[] = { "on", "yes", "true", "1" };
    static const char *const  no[] = { "off", "no", "false", "0" };

    for (i = 0; i < FEAT_NELEMS(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = 1;
            return FEAT_OK;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = 0;
            return FEAT_OK;
        }
    }

    return FEAT_ERROR;
}


/* 1 when s holds a control character (tab and newline included). */
static int
feat_setting_has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char) *s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }

    return 0;
}


int
feat_setting_check(struct feat_arena *a, const struct feat_setting *s,
    const char *value, const char **norm, const char **reason)
{
    int                 b;
    long                len, max;
    long long           n;
    size_t              bytes;
    const char *const  *v;

    *norm = value;
    *reason = NULL;
    bytes = strlen(value);

    if (bytes > FEAT_SETTING_VALUE_MAX) {
        *reason = "too long";
        return FEAT_ERROR;
    }

    switch (s->type) {

    case FEAT_SETTING_STR:
        max = s->max > 0 ? (long) s->max : FEAT_SETTING_STR_MAX;
        len = feat_utf8_len(value, bytes);
        if (len < 0 || feat_setting_has_ctl(value)) {
            *reason = "not UTF-8 text without control characters";
            return FEAT_ERROR;
        }
        if (len > max) {
            *reason = feat_arena_sprintf(a, "longer than %ld characters",
                                         max);
            return FEAT_ERROR;
        }
        break;

    case FEAT_SETTING_INT:
        if (feat_setting_parse_int(value, &n) != FEAT_OK
            || n < s->min || n > s->max)
        {
            *reason = feat_arena_sprintf(a, "not an integer in %lld..%lld",
                                         s->min, s->max);
            return FEAT_ERROR;
        }
        *norm = feat_arena_sprintf(a, "%lld", n);
        break;

    case FEAT_SETTING_BOOL:
        if (feat_setting_parse_bool(value, &b) != FEAT_OK) {
            *reason = "not on or off";
            return FEAT_ERROR;
        }
        *norm = b ? "on" : "off";
        break;

    case FEAT_SETTING_URL:
        if (bytes > FEAT_SETTING_URL_MAX || feat_setting_has_ctl(value)
            || strchr(value, ' ') != NULL || !feat_url_safe(value))
        {
            *reason = "not an https:// URL (plain http:// only to a"
                      " loopback host)";
            return FEAT_ERROR;
        }
        break;

    case FEAT_SETTING_PEM:
        if (feat_pem_check(value, bytes, s->flags & FEAT_SETTING_SECRET)
            != FEAT_OK)
        {
            *reason = (s->flags & FEAT_SETTING_SECRET)
                      ? "not a PEM private key"
                      : "not a PEM public key or certificate";
            return FEAT_ERROR;
        }
        break;

    case FEAT_SETTING_ENUM:
        for (v = s->values; *v != NULL; v++) {
            if (strcmp(*v, value) == 0) {
                break;
            }
        }
        if (*v == NULL) {
            *reason = "not one of its values";
            return FEAT_ERROR;
        }
        break;

    default:
        *reason = "of an unknown type";
        return FEAT_ERROR;
    }

    if (s->check != NULL) {
        return s->check(a, *norm, norm, reason);
    }

    return FEAT_OK;
}


/* ---- sealing ------------------------------------------------------------ */

static void
feat_settings_key(unsigned char key[FEAT_AEAD_KEY])
{
    const char  *secret;

    /* its own label: this key never equals a JWT or code key */
    secret = feat_conf_str(FEAT_CONF_SECRET);
    feat_hmac_sha256(secret, strlen(secret), FEAT_SETTINGS_LABEL,
                     sizeof(FEAT_SETTINGS_LABEL) - 1, key);
}


/* "app NUL key" into aad: the place a sealed value belongs to. */
static size_t
feat_settings_aad(const char *app, const char *key,
    unsigned char aad[FEAT_SETTINGS_AAD_MAX])
{
    size_t  an, kn;

    an = strlen(app);
    kn = strlen(key);

    /* app ids are at most 64 bytes and keys are ours: never cut */
    if (an + 1 + kn > FEAT_SETTINGS_AAD_MAX) {
        return 0;
    }

    memcpy(aad, app, an);
    aad[an] = '\0';
    memcpy(aad + an + 1, key, kn);

    return an + 1 + kn;
}


int
feat_setting_seal(struct feat_arena *a, const char *app, const char *key,
    const char *value, const unsigned char **out, size_t *outlen)
{
    size_t          n, alen;
    unsigned char  *buf, k[FEAT_AEAD_KEY], aad[FEAT_SETTINGS_AAD_MAX];

    alen = feat_settings_aad(app, key, aad);
    if (alen == 0) {
        return FEAT_ERROR;
    }

    n = strlen(value);
    buf = feat_arena_alloc(a, n + FEAT_AEAD_OVERHEAD);

    feat_settings_key(k);

    if (feat_aead_seal(k, aad, alen, value, n, buf) != FEAT_OK) {
        feat_cleanse(k, sizeof(k));
        return FEAT_ERROR;
    }

    feat_cleanse(k, sizeof(k));

    *out = buf;
    *outlen = n + FEAT_AEAD_OVERHEAD;

    return FEAT_OK;
}


int
feat_setting_open(const char *app, const char *key, const void *sealed,
    size_t n, char **out, size_t *outlen)
{
    int             rc;
    size_t          alen;
    char           *buf;
    unsigned char   k[FEAT_AEAD_KEY], aad[FEAT_SETTINGS_AAD_MAX];

    alen = feat_settings_aad(app, key, aad);
    if (alen == 0 || n < FEAT_AEAD_OVERHEAD) {
        return FEAT_DECLINED;
    }

    buf = malloc(n - FEAT_AEAD_OVERHEAD + 1);
    if (buf == NULL) {
        feat_log(LOG_EMERG, errno, "malloc(%zu) failed",
                 n - FEAT_AEAD_OVERHEAD + 1);
        abort();
    }

    feat_settings_key(k);
    rc = feat_aead_open(k, aad, alen, sealed, n, (unsigned char *) buf);
    feat_cleanse(k, sizeof(k));

    if (rc != FEAT_OK) {
        free(buf);
        return rc;
    }

    buf[n - FEAT_AEAD_OVERHEAD] = '\0';
    *out = buf;
    *outlen = n - FEAT_AEAD_OVERHEAD;

    return FEAT_OK;
}


/* ---- storing ------------------------------------------------------------ */

int
feat_setting_store(sqlite3 *db, struct feat_arena *a, const char *app,
    const struct feat_setting *s, const char *value)
{
    size_t                n;
    const unsigned char  *sealed;

    if (!(s->flags & FEAT_SETTING_SECRET)) {
        return feat_db_exec(db,
            "INSERT INTO app_settings (app_id, key, value, sealed,"
            " updated_at) VALUES (?1, ?2, ?3, NULL, ?4)"
            " ON CONFLICT (app_id, key) DO UPDATE SET"
            " value = excluded.value, sealed = NULL,"
            " updated_at = excluded.updated_at",
            "sssi", app, s->key, value, (sqlite3_int64) feat_now());
    }

    if (feat_setting_seal(a, app, s->key, value, &sealed, &n) != FEAT_OK) {
        return FEAT_ERROR;
    }

    return feat_db_exec(db,
        "INSERT INTO app_settings (app_id, key, value, sealed,"
        " updated_at) VALUES (?1, ?2, NULL, ?3, ?4)"
        " ON CONFLICT (app_id, key) DO UPDATE SET"
        " value = NULL, sealed = excluded.sealed,"
        " updated_at = excluded.updated_at",
        "ssbi", app, s->key, sealed, (int) n, (sqlite3_int64) feat_now());
}


int
feat_setting_remove(sqlite3 *db, const char *app,
    const struct feat_setting *s)
{
    if (feat_db_exec(db,
            "DELETE FROM app_settings WHERE app_id = ?1 AND key = ?2",
            "ss", app, s->key)
        != FEAT_OK)
    {
        return FEAT_ERROR;
    }

    return sqlite3_changes(db) > 0 ? FEAT_OK : FEAT_DECLINED;
}
