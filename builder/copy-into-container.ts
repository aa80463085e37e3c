import type { Store } from '../storage/store.js';
import { copyIntoRoot, type CopyOptions } from './copy.js';
import { finishPendingCommit } from './commit.js';
import { isMounted, mountContainer, unmountContainer } from './mount.js';
import { getContainer } from './working-container.js';
import { resolveUser } from './user-lookup.js';
import { InvalidArgumentError } from '../oci/error.js';

export interface ContainerCopyOptions {
  sources: string[];
  dest?: string;
  contextDir?: string;
  /** `user[:group]`, resolved in the container. */
  chown?: string;
  /** Octal mode text, e.g. `644`. */
  chmod?: string;
  extractArchives?: boolean;
}

/** Parses an octal `--chmod` value. */
export function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new InvalidArgumentError(`parse --chmod ${JSON.stringify(text)}: expected an octal mode such as 644`);
  return parseInt(text, 8);
}

/**
 * `trowel copy`/`add`: mounts the container (unless it already is), copies into its merged
 * view, and unmounts what it mounted. Writes land in the upper dir, as a RUN's would.
 */
export async function copyIntoContainer(store: Store, nameOrId: string, opts: ContainerCopyOptions): Promise<void> {
  const c = await finishPendingCommit(store, getContainer(store, nameOrId));
  const merged = store.containerPaths(c.id).merged;
  const mountedHere = !isMounted(merged);
  const root = mountContainer(store, c);
  try {
    const copy: CopyOptions = {
      sources: opts.sources,
      dest: opts.dest ?? (c.config.config?.WorkingDir || '/'),
      contextDir: opts.contextDir ?? process.cwd(),
      workingDir: c.config.config?.WorkingDir ?? '/',
      extractArchives: !!opts.extractArchives,
    };
    if (opts.chown) {
      const u = resolveUser(root, opts.chown);
      copy.owner = { uid: u.uid, gid: u.gid };
    }
    if (opts.chmod) copy.chmod = parseChmod(opts.chmod);
    await copyIntoRoot(root, copy);
  } finally {
    if (mountedHere) unmountContainer(merged);
  }
}
