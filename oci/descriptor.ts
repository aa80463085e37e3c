import type { Digest } from './digest.js';
import type { Platform } from './platform.js';

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** Annotation key that names an image in an OCI layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
