/**
 * `.containerignore` / `.dockerignore` patterns with the semantics of moby's patternmatcher (what
 * Docker, BuildKit and buildah use): lines trimmed, `#` comments, `!` exceptions, paths cleaned
 * and made relative, `*` and `?` not crossing `/`, `**` crossing any number of directories, and
 * a path excluded when it or any parent directory matches (the last matching pattern decides).
 * Pure: reading the file belongs to builder/ignore-file.ts.
 */
import { ContainerfileError } from './parse-error.js';

/** One pattern line as read from an ignore file. */
export interface IgnorePatternLine {
  /** The cleaned pattern, with a leading `!` for an exception. */
  pattern: string;
  /** 1-based line in the ignore file. */
  line: number;
}

/** Go's `path.Clean` (which `filepath.Clean` is on Linux). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

/** Reads ignore-file text like moby's `ignorefile.ReadAll`. Never throws. */
export function readIgnoreFile(text: string): IgnorePatternLine[] {
  const out: IgnorePatternLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    let pattern = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (pattern.endsWith('\r')) pattern = pattern.slice(0, -1);
    if (pattern.startsWith('#')) return;
    pattern = pattern.trim();
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push({ pattern: invert ? '!' + pattern : pattern, line: i + 1 });
  });
  return out;
}

/** Whether Go's filepath.Match would call the pattern malformed (ErrBadPattern). */
function isBadGlob(p: string): boolean {
  const chars = Array.from(p);
  let i = 0;
  const getEsc = (): boolean => {
    const c = chars[i];
    if (c === undefined || c === '-' || c === ']') return false;
    if (c === '\\') {
      i++;
      if (chars[i] === undefined) return false;
    }
    i++;
    return chars[i] !== undefined;
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '\\') {
      if (chars[i + 1] === undefined) return true;
      i += 2;
    } else if (c === '[') {
      i++;
      if (chars[i] === '^') i++;
      let ranges = 0;
      for (;;) {
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        if (!getEsc()) return true;
        if (chars[i] === '-') {
          i++;
          if (!getEsc()) return true;
        }
        ranges++;
      }
    } else i++;
  }
  return false;
}

const ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/**
 * One step of a pattern for the linear-time matcher: a literal character, `?` (one character but
 * `/`), `*` (a run without `/`), `**` inside a pattern (any number of whole directories), `**` at
 * the end (anything), or a bracket class tested on one character.
 */
type Token =
  | { t: 'lit'; c: string }
  | { t: 'one' }
  | { t: 'star' }
  | { t: 'dstar' }
  | { t: 'any' }
  | { t: 'class'; re: RegExp };

type Compiled =
  | { type: 'exact'; text: string }
  | { type: 'prefix'; text: string }
  | { type: 'suffix'; text: string }
  | { type: 'regexp'; re: RegExp; tokens: Token[] | undefined };

/**
 * Compiles a cleaned pattern the way moby's patternmatcher does (exact, prefix, suffix or regexp
 * match). Regexp patterns also get tokens for {@link matchTokens}: JavaScript's backtracking
 * regexps can take exponential time on patterns like `*a*a*a*a*b` where Go's RE2 cannot, and
 * the ignore file is input. Tokens are left out (regexp used) only for the rare constructs
 * whose Go meaning they do not model: `\d`-style escapes, `^`, and odd bracket classes.
 */
function compile(pattern: string): Compiled {
  let re = '^';
  let tokens: Token[] | undefined = [];
  const token = (t: Token) => tokens?.push(t);
  let type: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  const chars = Array.from(pattern);
  let i = 0;
  for (let n = 0; i < chars.length; n++) {
    const ch = chars[i++]!;
    if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++;
        if (i >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            token({ t: 'any' });
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          token({ t: 'dstar' });
          type = 'regexp';
        }
        if (n === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        token({ t: 'star' });
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      token({ t: 'one' });
      type = 'regexp';
    } else if (ESCAPED.has(ch)) {
      re += '\\' + ch;
      token({ t: 'lit', c: ch });
    } else if (ch === '\\') {
      if (i < chars.length) {
        const next = chars[i++]!;
        re += '\\' + next;
        if (/[A-Za-z0-9]/.test(next)) tokens = undefined; // `\d`, `\w`, `\b`… are regexp classes in Go
        else token({ t: 'lit', c: next });
        type = 'regexp';
      } else {
        re += '\\\\';
        token({ t: 'lit', c: '\\' });
      }
    } else if (ch === '[') {
      // A plain class (`[abc]`, `[a-z]`, `[^/]`) is one token; anything fancier falls back.
      let j = i;
      if (chars[j] === '^') j++;
      while (j < chars.length && chars[j] !== ']' && !'*?\\['.includes(chars[j]!)) j++;
      if (chars[j] === ']' && j > i) {
        const piece = '[' + chars.slice(i, j).map((c) => (ESCAPED.has(c) ? '\\' + c : c)).join('') + ']';
        re += piece;
        token({ t: 'class', re: new RegExp('^' + piece + '$') });
        i = j + 1;
      } else {
        re += ch;
        tokens = undefined;
      }
      type = 'regexp';
    } else if (ch === ']') {
      re += ch;
      token({ t: 'lit', c: ch });
      type = 'regexp';
    } else {
      re += ch;
      if (ch === '^') tokens = undefined; // an anchor in Go's regexp
      else token({ t: 'lit', c: ch });
    }
  }
  if (type === 'exact') return { type, text: pattern };
  if (type === 'prefix') return { type, text: pattern.slice(0, -2) };
  if (type === 'suffix') return { type, text: pattern.slice(2) };
  // Go's RE2 syntax for the subset produced here matches JavaScript's (non-unicode mode).
  return { type, re: new RegExp(re + '$'), tokens };
}

/**
 * Matches a whole path against tokens in O(tokens × path length): the set of reachable positions
 * is carried from token to token, as RE2 would. Works on code points, like Go on runes.
 */
function matchTokens(tokens: readonly Token[], path: string): boolean {
  const s = Array.from(path);
  const n = s.length;
  let cur = new Uint8Array(n + 1);
  cur[0] = 1;
  for (const tok of tokens) {
    const next = new Uint8Array(n + 1);
    let any = false;
    switch (tok.t) {
      case 'lit':
      case 'one':
      case 'class':
        for (let p = 0; p < n; p++) {
          if (!cur[p]) continue;
          const c = s[p]!;
          if (tok.t === 'lit' ? c === tok.c : tok.t === 'one' ? c !== '/' : tok.re.test(c)) next[p + 1] = 1;
        }
        break;
      case 'star':
        // A run of non-`/` characters, possibly empty.
        for (let p = 0; p <= n; p++) {
          if (cur[p] || (p > 0 && next[p - 1] && s[p - 1] !== '/')) next[p] = 1;
        }
        break;
      case 'dstar':
      case 'any': {
        // `(.*/)?`: empty, or anything without a newline that ends with `/`; `.*`: anything
        // without a newline. (Go's `.` does not match a newline.)
        for (let q = 0; q <= n; q++) {
          if (q > 0 && any && (tok.t === 'any' || s[q - 1] === '/')) next[q] = 1;
          if (cur[q]) {
            next[q] = 1;
            any = true;
          }
          if (q < n && s[q] === '\n') any = false;
        }
        break;
      }
    }
    cur = next;
  }
  return cur[n] === 1;
}

function matchOne(c: Compiled, path: string): boolean {
  switch (c.type) {
    case 'exact': return path === c.text;
    case 'prefix': return path.startsWith(c.text);
    case 'suffix': return path.endsWith(c.text) || (c.text.startsWith('/') && path === c.text.slice(1));
    case 'regexp': return c.tokens ? matchTokens(c.tokens, path) : c.re.test(path);
  }
}

/**
 * For tests: whether the linear-time matcher and moby's regexp agree on `pattern` and `path`
 * (`undefined` when the pattern is not a regexp pattern or has no tokens).
 */
export function compareMatchersForTest(pattern: string, path: string): { tokens: boolean; regexp: boolean } | undefined {
  const c = compile(cleanPath(pattern));
  if (c.type !== 'regexp' || !c.tokens) return undefined;
  return { tokens: matchTokens(c.tokens, path), regexp: c.re.test(path) };
}

interface CompiledPattern {
  exclusion: boolean;
  source: string;
  compiled: Compiled;
}

/**
 * A compiled list of ignore patterns. `matches(path)` answers whether a context path
 * (slash-separated, relative to the context root) is excluded.
 */
export class IgnoreMatcher {
  private readonly patterns: CompiledPattern[];
  /** Whether any `!` exception exists (a walker must then look inside excluded directories). */
  readonly hasExceptions: boolean;

  /**
   * @param lines patterns as returned by {@link readIgnoreFile}
   * @param filename the ignore file's name for messages
   * @throws ContainerfileError for a lone `!` or a malformed pattern (`FILE:LINE:1: …`)
   */
  constructor(lines: readonly IgnorePatternLine[], filename = '.containerignore') {
    this.patterns = [];
    for (const { pattern: raw, line } of lines) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new ContainerfileError(filename, line, 1, 'illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      if (isBadGlob(p)) throw new ContainerfileError(filename, line, 1, `bad pattern "${raw}": syntax error in pattern`);
      let compiled: Compiled;
      try {
        compiled = compile(p);
      } catch {
        // moby fails the match (and so the build) when its regexp does not compile, e.g. `[z-a]`.
        throw new ContainerfileError(filename, line, 1, `bad pattern "${raw}": syntax error in pattern`);
      }
      this.patterns.push({ exclusion, source: p, compiled });
    }
    this.hasExceptions = this.patterns.some((p) => p.exclusion);
  }

  /**
   * For a directory that {@link matches} excluded: whether a walk must still look inside it
   * because an exception could re-include something there. Like moby's archiver, a literal
   * exception under the directory (`!dir/keep`) counts; unlike it, any exception with a
   * wildcard counts too, so no re-included file is missed.
   */
  mayIncludeUnder(dir: string): boolean {
    if (!this.hasExceptions) return false;
    const dirSlash = cleanPath(dir) + '/';
    return this.patterns.some((p) => p.exclusion && (/[*?[\\]/.test(p.source) || (p.source + '/').startsWith(dirSlash)));
  }

  /** Whether `path` (relative, `/`-separated) is excluded: it or a parent matches, last pattern wins. */
  matches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const slash = file.lastIndexOf('/');
    const parent = slash < 0 ? '.' : file.slice(0, slash);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let match = matchOne(p.compiled, file);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) {
          match = matchOne(p.compiled, parentDirs.slice(0, i + 1).join('/'));
        }
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }
}

/** Convenience: parse ignore-file text and compile it. @throws ContainerfileError as the constructor. */
export function compileIgnoreFile(text: string, filename = '.containerignore'): IgnoreMatcher {
  return new IgnoreMatcher(readIgnoreFile(text), filename);
}
