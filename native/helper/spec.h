/*
 * The helper's view of a run spec, decoded from the records native/runner.ts writes on fd 3.
 * A record is: key NUL, field count (decimal) NUL, then that many NUL-terminated fields.
 * Keys are listed in spec.c; unknown keys are an error so both sides stay in step.
 */
#ifndef TROWEL_HELPER_SPEC_H
#define TROWEL_HELPER_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strv {
  char **v;
  size_t n;
};

struct id_map {
  unsigned long inside, outside, count;
};

struct mount_entry {
  char *type;   /* bind | tmpfs | ... any filesystem type */
  char *source; /* host path for bind, else the fs source name */
  char *target; /* path inside the container root */
  char *data;   /* fs data string (tmpfs size=…), may be NULL */
  int readonly, recursive, nosuid, nodev, noexec;
  int file;     /* the target is a file (created empty when missing), else a directory */
};

struct rlimit_entry {
  int resource;
  unsigned long long soft, hard;
};

enum rootfs_kind { ROOTFS_NONE, ROOTFS_BIND, ROOTFS_OVERLAY, ROOTFS_PROGRAM };

struct spec {
  char *mode; /* run | unshare | mount | umount */
  int userns;
  struct id_map uidmap[64];
  size_t n_uidmap;
  struct id_map gidmap[64];
  size_t n_gidmap;
  char *newuidmap, *newgidmap;
  char *network; /* host | none | private */
  char *slirp4netns;
  char *hostname;
  enum rootfs_kind rootfs;
  char *rootfs_target;   /* directory that becomes the container root */
  char *rootfs_source;   /* bind: the directory to use */
  struct strv lowers;    /* overlay: lower dirs, topmost first */
  char *upper, *work;    /* overlay: upper and work dirs */
  struct strv overlay_opts; /* overlay: extra flag options such as userxattr */
  struct strv program;   /* program: argv of the mount program, target appended */
  struct mount_entry *mounts;
  size_t n_mounts;
  struct strv masked;    /* paths hidden with /dev/null or an empty read-only tmpfs */
  struct strv readonly_paths;
  struct strv env;
  struct strv argv;
  char *cwd;
  uid_t uid;
  gid_t gid;
  struct strv groups;
  int have_caps;
  uint64_t caps;
  int no_new_privs;
  int seccomp;
  struct rlimit_entry rlimits[32];
  size_t n_rlimits;
  int tty;
  int mount_sys, mount_proc, mount_dev;
  int host_pid, host_ipc, host_uts; /* share the host's namespace of that kind instead of a new one */
};

/** Reads and decodes every record from fd until EOF; on error writes a message and returns -1. */
int spec_read(int fd, struct spec *s, char *err, size_t errlen);

#endif
