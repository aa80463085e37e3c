import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { renderGoTemplate } from './go-template.js';
import { InvalidArgumentError } from '../oci/error.js';
import { normalizeImageName } from '../storage/lookup.js';

interface Args extends GlobalArgs { all?: boolean; json?: boolean; quiet?: boolean; noheading?: boolean; notruncate?: boolean; format?: string; filter?: string }

type Row = { id: string; builder: boolean; imageid: string; imagename: string; containername: string };

/** `--filter id=PREFIX|name=TEXT|ancestor=IMAGE`, as buildah reads it (several: comma-separated, all must hold). */
function containerFilter(text: string): (r: Row) => boolean {
  const tests = text.split(',').map((part) => {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (eq <= 0 || value === '') throw new InvalidArgumentError(`parse --filter ${JSON.stringify(text)}: want KEY=VALUE`);
    switch (key) {
      case 'id':
        return (r: Row) => r.id.startsWith(value);
      case 'name':
        return (r: Row) => r.containername.includes(value);
      case 'ancestor': {
        const names = new Set([value, normalizeImageName(value)]);
        return (r: Row) => names.has(r.imagename) || (r.imageid !== '' && r.imageid.startsWith(value.replace(/^sha256:/, '')));
      }
      default:
        throw new InvalidArgumentError(`parse --filter ${JSON.stringify(text)}: unknown filter ${JSON.stringify(key)} (want id, name or ancestor)`);
    }
  });
  return (r) => tests.every((test) => test(r));
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'containers',
  describe: 'List working containers and their base images',
  builder: (y) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'also list non-buildah containers (there are none in a trowel store)' })
      .option('json', { type: 'boolean', describe: 'output in JSON format' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'display only container IDs' })
      .option('noheading', { alias: 'n', type: 'boolean', describe: 'do not print column headings' })
      .option('notruncate', { type: 'boolean', describe: 'do not truncate output' })
      .option('format', { type: 'string', describe: 'pretty-print containers using a Go template' })
      .option('filter', { alias: 'f', type: 'string', describe: 'only containers matching id=PREFIX, name=TEXT or ancestor=IMAGE' }) as never,
  handler: (args) => {
    const keep = args.filter !== undefined ? containerFilter(args.filter) : () => true;
    const rows = openStore(args).containers().map((c): Row => ({
      id: c.id,
      builder: true,
      imageid: c.image?.id ?? '',
      imagename: c.image?.name || 'scratch',
      containername: c.name,
    })).filter(keep);
    if (args.json) return out(JSON.stringify(rows, null, 4));
    if (args.quiet) return rows.forEach((r) => out(args.notruncate ? r.id : r.id.slice(0, 12)));
    if (args.format) {
      const tpl = args.format;
      return rows.forEach((r) => out(renderGoTemplate(tpl, { ContainerID: r.id, Builder: '*', ImageID: r.imageid, ImageName: r.imagename, ContainerName: r.containername })));
    }
    const t = (s: string) => (args.notruncate ? s : s.slice(0, 12));
    if (!args.noheading) out(`${'CONTAINER ID'.padEnd(13)} BUILDER  ${'IMAGE ID'.padEnd(12)} ${'IMAGE NAME'.padEnd(32)} CONTAINER NAME`);
    for (const r of rows) out(`${t(r.id).padEnd(13)}    *     ${t(r.imageid).padEnd(12)} ${r.imagename.padEnd(32)} ${r.containername}`);
  },
};
export default cmd;
