import type { CommandModule } from 'yargs';
import { cpus, totalmem, release, hostname } from 'node:os';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { renderGoTemplate } from './go-template.js';
import { trowelVersion } from './version.js';
import { hostArchitecture } from '../oci/platform.js';

interface Args extends GlobalArgs { format?: string; debug?: boolean }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'info',
  describe: 'Display trowel system information',
  builder: (y) =>
    y
      .option('format', { type: 'string', describe: 'use a Go template to format the output' })
      .option('debug', { alias: 'd', type: 'boolean', describe: 'also show how trowel was built and what runs it' }) as never,
  handler: (args) => {
    const store = openStore(args);
    const state = store.state();
    const info = {
      ...(args.debug ? { debug: { 'trowel version': trowelVersion(), 'node version': process.version, 'v8 version': process.versions.v8, 'native helper': 'C (native/)' } } : {}),
      host: {
        os: process.platform,
        arch: hostArchitecture(),
        kernel: release(),
        hostname: hostname(),
        cpus: cpus().length,
        MemTotal: totalmem(),
        rootless: process.geteuid?.() !== 0 || !!process.env._TROWEL_ROOTLESS_UID,
        Distribution: {},
        version: trowelVersion(),
        nodeVersion: process.version,
      },
      store: {
        GraphRoot: store.root,
        GraphDriverName: 'overlay',
        ImageStore: { number: state.images.length },
        ContainerStore: { number: state.containers.length },
        LayerStore: { number: Object.keys(state.layers).length },
      },
    };
    out(args.format ? renderGoTemplate(args.format, info) : JSON.stringify(info, null, 4));
  },
};
export default cmd;
