/** Media types of the OCI image spec and their Docker schema 2 equivalents. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmptyJSON: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifestSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export type ManifestFormat = 'oci' | 'docker';
export type Compression = 'gzip' | 'zstd' | 'none';

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
}

/** The layer media type for a manifest format and compression. */
export function layerMediaType(format: ManifestFormat, compression: Compression): string {
  if (format === 'docker') {
    // Docker schema 2 has no zstd or uncompressed layer type in wide use; gzip is the only safe choice.
    return MediaType.dockerLayerGzip;
  }
  switch (compression) {
    case 'gzip': return MediaType.ociLayerGzip;
    case 'zstd': return MediaType.ociLayerZstd;
    case 'none': return MediaType.ociLayer;
  }
}

/** The compression a layer media type implies, or undefined if the type is not a layer type. */
export function layerCompression(mt: string): Compression | undefined {
  if (mt === MediaType.ociLayer || mt === MediaType.dockerLayer || mt === 'application/vnd.oci.image.layer.nondistributable.v1.tar') return 'none';
  if (mt.endsWith('+zstd')) return 'zstd';
  if (mt.endsWith('+gzip') || mt === MediaType.dockerLayerGzip || mt === MediaType.dockerLayerForeignGzip) return 'gzip';
  return undefined;
}
