export { RegistryClient, type RegistryClientOptions, type PutBlobResult } from './client.js';
export { RegistrySession, type SessionOptions, type TlsOptions, type Timeouts } from './session.js';
export type { Credentials } from './credentials.js';
export {
  RegistryError, RegistryAuthError, RegistryNotFoundError, RegistryConnectionError, RegistryTimeoutError,
  UnsupportedManifestError, formatTarget, type RegistryTarget,
} from './errors.js';
export { ACCEPTED_MANIFEST_TYPES } from './manifest-media-type.js';
export { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export { repositoryScope } from './scope.js';
export { VerifyingStream } from './verify.js';
