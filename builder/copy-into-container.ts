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
}

/** Parses an octal `--chmod` value. */
export function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new InvalidArgumentError(`parse --chmod ${JSON.stringify(text)}: expected an octal mode such as 644`);
  return parseInt(text, 8);
}

/**
 * `trowel copy`/`add`: mounts the container (unless it already is), copies into its merged
 * view, and unmounts what it mounted. Writes land in the upper dir, as a RUN's would. Sources
 * are host paths (from `contextDir`), paths in `from`'s root, or http(s) URLs, downloaded
 * first and copied as they are (never extracted).
 */
export async function copyIntoContainer(store: Store, nameOrId: string, opts: ContainerCopyOptions): Promise<void> {
  const c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const urls = opts.sources.filter(isUrlSource);
  const local = opts.sources.filter((s) => !isUrlSource(s));
  const downloads: Downloads | undefined = urls.length > 0 ? await downloadSources(urls, store.tmpDir, undefined) : undefined;
  try {
    const copyFrom = (sourceRoot: string | undefined): Promise<void> => withContainerMounted(store, c, async (root) => {
      let dest = opts.dest ?? (c.config.config?.WorkingDir || '/');
      // Sources of two kinds (files and downloads) are copied in two passes into one directory.
      if (local.length > 0 && downloads && !dest.endsWith('/')) dest += '/';
      const base: Omit<CopyOptions, 'sources' | 'contextDir'> = {
        dest,
        workingDir: c.config.config?.WorkingDir ?? '/',
        extractArchives: !!opts.extractArchives,
      };
      if (opts.chown) {
        const u = resolveUser(root, opts.chown);
        base.owner = { uid: u.uid, gid: u.gid };
      }
      if (opts.chmod) base.chmod = parseChmod(opts.chmod);
      if (local.length > 0) {
        await copyIntoRoot(root, sourceRoot !== undefined
          ? { ...base, sources: local, contextDir: sourceRoot, confineToContext: true }
          : {
            ...base, sources: local, contextDir: opts.contextDir ?? process.cwd(),
            ...(opts.ignore ? { exclude: (rel: string) => opts.ignore!.matches(rel), excludeHasExceptions: opts.ignore.hasExceptions } : {}),
          });
        }
        if (downloads) await copyIntoRoot(root, { ...base, extractArchives: false, sources: downloads.names, contextDir: downloads.dir });
    });
    if (opts.from !== undefined) await withSourceRoot(store, opts.from, opts.access ? { access: opts.access } : {}, copyFrom);
    else await copyFrom(undefined);
  } finally {
    downloads?.remove();
  }
}
