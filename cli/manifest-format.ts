import { InvalidArgumentError } from '../oci/error.js';
import type { ManifestFormat } from '../oci/media-types.js';

/** The manifest format from the flag or BUILDAH_FORMAT / TROWEL_FORMAT, default oci. */
export function manifestFormat(flag: string | undefined): ManifestFormat {
  const f = flag ?? process.env.TROWEL_FORMAT ?? process.env.BUILDAH_FORMAT ?? 'oci';
  if (f === 'oci') return 'oci';
  if (f === 'docker' || f === 'v2s2') return 'docker';
  throw new InvalidArgumentError(`unrecognized image type ${JSON.stringify(f)}: use oci or docker`);
}
