import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TrowelSandbox } from '../test/support/trowel.js';
import { freePort } from '../test/support/registry.js';

const test = suite('from: pull policy flags as buildah reads them');
const t = new TrowelSandbox();

test.before(() => {
  const c = t.ok(['from', 'scratch']);
  t.ok(['commit', '-q', '--rm', c, 'localhost/base']);
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

test.run();
