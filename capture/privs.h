/*
 * privs.h — who a packrat process becomes after setup, and becoming it for good.
 *
 * Shared by packrat-capture (drops after opening the socket, ring, filter and BPF) and the
 * packrat command (its front and supervisor drop before they start anything unprivileged), so
 * both follow one rule: the -Z user; else the user who ran sudo (SUDO_UID/SUDO_GID); else, when
 * root itself started us (common on devices), nobody. Nothing packrat starts keeps root.
 */
#ifndef PACKRAT_CAPTURE_PRIVS_H
#define PACKRAT_CAPTURE_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_user {
    uid_t uid;
    gid_t gid;
    char name[64];
    bool switch_user; /* we run as root and must become uid/gid */
};

/* Decides who we become: -Z user, the sudo invoker, nobody, or ourselves. -Z root is refused. */
int privs_target(const char *zuser, struct privs_user *u, char *err, size_t errlen);

/* The group segments and files get: the invoker's (sudo / -Z) group, else ours. */
gid_t privs_owner_group(const struct privs_user *u);

/*
 * Becomes u: supplementary groups, gid, uid, every capability cleared (ambient too) and
 * PR_SET_NO_NEW_PRIVS; then verifies that no id is 0 and no capability is left.
 */
int privs_drop(const struct privs_user *u, char *err, size_t errlen);

/* What to do about a permission failure. */
const char *privs_hint(void);

#endif
