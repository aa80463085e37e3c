import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { getContainer } from '../builder/working-container.js';
import { finishPendingCommit } from '../builder/commit.js';
import { isMounted, mountContainer } from '../builder/mount.js';
import { isVfsRoot, resolveStorageDriver } from '../builder/run/storage-driver.js';
import { mountStoreContainer } from '../builder/run/store-target.js';

interface Args extends GlobalArgs { containers: string[]; json?: boolean; notruncate?: boolean }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'mount [containers..]',
  describe: "Mount a working container's root filesystem",
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true, default: [] })
      .option('json', { type: 'boolean', describe: 'output in JSON format' })
      .option('notruncate', { type: 'boolean', describe: 'do not truncate output' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    if (args.containers.length === 0) {
      // No names: list what is mounted, as buildah does.
      const mounted = store.containers().filter((c) => isMounted(store.containerPaths(c.id).merged));
      const rows = mounted.map((c) => ({ container: c.name, mountPoint: store.containerPaths(c.id).merged }));
      if (args.json) return out(JSON.stringify(rows, null, 4));
      for (const r of mounted) out(`${args.notruncate ? r.id : r.id.slice(0, 12)} ${store.containerPaths(r.id).merged}`);
      return;
    }
    const results: Array<{ container: string; mountPoint: string }> = [];
    const driver = resolveStorageDriver({ storageDriver: args['storage-driver'], storageOpts: args['storage-opt'] ?? [] });
    for (const name of args.containers) {
      const c = await finishPendingCommit(store, getContainer(store, name));
      // vfs (chosen, or a root it already copied) gives a plain directory, as `run` uses it.
      const vfs = driver.driver === 'vfs' || isVfsRoot(store.containerPaths(c.id).merged);
      const mountPoint = vfs ? await mountStoreContainer(store, c, { ...driver, driver: 'vfs' }) : mountContainer(store, c);
      results.push({ container: c.name, mountPoint });
    }
    if (args.json) return out(JSON.stringify(results, null, 4));
    if (results.length === 1) return out(results[0]!.mountPoint);
    for (const r of results) out(`${r.container} ${r.mountPoint}`);
  },
};
export default cmd;
