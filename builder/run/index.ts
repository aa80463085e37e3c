/**
 * builder/run: running commands in working containers (RUN and `trowel run`), rootless user
 * namespaces, and the storage drivers that mount a container's layers. See README.md.
 */
export { runInWorkingContainer, buildRunSpec, buildEnv, recoverKilledRun, tidyUpperDir, MASKED_PATHS, READONLY_PATHS } from './run-step.js';
export type { RunOptions, RunTarget, RunContext, Isolation, NetworkMode } from './run-step.js';
export { storeRunTarget, storeRunContext, mountStoreContainer, unmountStoreContainer } from './store-target.js';
export {
  resolveStorageDriver,
  storageConfCandidates,
  rootfsFor,
  mountLayers,
  unmountLayers,
  populateVfs,
  findFuseOverlayfs,
  withFuseFallback,
  StorageConfigError,
  FuseDeviceError,
} from './storage-driver.js';
export type { StorageDriverConfig, StorageDriverInputs, StorageDriverName, LayerStack } from './storage-driver.js';
export {
  rootlessUserNamespace,
  readSubIdRanges,
  mappingsFor,
  inUserNamespace,
  needsUserNamespace,
  unshareCommand,
  reenterUserNamespace,
  SubIdError,
  IdMapToolMissingError,
  MIN_SUBIDS,
  ROOTLESS_UID_ENV,
} from './user-namespace.js';
export { resolveContainerUser, type ResolvedUser } from './container-user.js';
export { readLayeredFile, resolveInLayers } from './layered-file.js';
export { effectiveCapabilities, capabilityNumbers, DEFAULT_CAPABILITIES } from './capabilities.js';
export { parseVolume, parseMount, parseDevice } from './mount-options.js';
export { parseUlimit } from './ulimits.js';
export { parseNamespaceOption, hostNamespacesOf, SHAREABLE_NAMESPACES, type NamespaceChoice } from './namespace-options.js';
export { captureVfsChanges } from './vfs-changes.js';
export { hostsFile, resolvConf, etcFileMounts } from './etc-files.js';
