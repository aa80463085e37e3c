import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../storage/store.js';
import { createWorkingContainer } from '../working-container.js';
import { isMounted } from '../mount.js';
import { mountStoreContainer, storeRunContext, storeRunTarget, unmountStoreContainer } from './store-target.js';
import { resolveStorageDriver } from './storage-driver.js';

const root = mkdtempSync(join(tmpdir(), 'trowel-store-target-'));
const store = Store.open({ root });

test('a scratch container runs on the store empty dir, with its own upper, work and merged dirs', async () => {
  const c = await createWorkingContainer(store, {});
  const t = storeRunTarget(store, c);
  assert.equal(t.layers.lowerDirs, [store.emptyDir]);
  assert.is(t.layers.upperDir, store.containerPaths(c.id).upper);
  assert.is(t.mountedOnHost, false);
  const ctx = storeRunContext(store, resolveStorageDriver({ env: {}, configFiles: [] }));
  assert.is(ctx.runDir, join(store.tmpDir, 'run'));
});

for (const opts of [[], ['overlay.mount_program=/usr/bin/fuse-overlayfs']]) {
  test(`mount and unmount a stored container (${opts.length ? 'fuse-overlayfs' : 'kernel overlay'})`, async () => {
    const c = await createWorkingContainer(store, {});
    const driver = resolveStorageDriver({ storageOpts: opts, env: {}, configFiles: [] });
    const merged = await mountStoreContainer(store, c, driver);
    try {
      assert.ok(isMounted(merged));
      assert.is(storeRunTarget(store, c).mountedOnHost, true);
      assert.is(await mountStoreContainer(store, c, driver), merged, 'mounting twice returns the same root');
      writeFileSync(join(merged, 'hello'), 'hi');
    } finally {
      await unmountStoreContainer(store, c, driver);
    }
    assert.not.ok(isMounted(merged));
    assert.is(readFileSync(join(store.containerPaths(c.id).upper, 'hello'), 'utf8'), 'hi');
    assert.not.ok(existsSync(join(merged, 'hello')));
  });
}

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
