/*
 * trowel-helper: does the namespace work Node cannot do (Node is multi-threaded, and
 * unshare(CLONE_NEWUSER) needs a single-threaded process). Spawned by native/runner.ts with the
 * spec on fd 3 and status lines on fd 4.
 *
 * run mode, process tree:
 *   helper (host namespaces: writes id maps, starts slirp4netns, forwards signals, waits)
 *     └─ init, pid 1 of the new namespaces (mounts the root, pivots, reaps zombies, forwards signals)
 *          └─ the command (pid 2: user, groups, caps, rlimits, cwd, exec)
 * Every mount lives only in the private mount namespace, so when init exits (normally or
 * killed) the kernel drops them all and kills what is left of the pid namespace: nothing leaks.
 *
 * unshare mode: a user (when asked) and mount namespace, then exec argv — for `trowel unshare`
 * and for trowel re-entering itself rootless. mount / umount modes: mount or unmount a root in
 * the caller's namespace (the storage drivers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

static int status_open = 1;

static void vwrite_status(const char *prefix, const char *fmt, va_list ap) {
  char line[4096];
  int n = snprintf(line, sizeof(line), "%s", prefix);
  n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
  if (n > (int)sizeof(line) - 2) n = (int)sizeof(line) - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[n++] = '\n';
  if (!status_open || write(STATUS_FD, line, (size_t)n) < 0) {
    status_open = 0;
    if (write(STDERR_FILENO, "trowel-helper: ", 15) < 0 || write(STDERR_FILENO, line, (size_t)n) < 0) return;
  }
}

void report(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite_status("", fmt, ap);
  va_end(ap);
}

void report_error(const char *code, const char *fmt, ...) {
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "error %s\t", code);
  va_list ap;
  va_start(ap, fmt);
  vwrite_status(prefix, fmt, ap);
  va_end(ap);
}

void die_errno(const char *fmt, ...) {
  int e = errno;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  report_error("SETUP", "%s: %s", msg, strerror(e));
  _exit(125);
}

/* ---------- id maps (helper side) ---------- */

static int run_wait(char *const argv[]) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execvp(argv[0], argv);
    fprintf(stderr, "trowel-helper: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, data, strlen(data));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int write_id_map(pid_t pid, const char *which, const char *tool, struct id_map *m, size_t n) {
  if (tool) {
    char *argv[3 + 64 * 3 + 1];
    char nums[64 * 3 + 1][24];
    size_t a = 0, k = 0;
    argv[a++] = (char *)tool;
    snprintf(nums[k], sizeof(nums[k]), "%d", pid);
    argv[a++] = nums[k++];
    for (size_t i = 0; i < n; i++) {
      snprintf(nums[k], sizeof(nums[k]), "%lu", m[i].inside); argv[a++] = nums[k++];
      snprintf(nums[k], sizeof(nums[k]), "%lu", m[i].outside); argv[a++] = nums[k++];
      snprintf(nums[k], sizeof(nums[k]), "%lu", m[i].count); argv[a++] = nums[k++];
    }
    argv[a] = NULL;
    int rc = run_wait(argv);
    if (rc != 0) {
      report_error("IDMAP", "write %s of the user namespace with %s: exit status %d", which, tool, rc);
      return -1;
    }
    return 0;
  }
  char path[64], data[64 * 80] = "";
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, which);
  for (size_t i = 0; i < n; i++) {
    char line[80];
    snprintf(line, sizeof(line), "%lu %lu %lu\n", m[i].inside, m[i].outside, m[i].count);
    strcat(data, line);
  }
  if (write_file(path, data) < 0) {
    report_error("IDMAP", "write %s of the user namespace: %s", which, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---------- signals (helper side) ---------- */

static volatile pid_t forward_to = 0;
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void forward_signal(int sig) {
  if (forward_to > 0) kill(forward_to, sig);
}

static void install_forwarding(void) {
  struct sigaction sa = {0};
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) sigaction(forwarded[i], &sa, NULL);
}

/* ---------- network ---------- */

static int bring_up_loopback(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(sock);
  errno = e;
  return rc;
}

static pid_t slirp_pid = -1;
static int slirp_exit_fd = -1;

static int start_slirp4netns(struct spec *s, pid_t target) {
  int ready[2], exitp[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(exitp, O_CLOEXEC) < 0) return -1;
  /* slirp4netns chatters on stderr; keep it in memory and show it only if it fails. */
  int errfd = memfd_create("slirp4netns-stderr", MFD_CLOEXEC);
  slirp_pid = fork();
  if (slirp_pid < 0) return -1;
  if (slirp_pid == 0) {
    char readyarg[32], exitarg[32], pidarg[32], usernsarg[64];
    /* The child keeps the read end of exitp and the write end of ready across exec. */
    int rfd = dup(ready[1]), efd = dup(exitp[0]);
    snprintf(readyarg, sizeof(readyarg), "--ready-fd=%d", rfd);
    snprintf(exitarg, sizeof(exitarg), "--exit-fd=%d", efd);
    snprintf(pidarg, sizeof(pidarg), "%d", target);
    snprintf(usernsarg, sizeof(usernsarg), "--userns-path=/proc/%d/ns/user", target);
    char *argv[12];
    size_t a = 0;
    argv[a++] = s->slirp4netns ? s->slirp4netns : "slirp4netns";
    argv[a++] = "--configure";
    argv[a++] = "--mtu=65520";
    argv[a++] = "--disable-host-loopback";
    argv[a++] = readyarg;
    argv[a++] = exitarg;
    if (s->userns) argv[a++] = usernsarg;
    argv[a++] = pidarg;
    argv[a++] = "tap0";
    argv[a] = NULL;
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    if (errfd >= 0) dup2(errfd, 2);
    execvp(argv[0], argv);
    fprintf(stderr, "trowel-helper: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(ready[1]);
  close(exitp[0]);
  slirp_exit_fd = exitp[1];
  char c;
  ssize_t n;
  do n = read(ready[0], &c, 1); while (n < 0 && errno == EINTR);
  close(ready[0]);
  if (n != 1) {
    char out[512] = "";
    ssize_t m = errfd >= 0 ? pread(errfd, out, sizeof(out) - 1, 0) : 0;
    out[m > 0 ? m : 0] = 0;
    report_error("NETWORK", "start slirp4netns: it exited before the network was ready: %s", out);
    return -2;
  }
  if (errfd >= 0) close(errfd);
  return 0;
}

static void stop_slirp4netns(void) {
  if (slirp_pid <= 0) return;
  close(slirp_exit_fd);
  int status;
  while (waitpid(slirp_pid, &status, 0) < 0 && errno == EINTR) {}
}

/* ---------- the command (pid 2) ---------- */

static const char *env_get(struct spec *s, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < s->env.n; i++)
    if (strncmp(s->env.v[i], name, len) == 0 && s->env.v[i][len] == '=') return s->env.v[i] + len + 1;
  return NULL;
}

static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int n = 40;
  if (f) {
    if (fscanf(f, "%d", &n) != 1) n = 40;
    fclose(f);
  }
  return n;
}

static void set_caps(struct spec *s) {
  int last = last_cap();
  for (int c = 0; c <= last; c++)
    if (!(s->caps & ((uint64_t)1 << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      die_errno("drop capability %d from the bounding set", c);
}

static void apply_caps_after_setuid(struct spec *s) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {{0}};
  if (s->uid == 0) {
    data[0].effective = data[0].permitted = data[0].inheritable = (uint32_t)s->caps;
    data[1].effective = data[1].permitted = data[1].inheritable = (uint32_t)(s->caps >> 32);
  }
  /* For other users setresuid already cleared permitted and effective, as Docker and buildah do. */
  if (syscall(SYS_capset, &hdr, data) < 0) die_errno("set capabilities");
}

static void exec_command(struct spec *s) {
  char *argv0 = s->argv.v[0];
  if (strchr(argv0, '/')) {
    execve(argv0, s->argv.v, s->env.v);
    int e = errno;
    if (e == ENOENT) report_error("EXEC_NOT_FOUND", "exec: \"%s\": stat %s: no such file or directory", argv0, argv0);
    else if (e == EACCES) report_error("EXEC_DENIED", "%s: permission denied", argv0);
    else report_error("EXEC", "%s: %s", argv0, strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  const char *path = env_get(s, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int denied = 0;
  char *copy = strdup(path), *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", argv0);
    execve(full, s->argv.v, s->env.v);
    if (errno == EACCES) denied = 1;
    else if (errno != ENOENT && errno != ENOTDIR) {
      report_error("EXEC", "%s: %s", full, strerror(errno));
      _exit(126);
    }
  }
  if (denied) {
    report_error("EXEC_DENIED", "%s: permission denied", argv0);
    _exit(126);
  }
  report_error("EXEC_NOT_FOUND", "exec: \"%s\": executable file not found in $PATH", argv0);
  _exit(127);
}

static void command_main(struct spec *s, const char *pts_name, sigset_t *oldmask) {
  sigprocmask(SIG_SETMASK, oldmask, NULL);
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) signal(forwarded[i], SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  if (pts_name) {
    if (setsid() < 0) die_errno("setsid");
    int slave = open(pts_name, O_RDWR);
    if (slave < 0) die_errno("open %s", pts_name);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("set controlling terminal");
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
  }
  for (size_t i = 0; i < s->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard};
    if (setrlimit(s->rlimits[i].resource, &rl) < 0) die_errno("set rlimit %d", s->rlimits[i].resource);
  }
  umask(022);
  const char *cwd = s->cwd ? s->cwd : "/";
  if (chdir(cwd) < 0) {
    /* buildah creates a missing working directory; so do we, as root, before dropping ids. */
    char *p = strdup(cwd);
    for (char *q = p + 1; *q; q++)
      if (*q == '/') { *q = 0; mkdir(p, 0755); *q = '/'; }
    mkdir(p, 0755);
    free(p);
    if (chdir(cwd) < 0) die_errno("change to working directory %s", cwd);
  }
  gid_t groups[256];
  size_t ng = 0;
  for (size_t i = 0; i < s->groups.n && ng < 256; i++) groups[ng++] = (gid_t)strtoul(s->groups.v[i], NULL, 10);
  /* Fatal when refused: the command must not keep the helper's own supplementary groups. */
  if (setgroups(ng, groups) < 0) die_errno("set supplementary groups");
  if (setresgid(s->gid, s->gid, s->gid) < 0) die_errno("set group id %u", s->gid);
  if (s->have_caps) set_caps(s);
  /* Installed while still privileged (no no_new_privs needed) and last before exec-related
     calls, so the helper's own set-up is not filtered. */
  if (s->seccomp && install_seccomp() < 0) die_errno("install the seccomp filter");
  if (setresuid(s->uid, s->uid, s->uid) < 0) die_errno("set user id %u", s->uid);
  if (s->have_caps) apply_caps_after_setuid(s);
  if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("set no_new_privs");
  exec_command(s);
}

/* ---------- init: pid 1 of the new namespaces ---------- */

static void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

static int pump(int from, int to) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) return -1;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    off += w;
  }
  return 0;
}

static void pivot_into(const char *root) {
  if (chdir(root) < 0) die_errno("change to root %s", root);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot_root to %s", root);
  if (umount2(".", MNT_DETACH) < 0) die_errno("detach the old root");
  if (chdir("/") < 0) die_errno("change to /");
}

/*
 * With the host's pid namespace no kernel tears the command's processes down when init
 * exits, so init does: it is their subreaper (orphans come to it), and at the end it kills
 * its children round by round (their children then come to it) until none is left. The list
 * is read through a descriptor opened on the host's /proc before the root changed, so a
 * command that mounts over /proc cannot hide processes from it.
 */
static int children_dir = -1;

static void open_children_list(void) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d", (int)getpid());
  children_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void kill_descendants(void) {
  if (children_dir < 0) return;
  for (int round = 0; round < 10000; round++) {
    int fd = openat(children_dir, "children", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) break;
    buf[n] = 0;
    pid_t pids[1024];
    size_t np = 0;
    /* Each pid is followed by a space; a read cut short leaves a partial last one, which is
       skipped (never signal a number that may not be our child). */
    char *p = buf;
    for (char *sp; np < 1024 && (sp = strchr(p, ' ')) != NULL; p = sp + 1) {
      *sp = 0;
      if (*p) pids[np++] = (pid_t)atoi(p);
    }
    if (np == 0) break;
    for (size_t i = 0; i < np; i++) kill(pids[i], SIGKILL);
    for (size_t i = 0; i < np; i++)
      while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {}
  }
}

static int init_main(struct spec *s, int go_fd) {
  char c;
  ssize_t n;
  do n = read(go_fd, &c, 1); while (n < 0 && errno == EINTR);
  if (n != 1) _exit(125); /* the helper failed to set us up and already reported why */
  close(go_fd);
  /* In a pid namespace of its own, init's death kills everything in it. Sharing the host's,
     init must outlive a killed helper long enough to kill the command's processes itself:
     its parent's death is a signal it handles. */
  int parent_gone = s->host_pid ? SIGRTMIN + 2 : SIGKILL;
  pid_t helper = getppid();
  if (prctl(PR_SET_PDEATHSIG, parent_gone, 0, 0, 0) < 0) die_errno("set parent death signal");
  if (s->host_pid && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) die_errno("become the subreaper of the command");
  /* Opened through the host's /proc before the root changes: the container may have no /proc. */
  if (s->host_pid) open_children_list();
  if (s->userns) {
    if (setresgid(0, 0, 0) < 0) die_errno("become group 0 in the user namespace");
    if (setresuid(0, 0, 0) < 0) die_errno("become user 0 in the user namespace");
  }
  if (strcmp(s->network, "host") != 0 && bring_up_loopback() < 0) die_errno("bring up lo");
  if (s->hostname && !s->host_uts && sethostname(s->hostname, strlen(s->hostname)) < 0) die_errno("set hostname");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno("make mounts private");
  if (mount_rootfs(s) < 0) _exit(125);
  if (s->rootfs == ROOTFS_PROGRAM) {
    /* pivot_root re-roots every process of the mount namespace, the mount program's daemon
       included, which would then look its own paths up through itself and hang. Leave the
       daemon in this namespace and pivot in a copy of it. */
    if (unshare(CLONE_NEWNS) < 0) die_errno("create the container mount namespace");
  }
  int rootfd = open(s->rootfs_target, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die_errno("open root %s", s->rootfs_target);
  if (populate_root(s, rootfd) < 0) _exit(125);
  close(rootfd);
  pivot_into(s->rootfs_target);

  int master = -1;
  char pts_name[64] = "";
  if (s->tty) {
    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, pts_name, sizeof(pts_name)) != 0)
      die_errno("allocate a terminal");
    copy_winsize(STDIN_FILENO, master);
  }

  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) sigaddset(&mask, forwarded[i]);
  if (s->host_pid) sigaddset(&mask, parent_gone);
  sigprocmask(SIG_BLOCK, &mask, &old);
  /* The helper may have died before the signal was blocked. */
  if (s->host_pid && getppid() != helper) _exit(137);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) die_errno("signalfd");

  pid_t cmd = fork();
  if (cmd < 0) die_errno("fork the command");
  if (cmd == 0) command_main(s, s->tty ? pts_name : NULL, &old);

  int stdin_open = s->tty, master_open = s->tty, status = 0, done = 0;
  while (!done) {
    struct pollfd fds[3] = {{.fd = sfd, .events = POLLIN},
                            {.fd = master_open ? master : -1, .events = POLLIN},
                            {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
    int r = poll(fds, s->tty ? 3 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die_errno("poll");
    /* Once every slave fd is closed the master reports EIO forever: stop polling it. */
    if (master_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && pump(master, STDOUT_FILENO) < 0) master_open = 0;
    if (s->tty && stdin_open && (fds[2].revents & (POLLIN | POLLHUP)) && pump(STDIN_FILENO, master) < 0) stdin_open = 0;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof(si)) != sizeof(si)) continue;
      if (si.ssi_signo == SIGCHLD) {
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0)
          if (p == cmd) { status = st; done = 1; }
      } else if (si.ssi_signo == SIGWINCH && s->tty) {
        copy_winsize(STDIN_FILENO, master);
      } else if (s->host_pid && (int)si.ssi_signo == parent_gone) {
        /* trowel and the helper are gone: nobody waits for the outcome. */
        remove_created_targets();
        kill_descendants();
        _exit(137);
      } else {
        kill(cmd, (int)si.ssi_signo);
      }
    }
  }
  if (master >= 0 && master_open) {
    fcntl(master, F_SETFL, O_NONBLOCK);
    while (pump(master, STDOUT_FILENO) == 0) {}
  }
  remove_created_targets();
  if (s->host_pid) kill_descendants();
  if (WIFSIGNALED(status)) {
    report("signal %d", WTERMSIG(status));
    _exit(128 + WTERMSIG(status));
  }
  report("exit %d", WEXITSTATUS(status));
  _exit(WEXITSTATUS(status));
}

/* ---------- unshare mode: a user + mount namespace, then exec ---------- */

static int unshare_main(struct spec *s, int go_fd) {
  char c;
  ssize_t n;
  do n = read(go_fd, &c, 1); while (n < 0 && errno == EINTR);
  if (n != 1) _exit(125);
  close(go_fd);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die_errno("set parent death signal");
  if (s->userns) {
    if (setresgid(0, 0, 0) < 0) die_errno("become group 0 in the user namespace");
    if (setresuid(0, 0, 0) < 0) die_errno("become user 0 in the user namespace");
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) die_errno("make mounts private");
  if (s->cwd && chdir(s->cwd) < 0) die_errno("change to working directory %s", s->cwd);
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) signal(forwarded[i], SIG_DFL);
  exec_command(s);
  return 125;
}

/* ---------- helper: the parent in the host namespaces ---------- */

static struct termios saved_termios;
static int termios_saved = 0;

static void restore_terminal(void) {
  if (termios_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static int spawn_namespaced(struct spec *s, int run) {
  int flags = CLONE_NEWNS;
  if (s->userns) flags |= CLONE_NEWUSER;
  if (run) {
    if (!s->host_pid) flags |= CLONE_NEWPID;
    if (!s->host_uts) flags |= CLONE_NEWUTS;
    if (!s->host_ipc) flags |= CLONE_NEWIPC;
    if (strcmp(s->network, "host") != 0) flags |= CLONE_NEWNET;
  }
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) die_errno("pipe");
  pid_t child = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
  if (child < 0) {
    if (errno == EPERM || errno == EINVAL || errno == ENOSPC)
      report_error("NAMESPACE", "create namespaces: %s%s", strerror(errno),
                   s->userns ? "" : " (as a non-root user, run inside a user namespace)");
    else report_error("NAMESPACE", "create namespaces: %s", strerror(errno));
    return 125;
  }
  if (child == 0) {
    close(go[1]);
    _exit(run ? init_main(s, go[0]) : unshare_main(s, go[0]));
  }
  close(go[0]);
  forward_to = child;
  install_forwarding();
  int ok = 1;
  if (s->userns) {
    ok = write_id_map(child, "uid_map", s->newuidmap, s->uidmap, s->n_uidmap) == 0 &&
         write_id_map(child, "gid_map", s->newgidmap, s->gidmap, s->n_gidmap) == 0;
  }
  if (ok && run && strcmp(s->network, "private") == 0) {
    int rc = start_slirp4netns(s, child);
    if (rc == -1) report_error("NETWORK", "start slirp4netns: %s", strerror(errno));
    ok = rc == 0;
  }
  if (ok) {
    report("pid %d", child);
    if (write(go[1], "g", 1) != 1) ok = 0;
  }
  close(go[1]);
  if (!ok) kill(child, SIGKILL);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die_errno("wait");
  stop_slirp4netns();
  restore_terminal();
  if (!ok) return 125;
  if (WIFSIGNALED(status)) {
    report("signal %d", WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  if (!run) report("exit %d", WEXITSTATUS(status));
  return WEXITSTATUS(status);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die_errno("set parent death signal");
  if (getppid() == 1) return 125; /* trowel already went away */
  if (fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC) < 0) status_open = 0;
  fcntl(SPEC_FD, F_SETFD, FD_CLOEXEC);
  struct spec s;
  char err[512];
  if (spec_read(SPEC_FD, &s, err, sizeof(err)) < 0) {
    report_error("SPEC", "%s", err);
    return 125;
  }
  close(SPEC_FD);
  if (strcmp(s.mode, "mount") == 0) {
    if (mount_rootfs(&s) < 0) return 125;
    report("exit 0");
    return 0;
  }
  if (strcmp(s.mode, "umount") == 0) {
    if (umount2(s.rootfs_target, 0) < 0 && umount2(s.rootfs_target, MNT_DETACH) < 0) {
      report_error("UMOUNT", "unmount %s: %s", s.rootfs_target, strerror(errno));
      return 125;
    }
    report("exit 0");
    return 0;
  }
  int run = strcmp(s.mode, "run") == 0;
  if (!run && strcmp(s.mode, "unshare") != 0) {
    report_error("SPEC", "spec: unknown mode %s", s.mode);
    return 125;
  }
  if (s.argv.n == 0) {
    report_error("SPEC", "spec: no command");
    return 125;
  }
  if (run && !s.rootfs_target) {
    report_error("SPEC", "spec: no root");
    return 125;
  }
  if (run && s.tty && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
    struct termios raw = saved_termios;
    termios_saved = 1;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  return spawn_namespaced(&s, run);
}
