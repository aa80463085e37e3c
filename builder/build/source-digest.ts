/**
 * Digests of COPY/ADD sources, computed before copying: over each entry's relative path, type,
 * mode, owner-independent metadata and content (never mtime), in sorted order. File contents
 * are hashed once per (device, inode, size, mtime, ctime): a memo keyed by stat data means an
 * unchanged file is not read again. The digest is both the cache input of the step and the
 * `file:`/`dir:` token of its history entry.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { writeJsonAtomic } from '../../storage/atomic.js';
import { join, relative } from 'node:path';
import { expandGlob, hasGlobMeta } from '../glob.js';

/** The buffer file contents are hashed through (reads are synchronous, so one is enough). */
let readBuffer: Buffer | undefined;

/** Entries kept on disk at most; the ones used by the latest build are kept first. */
const MAX_SAVED_ENTRIES = 500_000;

/**
 * Remembers file content digests by stat data. `load`/`save` keep it in the store between
 * builds, so a rebuild reads no file whose inode, size, mtime and ctime are unchanged.
 */
export class ContentMemo {
  readonly entries = new Map<string, string>();
  private readonly used = new Set<string>();
  private dirty = false;

  /** A memo backed by `path` (missing or unreadable: starts empty). */
  static load(path: string): ContentMemo {
    const memo = new ContentMemo(path);
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
      for (const [k, v] of Object.entries(saved)) memo.entries.set(k, v);
    } catch {
      /* no memo yet */
    }
    return memo;
  }

  constructor(private readonly path?: string) {}

  /** Writes the memo back when it learned something (entries this build used come first). */
  save(): void {
    if (!this.path || !this.dirty) return;
    const keep = [...this.used, ...[...this.entries.keys()].filter((k) => !this.used.has(k))].slice(0, MAX_SAVED_ENTRIES);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.path, Object.fromEntries(keep.map((k) => [k, this.entries.get(k)!])));
  }

  /** Records a file's content digest learned elsewhere (a copy that hashed what it read). */
  remember(st: Stats, sha256: string): void {
    const k = ContentMemo.key(st);
    if (this.entries.get(k) === sha256) return;
    this.entries.set(k, sha256);
    this.dirty = true;
  }

  static key(st: Stats): string {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  }

  async fileDigest(path: string, st: Stats): Promise<string> {
    const k = ContentMemo.key(st);
    this.used.add(k);
    const known = this.entries.get(k);
    if (known) return known;
    this.dirty = true;
    const h = createHash('sha256');
    // Synchronous reads through one buffer: for the thousands of small files of a context, a
    // trip through the thread pool for each open, read and close cost more than the reading.
    const fd = openSync(path, 'r');
    try {
      const buf = (readBuffer ??= Buffer.allocUnsafeSlow(1 << 20));
      for (let total = 0, n = buf.length; ;) {
        // A short read that reaches the size lstat gave is the end: no extra read for EOF.
        if (n < buf.length && total >= st.size) break;
        n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        total += n;
      }
    } finally {
      closeSync(fd);
    }
    const d = h.digest('hex');
    this.entries.set(k, d);
    return d;
  }
}

/** The result of {@link digestSources}. */
export interface SourceDigest {
  /** sha256 hex over every entry. */
  digest: string;
  /** `file` for one regular file, `dir` for one directory, `multi` otherwise (buildah's tokens). */
  kind: 'file' | 'dir' | 'multi';
}

/**
 * Digests sources (relative to `root`, globs allowed) as COPY would take them, skipping what
 * `exclude` rejects. Missing sources are simply absent from the digest (the copy itself reports
 * them); nothing outside `root` is read, since paths are only joined under it and links are not
 * followed.
 */
export async function digestSources(root: string, sources: readonly string[], memo: ContentMemo, exclude?: (rel: string) => boolean): Promise<SourceDigest> {
  const h = createHash('sha256');
  const tops: Stats[] = [];
  const visit = async (abs: string): Promise<void> => {
    const rel = relative(root, abs);
    if (rel.startsWith('..')) return;
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch {
      return;
    }
    const excluded = exclude?.(rel) ?? false;
    if (!excluded || st.isDirectory()) {
      h.update(`${rel}\0${st.mode}\0`);
      if (st.isFile()) h.update(`${st.size}\0${await memo.fileDigest(abs, st)}\0`);
      else if (st.isSymbolicLink()) h.update(`${readlinkSync(abs)}\0`);
    }
    if (st.isDirectory()) for (const name of readdirSync(abs).sort()) await visit(join(abs, name));
  };
  for (const source of sources) {
    const matches = hasGlobMeta(source) ? expandGlob(root, source).map((m) => join(root, m)) : [join(root, source)];
    for (const m of matches) {
      try {
        tops.push(lstatSync(m));
      } catch {
        /* reported by the copy */
      }
      h.update(`source\0${source}\0`);
      await visit(m);
    }
  }
  const kind = tops.length === 1 ? (tops[0]!.isDirectory() ? 'dir' : 'file') : 'multi';
  return { digest: h.digest('hex'), kind };
}
