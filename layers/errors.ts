import { TrowelError } from '../oci/error.js';

/**
 * A layer entry names a path that would land outside the root it is applied to: `..`
 * components, an absolute path, or a symlink or hardlink that escapes. `entry` is the
 * entry's name as written in the tar.
 */
export class LayerPathError extends TrowelError {
  constructor(readonly entry: string, cause: string) {
    super('LAYER_PATH', `apply layer: entry ${JSON.stringify(entry)}: ${cause}`);
  }
}

/** A layer stream is not a valid tar (bad checksum, truncated, malformed PAX record…). */
export class LayerFormatError extends TrowelError {
  constructor(message: string, readonly entry?: string) {
    super('LAYER_FORMAT', `read layer: ${entry === undefined ? '' : `entry ${JSON.stringify(entry)}: `}${message}`);
  }
}

/** The upper directory holds something a layer cannot express, or cannot be read. */
export class LayerDiffError extends TrowelError {
  constructor(readonly path: string, cause: string) {
    super('LAYER_DIFF', `diff layer: ${path}: ${cause}`);
  }
}

/** Writing a file, device or attribute of a layer entry failed (disk full, permission…). */
export class LayerApplyError extends TrowelError {
  constructor(readonly entry: string, cause: string, options: { cause?: unknown } = {}) {
    super('LAYER_APPLY', `apply layer: entry ${JSON.stringify(entry)}: ${cause}`, options);
  }
}
