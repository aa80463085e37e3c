/**
 * builder/build/: executes a Containerfile's stage graph (`trowel bud`). See README.md.
 */
export { build, type BuildResult } from './build.js';
export { buildPlatforms, type PlatformsBuildOptions, type PlatformsBuildResult, type PlatformImage } from './build-platforms.js';
export { targetPlatforms, parseTargetPlatform, type PlatformFlags } from './target-platform.js';
export {
  assertCanRun, emulatorWarning, findEmulator, findEmulatorHandler, runsNatively, EmulatorMissingError, BINFMT_MISC_DIR, type EmulatorHandler,
} from './emulation.js';
export { basePlatforms } from './base-platforms.js';
export { resolveBuildOptions, type BuildOptions, type ContainerfileInput, type PullPolicy, type ResolvedBuildOptions } from './options.js';
export { BuildStepError, BuildCancelledError, BuildInputError, type StepLocation } from './errors.js';
export { BaseImageError } from './base-image.js';
export { RunFailedError } from './dispatch.js';
export { exportFilesystem, parseOutputSpec, type OutputSpec } from './output.js';
export { contextFromStdin } from './stdin-context.js';
export { contextFromUrl, fetchContainerfile, isContextUrl } from './url-context.js';
export type { TemporaryContext } from './temporary-context.js';
export { parseSshSpec, SshAgentError, type SshSources } from './ssh-forwarding.js';
