/**
 * Executes one stage of a build: resolves its base, replays the base's ONBUILD triggers, walks
 * the instructions (expanding each with the stage's ARG/ENV state and dispatching it), and
 * commits. Without `--layers` the stage is one working container and one commit whose history
 * has an entry per instruction (buildah's shape); with `--layers` every step is committed and
 * looked up in the cache first.
 */
import type { Store } from '../../storage/store.js';
import type { ContainerRecord } from '../../storage/records.js';
import type { HistoryEntry, ImageConfig } from '../../oci/image-config.js';
import { TrowelError } from '../../oci/error.js';
import { formatPlatform, parsePlatform, type Platform } from '../../oci/platform.js';
import {
  expandInstruction, parseOnbuildTriggers, StageVariables,
  type Instruction, type ParsedContainerfile, type StageGraph,
} from '../../parser/index.js';
import { commitContainer } from '../commit.js';
import { tagImage } from '../../storage/image-ops.js';
import { applyConfigChanges } from '../config-edit.js';
import { createWorkingContainer, getContainer, removeWorkingContainer, scratchConfig, updateContainer } from '../working-container.js';
import { resolveBaseImage } from './base-image.js';
import type { BuildInputs } from './build-context.js';
import { stepKey, type CacheIndex } from './cache-index.js';
import type { RemoteCache } from './remote-cache.js';
import { DEFAULT_SHELL, type ConfigState } from './config-step.js';
import { dispatchStep, stepInputs, type StepServices } from './dispatch.js';
import { planCopyStepLayer } from './copy-layer-step.js';
import { BuildCancelledError, BuildInputError, BuildStepError } from './errors.js';
import { createdBy } from './history.js';
import { assertCanRun, emulatorWarning } from './emulation.js';
import { namedContextOf, type ResolvedBuildOptions } from './options.js';
import { StageProgress } from './progress.js';
import type { ContentMemo } from './source-digest.js';
import type { SshForwarding } from './ssh-forwarding.js';

/** What every stage of one build shares. */
export interface BuildSession {
  store: Store;
  options: ResolvedBuildOptions;
  inputs: BuildInputs;
  parsed: ParsedContainerfile;
  graph: StageGraph;
  cache?: CacheIndex;
  /** `--cache-from`/`--cache-to` repositories (with --layers). */
  remoteCache?: RemoteCache;
  memo: ContentMemo;
  /** The image a stage produced (waits for it). */
  stageImage: (index: number) => Promise<string>;
  /** The mounted root of a stage (by name or index) or an image, for COPY --from and RUN --mount from=. */
  rootOf: (from: string) => Promise<string>;
  /** The image id a `--from` value names (a stage's result, or a local/pulled image). */
  imageIdOf: (from: string) => Promise<string>;
  /** Containers this build created, removed at the end per --rm/--force-rm. */
  containers: Set<string>;
  /** Images a stage made that nothing names (removed at the end when not caching). */
  intermediateImages: Set<string>;
  /** `--ssh` agents for RUN --mount=type=ssh (absent when none were given). */
  ssh?: SshForwarding;
}

/**
 * The result of a stage: the image it committed, or, for a stage later stages only read from
 * without `--layers`, its working container (`imageId` is then empty).
 */
export interface StageResult {
  imageId: string;
  containerId?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const METADATA_KINDS = new Set(['env', 'label', 'expose', 'user', 'volume', 'stopsignal', 'healthcheck', 'onbuild', 'shell', 'cmd', 'entrypoint', 'maintainer', 'arg']);

function nowIso(timestamp: number | undefined): string {
  return (timestamp !== undefined ? new Date(timestamp * 1000) : new Date()).toISOString();
}

/**
 * The platform stage `index` is built for: its FROM `--platform`, else the build's `--platform`;
 * `undefined` when neither was given (the host's, with local images taken as they are).
 */
export function stagePlatform(graph: StageGraph, options: ResolvedBuildOptions, index: number): Platform | undefined {
  const own = graph.stages[index]!.platform;
  return own !== undefined ? parsePlatform(own) : options.platform;
}

/** The platform an image config says its programs are for. */
function configPlatform(config: ImageConfig): Platform {
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}

/** The base as an image id (`undefined` for scratch) and the name history comments use. */
async function resolveBase(session: BuildSession, index: number, progress: StageProgress): Promise<{ imageId?: string; name?: string }> {
  const g = session.graph.stages[index]!;
  const platform = stagePlatform(session.graph, session.options, index);
  switch (g.base.kind) {
    case 'scratch':
      return {};
    case 'stage': {
      // buildah's history comment names an unnamed stage image by its short id.
      const imageId = await session.stageImage(g.base.index);
      return { imageId, name: imageId.slice(0, 12) };
    }
    case 'image': {
      const named = namedContextOf(session.options, g.base.reference);
      if (named?.kind === 'dir') throw new BuildInputError(`the build context ${g.base.reference} is a directory, not an image`);
      const img = await resolveBaseImage(session.store, named?.reference ?? g.base.reference, {
        policy: session.options.pull,
        access: session.options.registryAccess,
        ...(platform !== undefined ? { platform: formatPlatform(platform) } : {}),
        log: (l) => progress.line(l),
      });
      return { imageId: img.id, name: img.names[0] ?? img.id };
    }
    default: {
      const never: never = g.base;
      return never;
    }
  }
}

/** Options the final stage applies from the command line (--label, --env, --annotation, --unset…). */
function finalChanges(config: ImageConfig, annotations: Record<string, string>, o: ResolvedBuildOptions): { config: ImageConfig; annotations: Record<string, string> } {
  const next = applyConfigChanges(config, annotations, {
    ...(o.labels.length ? { labels: o.labels } : {}),
    ...(o.annotations.length ? { annotations: o.annotations } : {}),
    ...(o.env.length ? { env: o.env } : {}),
    ...(o.osVersion !== undefined ? { osVersion: o.osVersion } : {}),
    ...(o.osFeatures.length ? { osFeatures: o.osFeatures } : {}),
  });
  const c = (next.config.config ??= {});
  if (o.unsetEnv.length) c.Env = (c.Env ?? []).filter((e) => !o.unsetEnv.includes(e.split('=')[0]!));
  if (o.unsetLabels.length && c.Labels) for (const l of o.unsetLabels) delete c.Labels[l];
  return next;
}

/**
 * Runs stage `index` to its image.
 * @throws BuildStepError naming the instruction at fault; BuildCancelledError when aborted.
 */
export async function runStage(session: BuildSession, index: number, position: number, stageCount: number, isFinal: boolean): Promise<StageResult> {
  const { store, options: o, parsed, graph } = session;
  const stage = parsed.stages[index]!;
  const file = parsed.filename;
  const progress = new StageProgress(o.progress, position, stageCount, stage.instructions.length + 1);
  const where = (i: Instruction) => ({ file, line: i.range.start.line, text: i.original });
  const checkAbort = () => {
    if (o.signal?.aborted) throw new BuildCancelledError(String(o.signal.reason ?? 'interrupted'));
  };

  progress.step(1, stage.from.original.replace(/\n[\s\S]*$/, ''));
  let base: { imageId?: string; name?: string };
  try {
    base = await resolveBase(session, index, progress);
  } catch (e) {
    if (e instanceof TrowelError && !(e instanceof BuildStepError) && !(e instanceof BuildCancelledError)) throw new BuildStepError(where(stage.from), e.message, { code: e.code });
    throw e;
  }
  checkAbort();

  // The working container is made lazily: with --layers, cached steps need none.
  let container: ContainerRecord | undefined;
  let currentImage = base.imageId;
  const baseConfig = currentImage ? store.readConfig(store.images().find((i) => i.id === currentImage)!) : undefined;
  const state: ConfigState = { config: structuredClone(baseConfig ?? scratchConfig()), shell: [...(baseConfig?.config?.Shell ?? DEFAULT_SHELL)], cmdSet: false };
  const platform = stagePlatform(graph, o, index);
  if (!baseConfig && platform) {
    // A scratch stage is whatever platform it is built for: its config says so.
    state.config.os = platform.os;
    state.config.architecture = platform.architecture;
    if (platform.variant) state.config.variant = platform.variant;
    else delete state.config.variant;
  }
  // RUN needs the programs of the image it runs in to be runnable here (natively or emulated).
  let warnedEmulator = false;
  const checkRunnable = (step: Instruction) => {
    if (step.kind !== 'run') return;
    const runsOn = configPlatform(state.config);
    const warning = emulatorWarning(runsOn, assertCanRun(runsOn));
    if (warning && !warnedEmulator) o.warn(warning);
    warnedEmulator ||= warning !== undefined;
  };
  // Like buildah (and Docker), a stage whose base sets no PATH gets the default one first.
  const env = (state.config.config ??= {}).Env ?? [];
  if (!env.some((e) => e.startsWith('PATH='))) state.config.config.Env = [DEFAULT_PATH, ...env];
  let annotations: Record<string, string> = {};
  const vars = new StageVariables({
    globalArgs: new Map(Object.entries(graph.globalArgs)),
    buildArgs: o.buildArgs,
    baseEnv: state.config.config.Env ?? [],
  });

  // After a COPY committed as a planned layer only metadata steps follow: their containers are
  // never mounted, so the layer stays packed (see dropConfigOnly for their clean-up).
  let configOnly = false;
  const ensureContainer = async (): Promise<ContainerRecord> => {
    if (container) return container;
    const c = await createWorkingContainer(store, { image: currentImage ?? 'scratch', ...(configOnly ? { unpack: false } : {}) });
    session.containers.add(c.id);
    container = c;
    annotations = { ...c.annotations };
    return c;
  };
  const saveConfig = async (c: ContainerRecord, extra: Partial<ContainerRecord> = {}): Promise<ContainerRecord> => {
    container = await updateContainer(store, c.id, (r) => {
      r.config = structuredClone(state.config);
      r.annotations = { ...annotations };
      Object.assign(r, extra);
    });
    return container;
  };
  const services: StepServices = {
    session,
    state,
    ensureContainer,
    saveConfig,
    vars,
  };

  // ONBUILD triggers of the base run first, as if written right after FROM; the image built
  // here does not inherit them.
  const triggers = parseOnbuildTriggers(baseConfig?.config?.OnBuild ?? [], { filename: `${base.name ?? 'base'} ONBUILD` });
  if (state.config.config?.OnBuild) delete state.config.config.OnBuild;
  const steps: { instruction: Instruction; trigger: boolean }[] = [
    ...triggers.map((instruction) => ({ instruction, trigger: true })),
    ...stage.instructions.map((instruction) => ({ instruction, trigger: false })),
  ];

  if (steps.length === 0 && currentImage !== undefined) {
    // Nothing to do on top of an image: buildah hands the base image on (tagged if final).
    if (isFinal) {
      if (o.tags.length > 0) await tagImage(store, currentImage, o.tags);
      progress.commit(o.tagsAsGiven[0]);
      progress.produced(currentImage);
    }
    return { imageId: currentImage };
  }

  /** Removes a config-only container now: it holds nothing, and kept it could not be mounted. */
  const dropConfigOnly = async (): Promise<void> => {
    if (!configOnly || !container) return;
    const id = container.id;
    container = undefined;
    session.containers.delete(id);
    try {
      await removeWorkingContainer(store, id);
    } catch {
      /* already gone */
    }
  };

  const pendingHistory: HistoryEntry[] = [];
  let parentKey = stepKey('', `FROM ${currentImage ?? 'scratch'} ${graph.stages[index]!.platform ?? (o.platform ? formatPlatform(o.platform) : '')}`, []);
  let stepNumber = 1;
  for (let s = 0; s < steps.length; s++) {
    const { instruction, trigger } = steps[s]!;
    const last = s === steps.length - 1;
    if (o.signal?.aborted) await dropConfigOnly();
    checkAbort();
    if (!trigger) progress.step(++stepNumber, instruction.original.replace(/\n[\s\S]*$/, ''));
    let step: Instruction;
    try {
      step = expandInstruction(instruction, vars.expansionEnv(), { filename: file, escape: parsed.escape });
    } catch (e) {
      await dropConfigOnly();
      if (e instanceof TrowelError) throw new BuildStepError(where(instruction), e.message, { code: e.code });
      throw e;
    }
    vars.apply(step);
    // A RUN's history lists the ARGs in scope with the values the command sees (ENV wins).
    const seen = vars.expansionEnv();
    const argsInScope = new Map([...vars.argValues().keys()].map((k) => [k, seen.get(k) ?? ''] as const));
    let inputs: Awaited<ReturnType<typeof stepInputs>> | undefined;
    try {
      // With --layers, COPY --from is keyed by the source image's id (it pins the content), so
      // a cache hit needs no mount of that image; the content token is made only on a miss.
      // Without --layers a COPY's digest only names it in the history: it is taken after the
      // copy, which hashes the files it reads (into the memo), so nothing is read twice.
      const digestAfterCopy = !o.layers && step.kind === 'copy';
      inputs = digestAfterCopy ? { digests: [] } : await stepInputs(services, step, { keyOnly: o.layers });
      let historyText = createdBy(instruction, argsInScope, inputs.token);
      if (o.layers) {
        const key = stepKey(parentKey, step, [...inputs.digests, ...(step.kind === 'run' ? [...vars.runEnv(), ...runNamespaceInputs(o)] : []), ...(last && isFinal ? finalFlagInputs(o) : [])]);
        parentKey = key;
        const hit = o.noCache || o.cacheTtl === 0 ? undefined : await cachedStep(session, key);
        if (hit) {
          progress.usingCache(hit);
          if (!(last && isFinal)) progress.produced(hit);
          if (container) {
            await removeWorkingContainer(store, container.id);
            session.containers.delete(container.id);
            container = undefined;
          }
          currentImage = hit;
          const cfg = store.readConfig(store.images().find((i) => i.id === hit)!);
          state.config = structuredClone(cfg);
          continue;
        }
        if (inputs.keyOnly) {
          inputs = await stepInputs(services, step, { keyOnly: false });
          historyText = createdBy(instruction, argsInScope, inputs.token);
        }
        checkRunnable(step);
        const c = await ensureContainer();
        // A COPY onto nothing followed by metadata steps alone becomes its layer without copying
        // a file: no later step of the stage needs the files in a container (a later stage or
        // container unpacks the layer if it does).
        const onlyConfigAfter = steps.slice(s + 1).every((later) => METADATA_KINDS.has(later.instruction.kind));
        const layer = onlyConfigAfter && !(isFinal && o.squash) ? await planCopyStepLayer(services, step, inputs) : undefined;
        if (!layer) await dispatchStep(services, step, instruction, inputs);
        if (last && isFinal) {
          ({ config: state.config, annotations } = finalChanges(state.config, annotations, o));
        }
        await saveConfig(c, { createdBy: historyText, historyComment: `FROM ${currentImage ? (base.imageId === currentImage && base.name ? base.name : currentImage.slice(0, 12)) : 'scratch'}` });
        const image = await commitContainer(store, c.id, {
          names: last && isFinal ? o.tags : [],
          format: o.format,
          compression: o.compression,
          skipEmptyLayer: METADATA_KINDS.has(step.kind) || step.kind === 'workdir',
          omitHistory: false,
          ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
          ...(last && isFinal && o.squash ? { squash: true } : {}),
          ...(layer ? { layer } : {}),
          warn: o.warn,
        });
        session.cache?.record(key, image.id);
        await session.remoteCache?.push(key, image.id);
        currentImage = image.id;
        state.config = structuredClone(store.readConfig(image));
        if (layer) {
          // The container does not hold the planned layer: the next step starts from the image.
          configOnly = true;
          container = c;
          await dropConfigOnly();
        } else {
          container = getContainer(store, c.id);
        }
        if (!(last && isFinal)) progress.produced(image.id);
        continue;
      }
      checkRunnable(step);
      await ensureContainer();
      await dispatchStep(services, step, instruction, inputs);
      if (digestAfterCopy) historyText = createdBy(instruction, argsInScope, (await stepInputs(services, step)).token);
      pendingHistory.push({ created: nowIso(o.timestamp), created_by: historyText, empty_layer: true });
    } catch (e) {
      await dropConfigOnly();
      if (e instanceof BuildStepError || e instanceof BuildCancelledError) throw e;
      if (e instanceof TrowelError) throw new BuildStepError(where(instruction), e.message, { code: e.code, exitCode: e.exitCode });
      throw e;
    } finally {
      inputs?.downloads?.remove();
      inputs?.checkouts?.remove();
    }
  }

  if (o.layers) {
    if (!currentImage) {
      // `FROM scratch` alone: commit the empty container.
      const c = await ensureContainer();
      await saveConfig(c);
      currentImage = (await commitContainer(store, c.id, { names: isFinal ? o.tags : [], format: o.format, compression: o.compression, skipEmptyLayer: true, ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}) })).id;
    } else if (isFinal && o.tags.length > 0) {
      await tagImage(store, currentImage, o.tags);
    }
    if (isFinal) {
      progress.commit(o.tagsAsGiven[0]);
      progress.produced(currentImage);
    }
    await dropConfigOnly();
    return { imageId: currentImage };
  }

  // One commit for the whole stage: the last step's entry is the commit's own.
  const c = await ensureContainer();
  if (!isFinal && !graph.stages.some((g) => g.base.kind === 'stage' && g.base.index === index)) {
    // Later stages only read this one's files (COPY --from, RUN --mount from=), and read them
    // from its container: no image to make, hash and remove again at the end.
    checkAbort();
    return { imageId: '', containerId: c.id };
  }
  const lastEntry = pendingHistory.pop();
  state.config.history = [...(state.config.history ?? []), ...pendingHistory];
  if (isFinal) ({ config: state.config, annotations } = finalChanges(state.config, annotations, o));
  await saveConfig(c, {
    createdBy: lastEntry?.created_by ?? '/bin/sh',
    ...(base.name ? { historyComment: `FROM ${base.name}` } : {}),
  });
  checkAbort();
  if (isFinal) progress.commit(o.tagsAsGiven[0]);
  const image = await commitContainer(store, c.id, {
    names: isFinal ? o.tags : [],
    format: o.format,
    compression: o.compression,
    omitHistory: isFinal && o.omitHistory,
    ...(isFinal && o.squash ? { squash: true } : {}),
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    warn: o.warn,
  });
  if (!isFinal) session.intermediateImages.add(image.id);
  else progress.produced(image.id);
  return { imageId: image.id };
}

/**
 * The image cached for a step's key: the local cache's, else a `--cache-from` repository's
 * (recorded locally once pulled); none older than `--cache-ttl`.
 */
async function cachedStep(session: BuildSession, key: string): Promise<string | undefined> {
  const ttl = session.options.cacheTtl;
  const fresh = (id: string | undefined) => {
    if (id === undefined || ttl === undefined) return id;
    const image = session.store.images().find((i) => i.id === id);
    const created = image ? Date.parse(session.store.readConfig(image).created ?? '') : NaN;
    return Number.isFinite(created) && Date.now() - created <= ttl * 1000 ? id : undefined;
  };
  const local = fresh(session.cache?.lookup(key));
  if (local || !session.remoteCache) return local;
  const pulled = fresh(await session.remoteCache.fetch(key));
  if (pulled) session.cache?.record(key, pulled);
  return pulled;
}

/** A RUN's key also covers the user namespace it runs in (what it sees and writes may differ). */
function runNamespaceInputs(o: ResolvedBuildOptions): string[] {
  return o.userns ? [`userns:${JSON.stringify([o.userns.uidMappings, o.userns.gidMappings])}`] : [];
}

/** What the final step's key must also cover: the command-line config edits. */
function finalFlagInputs(o: ResolvedBuildOptions): string[] {
  return [JSON.stringify({ l: o.labels, a: o.annotations, e: o.env, ue: o.unsetEnv, ul: o.unsetLabels, s: o.squash, f: o.format, ov: o.osVersion, of: o.osFeatures })];
}

