import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import type { GlobalArgs } from './global-options.js';

export function trowelVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const cmd: CommandModule<GlobalArgs, GlobalArgs & { json?: boolean }> = {
  command: 'version',
  describe: 'Display the trowel version information',
  builder: (y) => y.option('json', { type: 'boolean', describe: 'output in JSON format' }) as never,
  handler: (args) => {
    const info = {
      version: trowelVersion(),
      goVersion: undefined,
      nodeVersion: process.version,
      imageSpec: '1.1.0',
      runtimeSpec: '1.1.0',
      os: process.platform,
      arch: process.arch,
    };
    if (args.json) {
      process.stdout.write(JSON.stringify(info, null, 2) + '\n');
      return;
    }
    process.stdout.write(
      `Version:         ${info.version}\nNode Version:    ${info.nodeVersion}\nImage Spec:      ${info.imageSpec}\nRuntime Spec:    ${info.runtimeSpec}\nOS/Arch:         ${info.os}/${info.arch}\n`,
    );
  },
};
export default cmd;
