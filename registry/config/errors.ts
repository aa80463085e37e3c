import { TrowelError } from '../../oci/error.js';

/** A configuration file (auth.json, registries.conf, a certificate) cannot be read or is malformed. */
export class RegistryConfigError extends TrowelError {
  constructor(message: string, readonly file?: string) {
    super('REGISTRY_CONFIG', message);
  }
}

/** registries.conf marks the registry as blocked. */
export class BlockedRegistryError extends TrowelError {
  constructor(message: string) {
    super('REGISTRY_BLOCKED', message);
  }
}

/** No credentials to remove (`logout` of a registry one is not logged into). */
export class NotLoggedInError extends TrowelError {
  constructor(message: string) {
    super('NOT_LOGGED_IN', message);
  }
}
