import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore } from './context.js';
import { getContainer, updateContainer } from '../builder/working-container.js';
import { applyConfigChanges, type ConfigChanges } from '../builder/config-edit.js';
import { addPendingHistory, configHistory, wantsHistory } from '../builder/history-entries.js';

interface Args extends GlobalArgs {
  container: string;
  cmd?: string; entrypoint?: string; env?: string[]; label?: string[]; annotation?: string[]; port?: string[];
  volume?: string[]; workingdir?: string; user?: string; author?: string; 'created-by'?: string; comment?: string;
  'history-comment'?: string; 'stop-signal'?: string; shell?: string; onbuild?: string[]; healthcheck?: string;
  'healthcheck-interval'?: string; 'healthcheck-timeout'?: string; 'healthcheck-start-period'?: string;
  'healthcheck-start-interval'?: string; 'healthcheck-retries'?: number; arch?: string; os?: string; variant?: string; 'os-version'?: string; 'os-feature'?: string[];
  hostname?: string; domainname?: string; 'add-history'?: boolean;
}

const list = { type: 'string', array: true } as const;

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'config <container>',
  describe: 'Update image configuration settings of a working container',
  builder: (y) =>
    y
      .positional('container', { type: 'string', demandOption: true })
      .option('add-history', { type: 'boolean', describe: 'record each change in the image history (default $TROWEL_HISTORY, $BUILDAH_HISTORY, else false)' })
      .option('cmd', { type: 'string', describe: 'default command (JSON array, or words split like a shell)' })
      .option('entrypoint', { type: 'string', describe: 'entry point (JSON array, or a string run by /bin/sh -c)' })
      .option('env', { ...list, alias: 'e', describe: 'add KEY=VALUE to the environment (KEY- removes it)' })
      .option('label', { ...list, alias: 'l', describe: 'add image label KEY=VALUE (KEY- removes it)' })
      .option('annotation', { ...list, alias: 'a', describe: 'add manifest annotation KEY=VALUE (KEY- removes it)' })
      .option('port', { ...list, alias: 'p', describe: 'expose PORT[/PROTO] (PORT- removes it)' })
      .option('volume', { ...list, alias: 'v', describe: 'add a volume location (PATH- removes it)' })
      .option('workingdir', { type: 'string', describe: 'initial working directory' })
      .option('user', { alias: 'u', type: 'string', describe: 'user[:group] to run as' })
      .option('author', { type: 'string', describe: 'image author contact information' })
      .option('created-by', { type: 'string', describe: 'description of how the image was created (history)' })
      .option('comment', { type: 'string', describe: 'image comment (docker format only)' })
      .option('history-comment', { type: 'string', describe: 'comment for the next history entry' })
      .option('stop-signal', { type: 'string', describe: 'stop signal for containers' })
      .option('shell', { type: 'string', describe: 'default shell (docker format only)' })
      .option('onbuild', { ...list, describe: 'ONBUILD trigger (docker format only)' })
      .option('healthcheck', { type: 'string', describe: 'NONE, "CMD ARGS…" or "CMD-SHELL COMMAND" (docker format only)' })
      .option('healthcheck-interval', { type: 'string' })
      .option('healthcheck-timeout', { type: 'string' })
      .option('healthcheck-start-period', { type: 'string' })
      .option('healthcheck-start-interval', { type: 'string' })
      .option('healthcheck-retries', { type: 'number' })
      .option('arch', { type: 'string', describe: 'architecture of the image' })
      .option('os', { type: 'string', describe: 'operating system of the image' })
      .option('variant', { type: 'string', describe: 'architecture variant of the image' })
      .option('os-version', { type: 'string', describe: 'operating system version the image needs' })
      .option('os-feature', { type: 'string', array: true, describe: 'operating system feature the image needs (FEATURE- removes it)' })
      .option('hostname', { type: 'string' })
      .option('domainname', { type: 'string' }) as never,
  handler: async (args) => {
    const store = openStore(args);
    const target = getContainer(store, args.container);
    const changes: ConfigChanges = {};
    const set = <K extends keyof ConfigChanges>(k: K, v: ConfigChanges[K] | undefined) => {
      if (v !== undefined) changes[k] = v;
    };
    set('cmd', args.cmd); set('entrypoint', args.entrypoint); set('env', args.env); set('labels', args.label);
    set('annotations', args.annotation); set('ports', args.port); set('volumes', args.volume); set('workingDir', args.workingdir);
    set('user', args.user); set('author', args.author); set('stopSignal', args['stop-signal']); set('shell', args.shell);
    set('onbuild', args.onbuild); set('healthcheck', args.healthcheck); set('healthcheckInterval', args['healthcheck-interval']);
    set('healthcheckTimeout', args['healthcheck-timeout']); set('healthcheckStartPeriod', args['healthcheck-start-period']);
    set('healthcheckStartInterval', args['healthcheck-start-interval']); set('healthcheckRetries', args['healthcheck-retries']);
    set('arch', args.arch); set('os', args.os); set('variant', args.variant); set('osVersion', args['os-version']); set('osFeatures', args['os-feature']); set('hostname', args.hostname); set('domainname', args.domainname);
    // Validate before taking the lock, so bad input changes nothing.
    applyConfigChanges(target.config, target.annotations, changes);
    const history = wantsHistory(args['add-history']) ? configHistory(changes) : [];
    await updateContainer(store, target.id, (c) => {
      const next = applyConfigChanges(c.config, c.annotations, changes);
      c.config = next.config;
      c.annotations = next.annotations;
      if (args.comment !== undefined) c.config.comment = args.comment;
      if (args['created-by'] !== undefined) c.createdBy = args['created-by'];
      if (args['history-comment'] !== undefined) c.historyComment = args['history-comment'];
      addPendingHistory(c, history);
    });
  },
};
export default cmd;
