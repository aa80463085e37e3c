import { homedir } from 'node:os';
import { join } from 'node:path';

/** Options that choose where the store lives. */
export interface StoreLocation {
  /** Explicit root (`--root`); wins over everything. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Effective uid; defaults to the process's. */
  uid?: number;
}

/**
 * The store root: `--root`, else `TROWEL_ROOT`, else `/var/lib/trowel` for root, else
 * `$XDG_DATA_HOME/trowel` (default `~/.local/share/trowel`).
 */
export function resolveStoreRoot(loc: StoreLocation = {}): string {
  const env = loc.env ?? process.env;
  if (loc.root) return loc.root;
  if (env.TROWEL_ROOT) return env.TROWEL_ROOT;
  const uid = loc.uid ?? process.geteuid?.() ?? 0;
  // Inside `trowel unshare` the user is uid 0 of a user namespace but keeps the rootless store.
  if (uid === 0 && !env._TROWEL_ROOTLESS_UID) return '/var/lib/trowel';
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(dataHome, 'trowel');
}
