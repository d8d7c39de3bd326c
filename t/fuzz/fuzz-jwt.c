/*
 * fuzz-jwt.c: libFuzzer target for fcgi/crypto/jwt.c.  The input is verified as
 * a token under a fixed key; a token that verifies must carry an object.
 * When the input parses as a JSON object it is also signed, and the token
 * made must verify under the same key and fail under another.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define KEY  "fuzz-key-0123456789abcdef0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct feat_arena  *arena;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         *tok;
    const char   *signed_tok;
    cJSON        *payload, *j;

    if (arena == NULL) {
        arena = feat_arena_create();
    }

    tok = feat_arena_strndup(arena, (const char *) data, size);

    payload = NULL;
    if (feat_jwt_verify(arena, KEY, strlen(KEY), tok, &payload) == FEAT_OK
        && (payload == NULL || !cJSON_IsObject(payload)))
    {
        abort();
    }

    j = cJSON_ParseWithLength((const char *) data, size);
    if (j != NULL) {
        if (cJSON_IsObject(j)
            && feat_jwt_sign(arena, KEY, strlen(KEY), j, &signed_tok)
               == FEAT_OK)
        {
            if (strlen(signed_tok) > FEAT_JWT_MAX
                || feat_jwt_verify(arena, KEY, strlen(KEY), signed_tok,
                                   &payload) != FEAT_OK
                || feat_jwt_verify(arena, "other", 5, signed_tok, &payload)
                   != FEAT_ERROR)
            {
                abort();
            }
        }
        cJSON_Delete(j);
    }

    feat_arena_reset(arena);
    return 0;
}
