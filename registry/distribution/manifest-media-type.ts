import { MediaType } from '../../oci/media-types.js';

/** Manifest media types trowel reads, most preferred first (the Accept header of a pull). */
export const ACCEPTED_MANIFEST_TYPES: readonly string[] = [
  MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest,
];

const SCHEMA1 = new Set<string>([MediaType.dockerManifestSchema1, MediaType.dockerManifestSchema1Signed]);

/**
 * The media type of manifest bytes: the Content-Type when it names a manifest type, else the
 * document's own `mediaType`, else inferred from its shape. Returns `schema1` for Docker
 * schema 1 and undefined when the bytes are not a manifest at all.
 */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string | 'schema1' | undefined {
  const ct = contentType?.split(';')[0]?.trim().toLowerCase();
  if (ct && SCHEMA1.has(ct)) return 'schema1';
  if (ct && ACCEPTED_MANIFEST_TYPES.includes(ct)) return ct;
  let doc: { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown; layers?: unknown; config?: unknown; fsLayers?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  if (doc.schemaVersion === 1 || doc.fsLayers !== undefined) return 'schema1';
  if (typeof doc.mediaType === 'string') return SCHEMA1.has(doc.mediaType) ? 'schema1' : doc.mediaType;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (doc.config !== undefined && Array.isArray(doc.layers)) return MediaType.ociManifest;
  return undefined;
}
