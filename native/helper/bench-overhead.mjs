#!/usr/bin/env node
// How much the run helper adds over a plain `unshare` of the same namespaces (mount, pid, uts,
// ipc, net) running `true`, both spawned from Node. The helper also mounts a kernel overlay
// root, /proc, /dev, /sys and the generated /etc files. Run as root after `npm run build`:
//   node native/helper/bench-overhead.mjs [iterations]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInContainer } from '../../dist/native/runner.js';
import { writeBusyboxRootfs } from '../../dist/test/support/busybox-rootfs.js';

const n = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'trowel-helper-bench-'));
const lower = writeBusyboxRootfs(join(dir, 'lower'));
for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn) {
  const out = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 3) out.push(ms); // warm-up
  }
  return out;
}

const plain = await time(() => {
  const r = spawnSync('unshare', ['--mount', '--pid', '--fork', '--uts', '--ipc', '--net', '--mount-proc', 'true']);
  if (r.status !== 0) throw new Error(String(r.stderr));
});
const helper = await time(async () => {
  const r = await runInContainer(
    {
      rootfs: { kind: 'overlay', target: join(dir, 'merged'), lowerDirs: [lower], upperDir: join(dir, 'upper'), workDir: join(dir, 'work'), options: ['redirect_dir=off', 'metacopy=off'] },
      argv: ['true'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, hostname: 'bench', network: 'none',
    },
    { what: 'bench', stdio: 'ignore', forwardSignals: false },
  );
  if (r.exitCode !== 0) throw new Error('helper run failed');
});
rmSync(dir, { recursive: true, force: true });
const p = median(plain), h = median(helper);
console.log(`iterations ${n}: unshare median ${p.toFixed(2)} ms, helper median ${h.toFixed(2)} ms, helper adds ${(h - p).toFixed(2)} ms`);
