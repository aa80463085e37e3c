import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mknod, FileType } from '../../native/fsops.js';
import { resolveContainerUser } from './container-user.js';
import { readLayeredFile } from './layered-file.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-user-'));
const lower = join(dir, 'lower');
const upper = join(dir, 'upper');
mkdirSync(join(lower, 'etc'), { recursive: true });
mkdirSync(join(upper, 'etc'), { recursive: true });
writeFileSync(join(lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nold:x:5:5::/:/bin/sh\n');
writeFileSync(join(upper, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
writeFileSync(join(lower, 'etc/group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app,other\naudio:x:29:app\n');
const layers = [upper, lower];

test('names, ids and mixes resolve through the container files', () => {
  assert.equal(resolveContainerUser('app', layers), { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app', name: 'app' });
  assert.equal(resolveContainerUser('1000', layers).additionalGids, [10, 29]);
  assert.equal(resolveContainerUser('app:wheel', layers), { uid: 1000, gid: 10, additionalGids: [], home: '/home/app', name: 'app' });
  assert.equal(resolveContainerUser('4321:99', layers), { uid: 4321, gid: 99, additionalGids: [], home: '/' });
  assert.equal(resolveContainerUser(undefined, layers), { uid: 0, gid: 0, additionalGids: [], home: '/root', name: 'root' });
});

test('the upper dir wins over lower layers', () => {
  assert.throws(() => resolveContainerUser('old', layers), /no user old in the container's \/etc\/passwd/);
});

test('bad users are one clear error', () => {
  assert.throws(() => resolveContainerUser('nobody-here', layers), /resolve user "nobody-here": no user nobody-here in the container's \/etc\/passwd/);
  assert.throws(() => resolveContainerUser('app:nogroup', layers), /no group nogroup in the container's \/etc\/group/);
  assert.throws(() => resolveContainerUser('a:b:c', layers), /want USER\[:GROUP\]/);
  assert.throws(() => resolveContainerUser('99999999999', layers), /out of range/);
});

test('whiteouts hide lower files', () => {
  const u = join(dir, 'wh-upper');
  mkdirSync(join(u, 'etc'), { recursive: true });
  mknod(join(u, 'etc/group'), FileType.S_IFCHR, 0, 0);
  assert.is(readLayeredFile([u, lower], '/etc/group'), undefined);
  assert.ok(readLayeredFile([u, lower], '/etc/passwd')?.includes('old:x:5'));
});

test('symlink escape: an absolute /etc/passwd link resolves inside the container, not on the host', () => {
  const root = join(dir, 'linkroot');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  writeFileSync(join(root, 'data/passwd'), 'root:x:0:0:root:/root:/bin/sh\ninside:x:7:7::/:/bin/sh\n');
  symlinkSync('/data/passwd', join(root, 'etc/passwd'));
  assert.is(resolveContainerUser('inside', [root]).uid, 7);
  const root2 = join(dir, 'linkroot2');
  mkdirSync(join(root2, 'etc'), { recursive: true });
  symlinkSync('../../../../../../etc/passwd', join(root2, 'etc/passwd')); // host's file must not be read
  assert.is(readLayeredFile([root2], '/etc/passwd'), undefined);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
