import { NotImplementedError } from '../../oci/error.js';
import type { ImageLocation } from './parse.js';
import type { ImageDestination, ImageSource } from './types.js';

// Each transport is loaded when a location of its kind is opened: a command uses one or two of
// them, and start-up time is what short commands are made of.

/** Opens a file-based location (oci:, oci-archive:, docker-archive:, dir:) for reading. */
export async function openFileSource(loc: ImageLocation): Promise<ImageSource> {
  switch (loc.transport) {
    case 'oci': {
      const { OciLayoutSource } = await import('./oci-layout.js');
      return new OciLayoutSource(loc.path, loc.ref, loc.raw);
    }
    case 'oci-archive': {
      const { OciArchiveSource } = await import('./oci-archive.js');
      return OciArchiveSource.open(loc.path, loc.ref, loc.raw);
    }
    case 'docker-archive': {
      const { DockerArchiveSource } = await import('./docker-archive.js');
      return DockerArchiveSource.open(loc.path, loc.ref, loc.raw);
    }
    case 'dir': {
      const { DirSource } = await import('./dir.js');
      return new DirSource(loc.path, loc.raw);
    }
    default:
      throw new NotImplementedError(`reading from ${loc.transport} locations here`);
  }
}

/** Opens a file-based location for writing; `ref` names the image inside when the format can. */
export async function openFileDestination(loc: ImageLocation, defaultRef?: string): Promise<ImageDestination> {
  switch (loc.transport) {
    case 'oci': {
      const { OciLayoutDestination } = await import('./oci-layout.js');
      return new OciLayoutDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    }
    case 'oci-archive': {
      const { OciArchiveDestination } = await import('./oci-archive.js');
      return new OciArchiveDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    }
    case 'docker-archive': {
      const { DockerArchiveDestination } = await import('./docker-archive.js');
      return new DockerArchiveDestination(loc.path, loc.ref ?? defaultRef, loc.raw);
    }
    case 'dir': {
      const { DirDestination } = await import('./dir.js');
      return new DirDestination(loc.path, loc.raw);
    }
    default:
      throw new NotImplementedError(`writing to ${loc.transport} locations here`);
  }
}
