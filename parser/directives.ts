/**
 * Parser directives (`# syntax=…`, `# escape=…`, `# check=…`): comment lines at the very top of a
 * Containerfile. Directive lookup stops at the first line that is not a known directive
 * (an instruction, a blank line, a plain comment, or an unknown directive, which Docker treats
 * as a comment).
 */

/** One directive as written. `name` is lower-cased; `line` is 1-based. */
export interface Directive {
  name: 'syntax' | 'escape' | 'check';
  value: string;
  line: number;
}

// The value's trailing blanks are trimmed by hand: `(.+?)[ \t]*$` is quadratic on long lines.
const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*)$/;

function trimTrailingBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return s.slice(0, end);
}
const KNOWN = new Set(['syntax', 'escape', 'check']);

/** The outcome of scanning the leading lines. */
export interface DirectiveScan {
  directives: Directive[];
  /** The escape character in force: `\` or `` ` ``. */
  escape: string;
  /** A problem with 1-based line and column, if any (duplicate directive, bad escape value). */
  error?: { line: number; column: number; message: string };
}

/**
 * Reads directives from the leading physical lines (newlines already stripped).
 * Pure; never throws.
 */
export function scanDirectives(lines: readonly string[]): DirectiveScan {
  const directives: Directive[] = [];
  let escape = '\\';
  for (let i = 0; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m || trimTrailingBlanks(m[2]!) === '') break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN.has(name)) break;
    const value = trimTrailingBlanks(m[2]!);
    if (directives.some((d) => d.name === name)) {
      return { directives, escape, error: { line: i + 1, column: 1, message: `only one ${name} parser directive can be used` } };
    }
    if (name === 'escape') {
      if (value !== '`' && value !== '\\') {
        return {
          directives, escape,
          error: { line: i + 1, column: lines[i]!.indexOf(value) + 1, message: `invalid escape token '${value}' does not match \` or \\` },
        };
      }
      escape = value;
    }
    directives.push({ name: name as Directive['name'], value, line: i + 1 });
  }
  return { directives, escape };
}
