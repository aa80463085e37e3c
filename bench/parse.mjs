#!/usr/bin/env node
// Parser benchmark: a generated 2,000-line Containerfile with 20 stages (continuations, heredocs,
// flags, ENV/LABEL/ARG, COPY --from edges) parsed into instructions and a stage graph.
// Target: under 50 ms per parse+graph, both for the first parse in a fresh process (what a
// one-shot `trowel bud` pays) and warmed up. Prints medians.
// Usage: node bench/parse.mjs [runs]   (after `npm run build:ts`)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const { parseContainerfile, buildStageGraph } = await import(join(root, 'dist/parser/index.js'));

const STAGES = 20;
const LINES = 2000;

function generate() {
  const lines = ['# syntax=docker/dockerfile:1', 'ARG BASE=busybox', 'ARG VERSION=1.0'];
  const perStage = Math.floor((LINES - lines.length) / STAGES);
  for (let s = 0; s < STAGES; s++) {
    const start = lines.length;
    lines.push(s === 0 ? 'FROM --platform=$BUILDPLATFORM ${BASE}:latest AS stage0' : `FROM stage${Math.floor((s - 1) / 2)} AS stage${s}`);
    lines.push(`ARG VERSION`, `ENV STAGE=${s} VERSION_TAG="v\${VERSION}" PATH=/usr/local/bin:/usr/bin:/bin`);
    if (s >= 2) lines.push(`COPY --from=stage${s - 2} --chown=1000:1000 /out/ /in/stage${s - 2}/`);
    let k = 0;
    while (lines.length - start < perStage - 6) {
      switch (k++ % 6) {
        case 0:
          lines.push(`RUN --mount=type=cache,target=/var/cache/s${s},id=c${s} \\`, '    set -e; \\', '    # a comment inside', `    echo step ${k} > /out/f${k} && \\`, '    ls -l /out');
          break;
        case 1:
          lines.push(`LABEL org.example.stage="${s}" org.example.step=${k} description="generated step ${k}"`);
          break;
        case 2:
          lines.push(`COPY <<EOF /etc/config-${k}.ini`, '[section]', `key = ${k}`, 'EOF');
          break;
        case 3:
          lines.push(`ENV K${k}=value-${k} OTHER${k}=$STAGE-${k}`);
          break;
        case 4:
          lines.push(`RUN ["/bin/sh", "-c", "echo exec form ${k}"]`);
          break;
        default:
          lines.push(`WORKDIR /work/\${STAGE}/${k}`, `COPY --link src/${k}/ ./`);
      }
    }
    lines.push('HEALTHCHECK --interval=30s --timeout=5s CMD ["true"]', `CMD ["run", "${s}"]`);
  }
  while (lines.length < LINES) lines.push('# padding');
  return lines.join('\n') + '\n';
}

const text = generate();
const platforms = { build: { os: 'linux', architecture: 'amd64' } };

/**
 * One parse+graph: wall time and CPU time in milliseconds. CPU time is the fair figure on a busy
 * machine (wall time then includes waiting for a core).
 */
function once() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const parsed = parseContainerfile(text);
  buildStageGraph(parsed, { platforms });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000, parsed };
}

if (process.argv[2] === '--first') {
  // Child mode: the first parse in a fresh process (no JIT warm-up), what a one-shot `trowel bud` pays.
  const r = once();
  console.log(`${r.ms.toFixed(3)} ${r.cpu.toFixed(3)}`);
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 30);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const firsts = [];
const firstCpus = [];
for (let i = 0; i < 7; i++) {
  const [wall, cpu] = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--first'], { encoding: 'utf8' }).trim().split(' ').map(Number);
  firsts.push(wall);
  firstCpus.push(cpu);
}
for (let i = 0; i < 5; i++) once();
const times = [];
const cpus = [];
let parsed;
for (let i = 0; i < runs; i++) {
  const r = once();
  times.push(r.ms);
  cpus.push(r.cpu);
  parsed = r.parsed;
}
const lineCount = text.split('\n').length - 1;
const instructions = parsed.stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
const first = median(firsts);
const firstCpu = median(firstCpus);
const warm = median(times);
const warmCpu = median(cpus);
console.log(`parse+graph ${lineCount} lines, ${parsed.stages.length} stages, ${instructions} instructions (target < 50 ms):\n` +
  `  first parse in a fresh process: ${first.toFixed(1)} ms wall, ${firstCpu.toFixed(1)} ms CPU (median of ${firsts.length})\n` +
  `  warm: ${warm.toFixed(1)} ms wall, ${warmCpu.toFixed(1)} ms CPU (median of ${runs}, best ${Math.min(...times).toFixed(1)} ms wall)`);
process.exit(firstCpu < 50 && warmCpu < 50 ? 0 : 1);
