import type { Descriptor } from './descriptor.js';
import type { Platform } from './platform.js';

/** An image manifest (OCI v1 or Docker schema 2; same shape). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Array<Descriptor & { platform?: Platform }>;
  annotations?: Record<string, string>;
}
