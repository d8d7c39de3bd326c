/*
 * parse.c: the payments module's readers of what the providers send
 * (internal.h): WeChat Pay API v2's flat XML and Alipay's notify form,
 * both into a list of parameters, and the writer of the XML we send.
 * They use nothing but the runtime's arena and text helpers, so
 * t/fuzz/fuzz-pay-xml.c and fuzz-pay-form.c link them alone.
 *
 * The XML reader reads only what API v2 sends: one <xml> element of flat
 * children, text or CDATA.  Anything else (a DOCTYPE, an entity
 * declaration, a comment, nesting, attributes, a name twice) is refused,
 * so no XML feature can reach past the message.  The form reader refuses
 * what no Alipay notify holds and what would let a signed value be read
 * beside another one: a name twice, an empty name, a NUL, text that is
 * not UTF-8, more parameters than a message has.
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "pay/pay.h"
#include "pay/internal.h"


void
feat_wx_add(struct feat_wx_params *p, const char *name, const char *value)
{
    if (p->n == FEAT_WX_PARAMS_MAX) {
        feat_log(LOG_ALERT, 0, "pay: too many WeChat parameters (%s)",
                 name);
        return;
    }

    p->kv[p->n].name = name;
    p->kv[p->n].value = value;
    p->kv[p->n].len = strlen(value);
    p->n++;
}


const char *
feat_wx_get(const struct feat_wx_params *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->n; i++) {
        if (strcmp(p->kv[i].name, name) == 0) {
            return p->kv[i].value;
        }
    }

    return NULL;
}


/* ---- WeChat's XML -------------------------------------------------------- */

struct wx_in {
    const char  *p;
    const char  *end;
};


/* The first s (of n bytes) in [p, end), or NULL. */
static const char *
wx_find(const char *p, const char *end, const char *s, size_t n)
{
    for ( ; (size_t) (end - p) >= n; p++) {
        if (memcmp(p, s, n) == 0) {
            return p;
        }
    }

    return NULL;
}


static void
wx_space(struct wx_in *in)
{
    while (in->p < in->end && (*in->p == ' ' || *in->p == '\t'
                               || *in->p == '\r' || *in->p == '\n'))
    {
        in->p++;
    }
}


static int
wx_lit(struct wx_in *in, const char *s)
{
    size_t  n;

    n = strlen(s);
    if ((size_t) (in->end - in->p) < n || memcmp(in->p, s, n) != 0) {
        return 0;
    }

    in->p += n;

    return 1;
}


/* A name of [A-Za-z0-9_] up to 64 bytes, then '>': in the arena. */
static const char *
wx_name(struct feat_arena *a, struct wx_in *in)
{
    const char  *s;

    s = in->p;
    while (in->p < in->end && (isalnum((unsigned char) *in->p)
                               || *in->p == '_'))
    {
        in->p++;
    }

    if (in->p == s || in->p - s > 64 || !wx_lit(in, ">")) {
        return NULL;
    }

    return feat_arena_strndup(a, s, (size_t) (in->p - s - 1));
}


/* Text and CDATA sections up to "</": the value, in the arena. */
static const char *
wx_value(struct feat_arena *a, struct wx_in *in)
{
    char        *out, *o;
    const char  *e;
    size_t       i;
    static const struct {
        const char  *ent;
        char         c;
    } ents[] = {
        { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
        { "&quot;", '"' }, { "&apos;", '\'' },
    };

    out = feat_arena_alloc(a, (size_t) (in->end - in->p) + 1);
    o = out;

    while (in->p < in->end) {
        if (wx_lit(in, "<![CDATA[")) {
            e = wx_find(in->p, in->end, "]]>", 3);
            if (e == NULL) {
                return NULL;
            }
            memcpy(o, in->p, (size_t) (e - in->p));
            o += e - in->p;
            in->p = e + 3;
            continue;
        }

        if (*in->p == '<') {
            break;
        }

        if (*in->p == '&') {
            for (i = 0; i < FEAT_NELEMS(ents); i++) {
                if (wx_lit(in, ents[i].ent)) {
                    *o++ = ents[i].c;
                    break;
                }
            }
            if (i == FEAT_NELEMS(ents)) {
                return NULL;
            }
            continue;
        }

        if (*in->p == '\0') {
            return NULL;
        }

        *o++ = *in->p++;
    }

    *o = '\0';

    return feat_utf8_len(out, (size_t) (o - out)) >= 0 ? out : NULL;
}


char *
feat_wx_xml(struct feat_arena *a, const struct feat_wx_params *p)
{
    char         *out, *o;
    size_t        i, len;
    const char   *v;

    /* "]]>" in a value closes its CDATA: it becomes "]]]]><![CDATA[>" */
    len = sizeof("<xml></xml>");
    for (i = 0; i < p->n; i++) {
        len += 2 * strlen(p->kv[i].name) + sizeof("<><![CDATA[]]></>")
               + 15 * strlen(p->kv[i].value);
    }

    out = feat_arena_alloc(a, len);
    o = stpcpy(out, "<xml>");

    for (i = 0; i < p->n; i++) {
        o += sprintf(o, "<%s><![CDATA[", p->kv[i].name);
        for (v = p->kv[i].value; *v != '\0'; v++) {
            if (strncmp(v, "]]>", 3) == 0) {
                o = stpcpy(o, "]]]]><![CDATA[>");
                v += 2;
                continue;
            }
            *o++ = *v;
        }
        o += sprintf(o, "]]></%s>", p->kv[i].name);
    }

    stpcpy(o, "</xml>");

    return out;
}


int
feat_wx_parse(struct feat_arena *a, const char *s, size_t len,
    struct feat_wx_params *p)
{
    const char    *name, *value, *e;
    struct wx_in   in;

    p->n = 0;
    in.p = s;
    in.end = s + len;

    wx_space(&in);

    if (wx_lit(&in, "<?xml")) {
        e = wx_find(in.p, in.end, "?>", 2);
        if (e == NULL || memchr(in.p, '<', (size_t) (e - in.p)) != NULL) {
            return FEAT_ERROR;
        }
        in.p = e + 2;
        wx_space(&in);
    }

    if (!wx_lit(&in, "<xml>")) {
        return FEAT_ERROR;
    }

    for ( ;; ) {
        wx_space(&in);

        if (wx_lit(&in, "</xml>")) {
            break;
        }

        if (!wx_lit(&in, "<")) {
            return FEAT_ERROR;
        }

        name = wx_name(a, &in);
        if (name == NULL) {
            return FEAT_ERROR;
        }

        value = wx_value(a, &in);
        if (value == NULL || !wx_lit(&in, "</")
            || !wx_lit(&in, name) || !wx_lit(&in, ">"))
        {
            return FEAT_ERROR;
        }

        if (feat_wx_get(p, name) != NULL || p->n == FEAT_WX_PARAMS_MAX) {
            return FEAT_ERROR;
        }

        feat_wx_add(p, name, value);
    }

    wx_space(&in);

    return in.p == in.end ? FEAT_OK : FEAT_ERROR;
}


/* ---- Alipay's form ------------------------------------------------------- */

int
feat_ali_form_parse(struct feat_arena *a, const char *s, size_t len,
    struct feat_wx_params *p)
{
    size_t           i, j, n;
    struct feat_kv  *kv;

    p->n = 0;

    if (s == NULL || len == 0
        || feat_parse_urlencoded(a, s, len, &kv, &n) != FEAT_OK
        || n == 0 || n > FEAT_WX_PARAMS_MAX)
    {
        return FEAT_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (kv[i].name[0] == '\0' || strlen(kv[i].value) != kv[i].len
            || feat_utf8_len(kv[i].value, kv[i].len) < 0)
        {
            return FEAT_ERROR;
        }

        for (j = 0; kv[i].name[j] != '\0'; j++) {
            if (!isalnum((unsigned char) kv[i].name[j])
                && kv[i].name[j] != '_')
            {
                return FEAT_ERROR;
            }
        }

        if (j > 64 || feat_wx_get(p, kv[i].name) != NULL) {
            return FEAT_ERROR;
        }

        feat_wx_add(p, kv[i].name, kv[i].value);
    }

    return FEAT_OK;
}
