import type { Store } from '../storage/store.js';
import type { ContainerRecord, ImageRecord } from '../storage/records.js';
import type { ImageConfig } from '../oci/image-config.js';
import { configFor } from '../oci/manifest-convert.js';
import { isMounted } from './mount.js';

/** The Docker-format view of a config, as buildah shows it under `Docker`. */
function dockerView(config: ImageConfig): ImageConfig {
  return configFor('docker', config);
}

function common(config: ImageConfig, annotations: Record<string, string>) {
  return {
    OCIv1: configFor('oci', config),
    Docker: dockerView(config),
    ImageAnnotations: annotations,
    History: config.history ?? [],
  };
}

/** What `inspect --type image` prints: buildah's builder-shaped JSON for an image. */
export function inspectImage(store: Store, img: ImageRecord): Record<string, unknown> {
  const manifestBytes = store.blobs.readBytes(img.digest).toString('utf8');
  if (img.kind === 'index') {
    return { Type: 'trowel 0.0.1', FromImage: img.names[0] ?? '', FromImageID: img.id, FromImageDigest: img.digest, Manifest: manifestBytes };
  }
  const manifest = JSON.parse(manifestBytes) as { config: { digest: `sha256:${string}` }; annotations?: Record<string, string> };
  const configBytes = store.blobs.readBytes(manifest.config.digest).toString('utf8');
  const config = JSON.parse(configBytes) as ImageConfig;
  return {
    Type: 'trowel 0.0.1',
    FromImage: img.names[0] ?? '',
    FromImageID: img.id,
    FromImageDigest: img.digest,
    Config: configBytes,
    Manifest: manifestBytes,
    Container: '',
    ContainerID: '',
    MountPoint: '',
    ImageCreatedBy: '',
    ...common(config, manifest.annotations ?? {}),
  };
}

/** What `inspect --type container` prints for a working container. */
export function inspectContainer(store: Store, c: ContainerRecord): Record<string, unknown> {
  const merged = store.containerPaths(c.id).merged;
  return {
    Type: 'trowel 0.0.1',
    FromImage: c.image?.name ?? '',
    FromImageID: c.image?.id ?? '',
    FromImageDigest: c.image?.digest ?? '',
    Config: '',
    Manifest: '',
    Container: c.name,
    ContainerID: c.id,
    MountPoint: isMounted(merged) ? merged : '',
    ImageCreatedBy: c.createdBy ?? '',
    ...common(c.config, c.annotations),
  };
}
