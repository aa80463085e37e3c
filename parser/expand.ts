/**
 * Docker's word expansion: the shell-like lexer BuildKit applies to the arguments of ADD, COPY,
 * ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG and ONBUILD (never to the
 * command of RUN, CMD or ENTRYPOINT, which the shell expands itself). It supports `$V`, `${V}`,
 * `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`, `${V:?w}`, `${V?w}`, `${V#p}`, `${V##p}`, `${V%p}`,
 * `${V%%p}`, `${V/p/r}`, `${V//p/r}`, single quotes (literal), double quotes (the escape character
 * only escapes `"`, `$` and itself), and the escape character outside quotes.
 *
 * Pure: the environment is passed in. Errors are thrown as {@link ExpansionError} (no position);
 * callers that know the source position wrap them in a ContainerfileError.
 */

import { replacePattern, trimPatternPrefix, trimPatternSuffix } from './shell-pattern.js';

/** What the expander reads variables from. */
export type Environment = ReadonlyMap<string, string>;

/** A malformed substitution or an unterminated quote; `message` is Docker's wording. */
export class ExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpansionError';
  }
}

/** Options of one expansion. */
export interface ExpandOptions {
  /** The escape character (`\` unless a `# escape=` directive chose `` ` ``). */
  escape?: string;
  /** Keep quote characters in the output (used to detect quoted heredoc names). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (`$X` stays `$X`). */
  skipUnset?: boolean;
}

/** The result of an expansion with bookkeeping of which variables were read. */
export interface ExpansionResult {
  /** The expanded text (for {@link expandWord}) or the first word (for {@link expandWords}). */
  value: string;
  /** Words split on unquoted whitespace, including whitespace that came from variables. */
  words: string[];
  /** Names looked up and found. */
  used: Set<string>;
  /** Names referenced as plain `$V` or `${V}` that were not set. */
  unset: Set<string>;
}

const EOF = -1;
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return ch === '\u0085' || ch === '\u00a0' || /^\s$/u.test(ch);
}

function isLetterOrDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return /^[\p{L}\p{Nd}]$/u.test(ch);
}

function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return /^\p{Nd}$/u.test(ch);
}

/** Accumulates words the way BuildKit's wordsStruct does. */
class Words {
  word = '';
  words: string[] = [];
  inWord = false;

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  readonly used = new Set<string>();
  readonly unset = new Set<string>();

  constructor(
    input: string,
    private readonly env: Environment,
    private readonly escape: string,
    private readonly rawQuotes: boolean,
    private readonly rawEscapes: boolean,
    private readonly skipUnset: boolean,
  ) {
    this.chars = Array.from(input);
  }

  private peek(): string | typeof EOF {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }

  private next(): string | typeof EOF {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }

  private lookup(name: string): string | undefined {
    const v = this.env.get(name);
    if (v === undefined) return undefined;
    this.used.add(name);
    return v;
  }

  /** Expands a heredoc body: only `$` substitutions; `\` escapes `$`, `\` and the escape char. */
  heredoc(): string {
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) return out;
      if (ch === '$') {
        out += this.processDollar();
        continue;
      }
      this.next();
      if (ch === this.escape) {
        const n = this.peek();
        if (n === '$' || n === this.escape) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  run(): { value: string; words: string[] } {
    const [value, words] = this.processStopOn(null, this.rawEscapes);
    return { value, words };
  }

  private processStopOn(stop: string | null, rawEscapes: boolean): [string, string[]] {
    let result = '';
    const words = new Words();
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) break;
      if (stop !== null && ch === stop) {
        this.next();
        return [result, words.finish()];
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const tmp = ch === "'" ? this.processSingleQuote() : ch === '"' ? this.processDoubleQuote() : this.processDollar();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = this.next() as string;
      if (c === this.escape) {
        if (rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        const n = this.next();
        if (n === EOF) break;
        c = n;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stop !== null) {
      throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
    }
    return [result, words.finish()];
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next() as string;
    if (this.rawQuotes) result += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.next();
        if (this.rawQuotes) result += p;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next() as string;
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const n = this.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.escape) ch = this.next() as string;
      }
      result += ch;
    }
  }

  private processName(): string {
    let name = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) break;
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek() as string)) name += this.next();
        return name;
      }
      if (name.length === 0 && SPECIAL_PARAMS.has(ch)) {
        this.next();
        return ch;
      }
      if (!isLetterOrDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next(); // $
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.lookup(name);
      if (value === undefined) {
        this.unset.add(name);
        if (this.skipUnset) return '$' + name;
      }
      return value ?? '';
    }
    this.next(); // {
    const first = this.peek();
    if (first === EOF) throw new ExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.processName();
    const op = this.next();
    if (op === EOF) throw new ExpansionError("syntax error: missing '}'");
    switch (op) {
      case '}': {
        const value = this.lookup(name);
        if (value === undefined) {
          this.unset.add(name);
          if (this.skipUnset) return '${' + name + '}';
        }
        return value ?? '';
      }
      case ':':
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        let modifier: string = op;
        let nullIsUnset = false;
        if (op === ':') {
          nullIsUnset = true;
          const m = this.next();
          if (m === EOF) throw new ExpansionError("syntax error: missing '}'");
          modifier = m;
        }
        const chs = nullIsUnset ? ':' + modifier : modifier;
        const rawEscapes = modifier === '#' || modifier === '%';
        if (nullIsUnset && rawEscapes) throw new ExpansionError(`unsupported modifier (${chs}) in substitution`);
        if (!['+', '-', '?', '#', '%'].includes(modifier)) {
          throw new ExpansionError(`unsupported modifier (${chs}) in substitution`);
        }
        let word: string;
        try {
          [word] = this.processStopOn('}', rawEscapes);
        } catch (e) {
          if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
          throw e;
        }
        const value = this.lookup(name);
        const set = value !== undefined;
        if (this.skipUnset && !set) return '${' + name + chs + word + '}';
        const empty = !set || (nullIsUnset && value === '');
        switch (modifier) {
          case '-':
            return empty ? word : value!;
          case '+':
            return empty ? '' : word;
          case '?':
            if (!set) throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
            if (nullIsUnset && value === '') throw new ExpansionError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
            return value!;
          default: {
            let greedy = false;
            if (word.startsWith(modifier)) {
              greedy = true;
              word = word.slice(1);
            }
            const v = value ?? '';
            return modifier === '%' ? trimPatternSuffix(word, v, greedy) : trimPatternPrefix(word, v, greedy);
          }
        }
      }
      case '/': {
        const replaceAll = this.peek() === '/';
        if (replaceAll) this.next();
        let pattern: string;
        let replacement: string;
        try {
          [pattern] = this.processStopOn('/', true);
        } catch (e) {
          if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '/' in ${}");
          throw e;
        }
        try {
          [replacement] = this.processStopOn('}', true);
        } catch (e) {
          if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
          throw e;
        }
        const value = this.lookup(name);
        if (this.skipUnset && value === undefined) return '${' + name + '/' + pattern + '/' + replacement + '}';
        return replacePattern(value ?? '', pattern, replacement, replaceAll);
      }
      default:
        throw new ExpansionError(`unsupported modifier (${op}) in substitution`);
    }
  }
}

function lex(input: string, env: Environment, o: ExpandOptions): ExpansionResult {
  const lexer = new Lexer(input, env, o.escape ?? '\\', o.rawQuotes ?? false, o.rawEscapes ?? false, o.skipUnset ?? false);
  const { value, words } = lexer.run();
  return { value, words, used: lexer.used, unset: lexer.unset };
}

/**
 * Expands one word: variables substituted, quotes and escapes removed, whitespace kept.
 * @throws ExpansionError on a malformed substitution or an unterminated quote.
 */
export function expandWord(word: string, env: Environment, options: ExpandOptions = {}): string {
  return lex(word, env, options).value;
}

/**
 * Expands text and splits it into words on unquoted whitespace (whitespace produced by a
 * variable splits too, as in Docker). Used for EXPOSE, plain VOLUME and similar lists.
 * @throws ExpansionError on a malformed substitution or an unterminated quote.
 */
export function expandWords(text: string, env: Environment, options: ExpandOptions = {}): string[] {
  return lex(text, env, options).words;
}

/** Like {@link expandWord} but also reports which variables were read and which were unset. */
export function expandWithReport(word: string, env: Environment, options: ExpandOptions = {}): ExpansionResult {
  return lex(word, env, options);
}

/**
 * Expands the body of an unquoted COPY/ADD heredoc the way a shell expands a here-document:
 * `$V` and `${V…}` are substituted, the escape character protects `$` and itself, quotes and
 * everything else stay as written.
 * @throws ExpansionError on a malformed substitution.
 */
export function expandHeredocBody(body: string, env: Environment, options: ExpandOptions = {}): string {
  return new Lexer(body, env, options.escape ?? '\\', false, false, false).heredoc();
}
