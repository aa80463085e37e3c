import { TrowelError, NotFoundError } from '../oci/error.js';

export class ImageNotFoundError extends NotFoundError {
  constructor(readonly image: string) {
    super(`${image}: image not known`);
  }
}

export class ContainerNotFoundError extends NotFoundError {
  constructor(readonly container: string) {
    super(`${container}: container not known`);
  }
}

/** The store's lock could not be taken in time (another trowel holds it). */
export class StoreLockedError extends TrowelError {
  constructor(readonly lockPath: string, readonly holder: string) {
    super('STORE_LOCKED', `lock store ${lockPath}: held by ${holder}`);
  }
}

/** On-disk state that cannot be read back (truncated or hand-edited metadata). */
export class StoreCorruptError extends TrowelError {
  constructor(readonly path: string, cause: string) {
    super('STORE_CORRUPT', `read ${path}: ${cause}`);
  }
}

/** A name or id matches more than one thing. */
export class AmbiguousNameError extends TrowelError {
  constructor(readonly input: string, kind: string) {
    super('AMBIGUOUS', `${input}: more than one ${kind} matches; use a longer id`);
  }
}

/** An operation that conflicts with the store's state (name in use, image used by a container…). */
export class ConflictError extends TrowelError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}
