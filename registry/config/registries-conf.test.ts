import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference, formatReference } from '../../oci/reference.js';
import { findRegistryEntry, loadRegistriesConf, pullSources, resolveShortName, isShortName, checkNotBlocked } from './registries-conf.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-regconf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function conf(text: string, name = 'registries.conf') {
  const f = join(dir, name);
  writeFileSync(f, text);
  return loadRegistriesConf({ file: f });
}

const SAMPLE = `
unqualified-search-registries = ["registry.example", "docker.io"]
short-name-mode = "permissive"

[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"
insecure = true

[[registry]]
location = "quay.io"
[[registry.mirror]]
location = "mirror.local:5000/quay"
insecure = true
[[registry.mirror]]
location = "digests.local/quay"
pull-from-mirror = "digest-only"

[[registry]]
prefix = "*.blocked.example"
blocked = true

[aliases]
"mybox" = "quay.io/me/box"
`;

test('prefix rewrite and longest-prefix match', () => {
  const c = conf(SAMPLE);
  const src = pullSources(c, parseReference('example.com/foo/app:1'));
  assert.equal(src.map((s) => [formatReference(s.reference), s.insecure, s.mirror]), [['internal.example.com/bar/app:1', true, false]]);
  assert.is(findRegistryEntry(c, 'example.com/foobar/x'), undefined, 'prefix ends at a path boundary');
});

test('mirrors come first; digest-only mirrors only for digests', () => {
  const c = conf(SAMPLE);
  const byTag = pullSources(c, parseReference('quay.io/a/b:v1'));
  assert.equal(byTag.map((s) => formatReference(s.reference)), ['mirror.local:5000/quay/a/b:v1', 'quay.io/a/b:v1']);
  assert.ok(byTag[0]!.insecure && byTag[0]!.mirror);
  const d = 'sha256:' + 'a'.repeat(64);
  const byDigest = pullSources(c, parseReference(`quay.io/a/b@${d}`));
  assert.equal(byDigest.map((s) => formatReference(s.reference)), [`mirror.local:5000/quay/a/b@${d}`, `digests.local/quay/a/b@${d}`, `quay.io/a/b@${d}`]);
});

test('blocked registries by wildcard', () => {
  const c = conf(SAMPLE);
  try {
    pullSources(c, parseReference('reg.blocked.example/x:1'));
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'REGISTRY_BLOCKED');
    assert.match((err as Error).message, 'reg.blocked.example/x:1');
  }
  assert.throws(() => checkNotBlocked(c, 'a.blocked.example/y', 'push'), /blocked/);
});

test('short names: alias first, then the search registries in order', () => {
  const c = conf(SAMPLE);
  assert.equal(resolveShortName(c, 'mybox:2').candidates.map(formatReference), ['quay.io/me/box:2']);
  assert.equal(resolveShortName(c, 'busybox').candidates.map(formatReference), ['registry.example/busybox:latest', 'docker.io/library/busybox:latest']);
  assert.equal(resolveShortName(c, 'localhost/app').candidates.map(formatReference), ['localhost/app:latest']);
  assert.ok(isShortName('library/busybox') && !isShortName('quay.io/x') && !isShortName('localhost:5000/x'));
});

test('short names: enforcing with several registries and no alias is ambiguous; none configured is an error', () => {
  const enforcing = conf('unqualified-search-registries = ["a.example", "b.example"]\n', 'enf.conf');
  assert.throws(() => resolveShortName(enforcing, 'app'), /ambiguous among a.example, b.example/);
  const none = conf('', 'none.conf');
  assert.throws(() => resolveShortName(none, 'app'), /no alias and no unqualified-search-registries/);
});

test('drop-ins override search list and same-prefix entries, and add aliases', () => {
  const sys = join(dir, 'etc');
  mkdirSync(join(sys, 'registries.conf.d'), { recursive: true });
  writeFileSync(join(sys, 'registries.conf'), 'unqualified-search-registries = ["one.example"]\n[[registry]]\nlocation = "r.example"\ninsecure = false\n');
  writeFileSync(join(sys, 'registries.conf.d', '10-x.conf'), 'unqualified-search-registries = ["two.example"]\n[[registry]]\nlocation = "r.example"\ninsecure = true\n[aliases]\n"x" = "two.example/x"\n');
  const c = loadRegistriesConf({ systemFile: join(sys, 'registries.conf'), home: join(dir, 'nohome'), env: {} });
  assert.equal(c.unqualifiedSearchRegistries, ['two.example']);
  assert.is(findRegistryEntry(c, 'r.example/a')?.insecure, true);
  assert.is(c.aliases.x, 'two.example/x');
});

test('malformed TOML names the file and line; v1 format refused clearly', () => {
  assert.throws(() => conf('unqualified-search-registries = ["a"\n[[registry]]\n', 'bad.conf'), /read registries.conf .*bad.conf:\d+/);
  assert.throws(() => conf('[registries.search]\nregistries = ["a"]\n', 'v1.conf'), /v1 format/);
  assert.throws(() => conf('[[registry]]\ninsecure = "yes"\nlocation = "a"\n', 'type.conf'), /insecure must be true or false/);
});

test('the system file of this machine loads', () => {
  const c = loadRegistriesConf({ env: {}, home: join(dir, 'nohome') });
  assert.ok(Array.isArray(c.registries));
});

test.run();
