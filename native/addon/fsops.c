/*
 * fsops: the synchronous file-system calls Node lacks (xattrs on links, mknod,
 * mount/umount2), as a Node-API addon. Every failure throws a Node-style Error
 * with `code` (e.g. "EPERM"), `errno`, `syscall` and `path`, like fs.*Sync do.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_ARGS 6

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENODATA: return "ENODATA";
    case ENOTSUP: return "ENOTSUP";
    case ERANGE: return "ERANGE";
    case E2BIG: return "E2BIG";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOTBLK: return "ENOTBLK";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case EDQUOT: return "EDQUOT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EMFILE: return "EMFILE";
    default: return "EUNKNOWN";
  }
}

/* Throws `CODE: strerror, syscall 'path'` with code/errno/syscall/path properties. Returns NULL. */
static napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  char msg[4096];
  const char *code = errno_code(e);
  if (path) snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, strerror(e), syscall, path);
  else snprintf(msg, sizeof msg, "%s: %s, %s", code, strerror(e), syscall);
  napi_value code_v, msg_v, err, v;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_error(env, code_v, msg_v, &err);
  napi_create_int32(env, -e, &v);
  napi_set_named_property(env, err, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "syscall", v);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, err, "path", v);
  }
  napi_throw(env, err);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Copies a JS string argument into a malloc'ed C string (caller frees); NULL on error (exception set). */
static char *get_string(napi_env env, napi_value v, const char *what) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    throw_type(env, msg);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) { throw_errno(env, ENOMEM, "malloc", NULL); return NULL; }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) { free(s); throw_type(env, "string arguments may not contain NUL"); return NULL; }
  return s;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) { throw_type(env, "missing arguments"); return -1; }
  return 0;
}

static int get_int64(napi_env env, napi_value v, int64_t *out, const char *what) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", what);
    throw_type(env, msg);
    return -1;
  }
  return 0;
}

/* lgetxattr(path, name) -> Buffer, or null when the attribute does not exist (ENODATA). */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  if (get_args(env, info, 2, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(path); return NULL; }
  for (;;) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) {
      if (errno == ENODATA) napi_get_null(env, &result);
      else throw_errno(env, errno, "lgetxattr", path);
      break;
    }
    void *data;
    napi_value buf;
    if (napi_create_buffer(env, size ? (size_t)size : 1, &data, &buf) != napi_ok) break;
    ssize_t got = size ? lgetxattr(path, name, data, (size_t)size) : 0;
    if (got < 0 && errno == ERANGE) continue; /* grew between the two calls */
    if (got < 0) { throw_errno(env, errno, "lgetxattr", path); break; }
    if (got != size || size == 0) {
      napi_value sub, fn, args[2];
      /* buf.subarray(0, got) */
      napi_get_named_property(env, buf, "subarray", &fn);
      napi_create_int32(env, 0, &args[0]);
      napi_create_int64(env, got, &args[1]);
      napi_call_function(env, buf, fn, 2, args, &sub);
      result = sub;
    } else {
      result = buf;
    }
    break;
  }
  free(path);
  free(name);
  return result;
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  if (get_args(env, info, 1, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *list = NULL;
  for (;;) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size < 0) { throw_errno(env, errno, "llistxattr", path); break; }
    free(list);
    list = malloc(size + 1);
    if (!list) { throw_errno(env, ENOMEM, "malloc", path); break; }
    ssize_t got = size ? llistxattr(path, list, (size_t)size) : 0;
    if (got < 0 && errno == ERANGE) continue;
    if (got < 0) { throw_errno(env, errno, "llistxattr", path); break; }
    napi_create_array(env, &result);
    uint32_t n = 0;
    for (ssize_t off = 0; off < got;) {
      size_t len = strnlen(list + off, (size_t)(got - off));
      if (len > 0) {
        napi_value s;
        napi_create_string_utf8(env, list + off, len, &s);
        napi_set_element(env, result, n++, s);
      }
      off += (ssize_t)len + 1;
    }
    break;
  }
  free(list);
  free(path);
  return result;
}

/* lsetxattr(path, name, value: Buffer, flags = 0) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return throw_type(env, "missing arguments");
  bool is_buf;
  napi_is_buffer(env, argv[2], &is_buf);
  if (!is_buf) return throw_type(env, "value must be a Buffer");
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[2], &data, &len);
  int64_t flags = 0;
  if (argc > 3 && get_int64(env, argv[3], &flags, "flags")) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(path); return NULL; }
  if (lsetxattr(path, name, data, len, (int)flags) < 0) throw_errno(env, errno, "lsetxattr", path);
  free(path);
  free(name);
  return NULL;
}

/* lremovexattr(path, name) */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(path); return NULL; }
  if (lremovexattr(path, name) < 0) throw_errno(env, errno, "lremovexattr", path);
  free(path);
  free(name);
  return NULL;
}

/* mknod(path, mode, major, minor): mode carries the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 4, argv)) return NULL;
  int64_t mode, major_n, minor_n;
  if (get_int64(env, argv[1], &mode, "mode") || get_int64(env, argv[2], &major_n, "major") ||
      get_int64(env, argv[3], &minor_n, "minor")) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  if (mknod(path, (mode_t)mode, makedev((unsigned)major_n, (unsigned)minor_n)) < 0)
    throw_errno(env, errno, "mknod", path);
  free(path);
  return NULL;
}

/* mount(source, target, fstype, flags, data): source/fstype/data may be null. */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 5, argv)) return NULL;
  char *s[5] = {0};
  int idx[4] = {0, 1, 2, 4};
  int64_t flags;
  if (get_int64(env, argv[3], &flags, "flags")) return NULL;
  for (int i = 0; i < 4; i++) {
    napi_valuetype t;
    napi_typeof(env, argv[idx[i]], &t);
    if (t == napi_null || t == napi_undefined) {
      if (idx[i] == 1) { throw_type(env, "target must be a string"); goto out; }
      continue;
    }
    s[idx[i]] = get_string(env, argv[idx[i]], "mount argument");
    if (!s[idx[i]]) goto out;
  }
  if (mount(s[0], s[1], s[2], (unsigned long)flags, s[4]) < 0) throw_errno(env, errno, "mount", s[1]);
out:
  for (int i = 0; i < 5; i++) free(s[i]);
  return NULL;
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  int64_t flags;
  if (get_int64(env, argv[1], &flags, "flags")) return NULL;
  char *target = get_string(env, argv[0], "target");
  if (!target) return NULL;
  if (umount2(target, (int)flags) < 0) throw_errno(env, errno, "umount2", target);
  free(target);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lremovexattr", NULL, js_lremovexattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
