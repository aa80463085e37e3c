/**
 * planCopyLayer against the real thing: each case copies into a kernel overlay with
 * copyIntoRoot and diffs the upper dir, then plans the same copy on a fresh upper dir; the
 * planned layer must be the same bytes, and planning must write nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, linkSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lsetxattr } from '../native/index.js';
import { diffLayer, plannedLayer } from '../layers/index.js';
import { cleanup, collect, isRoot, listTar, overlayDirs, tempDir, withKernelOverlay } from '../layers/test-fixtures.js';
import { copyIntoRoot, CopySourceError, type CopyOptions } from './copy.js';
import { planCopyLayer } from './copy-layer.js';

let base = '';
let context = '';
test.before.each(() => {
  base = tempDir('trowel-copy-layer-');
  context = join(base, 'context');
  mkdirSync(join(context, 'sub/deep'), { recursive: true });
  mkdirSync(join(context, 'empty'));
  writeFileSync(join(context, 'a.txt'), 'a\n');
  writeFileSync(join(context, 'sub/b'), 'b');
  writeFileSync(join(context, 'sub/deep/big'), Buffer.alloc(2_500_000, 3));
  writeFileSync(join(context, 'sub/skip.log'), 'excluded');
  writeFileSync(join(context, 'sub/keep.log'), 'excepted');
  linkSync(join(context, 'a.txt'), join(context, 'hard'));
  symlinkSync('a.txt', join(context, 'link'));
  symlinkSync('/etc/passwd', join(context, 'sub/abs'));
  chmodSync(join(context, 'sub/b'), 0o4755);
  chmodSync(join(context, 'sub/deep'), 0o700);
  utimesSync(join(context, 'a.txt'), 981_158_400, 981_158_400);
  // Enough files for the real copy to run on worker threads.
  mkdirSync(join(context, 'sub/many'));
  for (let i = 0; i < 150; i++) writeFileSync(join(context, 'sub/many', `m${i}`), `file ${i}\n`.repeat(i));
  utimesSync(join(context, 'sub'), 981_158_400, 981_158_400);
});
test.after.each(() => cleanup(base));

/** 2020-01-01: later than the fixture's old times, earlier than the copy's own. */
const CLAMP = { timestamp: 1_577_836_800, timestampMode: 'clamp' as const };

/** A lower layer: /usr/local with an xattr, an empty /tmp, a full /bin, a setgid /shared, a file /file. */
function populateLower(lower: string): void {
  mkdirSync(join(lower, 'usr/local'), { recursive: true });
  lsetxattr(join(lower, 'usr/local'), 'user.origin', Buffer.from('lower'));
  mkdirSync(join(lower, 'tmp'), { mode: 0o1777 });
  chmodSync(join(lower, 'tmp'), 0o1777);
  mkdirSync(join(lower, 'bin'));
  writeFileSync(join(lower, 'bin/sh'), '#!');
  mkdirSync(join(lower, 'shared'));
  chmodSync(join(lower, 'shared'), 0o2775);
  writeFileSync(join(lower, 'file'), 'f');
  for (const p of ['usr', 'usr/local', 'tmp', 'bin', 'shared']) utimesSync(join(lower, p), 978_307_200, 978_307_200);
}

function options(extra: Partial<CopyOptions>): CopyOptions {
  return { sources: ['.'], dest: '/app/', contextDir: context, confineToContext: true, ...extra };
}

/** The diff of a real copy and the planned layer of the same copy, each on a fresh upper dir. */
async function realAndPlanned(opts: CopyOptions, name: string): Promise<{ real: Buffer; planned: Buffer | undefined }> {
  const real = overlayDirs(join(base, `${name}-real`));
  populateLower(real.lower);
  await withKernelOverlay(real, (merged) => copyIntoRoot(merged, opts));
  const plan = overlayDirs(join(base, `${name}-plan`));
  populateLower(plan.lower);
  let top: ReturnType<typeof planCopyLayer>;
  await withKernelOverlay(plan, (merged) => {
    top = planCopyLayer(merged, opts);
  });
  assert.equal(readdirSync(plan.upper), [], 'planning writes nothing');
  return { real: await collect(diffLayer(real.upper, CLAMP)), planned: top! && await collect(plannedLayer(top!, CLAMP)) };
}

const cases: [string, Partial<CopyOptions>][] = [
  ['a directory to a new destination, ignore file with an exception', { exclude: (rel) => rel.endsWith('.log') && rel !== 'sub/keep.log', excludeHasExceptions: true }],
  ['under copied-up parents that keep their times and xattrs', { dest: '/usr/local/app' }],
  ['into an existing empty directory', { dest: '/tmp' }],
  ['a relative destination below the working directory', { dest: 'rel/dir/', workingDir: '/usr' }],
  ['one file to a new file path', { sources: ['a.txt'], dest: '/etc/conf/a.conf' }],
  ['several sources, files and directories', { sources: ['a.txt', 'sub', 'link'], dest: '/many' }],
  ['--chown and --chmod', { owner: { uid: 1234, gid: 5678 }, chmod: 0o750, dest: '/owned/' }],
];

for (const [name, extra] of cases) {
  test(`planned like the real copy: ${name}`, async () => {
    if (!isRoot) return;
    const { real, planned } = await realAndPlanned(options(extra), name.replace(/\W+/g, '-'));
    assert.ok(planned, 'the copy is planned');
    if (!planned!.equals(real)) {
      const show = async (b: Buffer) => (await listTar(b)).map((e) => `${e.header.name} ${e.header.mode.toString(8)} ${e.header.uid}:${e.header.gid} ${e.header.mtime} ${e.header.size}`);
      assert.equal(await show(planned!), await show(real));
      assert.unreachable('same headers, different bytes');
    }
  });
}

test('left to a real copy: a destination with content, a setgid parent, a file in the way, --parents, ADD', async () => {
  if (!isRoot) return;
  const d = overlayDirs(join(base, 'refused'));
  populateLower(d.lower);
  await withKernelOverlay(d, (merged) => {
    for (const dest of ['/bin', '/bin/', '/shared/app/', '/file/x/', '/']) {
      assert.is(planCopyLayer(merged, options({ dest })), undefined, dest);
    }
    assert.is(planCopyLayer(merged, options({ parents: true })), undefined, '--parents');
    assert.is(planCopyLayer(merged, options({ extractArchives: true })), undefined, 'ADD');
  });
  assert.equal(readdirSync(d.upper), []);
});

test('a missing source fails as the copy fails', async () => {
  if (!isRoot) return;
  const d = overlayDirs(join(base, 'missing'));
  await withKernelOverlay(d, (merged) => {
    assert.throws(() => planCopyLayer(merged, options({ sources: ['nope'] })), (e: unknown) => e instanceof CopySourceError);
  });
  rmSync(join(base, 'missing'), { recursive: true, force: true });
});

test.run();
