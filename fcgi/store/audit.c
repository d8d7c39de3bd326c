/*
 * audit.c: the audit log (sql/0120_audit.sql), the one way a security
 * event is recorded.
 *
 * feat_audit writes one row inside the caller's transaction and opens
 * none itself, as feat_push_queue does: the record commits or rolls back
 * with the change it is about.  Where the event came from is the
 * process's origin (core/log.c keeps it with the request id), set once
 * per request from the client address (the request reader) and once by
 * featctl from the operator's Unix user, so domain functions record
 * events without knowing HTTP.  The detail is a
 * small JSON object made here from typed pairs, never text a caller
 * spliced together.  The jobs process prunes rows older than
 * audit.retention_days (feat_audit_prune).
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"

#define AUDIT_DETAIL_MAX   1024
#define DAY                86400


/* Appends s to out[*k..n) as a JSON string; answers FEAT_ERROR when it
 * does not fit. */
static int
feat_audit_put_str(char *out, size_t n, size_t *k, const char *s)
{
    size_t          need;
    const uint8_t  *p;
    char            esc[8];

    if (*k + 1 >= n) {
        return FEAT_ERROR;
    }
    out[(*k)++] = '"';

    for (p = (const uint8_t *) s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char) *p;
            esc[2] = '\0';
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
        } else {
            esc[0] = (char) *p;
            esc[1] = '\0';
        }

        need = strlen(esc);
        if (*k + need + 1 >= n) {
            return FEAT_ERROR;
        }
        memcpy(out + *k, esc, need);
        *k += need;
    }

    if (*k + 1 >= n) {
        return FEAT_ERROR;
    }
    out[(*k)++] = '"';
    out[*k] = '\0';

    return FEAT_OK;
}


int
feat_audit(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *action, const char *fmt, ...)
{
    int      rc;
    va_list  ap;

    va_start(ap, fmt);
    rc = feat_audit_v(db, app, user_id, action, fmt, ap);
    va_end(ap);

    return rc;
}


int
feat_audit_v(sqlite3 *db, const char *app, sqlite3_int64 user_id,
    const char *action, const char *fmt, va_list ap)
{
    int           n;
    char          detail[AUDIT_DETAIL_MAX], num[32];
    size_t        k;
    const char   *key, *s, *address, *actor;
    const char   *f;

    k = 0;
    detail[k++] = '{';
    detail[k] = '\0';

    for (f = fmt != NULL ? fmt : ""; *f != '\0'; f++) {
        key = va_arg(ap, const char *);

        if (k > 1) {
            if (k + 1 >= sizeof(detail)) {
                goto too_long;
            }
            detail[k++] = ',';
        }

        if (feat_audit_put_str(detail, sizeof(detail), &k, key) != FEAT_OK
            || k + 1 >= sizeof(detail))
        {
            goto too_long;
        }
        detail[k++] = ':';
        detail[k] = '\0';

        switch (*f) {
        case 's':
            s = va_arg(ap, const char *);
            if (feat_audit_put_str(detail, sizeof(detail), &k,
                                   s != NULL ? s : "") != FEAT_OK)
            {
                goto too_long;
            }
            continue;

        case 'i':
            n = snprintf(num, sizeof(num), "%lld",
                         (long long) va_arg(ap, sqlite3_int64));
            break;

        case 'd':
            n = snprintf(num, sizeof(num), "%d", va_arg(ap, int));
            break;

        default:
            feat_log(LOG_ALERT, 0, "audit %s: bad detail format \"%s\"",
                     action, fmt);
            return FEAT_ERROR;
        }

        if (k + (size_t) n + 1 >= sizeof(detail)) {
            goto too_long;
        }
        memcpy(detail + k, num, (size_t) n + 1);
        k += (size_t) n;
    }

    feat_audit_origin_get(&address, &actor);

    if (k + 2 > sizeof(detail)) {
        goto too_long;
    }
    detail[k++] = '}';
    detail[k] = '\0';

    if (feat_db_exec(db,
            "INSERT INTO audit (at, app_id, user_id, action, detail,"
            " address, actor) VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7)",
            "isissss", (sqlite3_int64) feat_now(), app != NULL ? app : "",
            user_id, action, detail, address, actor)
        != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "audit %s of user %lld not written", action,
                 (long long) user_id);
        return FEAT_ERROR;
    }

    return FEAT_OK;

too_long:

    feat_log(LOG_ALERT, 0, "audit %s: detail longer than %d bytes", action,
             AUDIT_DETAIL_MAX);
    return FEAT_ERROR;
}


long long
feat_audit_prune(sqlite3 *db, time_t now)
{
    long long  days;

    days = feat_conf_int(FEAT_CONF_AUDIT_RETENTION_DAYS);
    if (days <= 0) {
        return 0;               /* 0: kept for ever */
    }

    if (feat_db_exec(db, "DELETE FROM audit WHERE at < ?1", "i",
                     (sqlite3_int64) (now - days * DAY)) != FEAT_OK)
    {
        feat_log(LOG_ERR, 0, "audit: pruning failed");
        return -1;
    }

    return (long long) sqlite3_changes(db);
}
