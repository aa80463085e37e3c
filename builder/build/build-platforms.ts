/**
 * `trowel bud --platform A,B --manifest LIST`: one build per platform, then each image added to
 * a local manifest list with its platform, as `buildah bud --manifest` does. Each build is a
 * whole `build()` with its own clean-up; by default they run one after another, in the order
 * given, and `platformJobs` lets several run at once (the first failure stops the others after
 * their current step). The list is created (or the existing one used) only once every build
 * succeeded, so a failed build leaves the list as it was; entries are added in the order the
 * platforms were given whatever order the builds ended in.
 */
import type { Store } from '../../storage/store.js';
import { normalizeImageName } from '../../storage/lookup.js';
import { formatPlatform, hostPlatform, type Platform } from '../../oci/platform.js';
import { InvalidArgumentError } from '../../oci/error.js';
import { buildStageGraph } from '../../parser/index.js';
import { addToManifestList, createManifestList, findManifestList, ManifestListError } from '../manifest-list.js';
import { basePlatforms } from './base-platforms.js';
import { build } from './build.js';
import { loadBuildInputs, parseBuildContainerfile } from './build-context.js';
import { resolveBuildOptions, type BuildOptions } from './options.js';

/** The options of {@link buildPlatforms}: a build's, with the platforms and the list. */
export interface PlatformsBuildOptions extends Omit<BuildOptions, 'platform'> {
  /** Platforms to build, in order (from `targetPlatforms`). None: one build for the host, no platform asked. */
  platforms?: Platform[];
  /** `--all-platforms`: build for every platform all base images offer (`platforms` must be empty). */
  allPlatforms?: boolean;
  /** `--manifest`: the local manifest list to add each image to (created when missing). */
  manifest?: string;
  /**
   * A flag that can take only one image (`--iidfile x`, `--output …`): with more than one
   * platform (known only after `allPlatforms` looked at the bases) nothing is built and
   * InvalidArgumentError names it.
   */
  singleImageFlag?: string;
  /** Platforms built at once (`--jobs`; default 1, as buildah). */
  platformJobs?: number;
  /** Called with each image as its build finishes (the CLI prints its id, as buildah). */
  onImage?: (image: PlatformImage) => void;
  /** `--logsplit`: where one platform's lines go instead of `progress` (unprefixed). */
  progressFor?: (platform: Platform) => (line: string) => void;
}

/** One platform's image. */
export interface PlatformImage {
  /** The platform it was built for (`undefined` for a plain host build). */
  platform?: Platform;
  imageId: string;
  names: string[];
}

export interface PlatformsBuildResult {
  images: PlatformImage[];
  /** The list the images were added to, with `manifest`. */
  manifestList?: { id: string; name: string };
}

/**
 * Throws ManifestListError when `name` is taken by an image (not a list): checked before
 * anything is built, where buildah fails only after building.
 */
function refuseImageName(store: Store, name: string): void {
  const full = normalizeImageName(name);
  const taken = store.images().find((i) => i.names.includes(full));
  if (taken && taken.kind !== 'index') throw new ManifestListError(`add to manifest list ${name}: ${full} is an image (${taken.id.slice(0, 12)}), not a manifest list`);
}

/** The platforms every base image offers (`--all-platforms`), reading the Containerfile once more. */
async function allBasePlatforms(store: Store, input: PlatformsBuildOptions): Promise<Platform[]> {
  const o = resolveBuildOptions(input);
  const inputs = await loadBuildInputs({ contextDir: o.contextDir, containerfiles: o.containerfiles, cppFlags: o.cppFlags, ...(o.ignoreFile !== undefined ? { ignoreFile: o.ignoreFile } : {}) });
  const parsed = parseBuildContainerfile(inputs, o.from);
  const graph = buildStageGraph(parsed, {
    ...(o.target !== undefined ? { target: o.target } : {}), buildArgs: o.buildArgs, platforms: { build: hostPlatform() }, namedContexts: new Set(Object.keys(o.namedContexts)),
  });
  return basePlatforms(store, graph, o.registryAccess, o.namedContexts);
}

/**
 * Builds for each platform (see the module comment) and, with `manifest`, adds the images to
 * that list. Progress lines get a `[os/arch] ` prefix when there is more than one platform.
 * @throws whatever `build()` throws for the first platform that failed (images already built
 *   stay, as in buildah; no list is written); InvalidArgumentError for several platforms with
 *   `singleImageFlag`, for `manifest` also given as a tag, or from `allPlatforms` with nothing to
 *   take platforms from; ManifestListError when `manifest` names an image.
 */
export async function buildPlatforms(store: Store, input: PlatformsBuildOptions): Promise<PlatformsBuildResult> {
  const { platforms: asked = [], allPlatforms = false, manifest, onImage, singleImageFlag, platformJobs = 1, progressFor, ...common } = input;
  if (manifest !== undefined) {
    refuseImageName(store, manifest);
    // The image would take the name first, and then the list could not have it (buildah fails so, after building).
    if ((common.tags ?? []).some((t) => normalizeImageName(t) === normalizeImageName(manifest))) {
      throw new InvalidArgumentError(`build image: --manifest ${manifest} is also a -t name; a name is either the list's or an image's`);
    }
  }
  const platforms: (Platform | undefined)[] = allPlatforms ? await allBasePlatforms(store, input) : asked.length > 0 ? asked : [undefined];
  if (platforms.length > 1 && singleImageFlag !== undefined) {
    throw new InvalidArgumentError(`build image: building ${platforms.length} images (${platforms.map((p) => formatPlatform(p!)).join(', ')}), but ${singleImageFlag} can only be used with one`);
  }
  // One failure (or the caller's abort) stops the builds still running.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(common.signal?.reason ?? 'interrupted');
  if (common.signal?.aborted) onOuterAbort();
  common.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const images: (PlatformImage | undefined)[] = platforms.map(() => undefined);
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < platforms.length && !failure) {
      const at = next++;
      const platform = platforms[at];
      const prefix = platforms.length > 1 && platform ? `[${formatPlatform(platform)}] ` : '';
      const progress = common.progress;
      try {
        const result = await build(store, {
          ...common,
          signal: controller.signal,
          ...(platform ? { platform } : {}),
          ...(progressFor && platform ? { progress: progressFor(platform) } : progress && prefix ? { progress: (line: string) => progress(prefix + line) } : {}),
        });
        const image: PlatformImage = { ...(platform ? { platform } : {}), imageId: result.imageId, names: result.names };
        images[at] = image;
        onImage?.(image);
      } catch (error) {
        // The first failure is the one reported; the others are its consequence (cancelled).
        if (!failure) {
          failure = { error };
          controller.abort(error instanceof Error ? error.message : String(error));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(platformJobs, platforms.length)) }, worker));
  } finally {
    common.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (failure) throw failure.error;
  const built = images.filter((i): i is PlatformImage => i !== undefined);
  if (manifest === undefined) return { images: built };
  await createManifestList(store, manifest, { amend: true });
  // A rebuild's image takes the place of the entry for its platform (buildah 1.28 would add a second one).
  for (const image of built) await addToManifestList(store, manifest, image.imageId, { replacePlatform: true });
  const list = findManifestList(store, manifest);
  return { images: built, manifestList: { id: list.id, name: list.names[0] ?? manifest } };
}
