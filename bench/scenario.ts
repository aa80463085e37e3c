import type { Invocation } from './process.js';
import type { ToolSide } from './tool-side.js';

/** What a scenario compares against, as stated in the project's speed goals. */
export type Target =
  | { kind: 'ratio'; max: number } // trowel median <= max x buildah median
  | { kind: 'wall'; maxMs: number } // trowel median wall time under maxMs
  | { kind: 'none'; text: string }; // no figure set: reported for information

/** Shared by all scenarios of one bench run. */
export interface BenchContext {
  /** Scratch directory for this run (removed at the end unless --keep). */
  work: string;
  /** 1 in full mode; smaller in --quick, applied to file counts and sizes. */
  scale: number;
  /** A busybox root filesystem to copy into base images. */
  busyboxRootfs: string;
}

/** How one tool runs one scenario. Only `command` is timed. */
export interface ToolPlan {
  /** Once before the warm-up: a fresh store, base images, a primed cache… */
  setup?(): Promise<void>;
  /** Before each timed run (including the warm-up), e.g. a fresh store for a cold run. */
  beforeEach?(run: number): Promise<void>;
  /** The timed command of run `run`. */
  command(run: number): Invocation;
  /**
   * After each timed run (untimed): proves the command did its work (the image exists, the
   * registry has the manifest…), so a tool cannot look fast by doing nothing. Throws if not.
   */
  verify?(run: number, stdout: string): Promise<void>;
}

/** A scenario whose inputs are generated and ready. */
export interface OpenScenario {
  /** The inputs' actual size, e.g. "10,000 files / 300 MB". */
  inputs: string;
  plan(tool: ToolSide): ToolPlan;
  close?(): Promise<void>;
}

export interface Scenario {
  /** Short stable name, used by --only. */
  id: string;
  /** What is measured, in a few words. */
  title: string;
  /** Cold: no cache, fresh store per run. Warm: what the scenario says is already there. */
  state: 'cold' | 'warm';
  /** One sentence on what is in place before each timed run. */
  note: string;
  target: Target;
  /** trowel commands the scenario needs (probed with --help before trying). */
  trowelCommands: readonly string[];
  /** Runs as the unprivileged bench user with fuse-overlayfs. */
  rootless?: boolean;
  /** Generates the inputs under ctx.work (untimed). */
  open(ctx: BenchContext): Promise<OpenScenario>;
}
