import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, symlinkSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  FileType, isErrnoError, lgetxattr, llistxattr, lremovexattr, lsetxattr, mknod, mount, umount2, MountFlags,
} from './fsops.js';

let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'trowel-fsops-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

test('xattr values round-trip as binary-safe buffers', () => {
  const f = join(dir, 'f');
  writeFileSync(f, 'x');
  const value = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x00, 0xc3]);
  lsetxattr(f, 'user.bin', value);
  lsetxattr(f, 'user.empty', Buffer.alloc(0));
  assert.equal(lgetxattr(f, 'user.bin'), value);
  assert.equal(lgetxattr(f, 'user.empty'), Buffer.alloc(0));
  assert.equal(lgetxattr(f, 'user.missing'), null);
  assert.equal(llistxattr(f).filter((n) => n.startsWith('user.')).sort(), ['user.bin', 'user.empty']);
  lremovexattr(f, 'user.bin');
  assert.equal(lgetxattr(f, 'user.bin'), null);
});

test('xattr calls do not follow a final symlink', () => {
  const f = join(dir, 'target');
  writeFileSync(f, 'x');
  symlinkSync('target', join(dir, 'link'));
  lsetxattr(f, 'user.onfile', 'y');
  assert.not.ok(llistxattr(join(dir, 'link')).includes('user.onfile'));
  // user.* xattrs are not permitted on symlinks: the error proves the call hit the link itself.
  try {
    lsetxattr(join(dir, 'link'), 'user.onlink', 'z');
    assert.unreachable('expected EPERM');
  } catch (err) {
    assert.ok(isErrnoError(err, 'EPERM'), String(err));
  }
});

test('errors carry code, syscall and path', () => {
  const missing = join(dir, 'nope');
  try {
    llistxattr(missing);
    assert.unreachable('expected ENOENT');
  } catch (err) {
    assert.ok(isErrnoError(err, 'ENOENT'));
    const e = err as Error & { syscall: string; path: string };
    assert.is(e.syscall, 'llistxattr');
    assert.is(e.path, missing);
    assert.match(e.message, /ENOENT/);
  }
});

test('mknod makes fifos and character devices with major/minor', () => {
  mknod(join(dir, 'fifo'), FileType.S_IFIFO | 0o640);
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
  assert.is(lstatSync(join(dir, 'fifo')).mode & 0o777, 0o640 & ~process.umask());
  if (process.geteuid?.() === 0) {
    mknod(join(dir, 'null'), FileType.S_IFCHR | 0o666, 1, 3);
    const st = lstatSync(join(dir, 'null'));
    assert.ok(st.isCharacterDevice());
    assert.is(st.rdev, (1 << 8) | 3);
  }
});

test('mount and umount2 a tmpfs (root only)', () => {
  if (process.geteuid?.() !== 0) return;
  const target = join(dir, 'mnt');
  mkdirSync(target);
  mount('tmpfs', target, 'tmpfs', MountFlags.MS_NOSUID, 'size=1m');
  try {
    const mounts = execFileSync('findmnt', ['-n', '-o', 'FSTYPE', target], { encoding: 'utf8' }).trim();
    assert.is(mounts, 'tmpfs');
  } finally {
    umount2(target, 0);
  }
  try {
    umount2(target, 0);
    assert.unreachable('second umount must fail');
  } catch (err) {
    assert.ok(isErrnoError(err, 'EINVAL'), String(err));
  }
});

test('type errors for bad arguments are thrown, not crashes', () => {
  assert.throws(() => lsetxattr(join(dir, 'x'), 'user.a', 42 as unknown as string));
  assert.throws(() => mknod(join(dir, 'x'), 'a' as unknown as number));
});

test.run();
