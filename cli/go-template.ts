import { InvalidArgumentError } from '../oci/error.js';
import { parseGoTemplate, TemplateSyntaxError, type Operand, type Pipeline, type TemplateNode } from './go-template-parse.js';

/**
 * Go's text/template, the part `--format` users write (buildah's `inspect`, `images`,
 * `containers`, `info`): field paths, pipelines, `if`/`range`/`with` with `else`, variables,
 * and the functions buildah and podman templates use (`json`, `print*`, `len`, `index`,
 * `join`, comparisons, `and`/`or`/`not`, `lower`/`upper`/`title`). Values print as Go's `%v`
 * does (`[a b]` for lists, `map[k:v]` for maps, `<no value>` for missing fields). `\t` and `\n`
 * written out in the text are a tab and a newline, as buildah's --format takes them.
 */
export function renderGoTemplate(template: string, data: unknown): string {
  return compileGoTemplate(template)(data);
}

const compiled = new Map<string, (data: unknown) => string>();

/** Parses once; the function renders one value (an `images` row, an image). */
export function compileGoTemplate(template: string): (data: unknown) => string {
  let render = compiled.get(template);
  if (!render) {
    const nodes = parseGoTemplate(template, template.replace(/\\t/g, '\t').replace(/\\n/g, '\n'));
    checkFunctions(template, nodes);
    render = (data) => {
      const out: string[] = [];
      execute(nodes, data, new Scope(undefined, data), out, template);
      return out.join('');
    };
    compiled.set(template, render);
  }
  return render;
}

class TemplateExecError extends InvalidArgumentError {
  constructor(template: string, why: string) {
    super(`execute template ${JSON.stringify(template)}: ${why}`);
  }
}

class Scope {
  private readonly vars = new Map<string, unknown>();
  constructor(private readonly parent: Scope | undefined, root?: unknown) {
    if (!parent) this.vars.set('$', root);
  }
  get(name: string, template: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    throw new TemplateExecError(template, `undefined variable ${name}`);
  }
  declare(name: string, value: unknown): void {
    this.vars.set(name, value);
  }
  assign(name: string, value: unknown, template: string): void {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      if (s.vars.has(name)) {
        s.vars.set(name, value);
        return;
      }
    }
    throw new TemplateExecError(template, `undefined variable ${name}`);
  }
}

/** Go's truth: false, 0, nil, and empty strings, lists and maps are false. */
function isTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function execute(nodes: TemplateNode[], dot: unknown, scope: Scope, out: string[], template: string): void {
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out.push(node.text);
        break;
      case 'action': {
        const v = evalPipeline(node.pipeline, dot, scope, template);
        if (!node.pipeline.decl) out.push(formatValue(v));
        break;
      }
      case 'if':
      case 'with': {
        const inner = new Scope(scope);
        const v = evalPipeline(node.pipeline, dot, inner, template);
        if (isTrue(v)) execute(node.then, node.kind === 'with' ? v : dot, inner, out, template);
        else execute(node.otherwise, dot, inner, out, template);
        break;
      }
      case 'range': {
        const inner = new Scope(scope);
        const names = node.pipeline.decl?.names ?? [];
        const v = evalPipeline({ commands: node.pipeline.commands }, dot, inner, template);
        const items = rangeItems(v, template);
        if (items.length === 0) execute(node.otherwise, dot, inner, out, template);
        for (const [key, value] of items) {
          const each = new Scope(inner);
          if (names.length === 1) each.declare(names[0]!, value);
          if (names.length === 2) {
            each.declare(names[0]!, key);
            each.declare(names[1]!, value);
          }
          execute(node.then, value, each, out, template);
        }
        break;
      }
    }
  }
}

/** What `range` walks: a list's elements, or a map's values in key order. */
function rangeItems(v: unknown, template: string): [unknown, unknown][] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (typeof v === 'object') return sortedEntries(v as Record<string, unknown>);
  if (typeof v === 'number' && Number.isInteger(v)) return Array.from({ length: Math.max(0, v) }, (_x, i) => [i, i]);
  throw new TemplateExecError(template, `range can't iterate over ${formatValue(v)}`);
}

function evalPipeline(p: Pipeline, dot: unknown, scope: Scope, template: string): unknown {
  let value: unknown;
  let has = false;
  for (const command of p.commands) {
    value = evalCommand(command, dot, scope, template, has ? [value] : []);
    has = true;
  }
  if (p.decl) {
    const name = p.decl.names[p.decl.names.length - 1]!;
    if (p.decl.assign) scope.assign(name, value, template);
    else scope.declare(name, value);
  }
  return value;
}

function evalCommand(command: Operand[], dot: unknown, scope: Scope, template: string, piped: unknown[]): unknown {
  const [first, ...rest] = command;
  if (first!.kind === 'function') {
    const args = [...rest.map((o) => evalOperand(o, dot, scope, template)), ...piped];
    return callFunction(first!.name, args, template);
  }
  if (rest.length > 0 || piped.length > 0) throw new TemplateExecError(template, `can't give an argument to a non-function`);
  return evalOperand(first!, dot, scope, template);
}

function evalOperand(o: Operand, dot: unknown, scope: Scope, template: string): unknown {
  switch (o.kind) {
    case 'field':
      return walk(dot, o.path);
    case 'var':
      return walk(scope.get(o.name, template), o.path);
    case 'literal':
      return o.value;
    case 'pipe':
      return walk(evalPipeline(o.pipeline, dot, scope, template), o.path);
    case 'function':
      return callFunction(o.name, [], template);
  }
}

function walk(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    cur = field(cur, key);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * One step of a field path. Go templates walk struct fields, whose names are the capitalized
 * JSON keys, so keys match case-insensitively. A string holding a JSON object (buildah's
 * `Config` and `Manifest`) is walked into, and an image config's runtime fields are found
 * through its `config` member (`.Config.Cmd`).
 */
function field(cur: unknown, key: string): unknown {
  if (typeof cur === 'string' && cur.startsWith('{')) {
    try {
      cur = JSON.parse(cur);
    } catch {
      return undefined;
    }
  }
  if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
  const obj = cur as Record<string, unknown>;
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const match = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  if (match !== undefined) return obj[match];
  const nested = obj.config;
  if (nested && typeof nested === 'object' && 'rootfs' in obj) return field(nested, key);
  return undefined;
}

function sortedEntries(obj: Record<string, unknown>): [string, unknown][] {
  return Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Go's `%v` formatting of JSON-like values. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') return `map[${sortedEntries(v as Record<string, unknown>).map(([k, x]) => `${k}:${formatValue(x)}`).join(' ')}]`;
  return String(v);
}

/** encoding/json's Marshal: compact, with <, > and & escaped. */
function goJson(v: unknown): string {
  return (JSON.stringify(v === undefined ? null : v) ?? 'null').replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function compare(a: unknown, b: unknown, template: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateExecError(template, `incompatible types for comparison: ${formatValue(a)} and ${formatValue(b)}`);
}

/** fmt.Sprintf for the verbs templates use: %v %s %d %q %t %x %X %f and width, `-` and `0` flags. */
export function sprintf(format: string, args: unknown[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([vsdqtxXf%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[n++];
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${formatValue(arg)})`;
        break;
      case 'q':
        s = JSON.stringify(typeof arg === 'string' ? arg : formatValue(arg));
        break;
      case 'x':
      case 'X':
        s = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(String(arg)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'f':
        s = typeof arg === 'number' ? arg.toFixed(prec !== undefined ? Number(prec) : 6) : `%!f(${formatValue(arg)})`;
        break;
      default:
        s = formatValue(arg);
        if (verb === 's' && prec !== undefined) s = s.slice(0, Number(prec));
    }
    const w = width !== undefined ? Number(width) : 0;
    if (s.length >= w) return s;
    if (flags.includes('-')) return s.padEnd(w);
    return flags.includes('0') && /[dxXf]/.test(verb) ? s.padStart(w, '0') : s.padStart(w);
  });
}

const FUNCTIONS: Record<string, (args: unknown[], template: string) => unknown> = {
  json: (a) => goJson(a[0]),
  print: (a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + (typeof x === 'string' ? x : formatValue(x))).join(''),
  println: (a) => `${a.map((x) => (typeof x === 'string' ? x : formatValue(x))).join(' ')}\n`,
  printf: (a, t) => {
    if (typeof a[0] !== 'string') throw new TemplateExecError(t, 'printf needs a format string');
    return sprintf(a[0], a.slice(1));
  },
  len: (a, t) => {
    const v = a[0];
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    throw new TemplateExecError(t, `error calling len: len of ${formatValue(v)}`);
  },
  index: (a, t) => {
    let cur = a[0];
    for (const k of a.slice(1)) {
      if (Array.isArray(cur) && typeof k === 'number') {
        if (k < 0 || k >= cur.length) throw new TemplateExecError(t, `error calling index: index out of range: ${k}`);
        cur = cur[k];
      } else if (cur && typeof cur === 'object' && !Array.isArray(cur) && typeof k === 'string') cur = (cur as Record<string, unknown>)[k];
      else if (cur === undefined || cur === null) return undefined;
      else throw new TemplateExecError(t, `error calling index: cannot index ${formatValue(cur)} with ${formatValue(k)}`);
    }
    return cur;
  },
  join: (a, t) => {
    if (!Array.isArray(a[0]) || typeof a[1] !== 'string') throw new TemplateExecError(t, 'join needs a list and a separator');
    return a[0].map((x) => (typeof x === 'string' ? x : formatValue(x))).join(a[1]);
  },
  eq: (a) => a.slice(1).some((b) => a[0] === b),
  ne: (a) => a[0] !== a[1],
  lt: (a, t) => compare(a[0], a[1], t) < 0,
  le: (a, t) => compare(a[0], a[1], t) <= 0,
  gt: (a, t) => compare(a[0], a[1], t) > 0,
  ge: (a, t) => compare(a[0], a[1], t) >= 0,
  and: (a) => a.find((x) => !isTrue(x)) ?? a[a.length - 1],
  or: (a) => a.find((x) => isTrue(x)) ?? a[a.length - 1],
  not: (a) => !isTrue(a[0]),
  lower: (a) => String(a[0] ?? '').toLowerCase(),
  upper: (a) => String(a[0] ?? '').toUpperCase(),
  title: (a) => String(a[0] ?? '').replace(/(^|\s)(\S)/g, (_m, s: string, c: string) => s + c.toUpperCase()),
};

function callFunction(name: string, args: unknown[], template: string): unknown {
  return FUNCTIONS[name]!(args, template);
}

/** Unknown functions are parse errors in Go: refused before anything is printed. */
function checkFunctions(template: string, nodes: TemplateNode[]): void {
  const inPipeline = (p: Pipeline): void => {
    for (const cmd of p.commands) {
      for (const o of cmd) {
        if (o.kind === 'function' && !Object.hasOwn(FUNCTIONS, o.name)) throw new TemplateSyntaxError(template, `function "${o.name}" not defined`);
        if (o.kind === 'pipe') inPipeline(o.pipeline);
      }
    }
  };
  for (const n of nodes) {
    if (n.kind === 'text') continue;
    inPipeline(n.pipeline);
    if (n.kind !== 'action') {
      checkFunctions(template, n.then);
      checkFunctions(template, n.otherwise);
    }
  }
}
