import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { Store } from './store.js';
import { FileLock } from './lock.js';
import { StoreLockedError } from './errors.js';
import { sha256 } from '../oci/digest.js';
import { VerifyingStream } from '../registry/distribution/verify.js';

const roots: string[] = [];
function freshRoot(): string {
  const r = mkdtempSync(join(tmpdir(), 'trowel-store-'));
  roots.push(r);
  return r;
}
test.after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

test('a new store is an OCI image layout', () => {
  const root = freshRoot();
  Store.open({ root });
  assert.equal(JSON.parse(readFileSync(join(root, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  assert.equal(JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')).manifests, []);
});

test('concurrent processes never lose each other\'s updates', async () => {
  const root = freshRoot();
  Store.open({ root });
  const storeModule = new URL('./store.js', import.meta.url).href;
  const script = `
    const { Store } = await import(${JSON.stringify(storeModule)});
    const s = Store.open({ root: ${JSON.stringify(root)} });
    for (let i = 0; i < 25; i++) {
      await s.transaction((st) => { st.containers.push({ id: process.pid + '-' + i, name: 'c' + process.pid + '-' + i, layers: [], config: {}, annotations: {}, created: '' }); });
    }`;
  const runs = Array.from({ length: 4 }, () => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    p.on('close', (code) => resolve(code ?? 1));
  }));
  assert.equal(await Promise.all(runs), [0, 0, 0, 0]);
  assert.is(Store.open({ root }).containers().length, 100);
});

test('a lock left by a killed process is taken over', async () => {
  const root = freshRoot();
  const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
  writeFileSync(join(root, 'store.lock'), `${dead} 12345`);
  const lock = new FileLock(join(root, 'store.lock'));
  await lock.acquire({ timeoutMs: 2000 });
  assert.ok(readFileSync(join(root, 'store.lock'), 'utf8').startsWith(String(process.pid)));
  lock.release();
  assert.not.ok(existsSync(join(root, 'store.lock')));
});

test('a lock held by a live process times out with a clear error', async () => {
  const root = freshRoot();
  const holder = new FileLock(join(root, 'store.lock'));
  await holder.acquire();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { FileLock } = await import(${JSON.stringify(new URL('./lock.js', import.meta.url).href)});
    try { await new FileLock(${JSON.stringify(join(root, 'store.lock'))}).acquire({ timeoutMs: 300 }); console.log('acquired'); }
    catch (e) { console.log(e.code + ' ' + e.message); }`], { encoding: 'utf8' });
  holder.release();
  assert.match(child.stdout, new RegExp(`STORE_LOCKED lock store .*store.lock: held by process ${process.pid}`));
  assert.ok(StoreLockedError);
});

test('a failed transaction writes nothing', async () => {
  const root = freshRoot();
  const s = Store.open({ root });
  await s.transaction((st) => { st.containers.push({ id: 'a', name: 'a', layers: [], config: {} as never, annotations: {}, created: '' }); });
  await s.transaction((st) => { st.containers.push({ id: 'b', name: 'b', layers: [], config: {} as never, annotations: {}, created: '' }); }).then(() => undefined);
  try {
    await s.transaction((st) => {
      st.containers = [];
      throw new Error('boom');
    });
  } catch {
    /* expected */
  }
  assert.equal(s.containers().map((c) => c.id), ['a', 'b']);
});

test('blob writes verify the expected digest and leave nothing on mismatch', async () => {
  const root = freshRoot();
  const s = Store.open({ root });
  const good = await s.blobs.write(Readable.from([Buffer.from('hello')]));
  assert.is(good.digest, sha256('hello'));
  assert.is(readFileSync(s.blobs.path(good.digest), 'utf8'), 'hello');
  try {
    await s.blobs.write(Readable.from([Buffer.from('evil')]), { digest: sha256('good') });
    assert.unreachable('mismatch accepted');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'DIGEST_MISMATCH');
  }
  assert.not.ok(s.blobs.has(sha256('good')));
  assert.equal(readdirSync(join(root, 'tmp')), []);
});

test('a self-verifying source is stored without hashing again, and stores nothing when it fails', async () => {
  const root = freshRoot();
  const s = Store.open({ root });
  const good = { digest: sha256('hello'), size: 5 };
  await s.blobs.writeVerified(Readable.from([Buffer.from('hello')]).pipe(new VerifyingStream(good.digest, good.size, 'blob')), good);
  assert.is(readFileSync(s.blobs.path(good.digest), 'utf8'), 'hello');
  const bad = { digest: sha256('good'), size: 4 };
  try {
    await s.blobs.writeVerified(Readable.from([Buffer.from('evil')]).pipe(new VerifyingStream(bad.digest, bad.size, 'blob')), bad);
    assert.unreachable('mismatch accepted');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'DIGEST_MISMATCH');
  }
  assert.not.ok(s.blobs.has(bad.digest));
  assert.equal(readdirSync(join(root, 'tmp')), []);
});

test('stale temp files of dead processes are swept, live ones kept', async () => {
  const root = freshRoot();
  const s = Store.open({ root });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = join(root, 'tmp', `blob-${dead}-abcdef`);
  const live = join(root, 'tmp', `blob-${process.pid}-abcdef`);
  writeFileSync(stale, 'x');
  writeFileSync(live, 'x');
  const old = new Date(Date.now() - 60_000);
  const { utimesSync } = await import('node:fs');
  utimesSync(stale, old, old);
  s.sweep();
  assert.not.ok(existsSync(stale));
  assert.ok(existsSync(live));
});

test.run();
