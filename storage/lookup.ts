import { parseReference, formatReference, type ImageReference } from '../oci/reference.js';
import type { ContainerRecord, ImageRecord } from './records.js';
import { AmbiguousNameError, ContainerNotFoundError, ImageNotFoundError } from './errors.js';

const ID_PREFIX_RE = /^(?:sha256:)?([0-9a-f]{3,64})$/;

/**
 * Normalizes a name given to commit/tag: short names go under `localhost/`, as buildah stores them;
 * a missing tag becomes `latest`.
 */
export function normalizeImageName(input: string): string {
  return formatReference(parseReference(input, { defaultDomain: 'localhost' }));
}

/** The names a user's short or full reference may stand for in the store, most specific first. */
function candidateNames(input: string): { names: string[]; ref?: ImageReference; shortPath?: string } {
  let ref: ImageReference;
  try {
    ref = parseReference(input, { defaultDomain: 'localhost' });
  } catch {
    return { names: [] };
  }
  const names = [formatReference(ref)];
  const firstSlash = input.indexOf('/');
  const hasDomain = firstSlash > 0 && /[.:]|^localhost$/.test(input.slice(0, firstSlash));
  if (!hasDomain) {
    const hub = parseReference(input, { defaultDomain: 'docker.io' });
    names.push(formatReference(hub));
    return { names, ref, shortPath: ref.path };
  }
  return { names, ref };
}

/**
 * Finds an image by name (short names match `localhost/…`, `docker.io/library/…`, then any
 * registry), by `name@digest`, by manifest digest, or by id or unique id prefix.
 * Throws ImageNotFoundError or AmbiguousNameError naming the input.
 */
export function findImage(images: ImageRecord[], input: string): ImageRecord {
  const { names, ref, shortPath } = candidateNames(input);
  if (ref?.digest) {
    const byDigest = images.find((i) => i.digest === ref.digest);
    if (byDigest) return byDigest;
  }
  for (const name of names) {
    const hit = images.find((i) => i.names.includes(name));
    if (hit) return hit;
  }
  if (shortPath && ref) {
    const suffix = `/${shortPath}:${ref.tag ?? 'latest'}`;
    const hits = images.filter((i) => i.names.some((n) => n.endsWith(suffix)));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new AmbiguousNameError(input, 'image');
  }
  if (input.startsWith('sha256:') && input.length === 71) {
    const hit = images.find((i) => i.digest === input || `sha256:${i.id}` === input);
    if (hit) return hit;
  }
  const m = ID_PREFIX_RE.exec(input);
  if (m) {
    const hits = images.filter((i) => i.id.startsWith(m[1]!));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new AmbiguousNameError(input, 'image');
  }
  throw new ImageNotFoundError(input);
}

/** Finds a working container by name, id or unique id prefix. */
export function findContainer(containers: ContainerRecord[], input: string): ContainerRecord {
  const byName = containers.find((c) => c.name === input || c.id === input);
  if (byName) return byName;
  if (/^[0-9a-f]{3,64}$/.test(input)) {
    const hits = containers.filter((c) => c.id.startsWith(input));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new AmbiguousNameError(input, 'container');
  }
  throw new ContainerNotFoundError(input);
}
