import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolSide } from './tool-side.js';

const work = mkdtempSync(join(tmpdir(), 'trowel-bench-side-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('a dropped store is moved aside when retireTo is given, so no inode is freed during the runs', async () => {
  const retired = join(work, 'retired');
  const side = new ToolSide({ name: 'trowel', exe: ['true'], parent: join(work, 'scenario', 'trowel'), retireTo: retired, retireMinFreeBytes: 0 });
  const first = await side.freshStore();
  writeFileSync(join(first.root, 'file'), 'kept');
  const second = await side.freshStore();
  assert.is.not(second.root, first.root);
  assert.not.ok(existsSync(first.root));
  const moved = readdirSync(retired);
  assert.is(moved.length, 1);
  assert.match(moved[0]!, /^scenario-trowel-trowel-store-/);
  assert.ok(existsSync(join(retired, moved[0]!, 'root', 'file')));
  await side.dispose();
  assert.is(readdirSync(retired).length, 2);
});

test('without retireTo, or short of free space, a dropped store is deleted', async () => {
  for (const opts of [{}, { retireTo: join(work, 'never'), retireMinFreeBytes: Number.MAX_SAFE_INTEGER }]) {
    const side = new ToolSide({ name: 'buildah', exe: ['true'], parent: join(work, 'plain'), ...opts });
    const first = await side.freshStore();
    await side.freshStore();
    assert.not.ok(existsSync(join(first.root, '..')));
    await side.dispose();
  }
  assert.not.ok(existsSync(join(work, 'never')));
});

test.run();
