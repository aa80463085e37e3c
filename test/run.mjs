#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) in its own Node process and
// prints one closing line: "N passed, N failed".
// Usage: node test/run.mjs [substring …]   (only files whose path contains one of them)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

function runOne(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60 * 1000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const files = findTests(dist).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let passed = 0, failed = 0;
for (const file of files) {
  const name = relative(dist, file);
  const t0 = Date.now();
  const { code, out } = await runOne(file);
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    failed += 1;
    console.log(`FAIL ${name} (${secs}s): no uvu summary, exit ${code}`);
    console.log(out.split('\n').map((l) => '    ' + l).join('\n'));
    continue;
  }
  const bad = total - ok - skipped + (code !== 0 && total === ok + skipped ? 1 : 0);
  passed += ok;
  failed += bad;
  console.log(`${bad ? 'FAIL' : 'ok  '} ${name}: ${ok}/${total} (${secs}s)`);
  if (bad) console.log(out.split('\n').map((l) => '    ' + l).join('\n'));
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
