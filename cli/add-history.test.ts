/**
 * `--add-history` on config, copy, add and run, with buildah as the oracle: the same operations
 * on a trowel and a buildah working container give the same history lines (content digests
 * aside, which each tool takes its own way). Also: `copy` prints its content digest unless -q,
 * BUILDAH_HISTORY turns recording on, a failed run records nothing, and `commit --timestamp`
 * dates the recorded entries too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { writeTree } from '../test/support/files.js';
import { BUSYBOX_IMAGE, buildahStoreArgs, makeBuildahBusyboxImage, makeTrowelBusyboxImage } from '../test/support/busybox-image.js';

const t = new TrowelSandbox();
const work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-add-history-'));
const buildahStore = join(work, 'buildah');
const files = writeTree(join(work, 'files'), { 'f.txt': 'file\n', 'd/a': 'a\n', 'd/b/c': 'c\n' });

function bh(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('buildah', [...buildahStoreArgs(buildahStore), ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

interface HistoryLine {
  created: string;
  created_by?: string;
  empty_layer?: boolean;
}

function trowelHistory(image: string): HistoryLine[] {
  return (JSON.parse(JSON.parse(t.ok(['inspect', image])).Config) as { history: HistoryLine[] }).history;
}

function buildahHistory(image: string): HistoryLine[] {
  return (JSON.parse(JSON.parse(bh(['inspect', image])).Config) as { history: HistoryLine[] }).history;
}

/** created_by and empty_layer, with content digests made comparable. */
const comparable = (h: HistoryLine[]) => h.map((e) => `${(e.created_by ?? '').replace(/(file|dir|multi):[0-9a-f]{64}/, '$1:<digest>')} ${e.empty_layer === true}`);

/** The operations of one tool, given its command runner. */
function operate(tool: (args: string[]) => string, c: string, runArgs: string[]): void {
  tool(['copy', '--add-history', c, join(files, 'f.txt'), '/f.txt']);
  tool(['add', '--add-history', c, join(files, 'd'), '/d']);
  tool(['copy', c, join(files, 'f.txt'), '/unrecorded.txt']);
  tool(['config', '--add-history', '--user', '0:0', '--port', '80', '--port', '443/udp', '--env', 'A=1', '--env', 'B=2', '--entrypoint', '["/bin/sh"]',
    '--cmd', 'sleep 1', '--volume', '/v1', '--volume', '/v2', '--healthcheck', 'CMD true', '--healthcheck-interval', '5s', '--healthcheck-retries', '2',
    '--label', 'x=y', '--label', 'z=w', '--workingdir', '/w', '--onbuild', 'RUN a', c]);
  tool(['config', '--label', 'unrecorded=1', c]);
  tool(['run', ...runArgs, '--add-history', c, '--', 'sh', '-c', 'echo ran > /ran']);
}

test.before(() => {
  makeTrowelBusyboxImage(t);
  makeBuildahBusyboxImage(buildahStore);
});

test.after(() => {
  t.cleanup();
  spawnSync('buildah', [...buildahStoreArgs(buildahStore), 'rm', '--all']);
  rmSync(work, { recursive: true, force: true });
});

test('config, copy, add and run record what buildah records, in its words and order', () => {
  const tc = t.ok(['from', '--format', 'docker', BUSYBOX_IMAGE]);
  operate((args) => t.ok(args), tc, []);
  t.ok(['commit', '-q', '--format', 'docker', tc, 'localhost/recorded']);
  const bc = bh(['from', '--format', 'docker', BUSYBOX_IMAGE]);
  operate((args) => bh(args), bc, ['--isolation', 'chroot']);
  bh(['commit', '-q', '--format', 'docker', bc, 'localhost/recorded']);

  const ours = trowelHistory('localhost/recorded');
  const theirs = buildahHistory('localhost/recorded');
  // The base image's entries and each commit's own last entry are each tool's own.
  const recorded = (h: HistoryLine[], base: HistoryLine[]) => comparable(h.slice(base.length, -1));
  assert.equal(recorded(ours, trowelHistory(BUSYBOX_IMAGE)), recorded(theirs, buildahHistory(BUSYBOX_IMAGE)));
  assert.is(recorded(ours, trowelHistory(BUSYBOX_IMAGE)).length, 14);
  assert.ok(comparable(ours).some((l) => l.startsWith('/bin/sh -c sh -c echo ran > /ran ')), 'the run is recorded');
  assert.ok(!comparable(ours).some((l) => l.includes('unrecorded')), 'operations without the flag are not recorded');
});

test('copy prints the content digest (the one its history line names) unless -q', () => {
  const c = t.ok(['from', 'scratch']);
  const printed = t.ok(['copy', '--add-history', c, join(files, 'd'), '/d']);
  assert.match(printed, /^[0-9a-f]{64}$/);
  assert.is(t.ok(['copy', c, join(files, 'd'), '/again']), printed, 'the same content gives the same digest');
  assert.is(t.ok(['copy', '-q', c, join(files, 'f.txt'), '/f']), '');
  assert.is.not(t.ok(['copy', c, join(files, 'f.txt'), '/f2']), printed);
  t.ok(['commit', '-q', c, 'localhost/printed']);
  assert.ok(trowelHistory('localhost/printed').some((e) => e.created_by === `/bin/sh -c #(nop) COPY dir:${printed}`));
});

test('BUILDAH_HISTORY records without the flag; a failed run records nothing; --timestamp dates the entries', () => {
  const c = t.ok(['from', BUSYBOX_IMAGE]);
  t.ok(['config', '--label', 'from=env', c], { env: { BUILDAH_HISTORY: 'true' } });
  t.ok(['config', '--add-history=false', '--label', 'flag=wins', c], { env: { BUILDAH_HISTORY: 'true' } });
  const failed = t.run(['run', '--add-history', c, '--', 'sh', '-c', 'exit 3']);
  assert.is(failed.code, 3);
  t.ok(['commit', '-q', '--timestamp', '1700000000', c, 'localhost/dated']);
  const h = trowelHistory('localhost/dated');
  const mine = h.slice(-2);
  assert.equal(mine.map((e) => e.created_by), ['/bin/sh -c #(nop) LABEL from=env', '/bin/sh']);
  assert.ok(mine.every((e) => e.created === '2023-11-14T22:13:20.000Z'), JSON.stringify(mine));
  const bad = t.run(['config', '--label', 'x=1', c], { env: { BUILDAH_HISTORY: 'maybe' } });
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^Error: parse BUILDAH_HISTORY="maybe": want true or false\n$/);
});

test.run();
