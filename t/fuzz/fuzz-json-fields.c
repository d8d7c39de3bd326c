/*
 * fuzz-json-fields.c: libFuzzer target for the typed field helpers of
 * fcgi/protocol/input.c.  The input is a request body: when it parses as JSON it
 * becomes r->json (as fcgi/protocol/request.c would make it), otherwise it is taken
 * as an urlencoded form and query string.  feat_in_str, feat_in_int,
 * feat_in_bool and feat_in_page then run over a few field names in every
 * dialect, and their promises are checked: strings valid UTF-8 within the
 * length, integers within range, paging clamped, errors with a reason.
 */

#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;

static const char  *names[] = {
    "name", "nickname", "age", "flag", "page", "page_no", "page_size", "id"
};


static void
check_error(struct feat_req *r, int rc)
{
    if (rc == FEAT_ERROR && (r->bad_field == NULL || r->bad_reason == NULL)) {
        abort();
    }
    if (rc != FEAT_OK && rc != FEAT_ERROR && rc != FEAT_DECLINED) {
        abort();
    }
    r->bad_field = NULL;
    r->bad_reason = NULL;
}


static void
fields(struct feat_req *r)
{
    const char        *s;
    long long          v;
    long               cp;
    int                b, rc;
    size_t             i;
    struct feat_page   pg;
    static const unsigned  dialects[] = { FEAT_V2, FEAT_V1, FEAT_FEAT };

    for (i = 0; i < FEAT_NELEMS(names); i++) {
        rc = feat_in_str(r, names[i], &s, 8, 0);
        if (rc == FEAT_OK) {
            cp = feat_utf8_len(s, strlen(s));
            if (cp < 0 || cp > 8) {
                abort();
            }
        }
        check_error(r, rc);

        rc = feat_in_str(r, names[i], &s, 0, FEAT_REQUIRED | FEAT_ALLOW_EMPTY);
        if (rc == FEAT_OK && feat_utf8_len(s, strlen(s)) < 0) {
            abort();
        }
        if (rc == FEAT_DECLINED) {
            abort();    /* required fields never decline */
        }
        check_error(r, rc);

        rc = feat_in_str(r, names[i], &s, 32, FEAT_REQUIRED);
        if (rc == FEAT_OK && s[0] == '\0') {
            abort();
        }
        check_error(r, rc);

        rc = feat_in_int(r, names[i], &v, -5, 1000, 0);
        if (rc == FEAT_OK && (v < -5 || v > 1000)) {
            abort();
        }
        check_error(r, rc);

        rc = feat_in_int(r, names[i], &v, LLONG_MIN, LLONG_MAX, FEAT_QUERY);
        check_error(r, rc);

        rc = feat_in_bool(r, names[i], &b, 0);
        if (rc == FEAT_OK && b != 0 && b != 1) {
            abort();
        }
        check_error(r, rc);
    }

    for (i = 0; i < FEAT_NELEMS(dialects); i++) {
        r->dialect = dialects[i];
        rc = feat_in_page(r, &pg);
        if (rc == FEAT_OK
            && (pg.page < 1 || pg.size < 1 || pg.size > 100 || pg.offset < 0))
        {
            abort();
        }
        check_error(r, rc);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feat_req   r;
    char             *copy;
    cJSON            *j;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    memset(&r, 0, sizeof(r));
    r.arena = arena;
    r.query = "";
    r.dialect = FEAT_V2;

    copy = malloc(size + 1);
    if (copy == NULL) {
        abort();
    }
    memcpy(copy, data, size);
    copy[size] = '\0';

    j = cJSON_ParseWithLength(copy, size);
    if (j != NULL) {
        r.json = feat_arena_json(arena, j);
    } else {
        (void) feat_parse_urlencoded(arena, copy, size, &r.form, &r.nform);
        (void) feat_parse_urlencoded(arena, copy, size, &r.args, &r.nargs);
        r.query = copy;
    }

    fields(&r);

    feat_arena_reset(arena);
    free(copy);
    return 0;
}
