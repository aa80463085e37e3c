import { TrowelError } from '../../oci/error.js';

/** Where a registry operation was aimed, for messages: `host/repository[:tag|@digest]`. */
export interface RegistryTarget {
  registry: string;
  repository?: string;
  /** Tag or digest, when the operation is about one. */
  reference?: string;
}

/** `host/repo:tag`, `host/repo@sha256:…`, `host/repo` or `host`. */
export function formatTarget(t: RegistryTarget): string {
  let s = t.registry;
  if (t.repository) s += `/${t.repository}`;
  if (t.reference) s += t.reference.includes(':') ? `@${t.reference}` : `:${t.reference}`;
  return s;
}

/**
 * A registry answered with an error, or could not be reached. The message reads
 * `<verb> <what> <host/repo[:ref]>: <status> <cause>`; credentials never appear in it.
 */
export class RegistryError extends TrowelError {
  readonly registry: string;
  readonly repository: string | undefined;
  /** The HTTP status, when the registry answered. */
  readonly status: number | undefined;
  /** The registry's error code (`MANIFEST_UNKNOWN`, `DENIED`…), when it sent one. */
  readonly registryCode: string | undefined;

  constructor(
    message: string,
    target: RegistryTarget,
    opts: { code?: string; status?: number; registryCode?: string; cause?: unknown } = {},
  ) {
    super(opts.code ?? 'REGISTRY_ERROR', message, opts.cause === undefined ? {} : { cause: opts.cause });
    this.registry = target.registry;
    this.repository = target.repository;
    this.status = opts.status;
    this.registryCode = opts.registryCode;
  }
}

/** Credentials were refused, or the token does not grant what the operation needs. */
export class RegistryAuthError extends RegistryError {
  constructor(message: string, target: RegistryTarget, opts: { status?: number; registryCode?: string } = {}) {
    super(message, target, { ...opts, code: 'REGISTRY_UNAUTHORIZED' });
  }
}

/** The repository, tag, manifest or blob does not exist. */
export class RegistryNotFoundError extends RegistryError {
  constructor(message: string, target: RegistryTarget, opts: { status?: number; registryCode?: string } = {}) {
    super(message, target, { ...opts, code: 'REGISTRY_NOT_FOUND' });
  }
}

/** The registry could not be reached: refused, reset, TLS failure, DNS. */
export class RegistryConnectionError extends RegistryError {
  constructor(message: string, target: RegistryTarget, cause: unknown) {
    super(message, target, { code: 'REGISTRY_CONNECTION', cause });
  }
}

/** The registry stopped answering (connect, headers or body timeout). */
export class RegistryTimeoutError extends RegistryError {
  constructor(message: string, target: RegistryTarget, cause: unknown) {
    super(message, target, { code: 'REGISTRY_TIMEOUT', cause });
  }
}

/** A manifest whose format trowel does not read (Docker schema 1, unknown media types). */
export class UnsupportedManifestError extends RegistryError {
  constructor(message: string, target: RegistryTarget) {
    super(message, target, { code: 'UNSUPPORTED_MANIFEST' });
  }
}
