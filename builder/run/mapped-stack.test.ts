import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idMapsKey, pruneIdMappedLayers } from './mapped-stack.js';

test('idMapsKey tells maps apart and is stable', () => {
  const a = { uidMappings: [{ containerId: 0, hostId: 100000, size: 10 }], gidMappings: [{ containerId: 0, hostId: 100000, size: 10 }] };
  const b = { uidMappings: a.uidMappings, gidMappings: [{ containerId: 0, hostId: 200000, size: 10 }] };
  assert.is(idMapsKey(a), idMapsKey(structuredClone(a)));
  assert.is.not(idMapsKey(a), idMapsKey(b));
});

test('pruning drops copies of layers the store no longer has and half-made copies of dead processes', () => {
  const root = mkdtempSync(join(tmpdir(), 'trowel-mapped-prune-'));
  try {
    mkdirSync(join(root, 'layers/aaa'), { recursive: true });
    const key = join(root, 'idmapped-layers/k');
    for (const n of ['aaa', 'bbb', 'empty', 'tmp-4194304-x', `tmp-${process.pid}-y`]) mkdirSync(join(key, n), { recursive: true });
    pruneIdMappedLayers(root);
    assert.ok(existsSync(join(key, 'aaa')), 'a layer still in the store keeps its copy');
    assert.not.ok(existsSync(join(key, 'bbb')), 'a removed layer loses its copy');
    assert.ok(existsSync(join(key, 'empty')));
    assert.not.ok(existsSync(join(key, 'tmp-4194304-x')), 'a dead process\'s half-made copy goes');
    assert.ok(existsSync(join(key, `tmp-${process.pid}-y`)), 'a live one\'s stays');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
