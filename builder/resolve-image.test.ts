import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { TrowelSandbox, TROWEL_BIN } from '../test/support/trowel.js';
import { startRegistry, freePort, type TestRegistry } from '../test/support/registry.js';
import { Store } from '../storage/store.js';
import { TrowelError } from '../oci/error.js';
import { parsePullPolicy, resolveImage, ResolveImageError } from './resolve-image.js';

const test = suite('resolveImage: pull policies against a real registry');
const maker = new TrowelSandbox();
let reg: TestRegistry;
const ids: Record<string, string> = {};

function trowel(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(TROWEL_BIN, args, { env: { ...process.env, TROWEL_ROOT: maker.root } });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`trowel ${args.join(' ')}: ${stderr}`))));
  });
}

/** An image with one file whose content tells it apart, for `arch`. */
function makeImage(name: string, arch: string, content: string): void {
  const c = maker.ok(['from', 'scratch']);
  writeFileSync(join(maker.root, 'file'), content);
  maker.ok(['copy', c, join(maker.root, 'file'), '/file']);
  maker.ok(['config', '--arch', arch, c]);
  ids[name] = maker.ok(['commit', '-q', '--rm', c, name]);
}

/** A fresh store and a log of its progress lines. */
function freshStore(): { store: Store; sandbox: TrowelSandbox; lines: string[]; log: (l: string) => void } {
  const sandbox = new TrowelSandbox();
  const lines: string[] = [];
  return { store: Store.open({ root: sandbox.root }), sandbox, lines, log: (l) => lines.push(l) };
}

const access = { tlsVerify: false, client: { retry: { retries: 0 } } };

test.before(async () => {
  reg = await startRegistry();
  makeImage('localhost/one', 'amd64', 'one\n');
  makeImage('localhost/two', 'amd64', 'two\n');
  makeImage('localhost/arm', 'arm64', 'arm\n');
  await trowel(['push', '-q', '--tls-verify=false', 'localhost/one', `docker://${reg.host}/app/img:v1`]);
  maker.ok(['manifest', 'create', 'multi', 'localhost/one', 'localhost/arm']);
  await trowel(['manifest', 'push', '-q', '--all', '--tls-verify=false', 'multi', `docker://${reg.host}/app/multi:v1`]);
});

test.after(async () => {
  await reg?.stop();
  maker.cleanup();
});

test('parsePullPolicy takes buildah spellings and refuses others', () => {
  assert.is(parsePullPolicy('always'), 'always');
  assert.is(parsePullPolicy('IfMissing'), 'missing');
  assert.is(parsePullPolicy('false'), 'missing');
  assert.is(parsePullPolicy('true'), 'newer');
  assert.is(parsePullPolicy(''), 'newer');
  assert.is(parsePullPolicy('ifnewer'), 'newer');
  assert.throws(() => parsePullPolicy('sometimes'), (e: TrowelError) => e.code === 'INVALID_ARGUMENT' && /sometimes/.test(e.message));
});

test('missing pulls what the store lacks, then uses the local image without asking the registry', async () => {
  const { store, sandbox, lines, log } = freshStore();
  try {
    const ref = `${reg.host}/app/img:v1`;
    const first = await resolveImage(store, `docker://${ref}`, { pull: 'missing', access, onProgress: log });
    assert.is(first.id, ids['localhost/one']);
    assert.ok(lines.some((l) => l.startsWith('Copying blob')), lines.join('\n'));
    lines.length = 0;
    const again = await resolveImage(store, ref, { pull: 'missing', access, onProgress: log });
    assert.is(again.id, first.id);
    assert.equal(lines, [], 'nothing was pulled');
  } finally {
    sandbox.cleanup();
  }
});

test('never uses only local images; always and newer with an unreachable registry', async () => {
  const { store, sandbox } = freshStore();
  try {
    const port = await freePort(); // nothing listens there
    const name = `127.0.0.1:${port}/gone/img:v1`;
    try {
      await resolveImage(store, name, { pull: 'never', access });
      assert.unreachable('never must not pull');
    } catch (e) {
      assert.instance(e, ResolveImageError);
      assert.match((e as Error).message, /--pull=never/);
    }
    await resolveImage(store, `docker://${reg.host}/app/img:v1`, { pull: 'missing', access });
    sandbox.ok(['tag', `${reg.host}/app/img:v1`, name]);
    assert.is((await resolveImage(store, name, { pull: 'never', access })).id, ids['localhost/one']);
    assert.is((await resolveImage(store, name, { pull: 'newer', access })).id, ids['localhost/one'], 'newer keeps the local image when the registry cannot answer');
    try {
      await resolveImage(store, name, { pull: 'always', access });
      assert.unreachable('always must pull');
    } catch (e) {
      assert.instance(e, TrowelError);
      assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    }
  } finally {
    sandbox.cleanup();
  }
});

test('newer pulls only when the registry has another image under the name', async () => {
  const { store, sandbox, lines, log } = freshStore();
  try {
    const ref = `${reg.host}/app/moving:v1`;
    await trowel(['push', '-q', '--tls-verify=false', 'localhost/one', `docker://${ref}`]);
    assert.is((await resolveImage(store, ref, { pull: 'newer', access })).id, ids['localhost/one']);
    lines.length = 0;
    assert.is((await resolveImage(store, ref, { pull: 'newer', access, onProgress: log })).id, ids['localhost/one']);
    assert.not.ok(lines.some((l) => l.startsWith('Copying')), lines.join('\n'));
    await trowel(['push', '-q', '--tls-verify=false', 'localhost/two', `docker://${ref}`]);
    assert.is((await resolveImage(store, ref, { pull: 'missing', access })).id, ids['localhost/one'], 'missing does not look');
    assert.is((await resolveImage(store, ref, { pull: 'newer', access })).id, ids['localhost/two']);
  } finally {
    sandbox.cleanup();
  }
});

test('a platform picks the child of a list, and a local image of another platform is not used for it', async () => {
  const { store, sandbox } = freshStore();
  try {
    const ref = `${reg.host}/app/multi:v1`;
    const arm = await resolveImage(store, ref, { access, platform: { os: 'linux', architecture: 'arm64' } });
    assert.is(arm.id, ids['localhost/arm']);
    assert.is(store.readConfig(arm).architecture, 'arm64');
    const amd = await resolveImage(store, ref, { access, platform: { os: 'linux', architecture: 'amd64' } });
    assert.is(amd.id, ids['localhost/one']);
  } finally {
    sandbox.cleanup();
  }
});

test.run();
