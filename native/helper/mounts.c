/*
 * Mounts for the container: its root (bind, kernel overlay or a mount program such as
 * fuse-overlayfs), then /proc, a minimal /dev, a read-only /sys, masked paths and the spec's
 * own mounts. Every target inside the root is resolved with openat2(RESOLVE_IN_ROOT), so a
 * symlink in the image can never redirect a mount onto a host path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Paths created as mount targets that the image did not have; removed after the run. */
static char *created[256];
static size_t n_created;

static void remember_created(const char *path) {
  if (n_created < sizeof(created) / sizeof(created[0])) created[n_created++] = strdup(path);
  /* Reported so the caller can tidy the upper dir where removal through the mount leaves a
     whiteout (fuse-overlayfs does). */
  report("created %s", path);
}

static int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {0};
  how.flags = (unsigned long long)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') path++;
  if (*path == 0) path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/*
 * Returns an O_PATH fd for `path` inside the root, creating missing directories (and the last
 * component as an empty file when `file`). Creation happens relative to an already-resolved
 * parent fd, so no component is ever looked up outside the root.
 */
static int ensure_target(int rootfd, const char *path, int file, int record) {
  int fd = open_in_root(rootfd, path, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return -1;
  char *copy = strdup(path);
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/') copy[--len] = 0;
  char *slash = strrchr(copy, '/');
  const char *name = slash ? slash + 1 : copy;
  int parent;
  if (slash && slash != copy) {
    *slash = 0;
    parent = ensure_target(rootfd, copy, 0, record);
    *slash = '/';
  } else {
    parent = open_in_root(rootfd, "/", O_PATH);
  }
  if (parent < 0) { free(copy); return -1; }
  int rc;
  if (file) {
    rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (rc >= 0) close(rc);
  } else {
    rc = mkdirat(parent, name, 0755);
  }
  close(parent);
  if (rc < 0 && errno != EEXIST) { free(copy); return -1; }
  if (rc >= 0 && record) {
    char abs[4096];
    snprintf(abs, sizeof(abs), "/%s", copy + strspn(copy, "/"));
    remember_created(abs);
  }
  free(copy);
  return open_in_root(rootfd, path, O_PATH);
}

static const char *fdpath(int fd, char *buf, size_t len) {
  snprintf(buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

/* Attaches a clone of the host path `source` onto the O_PATH fd `target`, optionally read-only. */
static int bind_onto(const char *source, int target, int recursive, int readonly) {
  int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) return -1;
  if (readonly) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0) {
      int e = errno; close(tree); errno = e; return -1;
    }
  }
  int rc = move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int e = errno;
  close(tree);
  errno = e;
  return rc;
}

static int fs_mount(const char *source, int target, const char *fstype, unsigned long flags, const char *data) {
  char buf[64];
  return mount(source, fdpath(target, buf, sizeof(buf)), fstype, flags, data);
}

/* Mounts the overlay with the new mount API (lowerdir+ needs no escaping and has no page limit). */
static int overlay_fsopen(struct spec *s, char *msg, size_t msglen) {
  int fs = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int rc = fsconfig(fs, FSCONFIG_SET_STRING, "source", "overlay", 0);
  for (size_t i = 0; rc == 0 && i < s->lowers.n; i++) rc = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lowers.v[i], 0);
  if (rc == 0 && s->upper) rc = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", s->upper, 0);
  if (rc == 0 && s->work) rc = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", s->work, 0);
  for (size_t i = 0; rc == 0 && i < s->overlay_opts.n; i++) {
    char *opt = s->overlay_opts.v[i], *eq = strchr(opt, '=');
    if (eq) {
      *eq = 0;
      rc = fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
      *eq = '=';
    } else {
      rc = fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
    }
  }
  if (rc == 0) rc = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
  if (rc < 0) {
    int e = errno;
    /* The kernel leaves its reason ("e: …") on the fs context fd. */
    ssize_t n = read(fs, msg, msglen - 1);
    msg[n > 0 ? n : 0] = 0;
    if (n > 0 && msg[n - 1] == '\n') msg[n - 1] = 0;
    close(fs);
    errno = e;
    return -1;
  }
  int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
  int e = errno;
  close(fs);
  if (mnt < 0) { errno = e; return -1; }
  rc = move_mount(mnt, "", AT_FDCWD, s->rootfs_target, MOVE_MOUNT_F_EMPTY_PATH);
  e = errno;
  close(mnt);
  errno = e;
  return rc;
}

/* The classic mount(2) data string, for kernels without lowerdir+ (before 6.8). */
static int overlay_legacy(struct spec *s) {
  size_t cap = 64;
  for (size_t i = 0; i < s->lowers.n; i++) cap += strlen(s->lowers.v[i]) + 1;
  cap += (s->upper ? strlen(s->upper) : 0) + (s->work ? strlen(s->work) : 0) + 64;
  for (size_t i = 0; i < s->overlay_opts.n; i++) cap += strlen(s->overlay_opts.v[i]) + 1;
  char *data = calloc(1, cap);
  strcat(data, "lowerdir=");
  for (size_t i = 0; i < s->lowers.n; i++) {
    if (strpbrk(s->lowers.v[i], ",:")) { free(data); errno = EINVAL; return -1; }
    if (i) strcat(data, ":");
    strcat(data, s->lowers.v[i]);
  }
  if (s->upper) { strcat(data, ",upperdir="); strcat(data, s->upper); }
  if (s->work) { strcat(data, ",workdir="); strcat(data, s->work); }
  for (size_t i = 0; i < s->overlay_opts.n; i++) { strcat(data, ","); strcat(data, s->overlay_opts.v[i]); }
  int rc = mount("overlay", s->rootfs_target, "overlay", 0, data);
  int e = errno;
  free(data);
  errno = e;
  return rc;
}

static int run_mount_program(struct spec *s) {
  /* The program's stderr goes to a memory file (the daemon it leaves behind keeps its copy
     open, so a pipe would never end); it is shown only when the mount fails. */
  int errfd = memfd_create("mount-program-stderr", MFD_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); }
    if (errfd >= 0) dup2(errfd, 2);
    execv(s->program.v[0], s->program.v);
    fprintf(stderr, "trowel-helper: exec %s: %s\n", s->program.v[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  char out[1024] = "";
  if (errfd >= 0) {
    ssize_t n = pread(errfd, out, sizeof(out) - 1, 0);
    out[n > 0 ? n : 0] = 0;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = 0;
    close(errfd);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    report_error("MOUNT_PROGRAM", "mount %s with %s: exit status %d%s%s", s->rootfs_target, s->program.v[0],
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out[0] ? ": " : "", out);
    return -2;
  }
  return 0;
}

int mount_rootfs(struct spec *s) {
  char msg[512] = "";
  int rc;
  switch (s->rootfs) {
  case ROOTFS_NONE:
    /* An already mounted or plain directory: bind it onto itself so it is a mount point. */
    if (mount(s->rootfs_target, s->rootfs_target, NULL, MS_BIND | MS_REC, NULL) < 0) {
      report_error("MOUNT", "mount root %s: %s", s->rootfs_target, strerror(errno));
      return -1;
    }
    return 0;
  case ROOTFS_BIND:
    if (mount(s->rootfs_source, s->rootfs_target, NULL, MS_BIND | MS_REC, NULL) < 0) {
      report_error("MOUNT", "mount root %s on %s: %s", s->rootfs_source, s->rootfs_target, strerror(errno));
      return -1;
    }
    return 0;
  case ROOTFS_OVERLAY:
    rc = overlay_fsopen(s, msg, sizeof(msg));
    if (rc < 0 && errno == EINVAL && strstr(msg, "lowerdir+")) rc = overlay_legacy(s);
    if (rc < 0) {
      report_error("MOUNT", "mount overlay on %s: %s%s%s", s->rootfs_target, strerror(errno), msg[0] ? ": " : "", msg);
      return -1;
    }
    return 0;
  case ROOTFS_PROGRAM:
    rc = run_mount_program(s);
    if (rc == -1) report_error("MOUNT", "mount %s with %s: %s", s->rootfs_target, s->program.v[0], strerror(errno));
    return rc < 0 ? -1 : 0;
  }
  return -1;
}

#define FAIL(...)                        \
  do {                                   \
    report_error("MOUNT", __VA_ARGS__);  \
    return -1;                           \
  } while (0)

static int setup_dev(int rootfd, int host_ipc) {
  int dev = ensure_target(rootfd, "/dev", 0, 1);
  if (dev < 0) FAIL("create /dev in container: %s", strerror(errno));
  if (fs_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    FAIL("mount tmpfs on /dev: %s", strerror(errno));
  close(dev);
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
    char in[64], host[64];
    snprintf(in, sizeof(in), "/dev/%s", nodes[i]);
    snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
    int t = ensure_target(rootfd, in, 1, 0);
    if (t < 0) FAIL("create %s in container: %s", in, strerror(errno));
    if (bind_onto(host, t, 0, 0) < 0) FAIL("bind %s: %s", host, strerror(errno));
    close(t);
  }
  int pts = ensure_target(rootfd, "/dev/pts", 0, 0);
  if (pts < 0 || fs_mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
    FAIL("mount devpts on /dev/pts: %s", strerror(errno));
  close(pts);
  int shm = ensure_target(rootfd, "/dev/shm", 0, 0);
  if (shm < 0) FAIL("create /dev/shm in container: %s", strerror(errno));
  /* Sharing the host's IPC namespace shares its POSIX shared memory too, which lives in the
     host's /dev/shm (buildah binds it likewise). */
  if (host_ipc) {
    if (bind_onto("/dev/shm", shm, 1, 0) < 0) FAIL("bind the host's /dev/shm: %s", strerror(errno));
  } else if (fs_mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0) {
    FAIL("mount tmpfs on /dev/shm: %s", strerror(errno));
  }
  close(shm);
  int d = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (d < 0) FAIL("open /dev: %s", strerror(errno));
  static const char *links[][2] = {{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
                                   {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
    if (symlinkat(links[i][1], d, links[i][0]) < 0 && errno != EEXIST) FAIL("link /dev/%s: %s", links[i][0], strerror(errno));
  close(d);
  return 0;
}

static int setup_sys(int rootfd) {
  int t = ensure_target(rootfd, "/sys", 0, 1);
  if (t < 0) FAIL("create /sys in container: %s", strerror(errno));
  /* A fresh sysfs needs a network namespace of our own; with the host's, bind it read-only. */
  if (fs_mount("sysfs", t, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
    if (errno != EPERM && errno != EACCES) FAIL("mount sysfs on /sys: %s", strerror(errno));
    if (bind_onto("/sys", t, 1, 1) < 0) FAIL("bind /sys read-only: %s", strerror(errno));
  }
  close(t);
  return 0;
}

static int mask_path(int rootfd, const char *path) {
  int t = open_in_root(rootfd, path, O_PATH);
  if (t < 0) return errno == ENOENT ? 0 : -1;
  struct stat st;
  int rc;
  if (fstat(t, &st) < 0) rc = -1;
  else if (S_ISDIR(st.st_mode)) rc = fs_mount("tmpfs", t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
  else rc = bind_onto("/dev/null", t, 0, 0);
  int e = errno;
  close(t);
  errno = e;
  return rc;
}

static int readonly_path(int rootfd, const char *path) {
  int t = open_in_root(rootfd, path, O_PATH);
  if (t < 0) return errno == ENOENT ? 0 : -1;
  int rc = -1, tree = open_tree(t, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree >= 0) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    rc = mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
    if (rc == 0) rc = move_mount(tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e2 = errno;
    close(tree);
    errno = e2;
  }
  int e = errno;
  close(t);
  errno = e;
  return rc;
}

int populate_root(struct spec *s, int rootfd) {
  if (s->mount_proc) {
    int t = ensure_target(rootfd, "/proc", 0, 1);
    if (t < 0) FAIL("create /proc in container: %s", strerror(errno));
    /* With the host's pid namespace a fresh proc shows the host's processes. In a user
       namespace the kernel refuses that mount (the pid namespace is not ours): bind the
       host's /proc instead, as podman does for rootless --pid=host. */
    if (fs_mount("proc", t, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
      if (!(s->host_pid && (errno == EPERM || errno == EACCES))) FAIL("mount proc on /proc: %s", strerror(errno));
      if (bind_onto("/proc", t, 1, 0) < 0) FAIL("bind the host's /proc: %s", strerror(errno));
    }
    close(t);
  }
  if (s->mount_dev && setup_dev(rootfd, s->host_ipc) < 0) return -1;
  if (s->mount_sys && setup_sys(rootfd) < 0) return -1;
  for (size_t i = 0; i < s->masked.n; i++)
    if (mask_path(rootfd, s->masked.v[i]) < 0) FAIL("mask %s: %s", s->masked.v[i], strerror(errno));
  for (size_t i = 0; i < s->readonly_paths.n; i++)
    if (readonly_path(rootfd, s->readonly_paths.v[i]) < 0) FAIL("make %s read-only: %s", s->readonly_paths.v[i], strerror(errno));
  for (size_t i = 0; i < s->n_mounts; i++) {
    struct mount_entry *m = &s->mounts[i];
    int t = ensure_target(rootfd, m->target, m->file, 1);
    if (t < 0) FAIL("create mount target %s in container: %s", m->target, strerror(errno));
    int rc;
    if (strcmp(m->type, "bind") == 0) {
      rc = bind_onto(m->source, t, m->recursive, m->readonly);
    } else {
      unsigned long flags = (m->readonly ? MS_RDONLY : 0) | (m->nosuid ? MS_NOSUID : 0) | (m->nodev ? MS_NODEV : 0) |
                            (m->noexec ? MS_NOEXEC : 0);
      rc = fs_mount(m->source, t, m->type, flags, m->data);
    }
    int e = errno;
    close(t);
    if (rc < 0) FAIL("mount %s on %s: %s", strcmp(m->type, "bind") == 0 ? m->source : m->type, m->target, strerror(e));
  }
  return 0;
}

void remove_created_targets(void) {
  for (size_t i = n_created; i-- > 0;) {
    umount2(created[i], MNT_DETACH);
    if (rmdir(created[i]) < 0 && errno == ENOTDIR) unlink(created[i]);
  }
}
