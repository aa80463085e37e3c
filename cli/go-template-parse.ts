import { InvalidArgumentError } from '../oci/error.js';

/**
 * The parse half of the Go text/template subset `--format` takes: text, `{{ }}` actions with
 * `{{-`/`-}}` trimming and comments (`{{/` + `* … *` + `/}}`), pipelines (`.A.B | json`), variables (`$`,
 * `$x := …`, `$k, $v := …`), literals, parenthesized pipelines, and `if`/`else if`/`else`,
 * `range`/`else`, `with`/`else` … `{{end}}`. `define`, `template` and `block` are refused.
 */

export type Operand =
  | { kind: 'field'; path: string[] }
  | { kind: 'var'; name: string; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'function'; name: string }
  | { kind: 'pipe'; pipeline: Pipeline; path: string[] };

export interface Pipeline {
  /** `$x := …` / `$k, $v := …` (range) or `$x = …`. */
  decl?: { names: string[]; assign: boolean };
  commands: Operand[][];
}

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipeline: Pipeline; then: TemplateNode[]; otherwise: TemplateNode[] };

export class TemplateSyntaxError extends InvalidArgumentError {
  constructor(template: string, why: string) {
    super(`parse template ${JSON.stringify(template)}: ${why}`);
  }
}

type Segment = { kind: 'text'; text: string } | { kind: 'action'; body: string };

/** Splits text from actions, dropping comments and applying trim markers. */
function segments(text: string, fail: (why: string) => never): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    let body = '';
    let close = -1;
    if (open >= 0) {
      close = findClose(text, open + 2, fail);
      body = text.slice(open + 2, close);
      if (/^-\s/.test(body)) {
        chunk = chunk.replace(/\s+$/, '');
        body = body.slice(1);
      }
      trimNext = /\s-$/.test(body);
      if (trimNext) body = body.slice(0, -1);
    }
    if (chunk !== '') out.push({ kind: 'text', text: chunk });
    if (open < 0) break;
    const trimmed = body.trim();
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) out.push({ kind: 'action', body: trimmed });
    i = close + 2;
  }
  return out;
}

/** The index of the `}}` closing an action, skipping string literals. */
function findClose(text: string, from: number, fail: (why: string) => never): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === '`') {
      const end = ch === '`' ? text.indexOf('`', i + 1) : closingQuote(text, i + 1);
      if (end < 0) fail('unterminated string');
      i = end;
    } else if (ch === '}' && text[i + 1] === '}') {
      return i;
    }
  }
  return fail('unclosed action');
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

type Token =
  | { t: 'field'; path: string[] }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'string' | 'number'; value: string | number }
  | { t: 'ident'; name: string }
  | { t: '(' | ')' | '|' | ':=' | '=' | ',' }
  | { t: 'chain'; path: string[] };

function unquote(raw: string): string {
  return raw.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' })[c] ?? c);
}

function tokenize(body: string, fail: (why: string) => never): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|(\$[A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)|(\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*|\.)|"((?:[^"\\]|\\.)*)"|`([^`]*)`|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(:=|[()|=,])/y;
  let i = 0;
  while (i < body.length) {
    re.lastIndex = i;
    const m = re.exec(body);
    if (!m) fail(`unexpected ${JSON.stringify(body.slice(i, i + 10))} in {{${body}}}`);
    i = re.lastIndex;
    const path = (s: string | undefined) => (s ? s.split('.').filter(Boolean) : []);
    if (m[1] !== undefined) tokens.push({ t: 'var', name: m[1], path: path(m[2]) });
    else if (m[3] !== undefined) {
      // `.Field` right after `)` continues the parenthesized value.
      const prev = tokens.at(-1);
      if (prev?.t === ')' && m[3] !== '.') tokens.push({ t: 'chain', path: path(m[3]) });
      else tokens.push({ t: 'field', path: path(m[3]) });
    } else if (m[4] !== undefined) tokens.push({ t: 'string', value: unquote(m[4]) });
    else if (m[5] !== undefined) tokens.push({ t: 'string', value: m[5] });
    else if (m[6] !== undefined) tokens.push({ t: 'number', value: Number(m[6]) });
    else if (m[7] !== undefined) tokens.push({ t: 'ident', name: m[7] });
    else if (m[8] !== undefined) tokens.push({ t: m[8] as '(' });
  }
  return tokens;
}

class PipelineParser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly fail: (why: string) => never, private readonly source: string) {}

  parse(allowDecl: boolean): Pipeline {
    const p = this.pipeline(allowDecl);
    if (this.i < this.tokens.length) this.fail(`unexpected ${this.describe(this.tokens[this.i]!)} in {{${this.source}}}`);
    return p;
  }

  private describe(tok: Token): string {
    return 'name' in tok ? tok.name : tok.t;
  }

  private pipeline(allowDecl: boolean): Pipeline {
    const pipeline: Pipeline = { commands: [] };
    if (allowDecl) {
      const names: string[] = [];
      let j = this.i;
      while (this.tokens[j]?.t === 'var' && (this.tokens[j] as { path: string[] }).path.length === 0) {
        names.push((this.tokens[j] as { name: string }).name);
        if (this.tokens[j + 1]?.t === ',') j += 2;
        else {
          j += 1;
          break;
        }
      }
      const op = this.tokens[j]?.t;
      if (names.length > 0 && (op === ':=' || op === '=')) {
        if (names.length > 2) this.fail(`too many declarations in {{${this.source}}}`);
        pipeline.decl = { names, assign: op === '=' };
        this.i = j + 1;
      }
    }
    for (;;) {
      pipeline.commands.push(this.command());
      if (this.tokens[this.i]?.t !== '|') break;
      this.i++;
    }
    return pipeline;
  }

  private command(): Operand[] {
    const operands: Operand[] = [];
    for (;;) {
      const tok = this.tokens[this.i];
      if (!tok || tok.t === '|' || tok.t === ')') break;
      operands.push(this.operand());
    }
    if (operands.length === 0) this.fail(`missing value in {{${this.source}}}`);
    return operands;
  }

  private operand(): Operand {
    const tok = this.tokens[this.i++]!;
    switch (tok.t) {
      case 'field':
        return { kind: 'field', path: tok.path };
      case 'var':
        return { kind: 'var', name: tok.name, path: tok.path };
      case 'string':
      case 'number':
        return { kind: 'literal', value: tok.value };
      case 'ident':
        if (tok.name === 'true' || tok.name === 'false') return { kind: 'literal', value: tok.name === 'true' };
        if (tok.name === 'nil') return { kind: 'literal', value: null };
        return { kind: 'function', name: tok.name };
      case '(': {
        const pipeline = this.pipeline(false);
        if (this.tokens[this.i]?.t !== ')') this.fail(`unclosed ( in {{${this.source}}}`);
        this.i++;
        const next = this.tokens[this.i];
        const path = next?.t === 'chain' ? (this.i++, next.path) : [];
        return { kind: 'pipe', pipeline, path };
      }
      default:
        return this.fail(`unexpected ${this.describe(tok)} in {{${this.source}}}`);
    }
  }
}

const CONTROL = new Set(['if', 'range', 'with']);
const UNSUPPORTED = new Set(['define', 'template', 'block', 'break', 'continue']);

/** Parses a template into nodes. @throws TemplateSyntaxError */
export function parseGoTemplate(template: string, text: string): TemplateNode[] {
  const fail = (why: string): never => {
    throw new TemplateSyntaxError(template, why);
  };
  const segs = segments(text, fail);
  let k = 0;
  const pipelineOf = (body: string, allowDecl: boolean) => new PipelineParser(tokenize(body, fail), fail, body).parse(allowDecl);

  /** Nodes up to a `{{else…}}` or `{{end}}`; returns which ended the list. */
  const list = (inBlock: boolean): { nodes: TemplateNode[]; ended: 'end' | 'else' | 'eof'; rest: string } => {
    const nodes: TemplateNode[] = [];
    while (k < segs.length) {
      const seg = segs[k++]!;
      if (seg.kind === 'text') {
        nodes.push(seg);
        continue;
      }
      const word = /^[a-z]+/.exec(seg.body)?.[0] ?? '';
      const rest = seg.body.slice(word.length).trim();
      if (word === 'end' || word === 'else') {
        if (!inBlock) fail(`unexpected {{${seg.body}}}`);
        if (word === 'end' && rest !== '') fail(`unexpected ${rest} in {{end}}`);
        return { nodes, ended: word, rest };
      }
      if (UNSUPPORTED.has(word)) fail(`{{${word}}} is not supported here`);
      if (CONTROL.has(word)) {
        nodes.push(block(word as 'if', rest));
        continue;
      }
      nodes.push({ kind: 'action', pipeline: pipelineOf(seg.body, true) });
    }
    if (inBlock) fail('unexpected end of template (missing {{end}})');
    return { nodes, ended: 'eof', rest: '' };
  };

  const block = (kind: 'if' | 'with' | 'range', head: string): TemplateNode => {
    if (head === '') fail(`missing value for ${kind}`);
    const pipeline = pipelineOf(head, true);
    const body = list(true);
    let otherwise: TemplateNode[] = [];
    if (body.ended === 'else') {
      if (body.rest.startsWith('if ') && kind === 'if') {
        // `{{else if X}}` is an if inside the else branch, sharing the one {{end}}.
        otherwise = [block('if', body.rest.slice(3).trim())];
      } else {
        if (body.rest !== '') fail(`unexpected ${body.rest} in {{else}}`);
        const tail = list(true);
        if (tail.ended !== 'end') fail(`unexpected {{else}}: ${kind} has one already`);
        otherwise = tail.nodes;
      }
    }
    return { kind, pipeline, then: body.nodes, otherwise };
  };

  return list(false).nodes;
}
