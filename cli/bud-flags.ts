/**
 * `trowel bud`'s flag values checked and turned into build options: build args (and their
 * files), secrets, the pull policy, the `--layers` default and the remote cache repositories.
 * Each bad value is one InvalidArgumentError naming the flag.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../oci/error.js';
import type { PullPolicy } from '../builder/build/index.js';
import { parseCacheRepository } from '../builder/build/remote-cache.js';
import { parseGoDuration } from '../parser/duration.js';

/** `KEY=VALUE` (or bare `KEY`, which takes the value from trowel's environment, as buildah). */
export function parseBuildArgs(items: string[], files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = [...files.flatMap((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`read --build-arg-file ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  }), ...items];
  for (const item of lines) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InvalidArgumentError(`parse --build-arg ${JSON.stringify(item)}: want NAME=VALUE, where NAME is letters, digits and _ not starting with a digit`);
    }
    if (eq < 0) {
      const own = process.env[key];
      if (own !== undefined) out[key] = own;
    } else {
      out[key] = item.slice(eq + 1);
    }
  }
  return out;
}

/** `--secret` values: a file (`src=PATH`, the default type) or a variable of trowel's environment (`type=env`, or `env=VAR`). */
export interface SecretSource { id: string; file?: string; variable?: string }

export function parseSecrets(items: string[]): SecretSource[] {
  return items.map((item) => {
    const kv = new Map(item.split(',').map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p, ''] as const : [p.slice(0, eq), p.slice(eq + 1)] as const;
    }));
    const id = kv.get('id');
    const type = kv.get('type') ?? (kv.has('env') ? 'env' : 'file');
    const src = kv.get('env') ?? kv.get('src') ?? kv.get('source') ?? (type === 'env' ? id : undefined);
    if (!id || !src) throw new InvalidArgumentError(`parse --secret ${JSON.stringify(item)}: want id=ID,src=PATH or id=ID,env=VARIABLE`);
    if (type === 'env') {
      if (process.env[src] === undefined) throw new InvalidArgumentError(`parse --secret ${JSON.stringify(item)}: the environment has no variable ${src}`);
      return { id, variable: src };
    }
    if (type !== 'file') throw new InvalidArgumentError(`parse --secret ${JSON.stringify(item)}: type must be file or env`);
    try {
      readFileSync(src);
    } catch {
      throw new InvalidArgumentError(`parse --secret ${JSON.stringify(item)}: cannot read ${src}`);
    }
    return { id, file: src };
  });
}

/**
 * The build's secrets as files: a variable's value is written to a 0600 file in the store's
 * temporary directory (swept if trowel dies) and removed with `remove`.
 */
export function secretFiles(sources: SecretSource[], tmpDir: string): { files: Record<string, string>; remove: () => void } {
  const files: Record<string, string> = {};
  let dir: string | undefined;
  for (const s of sources) {
    if (s.file !== undefined) {
      files[s.id] = s.file;
      continue;
    }
    if (dir === undefined) {
      mkdirSync(tmpDir, { recursive: true });
      dir = mkdtempSync(join(tmpDir, 'build-secrets-'));
    }
    const file = join(dir, `secret-${Object.keys(files).length}`);
    writeFileSync(file, process.env[s.variable!]!, { mode: 0o600 });
    files[s.id] = file;
  }
  return { files, remove: () => dir !== undefined && rmSync(dir, { recursive: true, force: true }) };
}

/** `--pull` as buildah reads it (a bare `--pull` or `true` is `newer`). */
export function parsePull(value: string | undefined): PullPolicy {
  if (value === undefined || value === '' || value === 'missing' || value === 'false') return 'missing';
  if (value === 'always' || value === 'never' || value === 'newer') return value;
  if (value === 'true') return 'newer';
  throw new InvalidArgumentError(`parse --pull ${JSON.stringify(value)}: want always, missing, never or newer`);
}

/** `--layers` default: TROWEL_LAYERS, then BUILDAH_LAYERS, else false (buildah's). */
export function layersDefault(): boolean {
  const v = process.env.TROWEL_LAYERS ?? process.env.BUILDAH_LAYERS;
  return v !== undefined && ['1', 'true', 'yes'].includes(v.toLowerCase());
}

/** `--cache-from`, `--cache-to`, `--cache-ttl`: like buildah, they do nothing without --layers. */
export function remoteCacheFlags(from: string[], to: string[], ttl: string | undefined): { cacheFrom: string[]; cacheTo: string[]; cacheTtl?: number } {
  const cacheFrom = from.flatMap((v) => v.split(',')).filter(Boolean).map((v) => parseCacheRepository('--cache-from', v));
  const cacheTo = to.flatMap((v) => v.split(',')).filter(Boolean).map((v) => parseCacheRepository('--cache-to', v));
  let cacheTtl: number | undefined;
  if (ttl !== undefined) {
    const ns = parseGoDuration(ttl);
    if (ns === undefined || ns < 0) throw new InvalidArgumentError(`parse --cache-ttl ${JSON.stringify(ttl)}: want a duration such as 1h or 30m`);
    cacheTtl = ns / 1e9;
  }
  return { cacheFrom, cacheTo, ...(cacheTtl !== undefined ? { cacheTtl } : {}) };
}
