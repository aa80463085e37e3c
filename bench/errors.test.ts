import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TrowelError } from '../oci/error.js';
import { looksNotImplemented, ToolCommandError } from './errors.js';

test('not-implemented messages are told apart from real failures', () => {
  assert.ok(looksNotImplemented('Error: commit --squash is not supported yet'));
  assert.ok(looksNotImplemented('Error: Unknown argument: tls-verify'));
  assert.ok(looksNotImplemented("Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/x/push.js'"));
  assert.not.ok(looksNotImplemented('Error: commit working-container: no space left on device'));
});

test('a tool failure reads "run tool verb: cause" and is a TrowelError', () => {
  const e = new ToolCommandError('trowel', ['commit', 'c', 'img'], {
    exitCode: 125, signal: null, stdout: '', stderr: 'Error: commit c: not found\n', wallMs: 1,
  });
  assert.instance(e, TrowelError);
  assert.is(e.code, 'BENCH_TOOL_FAILED');
  assert.is(e.message, 'run trowel commit: exit 125: Error: commit c: not found');
  assert.is(e.notYet, false);
});

test.run();
