/**
 * A RUN in a new user namespace with explicit id maps, as root (`bud --userns=container
 * --userns-uid-map 0:100000:65536 …`). The namespace's root is an unprivileged host id, so it
 * must find its files owned by the host ids it maps to:
 *
 * - each lower layer is used through a copy re-owned to host ids, made once per map and kept
 *   in the store (`idmapped-layers/<maps>/<layer>`; removable at any time, and pruned when its
 *   layer leaves the store);
 * - the container's upper dir is shifted to host ids for the run (what the RUN writes is stored
 *   under the mapped host ids) and back to container ids afterwards, so COPY, commit and the
 *   layer store only ever see container ids. A marker beside the upper dir lets a later run
 *   shift it back after a killed one;
 * - host root mounts the overlay (so copy-up and whiteouts work for any owner) at a mount point
 *   in a directory that only the mapped root may enter, since the namespace's root cannot
 *   traverse the store (0700, host root's). The helper's per-run files go there too.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { NotImplementedError, TrowelError } from '../../oci/error.js';
import { isIdentity, mapId, shiftTree, type IdMaps } from './id-shift.js';
import type { RunContext, RunTarget } from './run-step.js';
import { mountLayers, unmountLayers } from './storage-driver.js';
import { inUserNamespace } from './user-namespace.js';

/** A lower layer could not be copied for the map. */
export class IdMappedLayerError extends TrowelError {
  constructor(layer: string, why: string) {
    super('IDMAP_LAYER', `map layer ${layer} to the user namespace ids: ${why}`);
  }
}

/** A short, stable name for a pair of maps. */
export function idMapsKey(maps: IdMaps): string {
  return createHash('sha256').update(JSON.stringify([maps.uidMappings, maps.gidMappings])).digest('hex').slice(0, 16);
}

function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cp = spawn('cp', ['-a', '--reflink=auto', '--no-target-directory', `${from}/.`, `${to}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cp.stderr.on('data', (d) => (err += d));
    cp.on('error', reject);
    cp.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err.trim() || `cp exit status ${code}`))));
  });
}

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes re-owned copies whose layer is no longer in the store, and half-made copies of
 * processes that are gone, so `idmapped-layers/` does not outgrow the layers it mirrors.
 * `empty` (the store's lower dir for scratch) always stays.
 */
export function pruneIdMappedLayers(storeRoot: string): void {
  const base = join(storeRoot, 'idmapped-layers');
  let keys: string[];
  try {
    keys = readdirSync(base);
  } catch {
    return;
  }
  for (const key of keys) {
    for (const name of readdirSync(join(base, key))) {
      const tmp = /^tmp-(\d+)-/.exec(name);
      const stale = tmp ? !alive(Number(tmp[1])) : name !== 'empty' && !existsSync(join(storeRoot, 'layers', name));
      if (stale) rmSync(join(base, key, name), { recursive: true, force: true });
    }
  }
}

/**
 * The lower dirs re-owned to the maps' host ids (same order), copying each layer the first time.
 * Copies are made beside their final place and renamed into it, so a killed copy is never used.
 * @throws IdMappedLayerError naming the layer when it cannot be copied.
 */
export async function idMappedLowerDirs(storeRoot: string, lowerDirs: readonly string[], maps: IdMaps): Promise<string[]> {
  pruneIdMappedLayers(storeRoot);
  const base = join(storeRoot, 'idmapped-layers', idMapsKey(maps));
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const out: string[] = [];
  for (const dir of lowerDirs) {
    const final = join(base, basename(dir));
    if (!existsSync(final)) {
      const tmp = mkdtempSync(join(base, `tmp-${process.pid}-`));
      try {
        await copyTree(dir, tmp);
        shiftTree(tmp, maps, 'to-host');
        renameSync(tmp, final);
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        // Another build may have published the same copy first.
        if (!existsSync(final)) throw new IdMappedLayerError(basename(dir), (e as Error).message);
      }
    }
    out.push(final);
  }
  return out;
}

/** Beside the upper dir: the maps it is shifted by while a mapped run is in progress. */
function shiftMarker(upperDir: string): string {
  return `${upperDir}.idshift`;
}

/** Shifts an upper dir left in host ids by a killed mapped run back to container ids. */
export function recoverIdShift(upperDir: string): void {
  const marker = shiftMarker(upperDir);
  let maps: IdMaps;
  try {
    maps = JSON.parse(readFileSync(marker, 'utf8')) as IdMaps;
  } catch {
    return;
  }
  if (existsSync(upperDir)) shiftTree(upperDir, maps, 'to-container');
  rmSync(marker, { force: true });
}

/** A run target and context prepared for a mapped run; `release` undoes it all. */
export interface MappedRun {
  target: RunTarget;
  ctx: RunContext;
  release: () => Promise<void>;
}

/**
 * Prepares `target` to run in a user namespace with `maps` (see the module comment); call
 * `release` when the run has ended, whatever its outcome.
 * @throws NotImplementedError for the vfs driver or a container mounted by `trowel mount`;
 *   IdMappedLayerError; RunSetupError when the overlay cannot be mounted.
 */
export async function prepareMappedRun(storeRoot: string, target: RunTarget, ctx: RunContext, maps: IdMaps): Promise<MappedRun> {
  if (ctx.driver.driver === 'vfs') throw new NotImplementedError('a user namespace with id maps (--userns-uid-map) on the vfs storage driver');
  if (target.mountedOnHost) throw new NotImplementedError('a user namespace with id maps for a container mounted by trowel mount');
  const { upperDir, workDir } = target.layers;
  recoverIdShift(upperDir);
  // Ids mapped onto themselves need no re-owned copies.
  const lowerDirs = isIdentity(maps) ? target.layers.lowerDirs : await idMappedLowerDirs(storeRoot, target.layers.lowerDirs, maps);
  const area = mkdtempSync(join(tmpdir(), 'trowel-userns-'));
  const merged = join(area, 'merged');
  let mounted = false;
  let shifted = false;
  const release = async (): Promise<void> => {
    try {
      if (mounted) await unmountLayers(ctx.driver, merged);
    } finally {
      mounted = false;
      if (shifted) {
        shiftTree(upperDir, maps, 'to-container');
        rmSync(shiftMarker(upperDir), { force: true });
        shifted = false;
      }
      rmSync(area, { recursive: true, force: true });
    }
  };
  try {
    mkdirSync(merged);
    mkdirSync(join(area, 'run'), { mode: 0o700 });
    const root = { uid: mapId(0, maps.uidMappings, 'to-host'), gid: mapId(0, maps.gidMappings, 'to-host') };
    for (const d of [area, join(area, 'run')]) {
      chownSync(d, root.uid, root.gid);
      chmodSync(d, 0o700);
    }
    writeFileSync(shiftMarker(upperDir), JSON.stringify(maps));
    shifted = true;
    try {
      shiftTree(upperDir, maps, 'to-host');
    } catch (e) {
      throw new TrowelError('IDMAP_SHIFT', `re-own the container's changes to the user namespace ids: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const layers = { lowerDirs, upperDir, workDir, target: merged };
    await mountLayers(ctx.driver, layers, { userNamespace: inUserNamespace() });
    mounted = true;
    return {
      target: { ...target, layers, mountedOnHost: true },
      ctx: { ...ctx, runDir: join(area, 'run'), userNamespace: { uidMappings: [...maps.uidMappings], gidMappings: [...maps.gidMappings] } },
      release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}
