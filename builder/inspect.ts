import type { Store } from '../storage/store.js';
import type { ContainerRecord, ImageRecord } from '../storage/records.js';
import type { ImageConfig } from '../oci/image-config.js';
import { configFor } from '../oci/manifest-convert.js';
import { isMounted } from './mount.js';
import { effectiveCapabilities } from './run/capabilities.js';

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

/** The base image's config and manifest as stored (empty for scratch or an image since removed). */
function baseImageBytes(store: Store, c: ContainerRecord): { config: string; manifest: string } {
  const img = c.image ? store.images().find((i) => i.id === c.image!.id) : undefined;
  if (!img || img.kind !== 'image') return { config: '', manifest: '' };
  const manifest = store.blobs.readBytes(img.digest).toString('utf8');
  const { config } = JSON.parse(manifest) as { config: { digest: `sha256:${string}` } };
  return { config: store.blobs.readBytes(config.digest).toString('utf8'), manifest };
}

/**
 * How runs of the container are isolated, in buildah's terms: namespaces (host or private),
 * capabilities, id mappings; from what `from` was given, else trowel's defaults.
 */
function runSettings(c: ContainerRecord): Record<string, unknown> {
  const d = c.runDefaults ?? {};
  const host = (v: string | undefined, dflt: string) => (v ?? dflt) === 'host';
  return {
    Isolation: d.isolation ?? 'oci',
    NamespaceOptions: [
      { Name: 'cgroup', Host: (d.cgroupns ?? 'host') === 'host', Path: '' },
      { Name: 'ipc', Host: host(d.ipc, 'private'), Path: '' },
      { Name: 'mount', Host: false, Path: '' },
      { Name: 'network', Host: host(d.network, 'host'), Path: '' },
      { Name: 'pid', Host: host(d.pid, 'private'), Path: '' },
      { Name: 'user', Host: true, Path: '' },
      { Name: 'uts', Host: host(d.uts, 'private'), Path: '' },
    ],
    Capabilities: effectiveCapabilities(d.capAdd, d.capDrop),
    IDMappingOptions: { HostUIDMapping: true, HostGIDMapping: true, UIDMap: [], GIDMap: [], AutoUserNs: false },
    Devices: d.devices ?? [],
    ConfigureNetwork: d.network === undefined ? 'NetworkDefault' : d.network === 'none' ? 'NetworkDisabled' : 'NetworkEnabled',
    DefaultMountsFilePath: '',
    ProcessLabel: '',
    MountLabel: '',
  };
}

/** What `inspect --type container` prints for a working container. */
export function inspectContainer(store: Store, c: ContainerRecord): Record<string, unknown> {
  const merged = store.containerPaths(c.id).merged;
  const base = baseImageBytes(store, c);
  return {
    Type: 'trowel 0.0.1',
    FromImage: c.image?.name ?? '',
    FromImageID: c.image?.id ?? '',
    FromImageDigest: c.image?.digest ?? '',
    Config: base.config,
    Manifest: base.manifest,
    Container: c.name,
    ContainerID: c.id,
    MountPoint: isMounted(merged) ? merged : '',
    ImageCreatedBy: c.createdBy ?? '',
    ...runSettings(c),
    ...common(c.config, c.annotations),
  };
}
