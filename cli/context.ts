import { Store } from '../storage/store.js';
import type { GlobalArgs } from './global-options.js';

/** Opens the store the global flags (or TROWEL_ROOT, or the defaults) point at. */
export function openStore(args: GlobalArgs): Store {
  return Store.open(args.root ? { root: args.root } : {});
}

/** Writes lines to stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
