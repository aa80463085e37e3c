import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TROWEL_BIN } from '../test/support/trowel-cli.js';

const missing = '/nonexistent/trowel-launcher-test-ca.pem';

function run(args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TROWEL_BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('node itself loads NODE_EXTRA_CA_CERTS at start-up (the cost the launcher avoids)', () => {
  const r = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: missing }, encoding: 'utf8' });
  assert.match(r.stderr, missing);
});

test('bin/trowel hands NODE_EXTRA_CA_CERTS over instead: node never reads it for a command without TLS', () => {
  const r = run(['version'], { NODE_EXTRA_CA_CERTS: missing });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Version:/);
  assert.is(r.stderr, '');
});

test('trowel unshare gives the command NODE_EXTRA_CA_CERTS as the user set it', () => {
  const r = run(['unshare', 'sh', '-c', 'echo "node=$NODE_EXTRA_CA_CERTS trowel=$TROWEL_EXTRA_CA_CERTS"'], { NODE_EXTRA_CA_CERTS: missing });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), `node=${missing} trowel=`);
});

test('arguments reach trowel unchanged, spaces and all', () => {
  const r = run(['unshare', 'sh', '-c', 'printf "[%s]" "$@"', 'sh', 'a b', '', '*'], {});
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '[a b][][*]');
});

test('a symlink to bin/trowel (npm link, npm install -g) finds the rest of trowel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trowel-launcher-'));
  try {
    symlinkSync(TROWEL_BIN, join(dir, 'trowel'));
    const r = spawnSync(join(dir, 'trowel'), ['version'], { encoding: 'utf8', cwd: dir });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /Version:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
