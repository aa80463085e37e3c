import { NotImplementedError } from '../../oci/error.js';
import { DirDestination, DirSource } from './dir.js';
import { DockerArchiveDestination, DockerArchiveSource } from './docker-archive.js';
import { OciArchiveDestination, OciArchiveSource } from './oci-archive.js';
import { OciLayoutDestination, OciLayoutSource } from './oci-layout.js';
import type { ImageLocation } from './parse.js';
import type { ImageDestination, ImageSource } from './types.js';

/** Opens a file-based location (oci:, oci-archive:, docker-archive:, dir:) for reading. */
export async function openFileSource(loc: ImageLocation): Promise<ImageSource> {
  switch (loc.transport) {
    case 'oci':
      return new OciLayoutSource(loc.path, loc.ref, loc.raw);
    case 'oci-archive':
      return OciArchiveSource.open(loc.path, loc.ref, loc.raw);
    case 'docker-archive':
      return DockerArchiveSource.open(loc.path, loc.ref, loc.raw);
    case 'dir':
      return new DirSource(loc.path, loc.raw);
    default:
      throw new NotImplementedError(`reading from ${loc.transport} locations here`);
  }
}

/** Opens a file-based location for writing; `ref` names the image inside when the format can. */
export function openFileDestination(loc: ImageLocation, defaultRef?: string): ImageDestination {
  switch (loc.transport) {
    case 'oci':
      return new OciLayoutDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    case 'oci-archive':
      return new OciArchiveDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    case 'docker-archive':
      return new DockerArchiveDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    case 'dir':
      return new DirDestination(loc.path, loc.raw);
    default:
      throw new NotImplementedError(`writing to ${loc.transport} locations here`);
  }
}
