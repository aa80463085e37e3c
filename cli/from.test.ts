import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { freePort } from '../test/support/registry.js';
import { BUSYBOX_IMAGE, buildahStoreArgs, makeTrowelBusyboxImage } from '../test/support/busybox-image.js';

const test = suite('from: pull policy flags as buildah reads them, run settings kept for later runs');
const t = new TrowelSandbox();

test.before(() => {
  const c = t.ok(['from', 'scratch']);
  t.ok(['commit', '-q', '--rm', c, 'localhost/base']);
  makeTrowelBusyboxImage(t);
});

test.after(() => t.cleanup());

test('`from --pull IMAGE` takes IMAGE as the image (buildah: --pull=VALUE only), with policy newer', () => {
  // newer: the local image stands when no registry can say there is a newer one.
  assert.is(t.ok(['from', '--pull', 'localhost/base', '--retry', '0']), 'base-working-container');
  assert.is(t.ok(['from', '--pull=never', 'localhost/base']), 'base-working-container-1');
  assert.is(t.ok(['from', '--pull-never', 'localhost/base']), 'base-working-container-2');
});

test('--pull never and --pull always refuse what they cannot have, in one line', async () => {
  const port = await freePort();
  const never = t.run(['from', '--pull=never', `127.0.0.1:${port}/x/y:z`]);
  assert.is(never.code, 125);
  assert.match(never.stderr, /^Error: resolve image 127\.0\.0\.1:\d+\/x\/y:z: image not known locally, and --pull=never forbids pulling it\n$/);
  const always = t.run(['from', '--pull=always', '--retry', '0', 'localhost/base']);
  assert.is(always.code, 125, 'always must go to the registry (localhost:443 here, which is closed)');
  const lines = always.stderr.trim().split('\n');
  assert.is(lines.filter((l) => l.startsWith('Error: ')).length, 1, always.stderr);
  assert.match(lines.at(-1)!, /^Error: .*localhost/);
  const bad = t.run(['from', '--pull=sometimes', 'localhost/base']);
  assert.match(bad.stderr, /^Error: parse --pull "sometimes"/);
  const none = t.run(['from']);
  assert.is(none.code, 125);
  assert.match(none.stderr, /image name \(or scratch\) must be specified/);
});

test('run settings given to from apply to every run of the container; a run adds to lists and replaces single values', () => {
  const shared = join(t.root, 'shared');
  mkdirSync(shared, { recursive: true });
  writeFileSync(join(shared, 'note'), 'from the host\n');
  const c = t.ok(['from', '--network', 'none', '--volume', `${shared}:/shared:ro`, '--ulimit', 'nofile=123:123', '--add-host', 'db.test:10.1.2.3', BUSYBOX_IMAGE]);
  const script = 'cat /shared/note; ulimit -n; grep db.test /etc/hosts; ls /sys/class/net | tr "\\n" " "';
  const out = t.ok(['run', c, '--', 'sh', '-c', script]);
  assert.match(out, /^from the host\n123\n10\.1\.2\.3\s+db\.test\n/);
  assert.equal(out.trim().split('\n').at(-1)!.trim().split(/\s+/), ['lo'], 'network none: no interface but lo');
  // The run's own --ulimit comes after from's, so it wins; --network host replaces none.
  const again = t.ok(['run', '--ulimit', 'nofile=77:77', '--network', 'host', c, '--', 'sh', '-c', 'ulimit -n; ls /sys/class/net | wc -w']);
  const [limit, interfaces] = again.trim().split('\n');
  assert.is(limit, '77');
  assert.ok(Number(interfaces) > 1, `the host's interfaces are visible: ${again}`);
});

test('inspect of a container shows its run settings and base image as buildah shows them', () => {
  const flags = ['--network', 'none', '--pid', 'host', '--cap-drop', 'CAP_CHOWN', '--cap-add', 'CAP_NET_RAW'];
  const c = t.ok(['from', ...flags, 'localhost/base']);
  const ours = JSON.parse(t.ok(['inspect', '--type', 'container', c]));
  const store = mkdtempSync(join(tmpdir(), 'trowel-from-buildah-'));
  try {
    const buildah = (args: string[]) => {
      const r = spawnSync('buildah', [...buildahStoreArgs(store), ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    };
    const theirs = JSON.parse(buildah(['inspect', '--type', 'container', buildah(['from', ...flags, 'scratch'])]));
    assert.equal(ours.NamespaceOptions, theirs.NamespaceOptions);
    assert.equal(ours.Capabilities, theirs.Capabilities);
    assert.equal(ours.IDMappingOptions.HostUIDMapping, theirs.IDMappingOptions.HostUIDMapping);
    assert.is(ours.Isolation, theirs.Isolation);
  } finally {
    spawnSync('buildah', [...buildahStoreArgs(store), 'rm', '--all']);
    rmSync(store, { recursive: true, force: true });
  }
  // Config and Manifest are the base image's, as stored.
  const image = JSON.parse(t.ok(['inspect', '--type', 'image', 'localhost/base']));
  assert.is(ours.Config, image.Config);
  assert.is(ours.Manifest, image.Manifest);
  assert.is(JSON.parse(t.ok(['inspect', '--type', 'container', t.ok(['from', 'scratch'])])).Config, '');
});

test('bad run settings fail at from, and resource flags trowel does not apply are refused by name', () => {
  for (const [args, message] of [
    [['--pid', 'sideways'], /--pid/],
    [['--security-opt', 'nonsense'], /--security-opt/],
    [['--memory', '1g'], /--memory/],
  ] as const) {
    const r = t.run(['from', ...args, 'localhost/base']);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
