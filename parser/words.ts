/**
 * Word splitting used before expansion, as BuildKit's line parser does it: quotes and escapes
 * are kept in the words (expansion removes them later).
 */

const WHITESPACE = /[\t\v\f\r ]+/;

function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return ch !== '\uFEFF' && /^\s$/u.test(ch);
}

/** A word and its offset in the text it came from. */
export interface Word {
  text: string;
  offset: number;
}

/**
 * Splits on whitespace outside quotes, keeping quotes and escape characters in the words
 * (BuildKit's `parseWords`, used by ENV, LABEL and ARG).
 */
export function splitQuotedWords(rest: string, escape: string): Word[] {
  const words: Word[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOK = false;
  let offset = 0;
  for (let i = 0; i <= chars.length; i++) {
    const atEnd = i === chars.length;
    let ch = atEnd ? '' : chars[i]!;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) {
        offset += ch.length;
        continue;
      }
      phase = 'word';
      wordStart = offset;
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push({ text: word, offset: wordStart });
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push({ text: word, offset: wordStart });
        word = '';
        blankOK = false;
        offset += ch.length;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (i + 1 === chars.length) {
          offset += ch.length;
          continue;
        }
        word += ch;
        offset += ch.length;
        i++;
        ch = chars[i]!;
      }
      word += ch;
      offset += ch.length;
      continue;
    }
    // in quote
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        phase = 'word';
        offset += ch.length;
        continue;
      }
      word += ch;
      offset += ch.length;
      i++;
      ch = chars[i]!;
    }
    word += ch;
    offset += ch.length;
  }
  return words;
}

/** Splits on runs of blanks with no quote handling (BuildKit's `parseStringsWhitespaceDelimited`). */
export function splitOnWhitespace(rest: string): Word[] {
  const out: Word[] = [];
  if (rest === '') return out;
  const re = new RegExp(WHITESPACE.source, 'g');
  let last = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    out.push({ text: rest.slice(last, m.index), offset: last });
    last = m.index + m[0].length;
  }
  out.push({ text: rest.slice(last), offset: last });
  return out;
}
