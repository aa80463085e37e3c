import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, statSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chownVolumeSources, completeOverlayVolumes, parseDevice, parseMount, parseShmSize, parseVolume, shmMount } from './mount-options.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-mountopts-'));
const file = join(dir, 'f');
writeFileSync(file, 'x');
const ctx = { cacheDir: join(dir, 'cache') };

test('volume with options', () => {
  assert.equal(parseVolume(`${dir}:/data:ro,nosuid,z`), { type: 'bind', source: dir, target: '/data', recursive: true, file: false, readonly: true, nosuid: true });
  assert.equal(parseVolume(`${file}:/etc/thing`).file, true);
});

test('bad volumes', () => {
  assert.throws(() => parseVolume('/nope-trowel:/x'), /parse --volume "\/nope-trowel:\/x": source \/nope-trowel: no such file or directory/);
  assert.throws(() => parseVolume(`${dir}`), /want HOST-DIR:CONTAINER-DIR/);
  assert.throws(() => parseVolume(`${dir}:rel`), /destination rel is not an absolute path/);
  assert.throws(() => parseVolume(`${dir}:/x:bogus`), /unknown option bogus/);
  assert.throws(() => parseVolume(`${file}:/x:O`), /an overlay volume \(O\) needs a directory/);
  const comma = join(dir, 'a,b');
  mkdirSync(comma, { recursive: true });
  assert.throws(() => parseVolume(`${comma}:/x:O`), /cannot have ","/);
});

test('U volumes are given to the command\'s user, through the id map when there is one', () => {
  const tree = join(dir, 'owned');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'sub/f'), 'x');
  symlinkSync('/etc/hostname', join(tree, 'link'));
  const m = parseVolume(`${tree}:/data:U`);
  assert.is(m.chownSource, tree);
  chownVolumeSources([m, parseVolume(`${dir}:/other`)], { uid: 1000, gid: 1001 });
  for (const p of ['', 'sub', 'sub/f', 'link']) assert.equal([lstatSync(join(tree, p)).uid, lstatSync(join(tree, p)).gid], [1000, 1001], p);
  assert.is.not(statSync('/etc/hostname').uid, 1000, 'a link is not followed');
  assert.is.not(statSync(dir).uid, 1000, 'volumes without U are left alone');
  const maps = { uidMappings: [{ containerId: 0, hostId: 200000, size: 65536 }], gidMappings: [{ containerId: 0, hostId: 300000, size: 65536 }] };
  chownVolumeSources([m], { uid: 5, gid: 6 }, maps);
  assert.equal([statSync(join(tree, 'sub/f')).uid, statSync(join(tree, 'sub/f')).gid], [200005, 300006]);
  assert.throws(() => chownVolumeSources([m], { uid: 70000, gid: 0 }, maps), /chown volume to uid 70000: not in the user namespace's id map/);
  assert.equal(parseVolume(`${tree}:/data:O,U`).chownSource, tree, 'an overlay volume may be chowned too');
});

test('--shm-size values as buildah takes them', () => {
  assert.equal(['64m', '1g', '512k', '1048576', '100b', '1.5m'].map(parseShmSize), [64 << 20, 1 << 30, 512 << 10, 1048576, 100, 1572864]);
  for (const bad of ['', '0', '-1m', '12x', 'm']) assert.throws(() => parseShmSize(bad), /parse --shm-size/, bad);
  assert.equal(shmMount(1 << 20), { type: 'tmpfs', source: 'shm', target: '/dev/shm', data: 'mode=1777,size=1048576', nosuid: true, nodev: true, noexec: true });
});

test('an overlay volume gets its upper and work directories in the run\'s scratch directory', () => {
  const m = parseVolume(`${dir}:/data:O`);
  assert.equal(m, { type: 'overlay', source: 'overlay', target: '/data', data: `lowerdir=${dir}` });
  const scratch = mkdtempSync(join(dir, 'scratch-'));
  const mounts = [m, parseVolume(`${dir}:/plain`)];
  completeOverlayVolumes(mounts, scratch, { userNamespace: true });
  assert.is(mounts[0]!.data, `lowerdir=${dir},upperdir=${scratch}/volume-0/upper,workdir=${scratch}/volume-0/work,userxattr`);
  assert.ok(statSync(join(scratch, 'volume-0/work')).isDirectory());
  assert.is(mounts[1]!.type, 'bind', 'binds are left alone');
});

test('--mount bind, tmpfs and cache', () => {
  assert.equal(parseMount(`type=bind,src=${dir},dst=/d,ro`, ctx), { type: 'bind', source: dir, target: '/d', readonly: true, recursive: true, file: false });
  assert.equal(parseMount('type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777', ctx), { type: 'tmpfs', source: 'tmpfs', target: '/t', readonly: false, nosuid: true, nodev: true, data: 'size=1m,mode=1777' });
  const c1 = parseMount('type=cache,target=/root/.cache,id=pip', ctx);
  const c2 = parseMount('type=cache,target=/elsewhere,id=pip', ctx);
  assert.is(c1.source, c2.source, 'same id, same directory');
  assert.ok(existsSync(c1.source));
  assert.is.not(parseMount('type=cache,target=/other', ctx).source, c1.source);
});

test('a cache directory gets uid, gid and mode when it is made, and keeps them afterwards', () => {
  const made = parseMount('type=cache,target=/c,id=owned,uid=1234,gid=5678,mode=0700', ctx);
  const st = statSync(made.source);
  assert.equal([st.uid, st.gid, st.mode & 0o7777], [1234, 5678, 0o700]);
  const again = parseMount('type=cache,target=/c,id=owned,uid=1,mode=0777', ctx);
  const st2 = statSync(again.source);
  assert.equal([st2.uid, st2.mode & 0o7777], [1234, 0o700], 'an existing cache is left as it is');
  assert.is(statSync(parseMount('type=cache,target=/d,id=plain', ctx).source).mode & 0o7777, 0o755);
  assert.throws(() => parseMount('type=cache,target=/c,mode=rwx', ctx), /mode rwx is not an octal mode/);
  assert.throws(() => parseMount('type=cache,target=/c,uid=root', ctx), /uid=root is not a number/);
});

test('bad --mount specs', () => {
  assert.throws(() => parseMount('type=nfs,target=/x', ctx), /unknown mount type nfs/);
  assert.throws(() => parseMount('type=tmpfs', ctx), /missing destination/);
  assert.throws(() => parseMount('type=tmpfs,target=/x,color=red', ctx), /unknown option color/);
  assert.throws(() => parseMount('type=tmpfs,target=/x,tmpfs-size=big', ctx), /tmpfs-size big is not a size/);
  assert.throws(() => parseMount('type=bind,target=/x', ctx), /missing source/);
  assert.throws(() => parseMount('type=secret,id=a,target=/x', ctx), /not supported yet/);
});

test('relative --mount sources come from the context directory and cannot leave it', () => {
  const withContext = { ...ctx, contextDir: dir };
  assert.is(parseMount('type=bind,src=f,dst=/x', withContext).source, file);
  assert.throws(() => parseMount('type=bind,src=../etc,dst=/x', withContext), /outside the context directory/);
  assert.throws(() => parseMount('type=bind,src=f,dst=/x', ctx), /source f is not an absolute path/);
});

test('context symlink escape: a relative --mount source that is a symlink out of the context is refused', () => {
  const context = join(dir, 'context');
  mkdirSync(context, { recursive: true });
  symlinkSync('/etc', join(context, 'innocent'));
  assert.throws(() => parseMount('type=bind,src=innocent,dst=/x', { ...ctx, contextDir: context }), /leads outside the context directory through a symlink/);
});

test('--device binds a host device node', () => {
  assert.equal(parseDevice('/dev/null:/dev/mynull:rw'), { type: 'bind', source: '/dev/null', target: '/dev/mynull', file: true });
  assert.equal(parseDevice('/dev/zero:r').target, '/dev/zero');
  assert.throws(() => parseDevice(file), /is not a device/);
  assert.throws(() => parseDevice('/dev/null:/x:q'), /permissions q/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
