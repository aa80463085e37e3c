// parser/ is pure by contract (no file system, environment, clock or randomness), so the builder
// can call it anywhere and tests can trust its output. This guards the contract on the sources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sources = fileURLToPath(new URL('../../parser/', import.meta.url));
const modules = readdirSync(sources).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from ['"]node:/, 'a Node built-in module'],
  [/from ['"](fs|path|os|child_process|process)['"]/, 'a Node built-in module'],
  [/\bprocess\./, 'the process object'],
  [/\bDate\b/, 'the clock'],
  [/\bMath\.random\b/, 'randomness'],
  [/\brequire\(/, 'CommonJS loading'],
];

test('parser modules touch no file system, environment, clock or randomness', () => {
  assert.ok(modules.length >= 15, `${modules.length} modules`);
  const problems: string[] = [];
  for (const file of modules) {
    const text = readFileSync(join(sources, file), 'utf8');
    for (const [re, what] of FORBIDDEN) if (re.test(text)) problems.push(`${file} uses ${what}`);
  }
  assert.equal(problems, []);
});

test('parser modules import only each other and oci/', () => {
  const bad: string[] = [];
  for (const file of modules) {
    const text = readFileSync(join(sources, file), 'utf8');
    for (const m of text.matchAll(/from ['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (!spec.startsWith('./') && !spec.startsWith('../oci/')) bad.push(`${file} imports ${spec}`);
    }
  }
  assert.equal(bad, []);
});

test.run();
