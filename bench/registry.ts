import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BenchSetupError } from './errors.js';
import { spawnTracked } from './process.js';

/** A Debian docker-registry serving plain HTTP on 127.0.0.1. */
export interface LocalRegistry {
  /** host:port, for docker://host:port/repo:tag references. */
  host: string;
  stop(): Promise<void>;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/**
 * Starts docker-registry with its data under `dir` on a free loopback port and waits until
 * `/v2/` answers. The caller must `stop()` it (the bench does so in `finally`).
 */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: error, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "${host}"}`,
      '',
    ].join('\n'),
  );
  const child = spawnTracked('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new BenchSetupError(`start docker-registry: ${e.message}`)));
    child.once('exit', (code) => reject(new BenchSetupError(`start docker-registry: exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      const up = await Promise.race([
        fetch(`http://${host}/v2/`).then((r) => r.ok, () => false),
        failed,
      ]);
      if (up) break;
      if (Date.now() > deadline) throw new BenchSetupError(`start docker-registry: no answer on ${host} after 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  child.removeAllListeners('exit');
  return { host, stop: () => stopChild(child) };
}
