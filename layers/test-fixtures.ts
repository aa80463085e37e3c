/**
 * Shared set-up for layers/ tests: real overlay mounts over temp dirs, and a tar lister.
 * Not part of the public API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mount, umount2 } from '../native/index.js';
import { readTar } from './tar-reader.js';
import type { TarHeader } from './tar-header.js';

export const isRoot = process.geteuid?.() === 0;

/** A fresh temp dir; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix = 'trowel-layers-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface OverlayDirs {
  base: string;
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

export function overlayDirs(base: string): OverlayDirs {
  const d = { base, lower: join(base, 'lower'), upper: join(base, 'upper'), work: join(base, 'work'), merged: join(base, 'merged') };
  for (const p of [d.lower, d.upper, d.work, d.merged]) mkdirSync(p, { recursive: true });
  return d;
}

/**
 * Mounts `dirs` as a kernel overlay (root only), runs `change` on the merged dir, unmounts.
 * The upper dir then holds exactly what `change` did, whiteouts included.
 */
export async function withKernelOverlay(dirs: OverlayDirs, change: (merged: string) => void | Promise<void>): Promise<void> {
  mount('overlay', dirs.merged, 'overlay', 0,
    `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work},redirect_dir=off,metacopy=off,index=off`);
  try {
    await change(dirs.merged);
  } finally {
    umount2(dirs.merged, 0);
  }
}

/** Same with fuse-overlayfs (as the invoking user). */
export async function withFuseOverlay(dirs: OverlayDirs, change: (merged: string) => void | Promise<void>): Promise<void> {
  execFileSync('fuse-overlayfs', ['-o', `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`, dirs.merged], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await change(dirs.merged);
  } finally {
    const r = spawnSync('fusermount3', ['-u', dirs.merged]);
    if (r.status !== 0) spawnSync('fusermount', ['-u', dirs.merged]);
    if (r.error || r.status !== 0) umount2(dirs.merged, 2);
  }
}

export interface ListedEntry {
  header: TarHeader;
  content: Buffer;
}

/** Every entry of a tar with its content. */
export async function listTar(tar: Buffer | Readable): Promise<ListedEntry[]> {
  const source = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
  const out: ListedEntry[] = [];
  for await (const { header, body } of readTar(source)) {
    const parts: Buffer[] = [];
    for await (const piece of body) parts.push(Buffer.from(piece));
    out.push({ header, content: Buffer.concat(parts) });
  }
  return out;
}

/** Collects a Readable into one buffer (tests only: small layers). */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
