import type { Store } from '../storage/store.js';
import type { ImageRecord } from '../storage/records.js';
import { findImage } from '../storage/lookup.js';
import { InvalidArgumentError } from '../oci/error.js';
import { globMatch } from '../builder/glob.js';

/** A test an image must pass to be listed. */
export type ImagePredicate = (img: ImageRecord) => boolean;

function bool(key: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`parse --filter ${key}=${value}: want true or false`);
}

/**
 * `images --filter KEY=VALUE` as buildah reads it: `dangling`, `label=KEY[=VALUE]`,
 * `before=IMAGE`, `since=IMAGE`, `reference=PATTERN` (a glob over `name:tag`, or over the
 * name alone when it has no tag), `id`, `digest`, `readonly`, `manifest` (lists only). Several
 * filters must all hold.
 */
export function parseImageFilter(store: Store, text: string): ImagePredicate {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`parse --filter ${JSON.stringify(text)}: want KEY=VALUE`);
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  switch (key) {
    case 'dangling': {
      const want = bool(key, value);
      return (img) => (img.names.length === 0) === want;
    }
    case 'readonly': {
      const want = bool(key, value);
      return () => want === false;
    }
    case 'manifest': {
      const want = bool(key, value);
      return (img) => (img.kind === 'index') === want;
    }
    case 'label': {
      const sep = value.indexOf('=');
      const name = sep < 0 ? value : value.slice(0, sep);
      const wanted = sep < 0 ? undefined : value.slice(sep + 1);
      return (img) => {
        if (img.kind === 'index') return false;
        const labels = store.readConfig(img).config?.Labels ?? {};
        return name in labels && (wanted === undefined || labels[name] === wanted);
      };
    }
    case 'before':
    case 'since': {
      const ref = findImage(store.images(), value);
      return key === 'before' ? (img) => img.created < ref.created : (img) => img.created > ref.created;
    }
    case 'reference':
      return (img) => img.names.some((n) => {
        const name = n.slice(0, n.lastIndexOf(':'));
        const target = value.includes(':') ? n : name;
        return globMatch(value, target) || globMatch(value, target.replace(/^[^/]+\//, ''));
      });
    case 'id':
      return (img) => img.id.startsWith(value.replace(/^sha256:/, ''));
    case 'digest':
      return (img) => img.digest === value;
    default:
      throw new InvalidArgumentError(`parse --filter ${JSON.stringify(text)}: unknown filter ${JSON.stringify(key)} (want dangling, label, before, since, reference, id, digest, readonly or manifest)`);
  }
}
