/**
 * `COPY --parents` / `ADD --parents` through `trowel bud`: kept context paths, the `/./`
 * pivot, globs, `--from`, and the `--layers` cache key (buildah 1.28 refuses the flag, so the
 * Dockerfile reference is the oracle here; see test/compat/README.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { writeTree } from '../test/support/files.js';

let t: TrowelSandbox;
let work = '';

/** A context directory under the work dir with `files` (path -> content); returns its path. */
function context(name: string, files: Record<string, string>): string {
  return writeTree(join(work, name), files);
}

test.before(() => {
  ({ t, work } = setUpBuildTest('bud-parents'));
});

test.after(() => {
  tearDownBuildTest({ t, work });
});

test('COPY/ADD --parents keep context paths, pivots and globs, also with --from', () => {
  const dir = context('layout', {
    'x/y/a.txt': 'a\n',
    'x/y/b.txt': 'b\n',
    'x/z/a.txt': 'za\n',
    'x/y/deep/c.txt': 'c\n',
    Containerfile: [
      'FROM busybox AS tools',
      'RUN mkdir -p /app/bin && echo tool > /app/bin/tool',
      'FROM scratch',
      'COPY --parents x/*/a.txt /glob/',
      'COPY --parents ./x/./y/*.txt /pivot/',
      'COPY --parents x/y/deep /dir',
      'COPY x/y/a.txt x/z/a.txt /flat/',
      'COPY --parents --from=tools /app/./bin/tool /from/',
      'ADD --parents x/y/b.txt /add/',
      '',
    ].join('\n'),
  });
  chmodSync(join(dir, 'x/y'), 0o750);
  const out = join(work, 'layout-out');
  const r = t.run(['bud', '--output', `type=local,dest=${out}`, dir]);
  assert.is(r.code, 0, r.stderr);
  const read = (p: string) => readFileSync(join(out, p), 'utf8');
  assert.is(read('glob/x/y/a.txt'), 'a\n');
  assert.is(read('glob/x/z/a.txt'), 'za\n');
  assert.is(read('pivot/y/a.txt'), 'a\n');
  assert.is(read('pivot/y/b.txt'), 'b\n');
  assert.not.ok(existsSync(join(out, 'pivot/x')), 'nothing before the pivot is kept');
  assert.is(read('dir/x/y/deep/c.txt'), 'c\n');
  assert.is(read('from/bin/tool'), 'tool\n');
  assert.not.ok(existsSync(join(out, 'from/app')));
  assert.is(read('add/x/y/b.txt'), 'b\n');
  // Without the flag the last source of the same name wins, as before.
  assert.is(read('flat/a.txt'), 'za\n');
  // A kept parent directory is made with its source directory's mode.
  assert.is(statSync(join(out, 'glob/x/y')).mode & 0o777, 0o750);
});

test('--parents is part of the --layers cache key, and so are the kept parents\' modes', () => {
  const dir = context('cache', { 'x/y/a.txt': 'a\n' });
  const build = (line: string) => {
    writeFileSync(join(dir, 'Containerfile'), `FROM busybox\n${line}\n`);
    const r = t.run(['bud', '--layers', dir]);
    assert.is(r.code, 0, r.stderr);
    return r.stdout;
  };
  build('COPY x/y/a.txt /p/');
  assert.not.match(build('COPY --parents x/y/a.txt /p/'), /Using cache/, 'a plain COPY is not reused for --parents');
  assert.match(build('COPY --parents x/y/a.txt /p/'), /Using cache/);
  chmodSync(join(dir, 'x/y'), 0o700);
  assert.not.match(build('COPY --parents x/y/a.txt /p/'), /Using cache/, 'a kept parent changed its mode');
});

test('--parents with a missing source fails naming it; nothing is tagged', () => {
  const dir = context('missing', { Containerfile: 'FROM busybox\nCOPY --parents ./no/./such.txt /p/\n' });
  const r = t.run(['bud', '-t', 'parents-missing', dir]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /COPY --parents \.\/no\/\.\/such\.txt \/p\/.*copy \.\/no\/\.\/such\.txt: no such file or directory/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(t.ok(['images']), /parents-missing/);
});

test.run();
