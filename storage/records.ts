import type { Digest } from '../oci/digest.js';
import type { HistoryEntry, ImageConfig } from '../oci/image-config.js';

/** An image in the store. Its id is the hex of its config digest, as in buildah. */
export interface ImageRecord {
  id: string;
  /** Digest of the manifest (or index, for manifest lists) as stored in blobs/. */
  digest: Digest;
  mediaType: string;
  /** Full normalized names, `domain/path:tag`. */
  names: string[];
  /** RFC 3339, from the image config. */
  created: string;
  /** Sum of the layers' uncompressed sizes. */
  size: number;
  /** `image` for a runnable image, `index` for a manifest list made with `manifest create`. */
  kind: 'image' | 'index';
}

/**
 * How to make a blob that has no file in blobs/: diff the layer's unpacked directory again.
 * The diff is deterministic, so the bytes are the ones the digest was computed from (and every
 * read is verified against it).
 */
export interface DiffRecipe {
  /** The time the layer was made with (`--timestamp` or SOURCE_DATE_EPOCH). */
  timestamp?: number;
  /** `set`: every mtime is the timestamp (`--timestamp`); `clamp`: later ones are lowered to it. */
  timestampMode?: 'clamp' | 'set';
}

/** A blob that holds a layer. */
export interface LayerBlob {
  digest: Digest;
  mediaType: string;
  size: number;
  /** Set when the blob is not stored but made on demand from the layer dir (uncompressed only). */
  recipe?: DiffRecipe;
}

/** A layer known to the store, keyed by its diffID. */
export interface LayerRecord {
  diffID: Digest;
  uncompressedSize: number;
  /** Blobs holding this layer, one per compression. */
  blobs: LayerBlob[];
}

/** A working container: a base image's layers, a writable upper dir and a config being edited. */
/**
 * Run settings given to `from` (`--network`, `--volume`, `--cap-add`, …): every later `run` of
 * the container uses them, its own flags added to the lists and replacing the single values.
 */
export interface RunDefaults {
  capAdd?: string[];
  capDrop?: string[];
  volumes?: string[];
  ulimits?: string[];
  addHosts?: string[];
  devices?: string[];
  securityOpt?: string[];
  network?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  isolation?: string;
  cgroupns?: string;
  /** `from --userns-uid-map/--userns-gid-map` (and `-user`/`-group`): runs are in a user namespace with these maps. */
  userns?: { uidMappings: ReadonlyArray<{ containerId: number; hostId: number; size: number }>; gidMappings: ReadonlyArray<{ containerId: number; hostId: number; size: number }> };
  /** `from --shm-size`, as given. */
  shmSize?: string;
  /** `from --http-proxy=false`: runs do not get trowel's proxy variables. */
  httpProxy?: boolean;
  /** `from --dns`, `--dns-search`, `--dns-option`. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image it was made from; absent for `scratch`. */
  image?: { id: string; name: string; digest: Digest };
  /** diffIDs of the read-only layers, bottom first. */
  layers: Digest[];
  /** The config the next commit starts from. */
  config: ImageConfig;
  /** Manifest annotations the next commit writes. */
  annotations: Record<string, string>;
  created: string;
  /** Set while a commit turns the upper dir into a layer; lets a later run finish or undo it. */
  pendingLayer?: Digest;
  /** Host path where `mount` mounted it, while mounted. */
  mountPoint?: string;
  /** What was last recorded by `config --created-by` etc. for the next history entry. */
  createdBy?: string;
  historyComment?: string;
  /** Entries `--add-history` recorded (config, copy, add, run); the next commit puts them before its own. */
  pendingHistory?: HistoryEntry[];
  format?: 'oci' | 'docker';
  /** Settings from `from` that `run` uses unless told otherwise. */
  runDefaults?: RunDefaults;
}

export interface StoreState {
  images: ImageRecord[];
  layers: Record<string, LayerRecord>;
  containers: ContainerRecord[];
}
