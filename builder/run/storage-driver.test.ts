import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mknod, FileType } from '../../native/fsops.js';
import { mountLayers, populateVfs, resolveStorageDriver, rootfsFor, storageConfCandidates, unmountLayers, type LayerStack } from './storage-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-driver-'));
const none: string[] = [];

function conf(text: string): string {
  const f = join(dir, `storage-${Math.random()}.conf`);
  writeFileSync(f, text);
  return f;
}

function stack(name: string): LayerStack {
  const d = join(dir, name);
  const s = { lowerDirs: [join(d, 'l2'), join(d, 'l1')], upperDir: join(d, 'upper'), workDir: join(d, 'work'), target: join(d, 'merged') };
  for (const p of [...s.lowerDirs, s.upperDir, s.workDir, s.target]) mkdirSync(p, { recursive: true });
  writeFileSync(join(s.lowerDirs[1]!, 'base'), 'l1');
  writeFileSync(join(s.lowerDirs[1]!, 'gone'), 'l1');
  writeFileSync(join(s.lowerDirs[0]!, 'top'), 'l2');
  mknod(join(s.lowerDirs[0]!, 'gone'), FileType.S_IFCHR | 0o000, 0, 0); // whiteout
  return s;
}

function mounted(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === target);
}

test('default is kernel overlay', () => {
  const c = resolveStorageDriver({ env: {}, configFiles: none });
  assert.equal(c, { driver: 'overlay', mountOptions: [], isDefault: true });
});

test('storage.conf [storage.options.overlay] mount_program is read', () => {
  const f = conf('[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\nmountopt = "nodev,fsync=0"\n');
  const c = resolveStorageDriver({ env: {}, configFiles: [join(dir, 'absent.conf'), f] });
  assert.is(c.driver, 'overlay');
  assert.is(c.mountProgram, '/usr/bin/fuse-overlayfs');
  assert.equal(c.mountOptions, ['nodev', 'fsync=0']);
  assert.is(c.configFile, f);
});

test('flags beat the environment, which beats storage.conf', () => {
  const f = conf('[storage]\ndriver = "vfs"\n');
  assert.is(resolveStorageDriver({ env: {}, configFiles: [f] }).driver, 'vfs');
  assert.is(resolveStorageDriver({ env: { STORAGE_DRIVER: 'overlay' }, configFiles: [f] }).driver, 'overlay');
  assert.is(resolveStorageDriver({ storageDriver: 'vfs', env: { STORAGE_DRIVER: 'overlay' }, configFiles: [f] }).driver, 'vfs');
  const c = resolveStorageDriver({ storageOpts: ['overlay.mount_program=/usr/bin/fuse-overlayfs'], env: {}, configFiles: none });
  assert.is(c.mountProgram, '/usr/bin/fuse-overlayfs');
  assert.is(c.isDefault, false);
});

test('bad input: unknown driver, unknown option, missing mount program, broken file', () => {
  assert.throws(() => resolveStorageDriver({ storageDriver: 'btrfs', env: {}, configFiles: none }), /choose storage driver "btrfs" \(from --storage-driver\): trowel has overlay and vfs/);
  assert.throws(() => resolveStorageDriver({ storageOpts: ['overlay.bogus=1'], env: {}, configFiles: none }), /unknown option bogus/);
  assert.throws(() => resolveStorageDriver({ storageOpts: ['overlay.mount_program=/nonexistent/fuse'], env: {}, configFiles: none }), /\/nonexistent\/fuse: not found/);
  const bad = conf('[storage\n');
  assert.throws(() => resolveStorageDriver({ env: {}, configFiles: [bad] }), (e: Error) => e.message.startsWith(`read storage config ${bad}:`));
});

test('rootless users read their own storage.conf first', () => {
  const c = storageConfCandidates({ HOME: '/home/u' }, true);
  assert.equal(c, ['/home/u/.config/containers/storage.conf', '/etc/containers/storage.conf', '/usr/share/containers/storage.conf']);
  assert.equal(storageConfCandidates({ CONTAINERS_STORAGE_CONF: '/x.conf' }, false)[0], '/x.conf');
});

test('kernel overlay spec keeps the upper dir a plain diff; userxattr in a user namespace', async () => {
  const s = stack('spec');
  const r = await rootfsFor({ driver: 'overlay', mountOptions: [], isDefault: true }, s, { userNamespace: true });
  assert.equal(r, { kind: 'overlay', target: s.target, lowerDirs: s.lowerDirs, upperDir: s.upperDir, workDir: s.workDir, options: ['userxattr', 'metacopy=off'] });
  const p = await rootfsFor({ driver: 'overlay', mountProgram: '/usr/bin/fuse-overlayfs', mountOptions: [], isDefault: false }, s, { userNamespace: false });
  assert.equal(p.kind === 'program' && p.argv, ['/usr/bin/fuse-overlayfs', '-o', `lowerdir=${s.lowerDirs.join(':')},upperdir=${s.upperDir},workdir=${s.workDir}`, s.target]);
});

test('fuse-overlayfs without a usable /dev/fuse is one clear error', async () => {
  const s = stack('nofuse');
  const cfg = { driver: 'overlay' as const, mountProgram: '/usr/bin/fuse-overlayfs', mountOptions: [], isDefault: false };
  try {
    await rootfsFor(cfg, s, { userNamespace: false, fuseDevice: join(dir, 'no-fuse-here') });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, `mount layers with fuse-overlayfs: ${join(dir, 'no-fuse-here')} does not exist (load the fuse module; distributions make ${join(dir, 'no-fuse-here')} mode 0666)`);
  }
});

for (const program of [undefined, '/usr/bin/fuse-overlayfs']) {
  test(`mount and unmount on the host with ${program ?? 'kernel overlay'}`, async () => {
    const s = stack(`host-${program ? 'fuse' : 'kernel'}`);
    const cfg = { driver: 'overlay' as const, mountOptions: [], isDefault: false, ...(program ? { mountProgram: program } : {}) };
    const root = await mountLayers(cfg, s, { userNamespace: false });
    try {
      assert.is(root, s.target);
      assert.ok(mounted(s.target));
      assert.is(readFileSync(join(root, 'base'), 'utf8'), 'l1');
      assert.is(readFileSync(join(root, 'top'), 'utf8'), 'l2');
      assert.not.ok(existsSync(join(root, 'gone')), 'whiteout hides the lower file');
      writeFileSync(join(root, 'new'), 'n');
    } finally {
      await unmountLayers(cfg, s.target);
    }
    assert.not.ok(mounted(s.target));
    assert.is(readFileSync(join(s.upperDir, 'new'), 'utf8'), 'n');
  });
}

test('vfs copies the layers bottom first and applies whiteouts', async () => {
  const s = stack('vfs');
  writeFileSync(join(s.upperDir, 'mine'), 'u');
  await populateVfs(s);
  assert.is(readFileSync(join(s.target, 'base'), 'utf8'), 'l1');
  assert.is(readFileSync(join(s.target, 'top'), 'utf8'), 'l2');
  assert.is(readFileSync(join(s.target, 'mine'), 'utf8'), 'u');
  assert.not.ok(existsSync(join(s.target, 'gone')));
  const r = await rootfsFor({ driver: 'vfs', mountOptions: [], isDefault: false }, s, { userNamespace: false });
  assert.equal(r, { kind: 'directory', path: s.target });
});

test('a root the vfs driver copied stays the root when overlay is asked for later', async () => {
  const s = stack('vfs-then-overlay');
  await populateVfs(s);
  writeFileSync(join(s.target, 'changed-in-vfs'), 'v');
  const overlay = { driver: 'overlay' as const, mountOptions: [], isDefault: true };
  assert.equal(await rootfsFor(overlay, s, { userNamespace: false }), { kind: 'directory', path: s.target });
  assert.is(await mountLayers(overlay, s, { userNamespace: false }), s.target);
  assert.not.ok(mounted(s.target));
  await unmountLayers(overlay, s.target);
  assert.is(readFileSync(join(s.target, 'changed-in-vfs'), 'utf8'), 'v');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
