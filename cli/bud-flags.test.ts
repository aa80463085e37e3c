import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layersDefault, parseBuildArgs, parsePull, parseSecrets, remoteCacheFlags } from './bud-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-bud-flags-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('--build-arg and --build-arg-file: files first, flags win; a bare NAME takes the environment\'s value', () => {
  const file = join(dir, 'args');
  writeFileSync(file, '# comment\nA=from-file\nB=file\n\n');
  process.env.TROWEL_TEST_ARG = 'from-env';
  assert.equal(parseBuildArgs(['B=flag', 'TROWEL_TEST_ARG', 'UNSET_TROWEL_ARG'], [file]), { A: 'from-file', B: 'flag', TROWEL_TEST_ARG: 'from-env' });
  assert.throws(() => parseBuildArgs(['1X=y'], []), /parse --build-arg "1X=y": want NAME=VALUE/);
  assert.throws(() => parseBuildArgs([], [join(dir, 'missing')]), /read --build-arg-file .*missing: no such file/);
});

test('--pull values as buildah reads them', () => {
  assert.equal([undefined, '', 'false', 'missing', 'true', 'always', 'never', 'newer'].map(parsePull), ['missing', 'missing', 'missing', 'missing', 'newer', 'always', 'never', 'newer']);
  assert.throws(() => parsePull('sometimes'), /parse --pull "sometimes"/);
});

test('--secret: files must be readable, variables must be set', () => {
  const file = join(dir, 'secret');
  writeFileSync(file, 's3cret');
  process.env.TROWEL_TEST_SECRET = 'x';
  assert.equal(parseSecrets([`id=a,src=${file}`, 'id=b,env=TROWEL_TEST_SECRET', 'id=TROWEL_TEST_SECRET,type=env']), [
    { id: 'a', file }, { id: 'b', variable: 'TROWEL_TEST_SECRET' }, { id: 'TROWEL_TEST_SECRET', variable: 'TROWEL_TEST_SECRET' },
  ]);
  assert.throws(() => parseSecrets(['id=a']), /want id=ID,src=PATH or id=ID,env=VARIABLE/);
  assert.throws(() => parseSecrets(['id=a,env=NO_SUCH_TROWEL_VARIABLE']), /the environment has no variable NO_SUCH_TROWEL_VARIABLE/);
  assert.throws(() => parseSecrets([`id=a,src=${join(dir, 'missing')}`]), /cannot read/);
});

test('--cache-from/--cache-to repositories (comma lists allowed) and --cache-ttl', () => {
  assert.equal(remoteCacheFlags(['reg.example:5000/a/cache,reg.example:5000/b'], ['docker://reg.example:5000/a/cache'], '1h30m'), {
    cacheFrom: ['reg.example:5000/a/cache', 'reg.example:5000/b'], cacheTo: ['reg.example:5000/a/cache'], cacheTtl: 5400,
  });
  assert.equal(remoteCacheFlags([], [], '0'), { cacheFrom: [], cacheTo: [], cacheTtl: 0 });
  assert.throws(() => remoteCacheFlags(['reg.example/cache:tag'], [], undefined), /give a repository without a tag or digest/);
  assert.throws(() => remoteCacheFlags([], [], 'soon'), /parse --cache-ttl "soon"/);
});

test('--layers defaults to TROWEL_LAYERS, then BUILDAH_LAYERS', () => {
  const saved = [process.env.TROWEL_LAYERS, process.env.BUILDAH_LAYERS];
  delete process.env.TROWEL_LAYERS;
  process.env.BUILDAH_LAYERS = 'true';
  assert.ok(layersDefault());
  process.env.TROWEL_LAYERS = '0';
  assert.not.ok(layersDefault());
  [process.env.TROWEL_LAYERS, process.env.BUILDAH_LAYERS] = saved;
  if (saved[0] === undefined) delete process.env.TROWEL_LAYERS;
  if (saved[1] === undefined) delete process.env.BUILDAH_LAYERS;
});

test.run();
