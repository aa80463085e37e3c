/* Status reporting shared by the helper's parts. */
#ifndef TROWEL_HELPER_UTIL_H
#define TROWEL_HELPER_UTIL_H

#include "spec.h"

/* fd 3 carries the spec in, fd 4 carries status lines out (see native/runner.ts). */
#define SPEC_FD 3
#define STATUS_FD 4

/** Writes `error CODE\tmessage\n` on the status fd (and stderr when no status fd is open). */
void report_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Writes one status line such as `exit 0`. */
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Reports a set-up failure (code SETUP) naming errno, then exits with buildah's 125. */
void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/** Mounts the container root described by the spec at s->rootfs_target. Returns 0 or -1 (reported). */
int mount_rootfs(struct spec *s);
/** Populates the mounted root: /proc, /dev, /sys, masks, then the spec's mounts. Records created targets. */
int populate_root(struct spec *s, int rootfd);
/** Installs the RUN seccomp filter (see seccomp.c); 0 or -1 with errno. */
int install_seccomp(void);
/** After pivot_root: unmounts and removes mount targets that did not exist in the image. */
void remove_created_targets(void);

#endif
