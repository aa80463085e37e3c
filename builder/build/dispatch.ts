/**
 * Instruction dispatch: one exhaustive `switch` over the instruction kinds. Metadata goes to
 * config-step.ts; WORKDIR also creates its directory; RUN runs in the working container
 * through builder/run; COPY/ADD copy from the context (ignore file applied), an earlier stage or
 * an image, or heredoc bodies. `stepInputs` digests what a step reads before it runs (the cache
 * key's inputs and the history's `file:` token).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord } from '../../storage/records.js';
import { NotImplementedError, TrowelError } from '../../oci/error.js';
import { IgnoreMatcher, resolveRunCommand, type AddInstruction, type CopyInstruction, type Instruction, type RunInstruction, type StageVariables } from '../../parser/index.js';
import { copyIntoRoot, type CopyOptions } from '../copy.js';
import { parseChmod } from '../copy-into-container.js';
import { keptParentModes } from '../parent-sources.js';
import { withContainerMounted } from '../mount.js';
import { resolveInRoot } from '../root-path.js';
import { resolveUser } from '../user-lookup.js';
import { runInWorkingContainer } from '../run/run-step.js';
import { storeRunContext, storeRunTarget } from '../run/store-target.js';
import { prepareMappedRun, type MappedRun } from '../run/mapped-stack.js';
import { applyConfigInstruction, type ConfigState } from './config-step.js';
import { runMountSpecs } from './run-mounts.js';
import { digestSources } from './source-digest.js';
import { contentToken, hashParts } from './history.js';
import { downloadSources, isUrlSource, type Downloads } from './remote-source.js';
import { checkOutGitSources, isGitSource, type GitCheckouts } from './git-source.js';
import type { BuildSession } from './stage.js';
import { namedContextOf } from './options.js';

/** What a step needs from the stage executing it. */
export interface StepServices {
  session: BuildSession;
  state: ConfigState;
  vars: StageVariables;
  /** The stage's working container, created on first use. */
  ensureContainer: () => Promise<ContainerRecord>;
  /** Writes the stage's config (and `extra` fields) into the container record. */
  saveConfig: (c: ContainerRecord, extra?: Partial<ContainerRecord>) => Promise<ContainerRecord>;
}

/** What a step reads, digested before it runs. */
export interface StepInputs {
  /** Digests for the cache key (empty when the instruction text says it all). */
  digests: string[];
  /** For COPY/ADD: the history token (`file:<sha256>`, `dir:…`, `multi:…`). */
  token?: string;
  /** ADD's URL sources, already fetched; the caller removes them after the step. */
  downloads?: Downloads;
  /** ADD's git sources, already checked out; the caller removes them after the step. */
  checkouts?: GitCheckouts;
  /** Set when only the cache key's digests were made (no token, nothing fetched or mounted). */
  keyOnly?: boolean;
}

/** A RUN whose command exited non-zero; `exitCode` is the command's status. */
export class RunFailedError extends TrowelError {
  constructor(status: number, signal?: string | number) {
    super('RUN_FAILED', signal !== undefined ? `while running runtime: killed by signal ${signal}` : `while running runtime: exit status ${status}`, { exitCode: status || 125 });
  }
}

function checkSupported(step: CopyInstruction | AddInstruction): void {
  if (step.kind === 'add' && step.sources.some((s) => /^git@[^/]+:/.test(s))) throw new NotImplementedError('ADD from a git repository over ssh (git@HOST:PATH)');
  if (step.kind === 'copy' && step.sources.some((s) => isUrlSource(s) || isGitSource(s))) throw new NotImplementedError('COPY from a URL (use ADD)');
}

/** ADD's git repositories (checked before URLs: an http(s) URL ending in .git is one). */
function gitSources(step: CopyInstruction | AddInstruction): string[] {
  return step.kind === 'add' ? step.sources.filter(isGitSource) : [];
}

/** ADD's http(s) downloads. */
function urlSources(step: CopyInstruction | AddInstruction): string[] {
  return step.kind === 'add' ? step.sources.filter((s) => isUrlSource(s) && !isGitSource(s)) : [];
}

/**
 * What a COPY/ADD leaves out: the ignore file (context sources only) and `--exclude` patterns,
 * which match a path relative to the context (or --from root) or to the source directory it
 * is under, as BuildKit matches them.
 */
export function excludeFilter(step: CopyInstruction | AddInstruction, local: readonly string[], ignore: IgnoreMatcher | undefined): { exclude: (rel: string) => boolean; hasExceptions: boolean } | undefined {
  const patterns = step.exclude.length > 0
    ? new IgnoreMatcher(step.exclude.map((pattern, i) => ({ pattern, line: i + 1 })), `${step.kind.toUpperCase()} --exclude`)
    : undefined;
  if (!ignore && !patterns) return undefined;
  // A `--parents` pivot (`x/./y`) names the directory `x/y`.
  const prefixes = local.map((s) => s.replace(/\/\.\//g, '/').replace(/^\.?\/+/, '').replace(/\/+$/, '')).filter((s) => s !== '' && s !== '.');
  const byPatterns = (rel: string) => {
    if (!patterns) return false;
    if (patterns.matches(rel)) return true;
    return prefixes.some((p) => rel.startsWith(`${p}/`) && patterns.matches(rel.slice(p.length + 1)));
  };
  return {
    exclude: (rel) => (ignore?.matches(rel) ?? false) || byPatterns(rel),
    hasExceptions: (ignore?.hasExceptions ?? false) || (patterns?.hasExceptions ?? false),
  };
}

/** `--parents` (COPY and ADD). */
export function keepsParents(step: CopyInstruction | AddInstruction): boolean {
  return step.parents === true;
}

/** The sources read from the context (or --from root): all but ADD's URLs and git repositories. */
export function localSources(step: CopyInstruction | AddInstruction): string[] {
  return step.kind === 'add' ? step.sources.filter((s) => !isUrlSource(s) && !isGitSource(s)) : step.sources;
}

/**
 * Digests a step's inputs (COPY/ADD sources; nothing for the others). With `keyOnly`, a
 * `COPY --from` is digested as the id of the image it reads (cheap: no mount) and no token is made.
 */
export async function stepInputs(svc: StepServices, step: Instruction, opts: { keyOnly?: boolean } = {}): Promise<StepInputs> {
  if (step.kind !== 'copy' && step.kind !== 'add') return { digests: [] };
  checkSupported(step);
  const { session } = svc;
  // A directory build context has no image id: its files are digested like the context's.
  if (opts.keyOnly && step.kind === 'copy' && step.from !== undefined && step.inline.length === 0 && namedContextOf(session.options, step.from)?.kind !== 'dir') {
    return { digests: [`from:${await session.imageIdOf(step.from)}`], keyOnly: true };
  }
  const parts: string[] = [];
  let kind: 'file' | 'dir' | 'multi' = 'multi';
  const local = localSources(step);
  const urls = urlSources(step);
  const repos = gitSources(step);
  if (local.length > 0) {
    const from = step.kind === 'copy' ? step.from : undefined;
    const root = from !== undefined ? await session.rootOf(from) : session.inputs.contextDir;
    const filter = excludeFilter(step, local, from === undefined ? session.inputs.ignore : undefined);
    const d = await digestSources(root, local, session.memo, filter?.exclude);
    parts.push(d.digest);
    // The directories --parents recreates carry their source modes: part of the result.
    if (keepsParents(step)) parts.push(hashParts(keptParentModes(root, local)));
    kind = step.inline.length === 0 && urls.length === 0 && repos.length === 0 ? d.kind : 'multi';
  }
  let downloads: Downloads | undefined;
  if (urls.length > 0) {
    mkdirSync(session.store.tmpDir, { recursive: true });
    downloads = await downloadSources(urls, session.store.tmpDir, step.kind === 'add' ? step.checksum : undefined, session.options.signal);
    parts.push(...downloads.digests);
    if (local.length === 0 && step.inline.length === 0 && urls.length === 1 && repos.length === 0) kind = 'file';
  }
  let checkouts: GitCheckouts | undefined;
  if (repos.length > 0) {
    try {
      checkouts = await checkOutGitSources(repos, session.store.tmpDir, { keepGitDir: step.kind === 'add' && step.keepGitDir, signal: session.options.signal });
      // The checked-out files are the input, as a context directory's would be.
      parts.push((await digestSources(checkouts.dir, checkouts.sources, session.memo)).digest);
    } catch (e) {
      downloads?.remove();
      checkouts?.remove();
      throw e;
    }
    if (local.length === 0 && step.inline.length === 0 && urls.length === 0 && repos.length === 1) kind = 'dir';
  }
  for (const h of step.inline) parts.push(hashParts([h.name, h.content]));
  if (step.sources.length === 0 && step.inline.length === 1) kind = 'file';
  const digest = parts.length === 1 ? parts[0]! : hashParts(parts);
  return { digests: [digest], token: contentToken(kind, digest), ...(downloads ? { downloads } : {}), ...(checkouts ? { checkouts } : {}) };
}

/** Runs one expanded instruction in the stage. `original` is the instruction before expansion. */
export async function dispatchStep(svc: StepServices, step: Instruction, original: Instruction, inputs: StepInputs): Promise<void> {
  switch (step.kind) {
    case 'from':
      throw new TrowelError('CONTAINERFILE_SYNTAX', 'FROM cannot be an ONBUILD trigger');
    case 'env':
    case 'label':
    case 'expose':
    case 'user':
    case 'volume':
    case 'stopsignal':
    case 'healthcheck':
    case 'onbuild':
    case 'shell':
    case 'cmd':
    case 'entrypoint':
    case 'maintainer':
    case 'arg':
      applyConfigInstruction(svc.state, step);
      return;
    case 'workdir':
      applyConfigInstruction(svc.state, step);
      await makeWorkdir(svc, svc.state.config.config?.WorkingDir ?? '/');
      return;
    case 'run':
      await runStep(svc, step, original as RunInstruction);
      return;
    case 'copy':
    case 'add':
      await copyStep(svc, step, inputs);
      return;
    default: {
      const never: never = step;
      return never;
    }
  }
}

/** Mounts the stage's container for `fn`, unmounting afterwards unless it was mounted before. */
export async function withMountedRoot<T>(svc: StepServices, fn: (root: string) => Promise<T> | T): Promise<T> {
  return withContainerMounted(svc.session.store, await svc.ensureContainer(), fn);
}

/** WORKDIR creates its directory (root-owned, 0755) when missing, as buildah does. */
async function makeWorkdir(svc: StepServices, dir: string): Promise<void> {
  await withMountedRoot(svc, (root) => {
    const host = resolveInRoot(root, dir, { followLast: true, createParents: true });
    mkdirSync(host, { recursive: true, mode: 0o755 });
  });
}

async function runStep(svc: StepServices, step: RunInstruction, original: RunInstruction): Promise<void> {
  const { session, state, vars } = svc;
  const { store, options: o } = session;
  const c = await svc.saveConfig(await svc.ensureContainer());
  const resolved = resolveRunCommand({ ...step, command: original.command, heredocs: original.heredocs }, state.shell);
  const workingDir = state.config.config?.WorkingDir || '/';
  const runMounts = await runMountSpecs(step.mounts, {
    contextDir: session.inputs.contextDir,
    rootOf: session.rootOf,
    secrets: o.secrets,
    workingDir,
    ...(session.ssh ? { ssh: session.ssh } : {}),
    ...(o.userns ? { idMaps: o.userns } : {}),
  });
  const mounts = runMounts.specs;
  let target = storeRunTarget(store, c);
  let ctx = storeRunContext(store, o.driver);
  let mapped: MappedRun | undefined;
  let scriptDir: string | undefined;
  try {
    if (o.userns) {
      // --userns-uid-map: the RUN's root is an unprivileged host id (see builder/run/mapped-stack.ts).
      for (const m of step.mounts) {
        if (m.type === 'cache' || (m.type === 'bind' && m.from !== undefined)) throw new NotImplementedError(`RUN --mount=type=${m.type}${m.from !== undefined ? ',from=' : ''} with --userns-uid-map/--userns-gid-map`);
      }
      mapped = await prepareMappedRun(store.root, target, ctx, o.userns);
      ({ target, ctx } = mapped);
    }
    let argv: string[];
    if (resolved.kind === 'script') {
      // A heredoc with a shebang is a script file, as BuildKit runs it: /dev/pipes/<name>.
      // With id maps it goes where the namespace's root can reach it.
      const scratch = mapped ? ctx.runDir : store.tmpDir;
      mkdirSync(scratch, { recursive: true });
      scriptDir = mkdtempSync(join(scratch, 'build-script-'));
      const path = join(scriptDir, resolved.name);
      writeFileSync(path, resolved.content);
      chmodSync(path, 0o755);
      chmodSync(scriptDir, 0o755);
      mounts.push(`type=bind,source=${scriptDir},target=/dev/pipes,ro=true`);
      argv = [`/dev/pipes/${resolved.name}`];
    } else {
      argv = resolved.argv;
    }
    const network = step.network === undefined || step.network === 'default' ? o.network : step.network;
    const outcome = await runInWorkingContainer(target, {
      argv,
      // SSH_AUTH_SOCK and proxies are the command's alone: never in the config, the history or the cache key.
      env: [...vars.runEnv(), ...runMounts.env],
      httpProxy: o.httpProxy,
      network,
      volumes: o.volumes,
      mounts,
      capAdd: o.capAdd,
      capDrop: o.capDrop,
      ulimits: o.ulimits,
      isolation: o.isolation,
      addHosts: o.addHosts,
      noHosts: o.noHosts,
      ...(o.shmSize !== undefined ? { shmSize: o.shmSize } : {}),
      ...(o.dns ? { dns: o.dns } : {}),
      devices: o.devices,
      noNewPrivileges: o.noNewPrivileges,
      seccomp: o.seccomp,
      pid: o.pid,
      ipc: o.ipc,
      uts: o.uts,
      stdio: o.runOutput === 'ignore' ? [o.runStdin ? 'inherit' : 'ignore', 'ignore', 'ignore'] : [o.runStdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      forwardSignals: true,
    }, ctx);
    if (outcome.exitCode !== 0 || outcome.signal !== undefined) throw new RunFailedError(outcome.exitCode, outcome.signal);
  } finally {
    await runMounts.release();
    if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
    await mapped?.release();
  }
}

/**
 * The copy options a COPY/ADD step gives in the mounted container `root` (owner and chmod
 * resolved, a destination with several sources made a directory), short of its sources.
 */
export function copyBaseOptions(svc: StepServices, step: CopyInstruction | AddInstruction, root: string): Omit<CopyOptions, 'sources' | 'contextDir'> {
  const base: Omit<CopyOptions, 'sources' | 'contextDir'> = {
    dest: step.destination,
    confineToContext: true,
    workingDir: svc.state.config.config?.WorkingDir || '/',
    // COPY --from and heredocs never extract; ADD of a local archive does.
    extractArchives: step.kind === 'add',
  };
  if (step.chown !== undefined) {
    const u = resolveUser(root, step.chown);
    base.owner = { uid: u.uid, gid: u.gid };
  }
  if (step.chmod !== undefined) base.chmod = parseChmod(step.chmod);
  const several = step.sources.length + step.inline.length > 1;
  if (several && !base.dest.endsWith('/')) base.dest = `${base.dest}/`;
  return base;
}

async function copyStep(svc: StepServices, step: CopyInstruction | AddInstruction, inputs: StepInputs): Promise<void> {
  checkSupported(step);
  const { session } = svc;
  const { store } = session;
  const from = step.kind === 'copy' ? step.from : undefined;
  const sourceRoot = from !== undefined ? await session.rootOf(from) : session.inputs.contextDir;
  const filter = excludeFilter(step, localSources(step), from === undefined ? session.inputs.ignore : undefined);
  let inlineDir: string | undefined;
  if (step.inline.length > 0) {
    mkdirSync(store.tmpDir, { recursive: true });
    inlineDir = mkdtempSync(join(store.tmpDir, 'build-heredoc-'));
    for (const h of step.inline) writeFileSync(join(inlineDir, h.name), h.content, { mode: 0o644 });
  }
  try {
    await withMountedRoot(svc, async (root) => {
      const base = copyBaseOptions(svc, step, root);
      const dest = base.dest;
      const local = localSources(step);
      if (local.length > 0) {
        await copyIntoRoot(root, {
          ...base,
          sources: local,
          contextDir: sourceRoot,
          ...(keepsParents(step) ? { parents: true } : {}),
          ...(filter ? { exclude: filter.exclude, excludeHasExceptions: filter.hasExceptions } : {}),
          // Without --layers the history token is digested after the copy: from these hashes.
          ...(session.options.layers ? {} : { onFileDigest: (st: Stats, sha256: string) => session.memo.remember(st, sha256) }),
        });
      }
      if (inputs.downloads) {
        // A fetched file is copied as it is, never extracted (Docker's rule for remote ADD).
        await copyIntoRoot(root, { ...base, dest, extractArchives: false, sources: inputs.downloads.names, contextDir: inputs.downloads.dir });
      }
      if (inputs.checkouts) {
        await copyIntoRoot(root, { ...base, dest, extractArchives: false, sources: inputs.checkouts.sources, contextDir: inputs.checkouts.dir });
      }
      if (inlineDir) {
        await copyIntoRoot(root, { ...base, dest, extractArchives: false, sources: step.inline.map((h) => h.name), contextDir: inlineDir });
      }
    });
  } finally {
    if (inlineDir) rmSync(inlineDir, { recursive: true, force: true });
  }
}
