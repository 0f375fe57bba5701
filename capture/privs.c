/*
 * privs.c — giving up privilege once setup is done. capture never keeps root or capabilities.
 *
 * Who we become: the -Z user; else the user who ran sudo (SUDO_UID/SUDO_GID); else, when root
 * itself started us (common on devices), nobody. An ordinary user running a binary that has
 * cap_net_raw as a file capability stays that user and only sheds the capability.
 *
 * Order matters: supplementary groups and gid first (needs CAP_SETGID), uid last; then every
 * capability is cleared with a raw capset (no libcap runtime dependency), ambient ones too, and
 * PR_SET_NO_NEW_PRIVS so nothing we exec could regain any. The result is verified, not assumed.
 */
#define _GNU_SOURCE
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *privs_hint(void)
{
    return "run with sudo, or `setcap cap_net_raw+ep build/bin/packrat-capture`";
}

static int parse_id(const char *s, unsigned long *out)
{
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || *end) ? -1 : 0;
}

int privs_target(const char *zuser, struct privs_user *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    bool root = getuid() == 0 || geteuid() == 0;
    unsigned long id, gid;
    if (zuser) {
        struct passwd *pw = getpwnam(zuser);
        if (!pw && parse_id(zuser, &id) == 0) pw = getpwuid((uid_t)id);
        if (!pw) {
            snprintf(err, errlen, "-Z %s: no such user", zuser);
            return -1;
        }
        u->uid = pw->pw_uid;
        u->gid = pw->pw_gid;
        snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
        if (!root && u->uid != getuid()) {
            snprintf(err, errlen, "-Z %s: only root can switch to another user", zuser);
            return -1;
        }
        if (u->uid == 0) {
            snprintf(err, errlen, "-Z %s: packrat's processes never keep root", zuser);
            return -1;
        }
    } else if (root && parse_id(getenv("SUDO_UID"), &id) == 0 && id != 0 &&
               parse_id(getenv("SUDO_GID"), &gid) == 0) {
        u->uid = (uid_t)id;
        u->gid = (gid_t)gid;
        struct passwd *pw = getpwuid(u->uid);
        if (pw) snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
    } else if (root) {
        struct passwd *pw = getpwnam("nobody");
        u->uid = pw ? pw->pw_uid : 65534;
        u->gid = pw ? pw->pw_gid : 65534;
        snprintf(u->name, sizeof u->name, "nobody");
    } else {
        u->uid = getuid();
        u->gid = getgid();
    }
    u->switch_user = root;
    return 0;
}

gid_t privs_owner_group(const struct privs_user *u)
{
    /* Root starting capture directly keeps root's group: nobody's group is shared with strangers.
     */
    if (u->switch_user && strcmp(u->name, "nobody") == 0) return getgid();
    return u->gid;
}

static int clear_caps(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof d);
    return (int)syscall(SYS_capset, &h, d);
}

static bool caps_clear(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &h, d) != 0) return false;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (d[i].effective || d[i].permitted || d[i].inheritable) return false;
    return true;
}

int privs_drop(const struct privs_user *u, char *err, size_t errlen)
{
    if (u->switch_user) {
        int rc = u->name[0] && strcmp(u->name, "nobody") != 0 ? initgroups(u->name, u->gid)
                                                              : setgroups(0, NULL);
        /* A user unknown to the group database still gets no supplementary groups. */
        if (rc != 0 && setgroups(0, NULL) != 0) {
            snprintf(err, errlen, "setting groups: %s", strerror(errno));
            return -1;
        }
        if (setresgid(u->gid, u->gid, u->gid) != 0) {
            snprintf(err, errlen, "setresgid(%u): %s", (unsigned)u->gid, strerror(errno));
            return -1;
        }
        if (setresuid(u->uid, u->uid, u->uid) != 0) {
            snprintf(err, errlen, "setresuid(%u): %s", (unsigned)u->uid, strerror(errno));
            return -1;
        }
    }
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (clear_caps() != 0) {
        snprintf(err, errlen, "clearing capabilities: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return -1;
    }
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) != 0 || r != u->uid || e != u->uid || s != u->uid || r == 0 ||
        !caps_clear()) {
        snprintf(err, errlen, "privileges were not fully dropped; refusing to continue");
        return -1;
    }
    return 0;
}
