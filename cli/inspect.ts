import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { renderGoTemplate } from './go-template.js';
import { findContainer, findImage } from '../storage/lookup.js';
import { inspectContainer, inspectImage } from '../builder/inspect.js';
import { InvalidArgumentError, NotFoundError } from '../oci/error.js';

interface Args extends GlobalArgs { name: string; type?: string; format?: string }

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'inspect <name>',
  describe: 'Inspect the configuration of a container or image',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true })
      .option('type', { alias: 't', type: 'string', describe: 'container, image or manifest (default: container, then image)' })
      .option('format', { alias: 'f', type: 'string', describe: 'use a Go template to format the output' }) as never,
  handler: (args) => {
    const store = openStore(args);
    const type = args.type;
    if (type !== undefined && !['container', 'image', 'manifest'].includes(type)) {
      throw new InvalidArgumentError(`inspect: the only recognized types are "container", "image" and "manifest", not ${JSON.stringify(type)}`);
    }
    if (args.format !== undefined && args.format !== '' && !/\{\{.*\}\}/s.test(args.format)) throw new InvalidArgumentError(`inspect: invalid format provided: ${args.format}`);
    let data: Record<string, unknown>;
    if (type === 'image' || type === 'manifest') {
      const img = findImage(store.images(), args.name);
      data = type === 'manifest' ? JSON.parse(store.blobs.readBytes(img.digest).toString('utf8')) : inspectImage(store, img);
    } else {
      try {
        data = inspectContainer(store, findContainer(store.containers(), args.name));
      } catch (err) {
        if (type === 'container' || !(err instanceof NotFoundError)) throw err;
        data = inspectImage(store, findImage(store.images(), args.name));
      }
    }
    if (args.format === undefined || args.format === '') return out(JSON.stringify(data, null, 4));
    // As buildah: the template's text exactly, with a newline only for a terminal.
    process.stdout.write(renderGoTemplate(args.format, data) + (process.stdout.isTTY ? '\n' : ''));
  },
};
export default cmd;
