/**
 * Independent readers of trowel's layers: umoci unpacks an OCI image made of layers diffed
 * from real overlay upper dirs, whiteouts included, and must produce the same rootfs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaType } from '../oci/media-types.js';
import { diffLayer } from './diff.js';
import { cleanup, isRoot, overlayDirs, snapshotTree, tempDir, withKernelOverlay } from './test-fixtures.js';
import { writeLayer, type LayerInfo } from './write.js';

let base = '';
test.before.each(() => { base = tempDir(); });
test.after.each(() => { cleanup(base); });

function putJSON(layout: string, value: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

async function putLayer(layout: string, upper: string, compression: 'gzip' | 'none'): Promise<LayerInfo> {
  const tmp = join(layout, 'blobs', 'tmp');
  const info = await writeLayer(diffLayer(upper, { timestamp: 1_700_000_000 }), createWriteStream(tmp), { compression });
  renameSync(tmp, join(layout, 'blobs', 'sha256', info.digest.slice('sha256:'.length)));
  return info;
}

function writeImage(layout: string, layers: LayerInfo[]): void {
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const config = putJSON(layout, {
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  });
  const manifest = putJSON(layout, {
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, ...config },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: MediaType.ociManifest, ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'test' } }],
  }));
}

// Debian's umoci predates zstd layers; zstd is checked against the zstd tool in write.test.ts.
for (const compression of ['gzip', 'none'] as const) {
  test(`umoci unpacks two ${compression} layers diffed from kernel overlay upper dirs to the same rootfs`, async () => {
    if (!isRoot) return;
    const layout = join(base, 'layout');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });

    // Layer 1: a plain tree (the "upper dir" of a first commit).
    const d = overlayDirs(join(base, 'ovl'));
    mkdirSync(join(d.lower, 'etc'));
    writeFileSync(join(d.lower, 'etc', 'gone'), 'gone');
    writeFileSync(join(d.lower, 'etc', 'kept'), 'kept');
    mkdirSync(join(d.lower, 'var', 'cache'), { recursive: true });
    writeFileSync(join(d.lower, 'var', 'cache', 'old'), 'old');
    const l1 = await putLayer(layout, d.lower, compression);

    // Layer 2: changes made through a kernel overlay mount.
    let expected: Record<string, string> = {};
    await withKernelOverlay(d, (m) => {
      unlinkSync(join(m, 'etc', 'gone'));
      rmSync(join(m, 'var', 'cache'), { recursive: true });
      mkdirSync(join(m, 'var', 'cache'));
      writeFileSync(join(m, 'var', 'cache', 'new'), 'new');
      writeFileSync(join(m, 'etc', 'added'), 'added', { mode: 0o600 });
      expected = snapshotTree(m);
    });
    const l2 = await putLayer(layout, d.upper, compression);
    writeImage(layout, [l1, l2]);

    const bundle = join(base, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:test`, bundle], { stdio: 'pipe' });
    const got = snapshotTree(join(bundle, 'rootfs'));
    // umoci restores mtimes from the layer, which were clamped; compare without times.
    const strip = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.replace(/ t=\d+/, '')]));
    assert.equal(strip(got), strip(expected));
    assert.not.ok('etc/gone' in got);
    assert.not.ok('var/cache/old' in got);
  });
}

test.run();
