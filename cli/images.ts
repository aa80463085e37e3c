import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-options.js';
import { openStore, out } from './context.js';
import { humanDuration, humanSize } from './human.js';
import { renderGoTemplate } from './go-template.js';
import { findImage } from '../storage/lookup.js';
import type { ImageRecord } from '../storage/records.js';
import { parseImageFilter } from './image-filter.js';

interface Args extends GlobalArgs {
  image?: string; all?: boolean; json?: boolean; quiet?: boolean; noheading?: boolean; 'no-trunc'?: boolean; digests?: boolean; format?: string;
  filter?: string[];
}

/** One row per name (an unnamed image gets one `<none>` row), as buildah lists them. */
function rows(images: ImageRecord[]): Array<{ img: ImageRecord; repository: string; tag: string }> {
  const result: Array<{ img: ImageRecord; repository: string; tag: string }> = [];
  for (const img of [...images].sort((a, b) => (a.created < b.created ? 1 : -1))) {
    if (img.names.length === 0) result.push({ img, repository: '<none>', tag: '<none>' });
    for (const name of img.names) {
      const colon = name.lastIndexOf(':');
      result.push({ img, repository: name.slice(0, colon), tag: name.slice(colon + 1) });
    }
  }
  return result;
}

const cmd: CommandModule<GlobalArgs, Args> = {
  command: 'images [image]',
  aliases: ['list-images'],
  describe: 'List images in local storage',
  builder: (y) =>
    y
      .positional('image', { type: 'string' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'show all images, including intermediate images from a build' })
      .option('json', { type: 'boolean', describe: 'output in JSON format' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'display only image IDs' })
      .option('noheading', { alias: 'n', type: 'boolean', describe: 'do not print column headings' })
      .option('no-trunc', { alias: 'notruncate', type: 'boolean', describe: 'do not truncate output' })
      .option('digests', { type: 'boolean', describe: 'show digests' })
      .option('format', { type: 'string', describe: 'pretty-print images using a Go template' })
      .option('filter', { alias: 'f', type: 'string', array: true, describe: 'only images matching KEY=VALUE: dangling, label, before, since, reference, id, digest, readonly, manifest' }) as never,
  handler: (args) => {
    const store = openStore(args);
    let images = store.images();
    if (args.image) images = [findImage(images, args.image)];
    for (const f of args.filter ?? []) images = images.filter(parseImageFilter(store, f));
    const now = Date.now();
    const id = (img: ImageRecord) => (args['no-trunc'] ? `sha256:${img.id}` : img.id.slice(0, 12));
    if (args.json) {
      return out(JSON.stringify(images.map((img) => ({
        id: id(img),
        names: img.names,
        digest: img.digest,
        createdat: `${humanDuration(now - Date.parse(img.created))} ago`,
        size: humanSize(img.size),
        created: Math.floor(Date.parse(img.created) / 1000),
        createdatraw: img.created,
        readonly: false,
        history: null,
      })), null, 4));
    }
    if (args.quiet) {
      return [...new Set(images.map(id))].forEach((i) => out(i));
    }
    const table = rows(images).map((r) => ({
      Name: r.repository, Repository: r.repository, Tag: r.tag, ID: id(r.img), Digest: r.img.digest,
      CreatedAt: `${humanDuration(now - Date.parse(r.img.created))} ago`, Size: humanSize(r.img.size), ReadOnly: false, History: '',
    }));
    if (args.format) {
      const tpl = args.format;
      return table.forEach((r) => out(renderGoTemplate(tpl, r)));
    }
    const w = Math.max(25, ...table.map((r) => r.Repository.length + 1));
    const idw = args['no-trunc'] ? 72 : 12;
    const header = `${'REPOSITORY'.padEnd(w)} ${'TAG'.padEnd(8)} ${args.digests ? 'DIGEST'.padEnd(72) + ' ' : ''}${'IMAGE ID'.padEnd(idw)}   ${'CREATED'.padEnd(24)} SIZE`;
    if (!args.noheading) out(header);
    for (const r of table) {
      out(`${r.Repository.padEnd(w)} ${r.Tag.padEnd(8)} ${args.digests ? r.Digest.padEnd(72) + ' ' : ''}${r.ID.padEnd(idw)}   ${r.CreatedAt.padEnd(24)} ${r.Size}`);
    }
  },
};
export default cmd;
