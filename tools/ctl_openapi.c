/*
 * ctl_openapi.c: "featctl openapi [FILE]", the OpenAPI 3.1 document of the
 * API (fcgi/protocol/openapi.c), the same bytes GET /api/openapi.json
 * answers with this config: on stdout, or into FILE written atomically (a
 * temporary file beside it, synced, then renamed over it), mode 0644: the
 * document is public.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "featctl.h"


/* Writes len bytes of text to path through a temporary file. */
static int
ctl_openapi_write(struct feat_ctl *ctl, const char *path, const char *text,
    size_t len)
{
    int       fd;
    char     *tmp;
    ssize_t   n;
    size_t    done;

    tmp = feat_arena_sprintf(ctl->arena, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd == -1) {
        return feat_ctl_fail("%s: %s", tmp, strerror(errno));
    }

    for (done = 0; done < len; done += (size_t) n) {
        n = write(fd, text + done, len - done);
        if (n <= 0 && errno != EINTR) {
            goto failed;
        }
        if (n < 0) {
            n = 0;
        }
    }

    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        goto failed;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto failed;
    }
    fd = -1;

    if (rename(tmp, path) != 0) {
        goto failed;
    }

    return FEAT_CTL_OK;

failed:

    feat_ctl_fail("%s: %s", path, strerror(errno));
    if (fd != -1) {
        close(fd);
    }
    unlink(tmp);

    return FEAT_CTL_FAIL;
}


static int
ctl_openapi(struct feat_ctl *ctl, int argc, char **argv)
{
    size_t       len;
    const char  *text;

    if (argc > 1 || (argc == 1 && argv[0][0] == '-' && argv[0][1] != '\0'))
    {
        fprintf(stderr, "usage: featctl openapi [FILE]\n");
        return FEAT_CTL_USAGE;
    }

    if (feat_router_build(feat_modules) != FEAT_OK) {
        return feat_ctl_fail("the route table does not build");
    }

    if (feat_openapi_text(&text, &len, NULL) != FEAT_OK) {
        feat_router_free();
        return feat_ctl_fail("the document did not print");
    }

    if (argc == 0 || strcmp(argv[0], "-") == 0) {
        fwrite(text, 1, len, stdout);
        feat_openapi_free();
        feat_router_free();
        return FEAT_CTL_OK;
    }

    argc = ctl_openapi_write(ctl, argv[0], text, len);
    feat_openapi_free();
    feat_router_free();

    return argc;
}


const struct feat_ctl_command  feat_ctl_openapi_commands[] = {
    { "openapi", "", ctl_openapi, "[FILE]",
      "the OpenAPI 3.1 document of the API (GET /api/openapi.json) on "
      "stdout, or written atomically into FILE" },
    FEAT_CTL_NULL_COMMAND
};
