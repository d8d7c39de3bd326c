/*
 * files.c: the modes of the files featcgi keeps private.
 *
 * The database (and SQLite's -wal and -shm beside it), media_dir with its
 * subdirectories and uploads are created for the owner alone: files 0600,
 * directories 0700.  A group may be let in to read, never to write: the
 * database's is config file_group (an operator's, to read a backup), the
 * media's config media_group (nginx's, when it runs as another user and
 * serves media_dir); with one, files are 0640 and directories 0750 and
 * belong to it.  Two keys, so nginx may serve the uploads and still never
 * read the database.  Modes are given explicitly (open, mkdir, then
 * fchmod/chmod), so the process's umask can only take bits away.
 * featctl check reads the same rules (feat_file_loose) to warn about
 * looser modes on files made before, or by hand.
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
feat_file_gid(const struct feat_conf_option *group, gid_t *gid)
{
    const char    *name;
    struct group  *g;

    name = feat_conf_str(group);
    if (name[0] == '\0') {
        return FEAT_DECLINED;
    }

    g = getgrnam(name);
    if (g == NULL) {
        return FEAT_ERROR;
    }

    *gid = g->gr_gid;
    return FEAT_OK;
}


mode_t
feat_file_mode(const struct feat_conf_option *group, int dir)
{
    int    grouped;
    gid_t  gid;

    /* a group that names no group opens nothing to anyone */
    grouped = feat_file_gid(group, &gid) == FEAT_OK;

    if (dir) {
        return grouped ? 0750 : 0700;
    }

    return grouped ? 0640 : 0600;
}


int
feat_file_private(const struct feat_conf_option *group, int fd,
    const char *path, int dir)
{
    int     rc;
    gid_t   gid;
    mode_t  mode;

    mode = feat_file_mode(group, dir);

    rc = (fd >= 0) ? fchmod(fd, mode) : chmod(path, mode);
    if (rc != 0) {
        feat_log(LOG_ERR, errno, "chmod(\"%s\", %04o) failed", path,
                 (unsigned) mode);
        return FEAT_ERROR;
    }

    switch (feat_file_gid(group, &gid)) {

    case FEAT_DECLINED:
        return FEAT_OK;

    case FEAT_OK:
        rc = (fd >= 0) ? fchown(fd, (uid_t) -1, gid)
                       : chown(path, (uid_t) -1, gid);
        if (rc != 0) {
            /* not a member of the group (and not root): the file stays
             * the owner's alone, which is safe, only less useful */
            feat_log(LOG_ERR, errno, "chown(\"%s\", group \"%s\") failed",
                     path, feat_conf_str(group));
        }
        return FEAT_OK;

    default:
        feat_log(LOG_ERR, 0, "%s \"%s\" is no group", group->key,
                 feat_conf_str(group));
        return FEAT_OK;
    }
}


int
feat_file_mkdir(const struct feat_conf_option *group, const char *path)
{
    if (mkdir(path, feat_file_mode(group, 1)) != 0) {
        return (errno == EEXIST) ? FEAT_DECLINED : FEAT_ERROR;
    }

    /* a new directory only: one made by the operator keeps their mode */
    return feat_file_private(group, -1, path, 1);
}


mode_t
feat_file_loose(const struct feat_conf_option *group, mode_t mode, int dir)
{
    return (mode & 0777) & ~feat_file_mode(group, dir);
}
