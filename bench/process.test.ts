import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execute, lastLine, measure } from './process.js';

test('execute reports exit code and output without throwing', async () => {
  const r = await execute({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  assert.is(r.exitCode, 3);
  assert.is(r.stdout, 'out\n');
  assert.is(r.stderr, 'err\n');
  assert.ok(r.wallMs > 0);
});

test('measure sees the peak RSS of a process that allocates', async () => {
  // busybox/sh cannot allocate on demand; node can: 64 MiB held while the process lives.
  const small = await measure({ argv: ['true'] });
  const big = await measure({ argv: [process.execPath, '-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log(b[5])'] });
  assert.is(small.exitCode, 0);
  assert.is(big.exitCode, 0);
  assert.ok(small.peakRssKb > 0, 'true has some RSS');
  assert.ok(big.peakRssKb > 64 * 1024, `expected > 64 MiB, got ${big.peakRssKb} KiB`);
  assert.ok(big.peakRssKb > small.peakRssKb);
});

test('measure keeps the peak RSS figure when the command fails', async () => {
  const r = await measure({ argv: ['sh', '-c', 'exit 7'] });
  assert.is(r.exitCode, 7);
  assert.ok(r.peakRssKb > 0);
});

test('wall time covers a sleep', async () => {
  const r = await measure({ argv: ['sleep', '0.2'] });
  assert.ok(r.wallMs >= 190, `wall ${r.wallMs}`);
});

test('lastLine picks the error line of stderr, else its last line, else stdout', () => {
  assert.is(lastLine({ stdout: 'a\n', stderr: 'x\nError: boom\n\n' }), 'Error: boom');
  assert.is(lastLine({ stdout: 'a\nb\n', stderr: '' }), 'b');
  assert.is(lastLine({ stdout: '', stderr: '' }), '(no output)');
  const crash = "file:///x.js:3\nthrow e\n^\n\nTypeError: x is not a function\n    at f (file:///x.js:3:1)\n    at g (file:///y.js:1:1)\n\nNode.js v20.20.2\n";
  assert.is(lastLine({ stdout: '', stderr: crash }), 'TypeError: x is not a function');
});

test.run();
