/*
 * A small seccomp filter for RUN, in the spirit of the container runtimes' default profile but
 * as a deny list: kernel-module, kexec, keyring, bpf, perf, userfaultfd, handle-based opens and
 * new user namespaces (unshare/clone with CLONE_NEWUSER; clone3 answers ENOSYS so libc falls
 * back to clone, whose flags can be checked) get EPERM. Everything else is left to the
 * capability set. Only built for x86_64 and aarch64; elsewhere no filter is installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#if defined(__x86_64__)
#define TROWEL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TROWEL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TROWEL_AUDIT_ARCH

#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

int install_seccomp(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TROWEL_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), /* a foreign ABI: refuse outright */
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
      /* x32 numbers would bypass the list below. */
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
#ifdef __NR_clone3
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
      /* unshare(flags) and clone(flags, …): refuse CLONE_NEWUSER (args[0] low word on both ABIs). */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      DENY(__NR_kexec_load),
      DENY(__NR_kexec_file_load),
      DENY(__NR_init_module),
      DENY(__NR_finit_module),
      DENY(__NR_delete_module),
      DENY(__NR_open_by_handle_at),
      DENY(__NR_name_to_handle_at),
      DENY(__NR_add_key),
      DENY(__NR_request_key),
      DENY(__NR_keyctl),
      DENY(__NR_bpf),
      DENY(__NR_perf_event_open),
      DENY(__NR_userfaultfd),
      DENY(__NR_acct),
      DENY(__NR_swapon),
      DENY(__NR_swapoff),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

#else

int install_seccomp(void) { return 0; }

#endif
