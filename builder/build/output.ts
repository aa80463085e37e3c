/**
 * `--output`: writes the final image's file system out of the store, as buildah does:
 * `type=local,dest=DIR` (or just `DIR`) copies the tree, `type=tar,dest=FILE` writes a tar, and
 * `-` (or `dest=-`) writes the tar to stdout.
 * Ownership, modes and links are kept (Debian's cp and tar do the copying).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import type { Store } from '../../storage/store.js';
import { InvalidArgumentError, TrowelError } from '../../oci/error.js';
import { mountContainer, unmountContainer } from '../mount.js';
import { createWorkingContainer, removeWorkingContainer } from '../working-container.js';

/** A parsed `--output` value. */
export interface OutputSpec {
  type: 'local' | 'tar';
  dest: string;
}

/** Parses `--output`; `-` (or `type=tar,dest=-`) is a tar on stdout. */
export function parseOutputSpec(text: string): OutputSpec {
  if (text === '-') return { type: 'tar', dest: '-' };
  if (!text.includes('=')) return { type: 'local', dest: text };
  const kv = new Map(text.split(',').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, ''] as const : [p.slice(0, eq), p.slice(eq + 1)] as const;
  }));
  const type = kv.get('type');
  const dest = kv.get('dest');
  if (type !== 'local' && type !== 'tar') throw new InvalidArgumentError(`parse --output ${JSON.stringify(text)}: type must be local or tar`);
  if (!dest) throw new InvalidArgumentError(`parse --output ${JSON.stringify(text)}: dest=PATH is required`);
  if (dest === '-' && type !== 'tar') throw new InvalidArgumentError(`parse --output ${JSON.stringify(text)}: only a tar can go to stdout (dest=-)`);
  for (const k of kv.keys()) if (k !== 'type' && k !== 'dest') throw new InvalidArgumentError(`parse --output ${JSON.stringify(text)}: unknown key ${k}`);
  return { type, dest };
}

/**
 * Tars the tree at `root` to `dest` (a file, or `-` for stdout), entries named as buildah names
 * them (`etc/passwd`, no `./`). An empty tree gives an empty archive.
 */
function writeTar(root: string, dest: string): SpawnSyncReturns<string> {
  const entries = readdirSync(root).sort();
  const toStdout = dest === '-';
  const args = ['--numeric-owner', '--xattrs', '-C', root, '-cf', dest, ...(entries.length ? ['--', ...entries] : ['--files-from', '/dev/null'])];
  return spawnSync('tar', args, { encoding: 'utf8', stdio: ['ignore', toStdout ? 'inherit' : 'pipe', 'pipe'] });
}

/** Writes image `imageId`'s flattened file system to `spec.dest`. */
export async function exportFilesystem(store: Store, imageId: string, spec: OutputSpec): Promise<void> {
  const c = await createWorkingContainer(store, { image: imageId });
  try {
    const root = mountContainer(store, c);
    try {
      const r = spec.type === 'local'
        ? (mkdirSync(spec.dest, { recursive: true }), spawnSync('cp', ['-a', '--', `${root}/.`, spec.dest], { encoding: 'utf8' }))
        : writeTar(root, spec.dest);
      if (r.status !== 0) throw new TrowelError('OUTPUT_FAILED', `write --output ${spec.type} to ${spec.dest}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
    } finally {
      unmountContainer(store.containerPaths(c.id).merged);
    }
  } finally {
    await removeWorkingContainer(store, c.id);
  }
}
