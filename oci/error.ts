/**
 * The base of every error trowel reports to a user. `code` is stable (scripts and tests
 * match on it); `message` reads `verb noun: cause` and fits on one line. Anything thrown
 * that is not a TrowelError is a bug and is shown with its stack.
 */
export class TrowelError extends Error {
  readonly code: string;
  /** Exit status the CLI uses for this error (buildah uses 125 for its own failures). */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 125;
  }
}

/** An argument, flag or reference given by the user is malformed. */
export class InvalidArgumentError extends TrowelError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A named thing (image, container, blob, stage…) does not exist. */
export class NotFoundError extends TrowelError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Content read back does not match its digest or size. */
export class DigestMismatchError extends TrowelError {
  constructor(readonly subject: string, readonly expected: string, readonly actual: string) {
    super('DIGEST_MISMATCH', `verify ${subject}: digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/** A feature that exists in buildah but not yet in trowel. */
export class NotImplementedError extends TrowelError {
  constructor(what: string) {
    super('NOT_IMPLEMENTED', `${what} is not supported yet`);
  }
}
