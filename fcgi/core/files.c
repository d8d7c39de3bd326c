/*
 * files.c: the modes of the files featcgi keeps private.
 *
 * The database (and SQLite's -wal and -shm beside it), media_dir with its
 * subdirectories and uploads, and whatever else holds users' data are
 * created for the owner alone: files 0600, directories 0700.  When config
 * file_group names a group (nginx's, so it can serve media_dir; an
 * operator's, to read a backup), they are 0640 and 0750 and belong to that
 * group.  Modes are given explicitly (open, mkdir, then fchmod/chmod), so
 * the process's umask can only take bits away, never add them.  featctl
 * check reads the same rules (feat_file_loose) to warn about looser
 * modes on files made before, or by hand.
 */

#include "config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "runtime.h"


int
feat_file_gid(gid_t *gid)
{
    const char    *name;
    struct group  *g;

    name = feat_conf_str(FEAT_CONF_FILE_GROUP);
    if (name[0] == '\0') {
        return FEAT_DECLINED;
    }

    errno = 0;
    g = getgrnam(name);
    if (g == NULL) {
        return FEAT_ERROR;
    }

    *gid = g->gr_gid;
    return FEAT_OK;
}


mode_t
feat_file_mode(int dir)
{
    int    grouped;
    gid_t  gid;

    /* a file_group that names no group opens nothing to anyone */
    grouped = feat_file_gid(&gid) == FEAT_OK;

    if (dir) {
        return grouped ? 0750 : 0700;
    }

    return grouped ? 0640 : 0600;
}


int
feat_file_private(int fd, const char *path, int dir)
{
    int     rc;
    gid_t   gid;
    mode_t  mode;

    mode = feat_file_mode(dir);

    rc = (fd >= 0) ? fchmod(fd, mode) : chmod(path, mode);
    if (rc != 0) {
        feat_log(LOG_ERR, errno, "chmod(\"%s\", %04o) failed", path,
                 (unsigned) mode);
        return FEAT_ERROR;
    }

    switch (feat_file_gid(&gid)) {

    case FEAT_DECLINED:
        return FEAT_OK;

    case FEAT_OK:
        rc = (fd >= 0) ? fchown(fd, (uid_t) -1, gid)
                       : chown(path, (uid_t) -1, gid);
        if (rc != 0) {
            /* not a member of the group (and not root): the file stays
             * the owner's alone, which is safe, only less useful */
            feat_log(LOG_ERR, errno, "chown(\"%s\", group \"%s\") failed",
                     path, feat_conf_str(FEAT_CONF_FILE_GROUP));
        }
        return FEAT_OK;

    default:
        feat_log(LOG_ERR, 0, "file_group \"%s\" is no group",
                 feat_conf_str(FEAT_CONF_FILE_GROUP));
        return FEAT_OK;
    }
}


int
feat_file_mkdir(const char *path)
{
    if (mkdir(path, feat_file_mode(1)) != 0) {
        return (errno == EEXIST) ? FEAT_DECLINED : FEAT_ERROR;
    }

    /* a new directory only: one made by the operator keeps their mode */
    return feat_file_private(-1, path, 1);
}


mode_t
feat_file_loose(mode_t mode, int dir)
{
    return (mode & 07777) & ~feat_file_mode(dir) & 0777;
}
