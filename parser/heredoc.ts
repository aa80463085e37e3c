/**
 * Here-documents (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) as BuildKit recognises them: a word of
 * a RUN, COPY or ADD line that matches `^(\d*)<<(-?)([^<]*)$`. A quoted (even partly quoted) name
 * turns expansion of the body off; `<<-` strips leading tabs from body lines and the terminator.
 */
import { expandWords, ExpansionError } from './expand.js';

const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const NO_ENV: ReadonlyMap<string, string> = new Map();

/** A heredoc opener found on an instruction line. */
export interface HeredocOpener {
  /** The terminator word with quotes removed. */
  name: string;
  /** Whether variables in the body are expanded (the name was not quoted). */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from body lines and from the terminator line. */
  chomp: boolean;
  /** The file descriptor digits before `<<` (0 when none). */
  fd: number;
}

/** Parses one word as a heredoc opener; `undefined` when it is not one. */
export function parseHeredocWord(word: string): HeredocOpener | undefined {
  const m = HEREDOC_WORD.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest.length === 0) return undefined;
  let words: string[];
  let rawWords: string[];
  try {
    words = expandWords(rest, NO_ENV, { skipUnset: true });
    if (words.length !== 1) return undefined;
    rawWords = expandWords(rest, NO_ENV, { skipUnset: true, rawQuotes: true });
  } catch (e) {
    if (e instanceof ExpansionError) return undefined;
    throw e;
  }
  if (rawWords.length !== words.length) return undefined;
  const name = words[0]!;
  const quotes = (s: string) => (s.match(/['"]/g)?.length ?? 0);
  return {
    name,
    expand: quotes(name) === quotes(rawWords[0]!),
    chomp: m[2] === '-',
    fd: m[1] ? Number(m[1]) : 0,
  };
}

/**
 * Finds the heredoc openers on a logical instruction line, in order. Uses `\` as the escape
 * character regardless of the `escape` directive, as BuildKit does.
 * @throws ExpansionError when the line has an unterminated quote.
 */
export function heredocOpenersOnLine(line: string): HeredocOpener[] {
  let words: string[];
  try {
    words = expandWords(line, NO_ENV, { rawQuotes: true, rawEscapes: true, skipUnset: true });
  } catch (e) {
    if (e instanceof ExpansionError) return [];
    throw e;
  }
  const out: HeredocOpener[] = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** Removes leading tabs from every line of a `<<-` body. */
export function chompHeredocBody(body: string): string {
  return body.replace(/^\t+/gm, '');
}
