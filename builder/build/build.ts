/**
 * `build(store, options)`: the whole of `trowel bud`. Reads the context and Containerfile,
 * builds the stage graph (pruned to `--target`), runs the needed stages (independent ones in
 * parallel), tags the final image and cleans up: working containers (per `--rm`/`--force-rm`),
 * the mounts it made, and unnamed intermediate stage images when not caching. On any failure
 * no name is given to a partial image.
 */
import { join } from 'node:path';
import type { Store } from '../../storage/store.js';
import { normalizeImageName } from '../../storage/lookup.js';
import { removeImage } from '../../storage/image-ops.js';
import { formatPlatform, hostPlatform } from '../../oci/platform.js';
import { TrowelError } from '../../oci/error.js';
import { buildStageGraph, parseContainerfile } from '../../parser/index.js';
import { isMounted, mountContainer, unmountContainer } from '../mount.js';
import { createWorkingContainer, getContainer, removeWorkingContainer } from '../working-container.js';
import { resolveBaseImage } from './base-image.js';
import { loadBuildInputs, parseBuildContainerfile } from './build-context.js';
import { RemoteCache } from './remote-cache.js';
import { CacheIndex } from './cache-index.js';
import { BuildCancelledError, BuildInputError, BuildStepError } from './errors.js';
import { assertCanRun, EmulatorMissingError } from './emulation.js';
import { namedContextOf, resolveBuildOptions, type BuildOptions, type ResolvedBuildOptions } from './options.js';
import { runScheduled } from './scheduler.js';
import { ContentMemo } from './source-digest.js';
import { SshForwarding } from './ssh-forwarding.js';
import { runStage, stagePlatform, type BuildSession } from './stage.js';

/** What a build produced. */
export interface BuildResult {
  /** The final image's id (hex of its config digest). */
  imageId: string;
  /** The names it was given (normalized). */
  names: string[];
}

/**
 * Builds an image.
 * @throws BuildInputError (missing context or Containerfile), ContainerfileError (syntax, with
 *   file:line:col), InvalidArgumentError (unknown --target, bad flag values), BuildStepError
 *   (a step failed; a failed RUN carries the command's exit status), BuildCancelledError.
 */
export async function build(store: Store, input: BuildOptions): Promise<BuildResult> {
  const o = resolveBuildOptions(input);
  o.tags = o.tags.map((t) => normalizeImageName(t));
  const inputs = await loadBuildInputs({ contextDir: o.contextDir, containerfiles: o.containerfiles, cppFlags: o.cppFlags, warn: o.warn, ...(o.ignoreFile !== undefined ? { ignoreFile: o.ignoreFile } : {}) });
  const parsed = parseBuildContainerfile(inputs, o.from);
  const graph = buildStageGraph(parsed, {
    ...(o.target !== undefined ? { target: o.target } : {}),
    skipUnusedStages: o.skipUnusedStages,
    namedContexts: new Set(Object.keys(o.namedContexts)),
    buildArgs: o.buildArgs,
    platforms: { build: hostPlatform(), ...(o.platform ? { target: o.platform } : {}) },
  });
  for (const w of graph.warnings) o.warn(w.message);
  refuseUnrunnableSteps(parsed, graph, o);

  // Stages stop after their current step once the build is aborted (by the caller or a failure).
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(o.signal?.reason ?? 'interrupted');
  if (o.signal?.aborted) onOuterAbort();
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  o.signal = controller.signal;

  const results = new Map<number, string>();
  /** Stages that left their working container instead of an image (only read from). */
  const stageContainers = new Map<number, string>();
  const stageIndexOf = (from: string): number | undefined => {
    const stage = /^\d+$/.test(from) ? Number(from) : parsed.stages.find((s) => s.name === from.toLowerCase())?.index;
    return stage !== undefined && stage < parsed.stages.length ? stage : undefined;
  };
  const roots = new Map<string, Promise<string>>();
  const mountedForReading: string[] = [];
  const session: BuildSession = {
    store,
    options: o,
    inputs,
    parsed,
    graph,
    ...(o.layers ? { cache: new CacheIndex(store) } : {}),
    ...(o.layers && (o.cacheFrom.length > 0 || o.cacheTo.length > 0)
      ? { remoteCache: new RemoteCache(store, {
        from: o.cacheFrom, to: o.cacheTo, access: o.registryAccess, format: o.format, warn: o.warn, progress: o.progress,
        ...(o.platform ? { platform: o.platform } : {}),
      }) }
      : {}),
    // With --layers the memo lives in the store: a rebuild re-reads only files that changed.
    memo: o.layers ? ContentMemo.load(join(store.root, 'build-cache', 'file-digests.json')) : new ContentMemo(),
    stageImage: async (index) => {
      const id = results.get(index);
      if (id === undefined) throw new TrowelError('BUILD_ORDER', `build stage ${index}: used before it was built`);
      return id;
    },
    imageIdOf: async (from) => {
      const named = namedContextOf(o, from);
      if (named?.kind === 'dir') throw new BuildInputError(`build image: the build context ${from} is a directory, not an image`);
      if (named) from = named.reference;
      const stage = named ? undefined : stageIndexOf(from);
      return stage !== undefined
        ? session.stageImage(stage)
        : (await resolveBaseImage(store, from, { policy: o.pull, log: o.progress, access: o.registryAccess, ...(o.platform ? { platform: formatPlatform(o.platform) } : {}) })).id;
    },
    rootOf: (from) => {
      const named = namedContextOf(o, from);
      if (named?.kind === 'dir') return Promise.resolve(named.path);
      let p = roots.get(from);
      if (!p) {
        p = (async () => {
          const stage = named ? undefined : stageIndexOf(from);
          const kept = stage !== undefined ? stageContainers.get(stage) : undefined;
          let c;
          if (kept !== undefined) {
            c = getContainer(store, kept);
          } else {
            c = await createWorkingContainer(store, { image: await session.imageIdOf(from) });
            session.containers.add(c.id);
          }
          const root = mountContainer(store, c);
          mountedForReading.push(root);
          return root;
        })();
        roots.set(from, p);
      }
      return p;
    },
    containers: new Set(),
    intermediateImages: new Set(),
    ...(Object.keys(o.ssh).length > 0 ? { ssh: new SshForwarding(o.ssh) } : {}),
  };

  const order = graph.order;
  const finalIndex = graph.target;
  let ok = false;
  try {
    await runScheduled(
      order.map((i) => ({ index: i, dependsOn: graph.stages[i]!.dependsOn })),
      o.jobs,
      async (index) => {
        // Numbered as buildah numbers them: by place in the file, out of the stages up to the target.
        const r = await runStage(session, index, index + 1, finalIndex + 1, index === finalIndex);
        if (r.containerId !== undefined) stageContainers.set(index, r.containerId);
        else results.set(index, r.imageId);
        return r;
      },
      (reason) => controller.abort(reason instanceof Error ? reason.message : String(reason)),
    );
    ok = true;
  } catch (e) {
    if (input.signal?.aborted && !(e instanceof BuildCancelledError)) throw new BuildCancelledError(String(input.signal.reason ?? 'interrupted'));
    throw e;
  } finally {
    o.signal = input.signal;
    input.signal?.removeEventListener('abort', onOuterAbort);
    await session.ssh?.stop();
    for (const m of mountedForReading) if (isMounted(m)) unmountContainer(m);
    try {
      session.memo.save();
    } catch {
      /* a memo that cannot be saved only costs re-reading next time */
    }
    if (ok ? o.rm : o.forceRm) {
      for (const id of session.containers) {
        try {
          await removeWorkingContainer(store, id);
        } catch {
          /* already gone */
        }
      }
    }
    if (!o.layers) await dropIntermediateImages(store, session.intermediateImages, results.get(finalIndex));
  }
  const imageId = results.get(finalIndex)!;
  for (const t of o.tags) o.progress(`Successfully tagged ${t}`);
  return { imageId, names: o.tags };
}

/**
 * Before any work: a stage built for a platform this machine cannot run (and has no emulator
 * for) must have no RUN step. Throws BuildStepError naming the first such RUN. Stages with no
 * platform asked for are checked as they run, against their base image's config.
 */
function refuseUnrunnableSteps(parsed: ReturnType<typeof parseContainerfile>, graph: ReturnType<typeof buildStageGraph>, o: ResolvedBuildOptions): void {
  for (const index of graph.order) {
    const platform = stagePlatform(graph, o, index);
    const run = platform && parsed.stages[index]!.instructions.find((i) => i.kind === 'run');
    if (!platform || !run) continue;
    try {
      assertCanRun(platform);
    } catch (e) {
      if (e instanceof EmulatorMissingError) throw new BuildStepError({ file: parsed.filename, line: run.range.start.line, text: run.original }, e.message, { code: e.code });
      throw e;
    }
  }
}

/** Removes unnamed stage images nothing else uses (buildah keeps none without --layers). */
async function dropIntermediateImages(store: Store, ids: Set<string>, keep: string | undefined): Promise<void> {
  for (const id of ids) {
    if (id === keep) continue;
    const img = store.images().find((i) => i.id === id);
    if (!img || img.names.length > 0) continue;
    try {
      await removeImage(store, id);
    } catch {
      /* still used by something: it stays */
    }
  }
}
