/**
 * `trowel bud --userns=container` with id maps, as root: RUN steps run in a new user namespace
 * whose root is host id 100000, the files a RUN writes are stored on disk under the mapped host
 * ids while it runs, and they come out as container ids in the committed layer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox, mountsUnder, sh } from '../test/support/trowel.js';
import { writeTree } from '../test/support/files.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { ensureRootlessUser } from '../test/support/rootless-user.js';

const MAP = ['--userns=container', '--userns-uid-map', '0:100000:65536', '--userns-gid-map', '0:200000:65536'];

let t: TrowelSandbox;
let work = '';

/** A context directory under the work dir with `files` (path -> content); returns its path. */
function context(name: string, files: Record<string, string>): string {
  return writeTree(join(work, name), files);
}

/** `uid:gid path` of every entry of the image's last layer, from an OCI layout push. */
function lastLayerOwners(image: string): string[] {
  const layout = join(work, `oci-${image}`);
  t.ok(['push', image, `oci:${layout}:x`]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(layout, 'blobs/sha256', d.slice('sha256:'.length));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string }[] };
  return sh('tar', ['tvf', blob(manifest.layers.at(-1)!.digest), '--numeric-owner']).trim().split('\n')
    .map((l) => l.split(/\s+/)).map((f) => `${f[1]!.replace('/', ':')} ${f[5]}`);
}

/** `.../upper/<name>` of the build's working container, once a RUN has made it. */
function findInUpper(name: string): string | undefined {
  const containers = join(t.root, 'containers');
  if (!existsSync(containers)) return undefined;
  for (const id of readdirSync(containers)) {
    const p = join(containers, id, 'upper', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

test.before(() => {
  ({ t, work } = setUpBuildTest('bud-userns'));
});

test.after(() => {
  tearDownBuildTest({ t, work });
});

test('RUN runs as mapped root; its files are host ids on disk while it runs and container ids in the layer', async () => {
  const dir = context('mapped', {
    'copied.txt': 'c\n',
    Containerfile: [
      'FROM busybox',
      'RUN cat /proc/self/uid_map /proc/self/gid_map >&2 && stat -c "base %u:%g %n" / /bin/busybox /etc/passwd >&2'
        + ' && touch /made && mkdir /owned && chown 1000:1000 /owned && touch /ready && while [ ! -e /signal/go ]; do sleep 0.1; done',
      'COPY copied.txt /copied.txt',
      'RUN stat -c "again %u:%g %n" /made /owned /copied.txt >&2 && echo more > /owned/more && chown 1000:1000 /owned/more',
      '',
    ].join('\n'),
  });
  // The first RUN waits for the test to look at the upper dir; the go-ahead comes through a
  // volume any id may enter (the namespace's root is not host root).
  const signal = mkdtempSync(join(tmpdir(), 'trowel-userns-signal-'));
  chmodSync(signal, 0o777);
  const build = t.runAsync(['bud', ...MAP, '-v', `${signal}:/signal`, '-t', 'mapped', dir]);
  let made: string | undefined;
  for (let i = 0; i < 300 && !(made = findInUpper('ready')); i++) await new Promise((r) => setTimeout(r, 100));
  try {
    assert.ok(made, 'the first RUN started');
    const upper = join(made!, '..');
    assert.is(lstatSync(join(upper, 'made')).uid, 100000, 'container root is host 100000 on disk');
    assert.is(lstatSync(join(upper, 'made')).gid, 200000);
    assert.is(lstatSync(join(upper, 'owned')).uid, 101000, 'container 1000 is host 101000 on disk');
    assert.is(lstatSync(join(upper, 'owned')).gid, 201000);
  } finally {
    writeFileSync(join(signal, 'go'), '');
  }
  const r = await build;
  rmSync(signal, { recursive: true, force: true });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\s+0\s+100000\s+65536\n\s+0\s+200000\s+65536$/m, 'uid and gid maps as given');
  assert.match(r.stderr, /^base 0:0 \/$/m, 'the base image shows container ids inside');
  assert.match(r.stderr, /^base 0:0 \/bin\/busybox$/m);
  assert.match(r.stderr, /^again 0:0 \/made$/m);
  assert.match(r.stderr, /^again 1000:1000 \/owned$/m);
  assert.match(r.stderr, /^again 0:0 \/copied\.txt$/m, 'a COPY between mapped RUNs is seen as root\'s');
  const owners = lastLayerOwners('mapped');
  assert.ok(owners.includes('0:0 made'), owners.join('\n'));
  assert.ok(owners.includes('1000:1000 owned/'), owners.join('\n'));
  assert.ok(owners.includes('1000:1000 owned/more'), owners.join('\n'));
  assert.ok(owners.includes('0:0 copied.txt'), owners.join('\n'));
  assert.not.ok(owners.some((o) => /^(1|2)0\d{4}:/.test(o)), 'no host id reaches the layer');
  assert.equal(mountsUnder(t.root), []);
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('trowel-userns-')), [], 'the mount area is removed');
});

test('a uid map alone serves for gids too; no map is the identity; --userns-uid-map-user takes /etc/subuid ranges', () => {
  const dir = context('maps', { Containerfile: 'FROM busybox\nRUN cat /proc/self/uid_map /proc/self/gid_map >&2\n' });
  const one = t.run(['bud', '--userns-uid-map', '0:300000:65536', dir]);
  assert.is(one.code, 0, one.stderr);
  assert.match(one.stderr, /^\s+0\s+300000\s+65536\n\s+0\s+300000\s+65536$/m);
  const identity = t.run(['bud', '--userns=container', dir]);
  assert.is(identity.code, 0, identity.stderr);
  assert.match(identity.stderr, /^\s+0\s+0\s+4294967295\n\s+0\s+0\s+4294967295$/m, 'container without maps: every id onto itself, as buildah as root');
  const user = ensureRootlessUser();
  const sub = t.run(['bud', '--userns=container', '--userns-uid-map-user', user.name, dir]);
  assert.is(sub.code, 0, sub.stderr);
  assert.match(sub.stderr, new RegExp(`^\\s+0\\s+${user.subuid.start}\\s+${user.subuid.count}\\n\\s+0\\s+${user.subgid.start}\\s+${user.subgid.count}$`, 'm'));
});

test('with --layers the id maps are part of a RUN\'s cache key', () => {
  const dir = context('layers', { Containerfile: 'FROM busybox\nRUN cat /proc/self/uid_map > /map\n' });
  const build = (flags: string[]) => {
    const r = t.run(['bud', '--layers', ...flags, dir]);
    assert.is(r.code, 0, r.stderr);
    return r.stdout;
  };
  build([]);
  assert.not.match(build(MAP), /Using cache/, 'a RUN in another namespace is not reused');
  assert.match(build(MAP), /Using cache/);
});

test('from --userns-uid-map: the container\'s runs are in that namespace; its files stay container ids', () => {
  const c = t.ok(['from', ...MAP, 'busybox']);
  try {
    const out = t.ok(['run', c, '--', 'sh', '-c', 'head -n1 /proc/self/uid_map; id -u; mkdir /d && chown 7:7 /d']);
    assert.match(out, /^\s*0\s+100000\s+65536\n0$/);
    t.ok(['commit', '-q', c, 'localhost/from-mapped']);
    const owners = lastLayerOwners('localhost/from-mapped');
    assert.ok(owners.includes('7:7 d/'), owners.join('\n'));
    const again = t.ok(['run', c, '--', 'stat', '-c', '%u:%g', '/d']);
    assert.is(again, '7:7', 'a second run sees the ids the first one set');
  } finally {
    t.ok(['rm', c]);
  }
  const bad = t.run(['from', '--userns-uid-map', '1:100000:10', 'busybox']);
  assert.is(bad.code, 125);
  assert.match(bad.stderr, /^Error: parse --userns-uid-map: container id 0 \(root\) must be mapped/);
  assert.equal(t.ok(['containers', '-q']).split('\n').filter(Boolean), [], 'a refused from makes no container');
});

test('userns values and maps trowel cannot use are refused in one line', () => {
  const dir = context('refused', { Containerfile: 'FROM busybox\nRUN true\n' });
  const cases: [string[], RegExp][] = [
    [['--userns=auto'], /trowel bud --userns=auto \(only host and container are supported\) is not supported yet/],
    [['--userns=ns:/proc/1/ns/user'], /--userns=ns:\/proc\/1\/ns\/user/],
    [['--userns=container', '--userns-uid-map', '1:100000:10'], /parse --userns-uid-map: container id 0 \(root\) must be mapped/],
    [['--userns=container', '--userns-uid-map', '0:100000'], /parse --userns-uid-map "0:100000": want containerID:hostID:length/],
    [['--userns=container', '--userns-uid-map', '0:100000:10,5:200000:10'], /container id ranges overlap/],
    [['--userns=host', '--userns-uid-map', '0:100000:10'], /need --userns=container/],
  ];
  for (const [flags, why] of cases) {
    const r = t.run(['bud', ...flags, dir]);
    assert.is.not(r.code, 0, flags.join(' '));
    assert.match(r.stderr, why);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
