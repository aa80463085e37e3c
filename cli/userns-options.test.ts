import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../oci/error.js';
import { parseIdMap, resolveUsernsFlags } from './userns-options.js';

const none = { uidMaps: [], gidMaps: [] };

test('host (the default) needs no namespace; container without maps maps every id of trowel\'s namespace onto itself', () => {
  assert.is(resolveUsernsFlags(none, {}), undefined);
  assert.is(resolveUsernsFlags({ ...none, userns: 'host' }, {}), undefined);
  const root = '         0          0 4294967295\n';
  assert.equal(resolveUsernsFlags({ ...none, userns: 'container' }, { rootless: false, ownUidMap: root, ownGidMap: root })?.uidMappings, [{ containerId: 0, hostId: 0, size: 4294967295 }]);
  const rootless = '         0       1002          1\n         1     165536      65536\n';
  assert.equal(resolveUsernsFlags({ ...none, userns: 'container' }, { rootless: false, ownUidMap: rootless, ownGidMap: root })?.uidMappings, [{ containerId: 0, hostId: 0, size: 65537 }]);
});

test('rootless: maps must leave the namespace\'s own id 0 out, and container needs maps', () => {
  const ns = { rootless: true, ownUidMap: '0 1002 1\n1 165536 65536\n', ownGidMap: '0 1002 1\n1 165536 65536\n' };
  assert.equal(resolveUsernsFlags({ uidMaps: ['0:1:1000'], gidMaps: [] }, ns)?.gidMappings, [{ containerId: 0, hostId: 1, size: 1000 }]);
  assert.throws(() => resolveUsernsFlags({ uidMaps: ['0:65000:1000'], gidMaps: [] }, ns), /host ids must lie within the rootless namespace/);
  assert.throws(() => resolveUsernsFlags({ uidMaps: ['0:0:1000'], gidMaps: [] }, ns), /id 0 of the rootless namespace/);
  assert.throws(() => resolveUsernsFlags({ ...none, userns: 'container' }, { rootless: true }), (e: unknown) => e instanceof NotImplementedError);
});

test('triples, comma-separated or repeated; one side\'s map serves for the other', () => {
  assert.equal(parseIdMap('--userns-uid-map', ['0:100000:1,1:100001:9', '10:200000:5']), [
    { containerId: 0, hostId: 100000, size: 1 }, { containerId: 1, hostId: 100001, size: 9 }, { containerId: 10, hostId: 200000, size: 5 },
  ]);
  const g = resolveUsernsFlags({ uidMaps: [], gidMaps: ['0:5000:10'] }, {})!;
  assert.equal(g.uidMappings, g.gidMappings);
});

test('--userns-uid-map-user reads /etc/subuid and, without a group, /etc/subgid for the same name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trowel-userns-opts-'));
  try {
    writeFileSync(join(dir, 'subuid'), 'alice:100000:10\nbob:5:5\nalice:300000:20\n');
    writeFileSync(join(dir, 'subgid'), 'alice:400000:30\n');
    assert.throws(() => resolveUsernsFlags({ ...none, uidMapUser: 'alice' }, { rootless: true }), (e: unknown) => e instanceof NotImplementedError);
    const m = resolveUsernsFlags({ ...none, uidMapUser: 'alice' }, { rootless: false, subuidFile: join(dir, 'subuid'), subgidFile: join(dir, 'subgid') })!;
    assert.equal(m.uidMappings, [{ containerId: 0, hostId: 100000, size: 10 }, { containerId: 10, hostId: 300000, size: 20 }]);
    assert.equal(m.gidMappings, [{ containerId: 0, hostId: 400000, size: 30 }]);
    assert.throws(() => resolveUsernsFlags({ ...none, uidMapUser: 'carol' }, { rootless: false, subuidFile: join(dir, 'subuid') }), /no range for carol in .*subuid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad maps and unsupported modes are refused with the right error', () => {
  for (const bad of ['0:1', 'a:1:2', '0:1:0', '1:100:5', '0:100:10,5:300:1', '0:100:10,20:105:1', '0:4294967290:10']) {
    assert.throws(() => parseIdMap('--userns-uid-map', [bad]), (e: unknown) => e instanceof InvalidArgumentError, bad);
  }
  for (const mode of ['auto', 'ns:/proc/1/ns/user', '/proc/1/ns/user']) {
    assert.throws(() => resolveUsernsFlags({ ...none, userns: mode }, {}), (e: unknown) => e instanceof NotImplementedError, mode);
  }
  assert.throws(() => resolveUsernsFlags({ uidMaps: ['0:1:1'], gidMaps: [], userns: 'host' }, {}), /need --userns=container/);
});

test.run();
