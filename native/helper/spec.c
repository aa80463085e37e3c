/* Decodes the record stream written by native/runner.ts (format described in spec.h). */
#define _GNU_SOURCE
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void *xrealloc(void *p, size_t n) {
  void *r = realloc(p, n);
  if (!r) {
    perror("trowel-helper: realloc");
    _exit(125);
  }
  return r;
}

static void strv_push(struct strv *sv, char *s) {
  sv->v = xrealloc(sv->v, sizeof(char *) * (sv->n + 2));
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
}

static int parse_ulong(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *s == 0 || *end != 0) return -1;
  *out = v;
  return 0;
}

static int rlimit_resource(const char *name) {
  static const struct { const char *name; int res; } table[] = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
      {"as", RLIMIT_AS},
  };
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
    if (strcmp(table[i].name, name) == 0) return table[i].res;
  return -1;
}

#define NEED(n)                                                                    \
  do {                                                                             \
    if (nf != (n)) {                                                               \
      snprintf(err, errlen, "spec record %s: want %d fields, got %zu", key, (n), nf); \
      return -1;                                                                   \
    }                                                                              \
  } while (0)

static int apply_record(struct spec *s, char *key, char **f, size_t nf, char *err, size_t errlen) {
  if (strcmp(key, "mode") == 0) { NEED(1); s->mode = f[0]; }
  else if (strcmp(key, "userns") == 0) { NEED(0); s->userns = 1; }
  else if (strcmp(key, "uidmap") == 0 || strcmp(key, "gidmap") == 0) {
    NEED(3);
    int uid = key[0] == 'u';
    size_t *n = uid ? &s->n_uidmap : &s->n_gidmap;
    struct id_map *m = uid ? s->uidmap : s->gidmap;
    unsigned long long a, b, c;
    if (*n >= 64 || parse_ulong(f[0], &a) || parse_ulong(f[1], &b) || parse_ulong(f[2], &c)) {
      snprintf(err, errlen, "spec record %s: bad id map", key);
      return -1;
    }
    m[*n].inside = a; m[*n].outside = b; m[*n].count = c; (*n)++;
  }
  else if (strcmp(key, "newuidmap") == 0) { NEED(1); s->newuidmap = f[0]; }
  else if (strcmp(key, "newgidmap") == 0) { NEED(1); s->newgidmap = f[0]; }
  else if (strcmp(key, "network") == 0) { NEED(1); s->network = f[0]; }
  else if (strcmp(key, "slirp4netns") == 0) { NEED(1); s->slirp4netns = f[0]; }
  else if (strcmp(key, "hostname") == 0) { NEED(1); s->hostname = f[0]; }
  else if (strcmp(key, "rootfs-bind") == 0) { NEED(2); s->rootfs = ROOTFS_BIND; s->rootfs_source = f[0]; s->rootfs_target = f[1]; }
  else if (strcmp(key, "rootfs-overlay") == 0) { NEED(1); s->rootfs = ROOTFS_OVERLAY; s->rootfs_target = f[0]; }
  else if (strcmp(key, "rootfs-program") == 0) {
    if (nf < 2) { snprintf(err, errlen, "spec record %s: want target and program", key); return -1; }
    s->rootfs = ROOTFS_PROGRAM; s->rootfs_target = f[0];
    for (size_t i = 1; i < nf; i++) strv_push(&s->program, f[i]);
  }
  else if (strcmp(key, "rootfs-existing") == 0) { NEED(1); s->rootfs = ROOTFS_NONE; s->rootfs_target = f[0]; }
  else if (strcmp(key, "lower") == 0) { NEED(1); strv_push(&s->lowers, f[0]); }
  else if (strcmp(key, "upper") == 0) { NEED(1); s->upper = f[0]; }
  else if (strcmp(key, "work") == 0) { NEED(1); s->work = f[0]; }
  else if (strcmp(key, "overlay-opt") == 0) { NEED(1); strv_push(&s->overlay_opts, f[0]); }
  else if (strcmp(key, "mount") == 0) {
    /* type source target data flags… */
    if (nf < 4) { snprintf(err, errlen, "spec record mount: want at least 4 fields"); return -1; }
    s->mounts = xrealloc(s->mounts, sizeof(struct mount_entry) * (s->n_mounts + 1));
    struct mount_entry *m = &s->mounts[s->n_mounts++];
    memset(m, 0, sizeof(*m));
    m->type = f[0]; m->source = f[1]; m->target = f[2]; m->data = f[3][0] ? f[3] : NULL;
    for (size_t i = 4; i < nf; i++) {
      if (strcmp(f[i], "ro") == 0) m->readonly = 1;
      else if (strcmp(f[i], "rbind") == 0) m->recursive = 1;
      else if (strcmp(f[i], "nosuid") == 0) m->nosuid = 1;
      else if (strcmp(f[i], "nodev") == 0) m->nodev = 1;
      else if (strcmp(f[i], "noexec") == 0) m->noexec = 1;
      else if (strcmp(f[i], "file") == 0) m->file = 1;
      else { snprintf(err, errlen, "spec record mount: unknown flag %s", f[i]); return -1; }
    }
  }
  else if (strcmp(key, "mask") == 0) { NEED(1); strv_push(&s->masked, f[0]); }
  else if (strcmp(key, "readonly-path") == 0) { NEED(1); strv_push(&s->readonly_paths, f[0]); }
  else if (strcmp(key, "env") == 0) { NEED(1); strv_push(&s->env, f[0]); }
  else if (strcmp(key, "argv") == 0) { for (size_t i = 0; i < nf; i++) strv_push(&s->argv, f[i]); }
  else if (strcmp(key, "cwd") == 0) { NEED(1); s->cwd = f[0]; }
  else if (strcmp(key, "user") == 0) {
    NEED(2);
    unsigned long long u, g;
    if (parse_ulong(f[0], &u) || parse_ulong(f[1], &g)) { snprintf(err, errlen, "spec record user: bad ids"); return -1; }
    s->uid = (uid_t)u; s->gid = (gid_t)g;
  }
  else if (strcmp(key, "groups") == 0) { for (size_t i = 0; i < nf; i++) strv_push(&s->groups, f[i]); }
  else if (strcmp(key, "caps") == 0) {
    s->have_caps = 1; s->caps = 0;
    for (size_t i = 0; i < nf; i++) {
      unsigned long long c;
      if (parse_ulong(f[i], &c) || c > 63) { snprintf(err, errlen, "spec record caps: bad capability %s", f[i]); return -1; }
      s->caps |= (uint64_t)1 << c;
    }
  }
  else if (strcmp(key, "no-new-privs") == 0) { NEED(0); s->no_new_privs = 1; }
  else if (strcmp(key, "seccomp") == 0) { NEED(0); s->seccomp = 1; }
  else if (strcmp(key, "rlimit") == 0) {
    NEED(3);
    unsigned long long soft, hard;
    int res = rlimit_resource(f[0]);
    if (res < 0 || s->n_rlimits >= 32) { snprintf(err, errlen, "spec record rlimit: unknown resource %s", f[0]); return -1; }
    if (strcmp(f[1], "unlimited") == 0) soft = RLIM_INFINITY; else if (parse_ulong(f[1], &soft)) { snprintf(err, errlen, "spec record rlimit: bad soft limit"); return -1; }
    if (strcmp(f[2], "unlimited") == 0) hard = RLIM_INFINITY; else if (parse_ulong(f[2], &hard)) { snprintf(err, errlen, "spec record rlimit: bad hard limit"); return -1; }
    s->rlimits[s->n_rlimits].resource = res;
    s->rlimits[s->n_rlimits].soft = soft;
    s->rlimits[s->n_rlimits].hard = hard;
    s->n_rlimits++;
  }
  else if (strcmp(key, "tty") == 0) { NEED(0); s->tty = 1; }
  else if (strcmp(key, "proc") == 0) { NEED(0); s->mount_proc = 1; }
  else if (strcmp(key, "dev") == 0) { NEED(0); s->mount_dev = 1; }
  else if (strcmp(key, "sys") == 0) { NEED(0); s->mount_sys = 1; }
  else if (strcmp(key, "host-ns") == 0) {
    for (size_t i = 0; i < nf; i++) {
      if (strcmp(f[i], "pid") == 0) s->host_pid = 1;
      else if (strcmp(f[i], "ipc") == 0) s->host_ipc = 1;
      else if (strcmp(f[i], "uts") == 0) s->host_uts = 1;
      else { snprintf(err, errlen, "spec record host-ns: unknown namespace %s", f[i]); return -1; }
    }
  }
  else { snprintf(err, errlen, "spec: unknown record %s", key); return -1; }
  return 0;
}

int spec_read(int fd, struct spec *s, char *err, size_t errlen) {
  size_t cap = 65536, len = 0;
  char *buf = xrealloc(NULL, cap);
  for (;;) {
    if (len + 1 >= cap) { cap *= 2; buf = xrealloc(buf, cap); }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { snprintf(err, errlen, "read spec: %s", strerror(errno)); return -1; }
    if (r == 0) break;
    len += (size_t)r;
  }
  buf[len] = 0;
  memset(s, 0, sizeof(*s));
  s->network = "host";
  size_t pos = 0;
  char *fields[4096];
  while (pos < len) {
    char *key = buf + pos;
    pos += strlen(key) + 1;
    if (pos >= len) { snprintf(err, errlen, "spec: truncated record %s", key); return -1; }
    unsigned long long nf;
    if (parse_ulong(buf + pos, &nf) || nf > 4096) { snprintf(err, errlen, "spec: bad field count in %s", key); return -1; }
    pos += strlen(buf + pos) + 1;
    for (size_t i = 0; i < nf; i++) {
      if (pos > len) { snprintf(err, errlen, "spec: truncated record %s", key); return -1; }
      fields[i] = buf + pos;
      pos += strlen(buf + pos) + 1;
    }
    if (pos > len + 1) { snprintf(err, errlen, "spec: truncated record %s", key); return -1; }
    if (apply_record(s, key, fields, (size_t)nf, err, errlen) < 0) return -1;
  }
  if (!s->mode) { snprintf(err, errlen, "spec: no mode"); return -1; }
  return 0;
}
