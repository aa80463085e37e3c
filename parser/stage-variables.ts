/**
 * The variables of one stage as a build walks its instructions: ARG values (declared in the
 * stage, from `--build-arg`, the global ARGs or the built-ins) and ENV values (from the base
 * image and ENV lines). ENV wins over ARG, as in Docker. The builder creates one per stage,
 * expands each instruction with {@link StageVariables.expansionEnv} and then calls
 * {@link StageVariables.apply} with the expanded instruction.
 */
import { PROXY_ARGS } from './build-args.js';
import type { Instruction } from './instructions.js';

/** What a stage starts from. */
export interface StageVariablesOptions {
  /** Resolved global ARGs including the built-ins (from `resolveGlobalArgs`). */
  globalArgs: ReadonlyMap<string, string>;
  /** `--build-arg` values. */
  buildArgs: Readonly<Record<string, string>>;
  /** The base image's `Env` (`KEY=value` strings), or nothing for scratch. */
  baseEnv?: readonly string[];
}

/** ARG and ENV state of one stage. */
export class StageVariables {
  private readonly args = new Map<string, string>();
  private readonly declared = new Set<string>();
  private readonly env = new Map<string, string>();

  constructor(private readonly options: StageVariablesOptions) {
    for (const kv of options.baseEnv ?? []) {
      const eq = kv.indexOf('=');
      if (eq > 0) this.env.set(kv.slice(0, eq), kv.slice(eq + 1));
      else if (eq < 0 && kv !== '') this.env.set(kv, '');
    }
  }

  /** The variables an instruction's words are expanded with: ARGs, overridden by ENV. */
  expansionEnv(): Map<string, string> {
    const m = new Map(this.args);
    for (const [k, v] of this.env) m.set(k, v);
    return m;
  }

  /** The environment of a RUN: ARGs, proxy build args, overridden by ENV; as `KEY=value`. */
  runEnv(): string[] {
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(this.options.buildArgs)) if (PROXY_ARGS.has(k)) m.set(k, v);
    for (const [k, v] of this.args) m.set(k, v);
    for (const [k, v] of this.env) m.set(k, v);
    return [...m].map(([k, v]) => `${k}=${v}`);
  }

  /** The image config's `Env` (ENV only, never ARG), in first-set order. */
  configEnv(): string[] {
    return [...this.env].map(([k, v]) => `${k}=${v}`);
  }

  /** ARG names declared so far in this stage (with or without a value). */
  declaredArgs(): ReadonlySet<string> {
    return this.declared;
  }

  /** ARG values in force (declared args that have a value). */
  argValues(): ReadonlyMap<string, string> {
    return this.args;
  }

  /**
   * Records what an already expanded ARG or ENV instruction sets; other kinds change nothing.
   * ARG: a `--build-arg` wins over the default; `ARG NAME` alone takes the global value.
   */
  apply(expanded: Instruction): void {
    if (expanded.kind === 'env') {
      for (const { key, value } of expanded.pairs) this.env.set(key, value);
    } else if (expanded.kind === 'arg') {
      for (const decl of expanded.args) {
        this.declared.add(decl.name);
        const given = Object.prototype.hasOwnProperty.call(this.options.buildArgs, decl.name)
          ? this.options.buildArgs[decl.name] : undefined;
        const value = given ?? decl.default ?? this.options.globalArgs.get(decl.name);
        if (value !== undefined) this.args.set(decl.name, value);
      }
    }
  }
}
