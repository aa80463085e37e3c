import type { CommandModule } from 'yargs';

/**
 * A fast path for the common case of running one command: its flags and positionals are read
 * straight from argv without loading yargs (which costs tens of milliseconds of start-up on
 * every invocation). It understands exactly the subset of yargs that the command builders use
 * (`option`, `positional`) and answers `undefined` — meaning "let yargs do it" — for anything
 * else: help, unknown or combined short flags, bad values, missing positionals, subcommands.
 * yargs stays the authority for every message a user sees.
 */

interface OptionSpec {
  type?: 'string' | 'boolean' | 'number';
  array?: boolean;
  alias?: string | string[];
  default?: unknown;
  choices?: readonly unknown[];
  demandOption?: boolean | string;
}

/** Thrown inside a builder when it uses something the fast path does not model. */
class Unsupported extends Error {}

/** Records what a builder declares, through the two yargs calls builders use. */
class Recorder {
  readonly options = new Map<string, OptionSpec>();
  readonly positionals = new Map<string, OptionSpec>();

  option(name: string, spec: OptionSpec): this {
    this.options.set(name, spec);
    return this;
  }

  positional(name: string, spec: OptionSpec): this {
    this.positionals.set(name, spec);
    return this;
  }
}

function record(builders: Array<(y: never) => unknown>): Recorder | undefined {
  const rec = new Recorder();
  const proxy = new Proxy(rec, {
    get(target, prop) {
      if (prop === 'option' || prop === 'positional') return (a: string, b: OptionSpec) => (target[prop](a, b), proxy);
      throw new Unsupported(String(prop));
    },
  });
  try {
    for (const b of builders) b(proxy as never);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return rec;
}

function setKey(out: Record<string, unknown>, name: string, spec: OptionSpec, value: unknown): void {
  const aliases = spec.alias === undefined ? [] : Array.isArray(spec.alias) ? spec.alias : [spec.alias];
  for (const k of [name, ...aliases]) {
    out[k] = value;
  }
}

function convert(spec: OptionSpec, raw: string): unknown {
  if (spec.type === 'number') {
    const n = Number(raw);
    return raw.trim() === '' || Number.isNaN(n) ? undefined : n;
  }
  return raw;
}

/**
 * Parses argv for `mod` (the command word included, global flags anywhere) the way yargs would
 * with trowel's parser settings, or returns undefined when yargs must do it.
 */
export function fastParse(mod: CommandModule<any, any>, globals: (y: never) => unknown, argv: string[], commandWord: string): Record<string, unknown> | undefined {
  if (typeof mod.command !== 'string' || typeof mod.builder !== 'function') return undefined;
  const rec = record([globals as (y: never) => unknown, mod.builder as (y: never) => unknown]);
  if (!rec) return undefined;
  const byFlag = new Map<string, [string, OptionSpec]>();
  for (const [name, spec] of rec.options) {
    const aliases = spec.alias === undefined ? [] : Array.isArray(spec.alias) ? spec.alias : [spec.alias];
    for (const a of [name, ...aliases]) byFlag.set(a.length === 1 ? `-${a}` : `--${a}`, [name, spec]);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of rec.options) {
    if (spec.default !== undefined) setKey(out, name, spec, Array.isArray(spec.default) ? [...spec.default] : spec.default);
  }
  const words: string[] = [];
  const afterDash: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      afterDash.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      words.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const hit = byFlag.get(flag);
    if (!hit || (a.startsWith('-') && !a.startsWith('--') && flag.length > 2)) return undefined;
    const [name, spec] = hit;
    let value: unknown;
    if (spec.type === 'boolean') {
      if (eq > 0) {
        const v = a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') return undefined;
        value = v === 'true';
      } else {
        // yargs would take a following "true"/"false" as the value: leave that to it.
        if (argv[i + 1] === 'true' || argv[i + 1] === 'false') return undefined;
        value = true;
      }
    } else {
      let raw: string | undefined;
      if (eq > 0) raw = a.slice(eq + 1);
      else {
        raw = argv[i + 1];
        if (raw === undefined || raw === '--') return undefined;
        i++;
      }
      value = convert(spec, raw);
      if (value === undefined) return undefined;
      if (spec.choices && !spec.choices.includes(value)) return undefined;
    }
    if (spec.array) {
      const prev = out[name];
      const list = Array.isArray(prev) && out[`__seen_${name}`] ? prev : [];
      out[`__seen_${name}`] = true;
      setKey(out, name, spec, [...list, value]);
    } else setKey(out, name, spec, value);
  }
  for (const k of Object.keys(out)) if (k.startsWith('__seen_')) delete out[k];
  for (const [name, spec] of rec.options) if (spec.demandOption && out[name] === undefined) return undefined;
  // Positionals from the command string: `name <a> [b] [c..]`.
  if (words[0] !== commandWord) return undefined;
  const rest = words.slice(1);
  const slots = mod.command.split(/\s+/).slice(1);
  if (afterDash.length > 0 && !slots.some((s) => s.endsWith('..]') || s.endsWith('..>'))) return undefined;
  for (const slot of slots) {
    const m = /^([<[])([\w-]+)(\.\.)?[>\]]$/.exec(slot);
    if (!m) return undefined;
    const [, bracket, name, variadic] = m;
    const spec = rec.positionals.get(name!) ?? {};
    if (variadic) {
      const vals = rest.splice(0);
      if (bracket === '<' && vals.length === 0) return undefined;
      const conv = vals.map((v) => convert(spec, v));
      if (conv.some((v) => v === undefined)) return undefined;
      setKey(out, name!, spec, conv.length > 0 ? conv : spec.default !== undefined ? spec.default : []);
      continue;
    }
    const v = rest.shift();
    if (v === undefined) {
      if (bracket === '<') return undefined;
      if (spec.default !== undefined) setKey(out, name!, spec, spec.default);
      continue;
    }
    const conv = convert(spec, v);
    if (conv === undefined) return undefined;
    setKey(out, name!, spec, conv);
  }
  if (rest.length > 0) return undefined; // strict: yargs names the extra argument
  out._ = [commandWord, ...afterDash];
  out.$0 = 'trowel';
  return out;
}
