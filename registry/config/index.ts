export {
  defaultAuthFile, authFileSearchPath, readAuthFile, writeAuthFile, findCredentials, storeCredentials, removeCredentials,
  normalizeAuthKey, type AuthFileContent, type AuthFileOptions, type FoundCredentials,
} from './auth-file.js';
export { credentialsFromHelper, storeInHelper, eraseFromHelper } from './credential-helper.js';
export { readCertDir, tlsForHost, SYSTEM_CERT_DIRS } from './cert-dir.js';
export {
  loadRegistriesConf, parseRegistriesConf, findRegistryEntry, checkNotBlocked, pullSources, resolveShortName, isShortName,
  type RegistriesConf, type RegistryEntry, type MirrorEntry, type PullSource, type ShortNameResolution, type ShortNameMode,
} from './registries-conf.js';
export { registryAccess, parseCreds, type RegistryAccess, type RegistryAccessOptions } from './access.js';
export { RegistryConfigError, BlockedRegistryError, NotLoggedInError } from './errors.js';
