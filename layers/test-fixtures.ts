/**
 * Shared set-up for layers/ tests: real overlay mounts over temp dirs, and a tar lister.
 * Not part of the public API.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { lgetxattr, llistxattr, mount, umount2 } from '../native/index.js';
import { isPrivateXattr } from './whiteout.js';
import { readTar } from './tar-reader.js';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, type TarHeader } from './tar-header.js';

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

/** Removes a test dir, opening up read-only dirs first if an unprivileged run needs it. */
export function cleanup(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One entry of a hand-made tar: defaults fill in a plain root-owned file. */
export type FixtureEntry = Partial<TarHeader> & { name: string; content?: string | Buffer };

/** Builds an uncompressed tar from fixture entries (for crafted and malicious layers). */
export function makeTar(entries: FixtureEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const type = e.type ?? 'file';
    parts.push(encodeHeader({
      type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 1_000_000, linkname: '',
      devmajor: 0, devminor: 0, xattrs: new Map(), ...e, size: type === 'file' ? content.length : 0,
    }));
    if (type === 'file') parts.push(content, paddingFor(content.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/**
 * A comparable description of a tree: per path its type, mode, owner, mtime (not for dirs
 * unless `dirTimes`), content hash, link target, device numbers, non-overlay xattrs and which
 * paths share an inode.
 */
export function snapshotTree(root: string, opts: { dirTimes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(root, r);
      const st = lstatSync(p);
      const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link->${readlinkSync(p)}` : st.isFile()
        ? `file:${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12)}`
        : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? `char:${st.rdev}` : st.isBlockDevice() ? `block:${st.rdev}` : 'other';
      let xattrs = '';
      try {
        xattrs = llistxattr(p).filter((n) => !isPrivateXattr(n)).sort()
          .map((n) => `${n}=${lgetxattr(p, n)?.toString('hex')}`).join(',');
      } catch { /* symlinks on some filesystems */ }
      const time = st.isDirectory() && !opts.dirTimes ? '' : ` t=${Math.floor(st.mtimeMs / 1000)}`;
      const mode = st.isSymbolicLink() ? '' : ` m=${(st.mode & 0o7777).toString(8)}`;
      let hard = '';
      if (!st.isDirectory() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        hard = ` same-as=${inodes.get(key) ?? r}`;
        if (!inodes.has(key)) inodes.set(key, r);
      }
      out[r] = `${kind}${mode} o=${st.uid}:${st.gid}${time}${xattrs ? ` x=${xattrs}` : ''}${hard}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/**
 * Layers that must be refused, by attack name, for tests anywhere (e.g. a CLI test pulling an
 * image made of one). Each is an uncompressed tar; `target` is where the attack aims, relative
 * to the directory the layer is applied to.
 */
export function maliciousLayers(): Record<string, { tar: Buffer; target: string }> {
  return {
    'zip-slip': { tar: makeTar([{ name: '../evil', content: 'pwned' }]), target: '../evil' },
    'absolute-path': { tar: makeTar([{ name: '/tmp/trowel-evil', content: 'pwned' }]), target: '/tmp/trowel-evil' },
    'symlink-then-write': {
      tar: makeTar([{ name: 'up', type: 'symlink', linkname: '../..' }, { name: 'up/evil', content: 'pwned' }]),
      target: '../../evil',
    },
    'hardlink-to-etc-shadow': { tar: makeTar([{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]), target: 'shadow' },
    'symlink-parent-swap': {
      tar: makeTar([
        { name: 'a/', type: 'directory' }, { name: 'a', type: 'symlink', linkname: '../' },
        { name: 'a/evil', content: 'pwned' },
      ]),
      target: '../evil',
    },
  };
}
