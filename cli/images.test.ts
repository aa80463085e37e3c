import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TrowelSandbox } from '../test/support/trowel.js';

const test = suite('images --filter, containers --filter');
const t = new TrowelSandbox();
const ids: Record<string, string> = {};

function listed(...filters: string[]): string[] {
  return t.ok(['images', '-q', ...filters.flatMap((f) => ['--filter', f])]).split('\n').filter(Boolean).sort();
}

function short(...names: string[]): string[] {
  return names.map((n) => ids[n]!.slice(0, 12)).sort();
}

test.before(() => {
  // Three images, made one after another: two labelled, one left without a name.
  for (const [name, label] of [['localhost/app-one:1', 'tier=web'], ['localhost/app-two:2', 'tier=db'], ['', 'other=x']] as const) {
    const c = t.ok(['from', 'scratch']);
    t.ok(['config', '--label', label, c]);
    ids[name || 'dangling'] = t.ok(['commit', '-q', '--rm', c, ...(name ? [name] : [])]);
  }
});

test.after(() => t.cleanup());

test('dangling, label, reference, id', () => {
  assert.equal(listed('dangling=true'), short('dangling'));
  assert.equal(listed('dangling=false'), short('localhost/app-one:1', 'localhost/app-two:2'));
  assert.equal(listed('label=tier'), short('localhost/app-one:1', 'localhost/app-two:2'));
  assert.equal(listed('label=tier=db'), short('localhost/app-two:2'));
  assert.equal(listed('reference=app-*'), short('localhost/app-one:1', 'localhost/app-two:2'));
  assert.equal(listed('reference=localhost/app-one:1'), short('localhost/app-one:1'));
  assert.equal(listed(`id=${ids['localhost/app-two:2']!.slice(0, 8)}`), short('localhost/app-two:2'));
  assert.equal(listed('label=tier', 'reference=*one*'), short('localhost/app-one:1'), 'filters combine');
});

test('before and since compare creation times with another image', () => {
  assert.equal(listed('before=localhost/app-two:2'), short('localhost/app-one:1'));
  assert.equal(listed('since=localhost/app-two:2'), short('dangling'));
});

test('a bad filter is one clear line', () => {
  for (const bad of ['nokey', 'colour=red', 'dangling=maybe']) {
    const r = t.run(['images', '--filter', bad]);
    assert.is(r.code, 125, bad);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--filter/);
  }
});

test('containers --filter id, name, ancestor', () => {
  const fromImage = t.ok(['from', '--name', 'web-box', 'localhost/app-one:1']);
  const fromScratch = t.ok(['from', '--name', 'db-box', 'scratch']);
  const listedContainers = (f: string) => t.ok(['containers', '--format', '{{.ContainerName}}', '--filter', f]).split('\n').filter(Boolean);
  assert.equal(listedContainers('name=web'), [fromImage]);
  const scratchId = t.ok(['containers', '-q', '--notruncate', '--filter', 'name=db-box']);
  assert.match(scratchId, /^[0-9a-f]{64}$/);
  assert.equal(listedContainers(`id=${scratchId.slice(0, 6)}`), [fromScratch]);
  assert.equal(listedContainers('ancestor=localhost/app-one:1'), [fromImage]);
  assert.equal(listedContainers(`ancestor=${ids['localhost/app-one:1']!.slice(0, 10)}`), [fromImage]);
  assert.equal(listedContainers('name=box,ancestor=localhost/app-one:1'), [fromImage]);
  const bad = t.run(['containers', '--filter', 'colour=red']);
  assert.is(bad.code, 125);
  assert.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});

test.run();
