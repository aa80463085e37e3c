import { MediaType, layerCompression, type ManifestFormat } from './media-types.js';
import type { Descriptor } from './descriptor.js';
import type { ImageManifest } from './manifest.js';
import type { ImageConfig } from './image-config.js';
import { TrowelError } from './error.js';

/** Rewrites a layer descriptor's media type for the target manifest format. */
export function layerDescriptorFor(format: ManifestFormat, desc: Descriptor): Descriptor {
  const compression = layerCompression(desc.mediaType);
  if (format === 'oci') {
    const mediaType = compression === 'gzip' ? MediaType.ociLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
    return { mediaType, digest: desc.digest, size: desc.size };
  }
  if (compression === 'zstd') {
    throw new TrowelError('FORMAT_UNSUPPORTED', `write docker manifest: layer ${desc.digest} is zstd-compressed, which Docker schema 2 cannot describe; use --format oci`);
  }
  const mediaType = compression === 'none' ? MediaType.dockerLayer : MediaType.dockerLayerGzip;
  return { mediaType, digest: desc.digest, size: desc.size };
}

/** The manifest of an image in the given format. */
export function buildManifest(format: ManifestFormat, config: Descriptor, layers: Descriptor[], annotations: Record<string, string>): ImageManifest {
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: format === 'oci' ? MediaType.ociConfig : MediaType.dockerConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => layerDescriptorFor(format, l)),
  };
  // Docker schema 2 has no manifest annotations.
  if (format === 'oci' && Object.keys(annotations).length > 0) manifest.annotations = annotations;
  return manifest;
}

/** The config as written for a format: Docker configs also carry `container_config`. */
export function configFor(format: ManifestFormat, config: ImageConfig, warn: (msg: string) => void = () => {}): ImageConfig {
  if (format === 'oci') {
    const { container_config: _c, docker_version: _d, comment, ...rest } = config;
    if (comment) warn(`COMMENT is not supported for OCI image format, comment ${comment} will be ignored. Must use \`docker\` format`);
    if (rest.config) {
      const { Healthcheck, OnBuild, Shell, ...runtime } = rest.config;
      if (Healthcheck) warn('HEALTHCHECK is not supported for OCI image format and will be ignored. Must use `docker` format');
      if (OnBuild?.length) warn(`ONBUILD is not supported for OCI image format, ${OnBuild.join(', ')} will be ignored. Must use \`docker\` format`);
      if (Shell?.length) warn(`SHELL is not supported for OCI image format, [${Shell.join(' ')}] will be ignored. Must use \`docker\` format`);
      rest.config = runtime;
    }
    return rest;
  }
  return { ...config, container_config: config.container_config ?? { ...(config.config ?? {}) } };
}
