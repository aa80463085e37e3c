import type { Store } from '../storage/store.js';
import { copyIntoRoot, type CopyOptions } from './copy.js';
import { finishPendingCommit } from './commit.js';
import { withContainerMounted } from './mount.js';
import { getContainer } from './working-container.js';
import { resolveUser } from './user-lookup.js';
import { InvalidArgumentError } from '../oci/error.js';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import { withSourceRoot } from './source-root.js';
import type { IgnoreMatcher } from '../parser/ignore-patterns.js';
import { downloadSources, isUrlSource, type Downloads } from './build/remote-source.js';
import { ContentMemo, digestSources, type SourceDigest } from './build/source-digest.js';
import { hashParts } from './build/history.js';
import { relative, resolve } from 'node:path';
import type { Stats } from 'node:fs';

export interface ContainerCopyOptions {
  sources: string[];
  dest?: string;
  contextDir?: string;
  /** `user[:group]`, resolved in the container. */
  chown?: string;
  /** Octal mode text, e.g. `644`. */
  chmod?: string;
  extractArchives?: boolean;
  /**
   * A working container or image whose root file system the sources are read from (relative
   * and absolute paths alike, symlinks resolved inside it), as `buildah copy --from`.
   */
  from?: string;
  /** Registry access, for a `from` image that has to be pulled. */
  access?: DockerTransportOptions;
  /** Patterns (`.containerignore` syntax) leaving out host sources, relative to `contextDir`. */
  ignore?: IgnoreMatcher;
  /** Whether to work out the digest of what was copied (default true; `copy -q` needs none). */
  digest?: boolean;
}

/** Parses an octal `--chmod` value. */
export function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new InvalidArgumentError(`parse --chmod ${JSON.stringify(text)}: expected an octal mode such as 644`);
  return parseInt(text, 8);
}

/** What was copied, as a history token names it: `file`, `dir` or `multi`, and a sha256. */
export interface CopiedContent {
  kind: 'file' | 'dir' | 'multi';
  digest: string;
}

/**
 * `trowel copy`/`add`: mounts the container (unless it already is), copies into its merged
 * view, and unmounts what it mounted. Writes land in the upper dir, as a RUN's would. Sources
 * are host paths (from `contextDir`), paths in `from`'s root, or http(s) URLs, downloaded
 * first and copied as they are (never extracted). Returns the digest of the content copied
 * (files hashed as they were copied are not read again).
 */
export async function copyIntoContainer(store: Store, nameOrId: string, opts: ContainerCopyOptions): Promise<CopiedContent | undefined> {
  const wantDigest = opts.digest ?? true;
  const c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const urls = opts.sources.filter(isUrlSource);
  const local = opts.sources.filter((s) => !isUrlSource(s));
  const downloads: Downloads | undefined = urls.length > 0 ? await downloadSources(urls, store.tmpDir, undefined) : undefined;
  const memo = new ContentMemo();
  const contextDir = resolve(opts.contextDir ?? process.cwd());
  let copied: SourceDigest | undefined;
  try {
    const copyFrom = (sourceRoot: string | undefined): Promise<void> => withContainerMounted(store, c, async (root) => {
      let dest = opts.dest ?? (c.config.config?.WorkingDir || '/');
      // Sources of two kinds (files and downloads) are copied in two passes into one directory.
      if (local.length > 0 && downloads && !dest.endsWith('/')) dest += '/';
      const base: Omit<CopyOptions, 'sources' | 'contextDir'> = {
        dest,
        workingDir: c.config.config?.WorkingDir ?? '/',
        extractArchives: !!opts.extractArchives,
        ...(wantDigest ? { onFileDigest: (st: Stats, sha256: string) => memo.remember(st, sha256) } : {}),
      };
      if (opts.chown) {
        const u = resolveUser(root, opts.chown);
        base.owner = { uid: u.uid, gid: u.gid };
      }
      if (opts.chmod) base.chmod = parseChmod(opts.chmod);
      if (local.length > 0) {
        if (sourceRoot !== undefined) {
          await copyIntoRoot(root, { ...base, sources: local, contextDir: sourceRoot, confineToContext: true });
          if (wantDigest) copied = await digestSources(sourceRoot, local.map((s) => s.replace(/^\/+/, '')), memo);
        } else {
          const exclude = opts.ignore ? (rel: string) => opts.ignore!.matches(rel) : undefined;
          await copyIntoRoot(root, { ...base, sources: local, contextDir, ...(exclude ? { exclude, excludeHasExceptions: opts.ignore!.hasExceptions } : {}) });
          if (wantDigest) copied = await digestHostSources(contextDir, local, memo, exclude);
        }
      }
      if (downloads) await copyIntoRoot(root, { ...base, extractArchives: false, sources: downloads.names, contextDir: downloads.dir });
    });
    if (opts.from !== undefined) await withSourceRoot(store, opts.from, opts.access ? { access: opts.access } : {}, copyFrom);
    else await copyFrom(undefined);
    return wantDigest ? combine(copied, downloads?.digests ?? []) : undefined;
  } finally {
    downloads?.remove();
  }
}

/** Host sources may be absolute or outside the context: they are digested from `/`. */
function digestHostSources(contextDir: string, sources: string[], memo: ContentMemo, exclude?: (rel: string) => boolean): Promise<SourceDigest> {
  const fromContext = exclude
    ? (rel: string) => {
      const inContext = relative(contextDir, `/${rel}`);
      return !inContext.startsWith('..') && inContext !== '' && exclude(inContext);
    }
    : undefined;
  return digestSources('/', sources.map((s) => relative('/', resolve(contextDir, s))), memo, fromContext);
}

/** One token for files and downloads together, as a Containerfile's ADD names them. */
function combine(files: SourceDigest | undefined, downloads: string[]): CopiedContent {
  const parts = [...(files ? [files.digest] : []), ...downloads];
  const kind = files && downloads.length === 0 ? files.kind : !files && downloads.length === 1 ? 'file' : 'multi';
  return { kind, digest: parts.length === 1 ? parts[0]! : hashParts(parts) };
}
