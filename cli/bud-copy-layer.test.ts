/**
 * `bud --layers` of a stage whose last step is a COPY onto nothing: the layer is made from the
 * context without copying, stored as a blob and unpacked only when a container needs it. It
 * must be the layer a real copy gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder } from '../test/support/trowel.js';
import { BUSYBOX_IMAGE, makeTrowelBusyboxImage } from '../test/support/busybox-image.js';

let t: TrowelSandbox;
let work = '';

test.before(() => {
  work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-bud-copy-layer-'));
  t = new TrowelSandbox('trowel-bud-copy-layer-store-');
  makeTrowelBusyboxImage(t);
});

test.after(() => {
  t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function lastDiffID(image: string): string {
  const ids = (JSON.parse(t.ok(['inspect', '--type', 'image', '--format', '{{json .OCIv1}}', image])) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  return ids[ids.length - 1]!;
}

test('COPY as the last step: the same layer as a real copy, unpacked only when a container needs it', () => {
  const ctx = join(work, 'ctx');
  mkdirSync(join(ctx, 'sub/deep'), { recursive: true });
  writeFileSync(join(ctx, 'a.txt'), 'from the context\n');
  writeFileSync(join(ctx, 'sub/deep/data'), Buffer.alloc(100_000, 7));
  symlinkSync('../a.txt', join(ctx, 'sub/link'));
  writeFileSync(join(ctx, '.dockerignore'), '*.log\n');
  writeFileSync(join(ctx, 'skip.log'), 'ignored');
  const file = join(work, 'Containerfile');
  writeFileSync(file, `FROM ${BUSYBOX_IMAGE}\nWORKDIR /srv\nCOPY . /app/\n`);

  const planned = t.ok(['bud', '--layers', '--timestamp', '0', '-q', '-t', 'localhost/planned', '-f', file, ctx]).trim().split('\n').pop()!;
  // Without --layers the stage is one container, copied into for real and diffed.
  t.ok(['bud', '--timestamp', '0', '-q', '-t', 'localhost/copied', '-f', file, ctx]);
  const diffID = lastDiffID('localhost/planned');
  const layerDir = join(t.root, 'layers', diffID.slice('sha256:'.length));
  assert.not.ok(existsSync(layerDir), 'the planned layer is not unpacked by the build');
  // The real copy's single layer holds WORKDIR's /srv too: compare with a build of COPY alone.
  writeFileSync(file, `FROM ${BUSYBOX_IMAGE}\nCOPY . /app/\n`);
  t.ok(['bud', '--timestamp', '0', '-q', '-t', 'localhost/copied-only', '-f', file, ctx]);
  assert.is(lastDiffID('localhost/copied-only'), diffID, 'the same layer as copying for real');

  const c = t.ok(['from', 'localhost/planned']).trim();
  assert.is(t.ok(['run', c, '--', 'cat', '/app/sub/link']).trim(), 'from the context');
  assert.is(t.ok(['run', c, '--', 'ls', '/app']).split('\n').filter(Boolean).join(' '), 'a.txt sub');
  assert.ok(existsSync(layerDir), 'unpacked for the container');
  t.ok(['rm', c]);
  assert.equal(mountsUnder(t.root), []);
  assert.ok(planned.length > 0);
});

test('COPY followed by metadata steps only: still planned, the layer stays packed, no container is left', () => {
  const ctx = join(work, 'ctx-meta');
  mkdirSync(join(ctx, 'd'), { recursive: true });
  writeFileSync(join(ctx, 'd/f'), 'meta\n');
  const file = join(work, 'Containerfile.meta');
  writeFileSync(file, `FROM ${BUSYBOX_IMAGE}\nCOPY . /app/\nENV A=1\nLABEL l=v\nCMD ["cat", "/app/d/f"]\n`);
  t.ok(['bud', '--layers', '--timestamp', '0', '-q', '-t', 'localhost/meta', '-f', file, ctx]);
  const cfg = JSON.parse(t.ok(['inspect', '--type', 'image', '--format', '{{json .OCIv1}}', 'localhost/meta'])) as { config: { Cmd: string[]; Env: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
  assert.equal(cfg.config.Cmd, ['cat', '/app/d/f']);
  assert.ok(cfg.config.Env.includes('A=1'));
  assert.is(cfg.config.Labels.l, 'v');
  const diffID = cfg.rootfs.diff_ids[cfg.rootfs.diff_ids.length - 1]!;
  assert.not.ok(existsSync(join(t.root, 'layers', diffID.slice('sha256:'.length))), 'the COPY layer is not unpacked by the build');
  assert.equal(t.ok(['containers', '-q']).trim(), '', 'no working container is left');

  // A metadata step failing after the planned COPY leaves no container that could not be mounted.
  writeFileSync(file, `FROM ${BUSYBOX_IMAGE}\nCOPY . /app/\nENV B=2\nLABEL x=\${MISSING:?is not set}\n`);
  const r = t.run(['bud', '--layers', '-f', file, ctx]);
  assert.is.not(r.code, 0);
  for (const c of t.ok(['containers', '-q']).split('\n').filter(Boolean)) {
    t.ok(['mount', c]);
    t.ok(['umount', c]);
    t.ok(['rm', c]);
  }
  assert.equal(mountsUnder(t.root), []);

  const c = t.ok(['from', 'localhost/meta']).trim();
  assert.is(t.ok(['run', c, '--', 'cat', '/app/d/f']).trim(), 'meta');
  t.ok(['rm', c]);
});

test.run();
