/**
 * `trowel bud --pid/--ipc/--uts`: RUN steps share the host's namespaces of those kinds when
 * asked to (as `trowel run` does), and get their own otherwise.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder } from '../test/support/trowel.js';
import { BUSYBOX_IMAGE, makeTrowelBusyboxImage } from '../test/support/busybox-image.js';

const test = suite('bud shares host namespaces with RUN steps on request');
const t = new TrowelSandbox('trowel-bud-ns-');
const work = mkdtempSync(join(tmpdir(), 'trowel-bud-ns-ctx-'));

test.before(() => {
  makeTrowelBusyboxImage(t);
  writeFileSync(join(work, 'Containerfile'), [
    `FROM ${BUSYBOX_IMAGE}`,
    `RUN for ns in pid ipc uts; do readlink /proc/self/ns/$ns; done > /seen; hostname >> /seen; test -d /proc/${process.pid} && echo sees-the-test-process >> /seen; true`,
    '',
  ].join('\n'));
});

test.after(() => {
  t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Builds with `flags` and returns the lines RUN wrote into /seen. */
function build(tag: string, flags: string[]): string[] {
  t.ok(['bud', '-q', '--no-cache', ...flags, '-t', tag, work]);
  const c = t.ok(['from', tag]);
  try {
    const root = t.ok(['mount', c]);
    const lines = readFileSync(join(root, 'seen'), 'utf8').trim().split('\n');
    t.ok(['umount', c]);
    return lines;
  } finally {
    t.run(['rm', c]);
  }
}

const hostNs = (kind: string) => readlinkSync(`/proc/self/ns/${kind}`);

test("--pid=host --ipc=host --uts=host: RUN is in the host's namespaces and sees its processes", () => {
  const seen = build('localhost/ns-host', ['--pid', 'host', '--ipc', 'host', '--uts', 'host']);
  assert.equal(seen, [hostNs('pid'), hostNs('ipc'), hostNs('uts'), hostname(), 'sees-the-test-process']);
  assert.equal(mountsUnder(t.root), []);
});

test('by default RUN gets namespaces of its own', () => {
  const seen = build('localhost/ns-private', []);
  assert.is(seen.length, 4, `the test process is not visible: ${seen.join(' ')}`);
  for (const [i, kind] of ['pid', 'ipc', 'uts'].entries()) assert.is.not(seen[i], hostNs(kind), kind);
});

test('a bad value is one line, exit 125, before anything is built', () => {
  const r = t.run(['bud', '--pid', 'bogus', '-t', 'localhost/ns-bad', work]);
  assert.is(r.code, 125);
  assert.is(r.stderr, 'Error: parse --pid "bogus": want private, host or the path of a namespace\n');
  assert.not.match(t.ok(['images']), /ns-bad/);
});

test.run();
