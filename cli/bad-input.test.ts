import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TrowelSandbox, mountsUnder, type RunResult } from '../test/support/trowel.js';
import { tarOf, writeOciLayout } from '../test/support/oci-fixture.js';

const test = suite('bad input: one clear line, non-zero exit, nothing written outside, store consistent');
const t = new TrowelSandbox();
const work = mkdtempSync(join(tmpdir(), 'trowel-bad-'));
const outside = join(work, 'outside');
mkdirSync(outside);

/** One `Error:` line naming the thing at fault, no stack trace, buildah's exit status. */
function assertCleanFailure(r: RunResult, mentions: RegExp): void {
  assert.is(r.code, 125, `exit status (stderr: ${r.stderr})`);
  // Progress lines may come first, as buildah prints them; the error is one line, and last.
  const lines = r.stderr.trim().split('\n');
  const errors = lines.filter((l) => l.startsWith('Error'));
  assert.is(errors.length, 1, `one error line, got: ${r.stderr}`);
  assert.is(lines[lines.length - 1], errors[0]);
  assert.match(errors[0]!, mentions);
  assert.not.match(r.stderr, /\n\s+at /);
}

/** Every image still lists and inspects; no container dir without a record. */
function assertStoreConsistent(): void {
  const images = JSON.parse(t.ok(['images', '--json'])) as Array<{ id: string }>;
  for (const img of images) JSON.parse(t.ok(['inspect', '--type', 'image', img.id]));
  const records = JSON.parse(t.ok(['containers', '--json'])) as Array<{ id: string }>;
  const dirs = existsSync(join(t.root, 'containers')) ? readdirSync(join(t.root, 'containers')) : [];
  assert.equal(dirs.sort(), records.map((c) => c.id).sort(), 'container dirs match records');
  assert.equal(mountsUnder(t.root), [], 'no mounts left');
  assert.equal(readdirSync(outside), [], 'nothing written outside');
}

test('set-up: an image to work with', () => {
  const c = t.ok(['from', 'scratch']);
  const mnt = t.ok(['mount', c]);
  writeFileSync(join(mnt, 'hello'), 'hi\n');
  t.ok(['umount', c]);
  t.ok(['commit', '-q', '--rm', c, 'localhost/good']);
});

test.after(() => {
  t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('unknown container and unknown image', () => {
  assertCleanFailure(t.run(['mount', 'no-such-container']), /no-such-container: container not known/);
  assertCleanFailure(t.run(['from', '--pull', 'never', 'localhost/no-such-image']), /localhost\/no-such-image: image not known/);
  assertCleanFailure(t.run(['inspect', 'nothing-here']), /nothing-here: image not known/);
  assertStoreConsistent();
});

test('malformed references are refused by name', () => {
  const c = t.ok(['from', 'scratch']);
  assertCleanFailure(t.run(['commit', c, 'Local/UPPER']), /parse reference "Local\/UPPER"/);
  assertCleanFailure(t.run(['tag', 'localhost/good', 'bad name']), /parse reference "bad name"/);
  t.ok(['rm', c]);
  assertStoreConsistent();
});

test('committing a removed container', () => {
  const c = t.ok(['from', 'scratch']);
  t.ok(['rm', c]);
  assertCleanFailure(t.run(['commit', c, 'localhost/x']), new RegExp(`${c}: container not known`));
  assert.not.match(t.ok(['images']), /localhost\/x/);
  assertStoreConsistent();
});

async function pullLayer(name: string, entries: Parameters<typeof tarOf>[0]): Promise<RunResult> {
  const layout = join(work, name);
  writeOciLayout(layout, 'evil', [await tarOf(entries)]);
  return t.run(['pull', '-q', `oci:${layout}:evil`]);
}

test('zip-slip: a layer entry with ../ is refused', async () => {
  const r = await pullLayer('dotdot', [{ name: `../../../../../../${outside.slice(1)}/pwned`, content: 'x' }]);
  assertCleanFailure(r, /\.\./);
  assertStoreConsistent();
});

test('a layer entry with an absolute path is refused', async () => {
  const r = await pullLayer('absolute', [{ name: `${outside}/pwned`, content: 'x' }]);
  assertCleanFailure(r, /absolute/);
  assertStoreConsistent();
});

test('symlink then write through it: the write stays inside the root or is refused', async () => {
  const r = await pullLayer('symlink-write', [
    { name: 'escape', type: 'symlink', linkname: outside },
    { name: 'escape/pwned', content: 'x' },
  ]);
  if (r.code === 0) {
    // Followed as if the root were `/`: the file must be inside the layer, not on the host.
    assert.not.ok(existsSync(join(outside, 'pwned')));
  } else {
    assertCleanFailure(r, /escape/);
  }
  assertStoreConsistent();
});

test('hardlink to a host file outside the root is refused', async () => {
  const r = await pullLayer('hardlink', [{ name: 'shadow', type: 'link', linkname: '../../../../../../../etc/shadow' }]);
  assertCleanFailure(r, /shadow|\.\./);
  assertStoreConsistent();
});

test('a layer whose content does not match the config diffID is refused', async () => {
  const layout = join(work, 'liar');
  writeOciLayout(layout, 'liar', [await tarOf([{ name: 'f', content: 'x' }])], { lieAboutDiffID: true });
  assertCleanFailure(t.run(['pull', '-q', `oci:${layout}:liar`]), /diffID/);
  assert.not.match(t.ok(['images']), /liar/);
  assertStoreConsistent();
});

test('a corrupted blob in the store is caught on read (digest mismatch)', () => {
  const c = t.ok(['from', 'localhost/good']);
  t.ok(['commit', '-q', '--rm', '--compression-format', 'gzip', c, 'localhost/gzipped']);
  const manifest = JSON.parse(t.ok(['inspect', '--type', 'manifest', 'localhost/gzipped']));
  const layer = join(t.root, 'blobs/sha256', manifest.layers[manifest.layers.length - 1].digest.slice(7));
  const original = readFileSync(layer);
  const broken = Buffer.from(original);
  broken[broken.length - 1]! ^= 0xff;
  writeFileSync(layer, broken);
  try {
    assertCleanFailure(t.run(['push', 'localhost/gzipped', `oci-archive:${join(work, 'out.tar')}`]), /digest mismatch/);
    assert.not.ok(existsSync(join(work, 'out.tar')), 'no half-written archive');
  } finally {
    writeFileSync(layer, original);
  }
  assertStoreConsistent();
});

test('a layer dir changed behind the store\'s back is caught when its blob is made again', () => {
  const config = JSON.parse(t.ok(['inspect', '--type', 'image', '--format', '{{.Config}}', 'localhost/good']));
  const dir = join(t.root, 'layers', config.rootfs.diff_ids[0].slice(7));
  const original = readFileSync(join(dir, 'hello'));
  writeFileSync(join(dir, 'hello'), 'tampered\n');
  try {
    assertCleanFailure(t.run(['push', '--disable-compression', 'localhost/good', `oci-archive:${join(work, 'out2.tar')}`]), /digest mismatch|SIZE|bytes, expected/);
    assert.not.ok(existsSync(join(work, 'out2.tar')), 'no half-written archive');
  } finally {
    writeFileSync(join(dir, 'hello'), original);
  }
  assertStoreConsistent();
});

test('a corrupted blob in a source layout is caught on pull', async () => {
  const layout = join(work, 'corrupt-src');
  const { layerDigests } = writeOciLayout(layout, 'c', [await tarOf([{ name: 'f', content: 'content' }])]);
  const path = join(layout, 'blobs/sha256', layerDigests[0]!.slice(7));
  const b = readFileSync(path);
  b[600]! ^= 0xff;
  writeFileSync(path, b);
  assertCleanFailure(t.run(['pull', '-q', `oci:${layout}:c`]), /digest mismatch/);
  assertStoreConsistent();
});

test('a container whose root was made by the vfs driver is committed with the changes made in that root', () => {
  const c = t.ok(['from', 'localhost/good']);
  // A vfs mount is a full copy of the layers; changes go into it, not into an upper dir.
  const mnt = t.ok(['--storage-driver', 'vfs', 'mount', c]);
  assert.equal(mountsUnder(t.root), [], 'a vfs root is a plain directory, not a mount');
  assert.ok(readdirSync(mnt).includes('hello'), 'holding the image');
  writeFileSync(join(mnt, 'added'), 'new\n');
  rmSync(join(mnt, 'hello'));
  t.ok(['--storage-driver', 'vfs', 'umount', c]);
  t.ok(['commit', '-q', c, 'localhost/vfs']);
  const again = t.ok(['from', 'localhost/vfs']);
  const root = t.ok(['mount', again]);
  try {
    assert.equal(readdirSync(root), ['added']);
    assert.is(readFileSync(join(root, 'added'), 'utf8'), 'new\n');
  } finally {
    t.ok(['umount', again]);
  }
  t.ok(['rm', c, again]);
  assertStoreConsistent();
});

test('a full disk fails the commit cleanly and keeps the store usable', () => {
  const small = join(work, 'small');
  mkdirSync(small);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', small]);
  assert.is(m.status, 0, 'tmpfs mounted');
  const s = { run: (a: string[]) => t.run(a, { env: { TROWEL_ROOT: small } }), ok: (a: string[]) => { const r = t.run(a, { env: { TROWEL_ROOT: small } }); assert.is(r.code, 0, r.stderr); return r.stdout.trim(); } };
  try {
    const c = s.ok(['from', 'scratch']);
    const mnt = s.ok(['mount', c]);
    // Random bytes do not compress: the layer blob cannot fit beside the upper dir.
    writeFileSync(join(mnt, 'big'), randomBytes(1_800_000));
    s.ok(['umount', c]);
    const r = s.run(['commit', '-q', '--compression-format', 'gzip', c, 'localhost/too-big']);
    assertCleanFailure(r, /ENOSPC|no space/i);
    assert.not.match(s.ok(['images']), /too-big/);
    assert.equal(readdirSync(join(small, 'tmp')), [], 'no temp blobs left');
    s.ok(['rm', c]);
  } finally {
    spawnSync('umount', ['-l', small]);
  }
});

test.run();
