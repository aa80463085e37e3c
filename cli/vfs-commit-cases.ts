/**
 * Commit of containers whose root the vfs storage driver made (a full copy of the layers
 * changed in place), shared by the root and the rootless `trowel run` test files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gunzipSync } from 'node:zlib';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTar, type ListedEntry } from '../layers/test-fixtures.js';
import { makeBusyboxContainer, trowelAsync, trowelSync } from '../test/support/trowel-cli.js';
import { processesRunning, processesWith, waitFor } from './run-cases.js';

const VFS = ['--storage-driver', 'vfs'];

/** The last layer of a stored image, read from an OCI layout that `trowel push` writes. */
async function topLayer(root: string, image: string): Promise<{ entries: ListedEntry[]; layerCount: number }> {
  const out = mkdtempSync(join(tmpdir(), 'trowel-vfs-layout-'));
  try {
    const p = trowelSync(root, ['push', '-q', image, `oci:${out}:img`]);
    assert.is(p.status, 0, p.stderr);
    const blob = (digest: string) => readFileSync(join(out, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString()) as { layers: Array<{ digest: string }> };
    const bytes = blob(manifest.layers[manifest.layers.length - 1]!.digest);
    const tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    return { entries: await listTar(tar), layerCount: manifest.layers.length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Whether the container's root is a vfs copy (its store layout: `merged` beside a stamp), so
 * the cases prove the vfs driver was in use rather than overlay.
 */
function hasVfsRoot(root: string, name: string): boolean {
  const list = JSON.parse(ok(root, ['containers', '--json'])) as Array<{ id: string; containername: string }>;
  const id = list.find((c) => c.containername === name)?.id;
  assert.ok(id, `container ${name} is listed`);
  const dir = join(root, 'containers', id);
  return existsSync(join(dir, 'merged.trowel-vfs-populated')) && readdirSync(join(dir, 'merged')).length > 0;
}

function ok(root: string, args: string[]): string {
  const r = trowelSync(root, args);
  assert.is(r.status, 0, `trowel ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Registers the cases against the store at `root`. */
export function registerVfsCommitCases(root: string): void {
  test('vfs: a commit holds exactly what RUN added, changed, chmodded, chowned and deleted; the next commit only its own change', async () => {
    // A base image with two layers' worth of files, made with the default driver.
    const b = makeBusyboxContainer(root);
    ok(root, ['run', b.name, '--', 'sh', '-c', 'mkdir -p /data/dir && for f in keep mod perm own gone; do echo $f > /data/$f; done && echo x > /data/dir/x']);
    ok(root, ['commit', '-q', '--rm', b.name, 'localhost/vfs-base']);
    const c = ok(root, ['from', '-q', 'localhost/vfs-base']);
    const base = await topLayer(root, 'localhost/vfs-base');

    ok(root, ['run', ...VFS, c, '--', 'sh', '-c', 'echo added > /data/added; echo more >> /data/mod; chmod 600 /data/perm; chown 1000:1000 /data/own; rm /data/gone; rm -r /data/dir']);
    assert.ok(hasVfsRoot(root, c), 'the run made a vfs copy of the root');
    ok(root, ['commit', '-q', c, 'localhost/vfs-one']);
    const one = await topLayer(root, 'localhost/vfs-one');
    assert.is(one.layerCount, base.layerCount + 1);
    assert.equal(one.entries.map((e) => e.header.name), ['data/', 'data/added', 'data/.wh.dir', 'data/.wh.gone', 'data/mod', 'data/own', 'data/perm']);
    const byName = new Map(one.entries.map((e) => [e.header.name, e]));
    assert.is(byName.get('data/added')!.content.toString(), 'added\n');
    assert.is(byName.get('data/mod')!.content.toString(), 'mod\nmore\n');
    assert.is(byName.get('data/perm')!.header.mode & 0o7777, 0o600);
    assert.equal([byName.get('data/own')!.header.uid, byName.get('data/own')!.header.gid], [1000, 1000]);

    // A container made from the new image (default driver) sees the changed tree.
    const seen = ok(root, ['from', '-q', 'localhost/vfs-one']);
    const look = ok(root, ['run', seen, '--', 'sh', '-c', 'ls /data; cat /data/mod; stat -c "%a %u:%g" /data/perm /data/own']);
    assert.equal(look.split('\n'), ['added', 'keep', 'mod', 'own', 'perm', 'mod', 'more', '600 0:0', '644 1000:1000']);

    // The same container goes on from the committed image: its next commit diffs against it.
    ok(root, ['run', ...VFS, c, '--', 'sh', '-c', 'echo second > /data/second']);
    ok(root, ['commit', '-q', c, 'localhost/vfs-two']);
    const two = await topLayer(root, 'localhost/vfs-two');
    assert.is(two.layerCount, base.layerCount + 2);
    assert.equal(two.entries.map((e) => e.header.name), ['data/', 'data/second']);
    ok(root, ['rm', c, seen]);
  });

  test('vfs: the mount targets of a killed run are not committed', async () => {
    const b = makeBusyboxContainer(root);
    ok(root, ['commit', '-q', '--rm', b.name, 'localhost/vfs-killed-base']);
    const c = ok(root, ['from', '-q', 'localhost/vfs-killed-base']);
    const m = String(4343000 + (process.getuid?.() ?? 0));
    // The image has no /etc/hosts, /etc/hostname or /etc/resolv.conf: the run creates them as
    // mount targets in the vfs root, and SIGKILL leaves them there.
    const child = trowelAsync(root, ['run', ...VFS, c, '--', 'sleep', m]);
    assert.ok(await waitFor(() => processesRunning(['sleep', m]).length > 0), 'command started');
    child.kill('SIGKILL');
    assert.ok(await waitFor(() => processesWith(m).length === 0), `left: ${processesWith(m)}`);
    assert.ok(hasVfsRoot(root, c), 'the run made a vfs copy of the root');
    ok(root, ['commit', '-q', c, 'localhost/vfs-killed']);
    assert.equal((await topLayer(root, 'localhost/vfs-killed')).entries.map((e) => e.header.name), []);
    ok(root, ['rm', c]);
  });

  test('vfs: a commit with nothing changed adds an empty layer, as with overlay', async () => {
    const b = makeBusyboxContainer(root);
    ok(root, ['commit', '-q', '--rm', b.name, 'localhost/vfs-same-base']);
    const c = ok(root, ['from', '-q', 'localhost/vfs-same-base']);
    ok(root, ['run', ...VFS, c, '--', 'true']);
    assert.ok(hasVfsRoot(root, c), 'the run made a vfs copy of the root');
    ok(root, ['commit', '-q', c, 'localhost/vfs-same']);
    assert.equal((await topLayer(root, 'localhost/vfs-same')).entries, []);
    ok(root, ['rm', c]);
  });
}
