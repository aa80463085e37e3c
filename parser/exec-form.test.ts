import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExecForm } from './exec-form.js';

test('JSON arrays of strings are exec form, kept exactly', () => {
  assert.equal(parseExecForm('[ "a b" , "\\u00e9\\n" ]'), { kind: 'exec', argv: ['a b', 'é\n'] });
  assert.equal(parseExecForm('[]'), { kind: 'exec', argv: [] });
});

test('anything else is shell form, except arrays of non-strings', () => {
  assert.equal(parseExecForm("['a']"), { kind: 'not-json' });
  assert.equal(parseExecForm('["a"] trailing'), { kind: 'not-json' });
  assert.equal(parseExecForm('{"a": 1}'), { kind: 'not-json' });
  assert.equal(parseExecForm('echo [x]'), { kind: 'not-json' });
  assert.equal(parseExecForm('["a", null]'), { kind: 'not-strings' });
});

test.run();
