/**
 * Instruction flags (`--from=builder`, `--link`, `--mount=…`): extracted from the front of the
 * arguments as BuildKit's `extractBuilderFlags` does (quotes and `\` handled, `--` ends the
 * flags), then checked against the flags each instruction accepts, with BuildKit's messages.
 */

/** A raw flag as written, with its offset in the instruction's argument text. */
export interface RawFlag {
  /** The whole flag without quotes, e.g. `--chown=1:1`. */
  text: string;
  offset: number;
}

/** The flags and where the remaining arguments start. */
export interface ExtractedFlags {
  flags: RawFlag[];
  /** Offset in the input of the first argument after the flags. */
  restOffset: number;
}

function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return ch !== '\uFEFF' && /^\s$/u.test(ch);
}

/** Splits leading `--flag` words off `line`. Never throws. */
export function extractFlags(line: string): ExtractedFlags {
  const flags: RawFlag[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const atEnd = pos === line.length;
    let ch = atEnd ? '' : line[pos]!;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') {
        return { flags, restOffset: pos };
      }
      phase = 'word';
      wordStart = pos;
    }
    if (atEnd) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push({ text: word, offset: wordStart });
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { flags, restOffset: pos };
        if (blankOK || word.length > 0) flags.push({ text: word, offset: wordStart });
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos]!;
    }
    word += ch;
  }
  return { flags, restOffset: line.length };
}

/** How a flag takes its value. */
export type FlagType = 'bool' | 'string' | 'strings';

/** The checked flag values: bools as booleans, repeatable flags as lists. */
export interface FlagValues {
  bools: Map<string, boolean>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  /** Offset of each flag (by name) for error positions. */
  offsets: Map<string, number>;
}

/** A problem with one flag: offset into the argument text and Docker's message. */
export class FlagError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

/**
 * Checks raw flags against the accepted set.
 * @throws FlagError for an unknown flag, a missing or bad value, or a repeated single flag.
 */
export function checkFlags(raw: readonly RawFlag[], accepted: Readonly<Record<string, FlagType>>): FlagValues {
  const out: FlagValues = { bools: new Map(), strings: new Map(), lists: new Map(), offsets: new Map() };
  const used = new Set<string>();
  for (const f of raw) {
    if (!f.text.startsWith('--')) throw new FlagError(f.offset, `arg should start with -- : ${f.text}`);
    const body = f.text.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const hasValue = eq >= 0;
    const value = eq < 0 ? '' : body.slice(eq + 1);
    const type = Object.prototype.hasOwnProperty.call(accepted, name) ? accepted[name] : undefined;
    if (type === undefined) {
      const known = Object.keys(accepted);
      const hint = known.length > 0 ? ` (accepted: ${known.map((k) => '--' + k).join(', ')})` : '';
      throw new FlagError(f.offset, `unknown flag: ${name}${hint}`);
    }
    if (used.has(name) && type !== 'strings') throw new FlagError(f.offset, `duplicate flag specified: ${name}`);
    used.add(name);
    if (!out.offsets.has(name)) out.offsets.set(name, f.offset);
    switch (type) {
      case 'bool': {
        if (hasValue && value === '') throw new FlagError(f.offset, `missing a value on flag: ${name}`);
        const v = value.toLowerCase();
        if (v === 'true' || v === '') out.bools.set(name, true);
        else if (v === 'false') out.bools.set(name, false);
        else throw new FlagError(f.offset, `expecting boolean value for flag ${name}, not: ${value}`);
        break;
      }
      case 'string':
        if (!hasValue) throw new FlagError(f.offset, `missing a value on flag: ${name}`);
        out.strings.set(name, value);
        break;
      case 'strings':
        if (!hasValue) throw new FlagError(f.offset, `missing a value on flag: ${name}`);
        out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
        break;
    }
  }
  return out;
}
