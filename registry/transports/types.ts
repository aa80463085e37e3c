import type { Readable } from 'node:stream';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Digest } from '../../oci/digest.js';

/** A manifest or index exactly as stored: the bytes are what the digest covers. */
export interface ManifestBlob {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/**
 * Where images are read from: a registry, an OCI layout, an archive, the local store.
 * Every blob stream a source returns is verified against `desc.digest` and `desc.size`
 * (the stream errors with DigestMismatchError at its end otherwise).
 */
export interface ImageSource {
  /** How the user named it, for messages (`oci-archive:/tmp/x.tar`, `docker://host/repo:tag`). */
  readonly name: string;
  /** The top-level manifest or index when `digest` is absent; a child manifest by digest otherwise. */
  getManifest(digest?: Digest): Promise<ManifestBlob>;
  getBlob(desc: Descriptor): Promise<Readable>;
  /** Where this source's blobs live, when that lets a destination mount instead of upload. */
  readonly blobSource?: BlobSourceHint;
  close(): Promise<void>;
}

/** A registry and repository a blob can be mounted from. */
export interface BlobSourceHint {
  registry: string;
  repository: string;
}

/**
 * Where images are written. Nothing is visible at the destination's name until `commit`
 * succeeds; `close` without `commit` discards what was written where the transport allows.
 */
export interface ImageDestination {
  readonly name: string;
  /** Whether the destination already holds the blob (so it need not be read or sent). */
  hasBlob(desc: Descriptor): Promise<boolean>;
  /** Stores a blob; `open` is called only if the bytes are needed. Verifies digest and size. */
  putBlob(desc: Descriptor, open: () => Promise<Readable>, hint?: BlobSourceHint): Promise<void>;
  /**
   * Stores a manifest or index. `top` marks the one the destination's name (tag) points at;
   * children of an index are put first with `top` false.
   */
  putManifest(manifest: ManifestBlob, opts: { top: boolean }): Promise<void>;
  commit(): Promise<void>;
  close(): Promise<void>;
}

/** Transport names with buildah's spelling. */
export type TransportName = 'docker' | 'oci' | 'oci-archive' | 'docker-archive' | 'dir' | 'containers-storage';
