/**
 * Splits Containerfile text into logical instructions the way BuildKit's line parser does:
 * directives at the top, comments (also indented ones, also inside continuations), the escape
 * character at the end of a line continuing it (trailing blanks allowed), empty continuation
 * lines skipped, CRLF and a UTF-8 BOM accepted, and heredoc bodies of RUN/COPY/ADD (also behind
 * ONBUILD) consumed after their line. Each logical instruction keeps a map from offsets in its
 * joined text back to source positions.
 */
import { extractFlags } from './builder-flags.js';
import { scanDirectives, type Directive } from './directives.js';
import { parseExecForm } from './exec-form.js';
import { heredocOpenersOnLine, chompHeredocBody, type HeredocOpener } from './heredoc.js';
import { ContainerfileError } from './parse-error.js';
import type { ParseWarning } from './parse-warning.js';
import type { Position, SourceRange } from './source-range.js';

/** A heredoc body read from the lines after its instruction. */
export interface HeredocBody extends HeredocOpener {
  /** The body, each line with its newline; leading tabs already removed for `<<-`. */
  content: string;
  /** Where the body and its terminator line are in the source. */
  range: SourceRange;
}

/** A piece of a logical line that came from one physical line. */
interface Segment {
  offset: number;
  line: number;
  column: number;
}

/** One instruction's text with continuations joined, and where it came from. */
export interface LogicalLine {
  /** The joined text (continuation characters removed, comment lines dropped), untrimmed. */
  text: string;
  range: SourceRange;
  heredocs: HeredocBody[];
  segments: Segment[];
}

/** What {@link scanLogicalLines} returns. */
export interface ScannedFile {
  directives: Directive[];
  escape: string;
  lines: LogicalLine[];
  /** Blank lines inside continuations (allowed, but BuildKit warns about them). */
  warnings: ParseWarning[];
}

/** Maps an offset in a logical line's text to its source position. */
export function positionAt(line: LogicalLine, offset: number): Position {
  let seg = line.segments[0]!;
  for (const s of line.segments) {
    if (s.offset <= offset) seg = s;
    else break;
  }
  return { line: seg.line, column: seg.column + (offset - seg.offset) };
}

const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);
const KEYWORD_SPLIT = /[\t\v\f\r ]+/;
const LEADING_WS = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/u;

function isCommentLine(raw: string): boolean {
  return raw.replace(LEADING_WS, '').startsWith('#');
}

/**
 * Where a line ending in the escape character (then optional blanks) must be cut to continue it,
 * or -1 when the line does not continue.
 */
function continuationCut(line: string, escape: string): number {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  return end > 0 && line[end - 1] === escape ? end - 1 : -1;
}

/** Whether a logical line may carry heredocs (RUN, COPY, ADD, also as ONBUILD triggers; not JSON form). */
function mayContainHeredoc(text: string): boolean {
  if (!text.includes('<<')) return false;
  let rest = text.trim();
  let kw = '';
  for (let depth = 0; depth < 2; depth++) {
    const m = KEYWORD_SPLIT.exec(rest);
    kw = (m ? rest.slice(0, m.index) : rest).toLowerCase();
    rest = m ? rest.slice(m.index + m[0].length) : '';
    if (kw !== 'onbuild') break;
  }
  if (!HEREDOC_KEYWORDS.has(kw)) return false;
  const args = rest.slice(extractFlags(rest).restOffset).trim();
  return parseExecForm(args).kind !== 'exec';
}

/**
 * Scans the text into logical lines.
 * @throws ContainerfileError for a bad directive or an unterminated heredoc.
 */
export function scanLogicalLines(text: string, filename: string): ScannedFile {
  const physical: string[] = [];
  const endings: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) {
        physical.push(text.slice(start));
        endings.push('');
      }
      break;
    }
    const cr = nl > start && text.charCodeAt(nl - 1) === 13;
    physical.push(text.slice(start, cr ? nl - 1 : nl));
    endings.push(cr ? '\r\n' : '\n');
    start = nl + 1;
  }

  if (physical.length > 0 && physical[0]!.startsWith('\uFEFF')) {
    physical[0] = physical[0]!.slice(1);

  }

  const scan = scanDirectives(physical);
  if (scan.error) throw new ContainerfileError(filename, scan.error.line, scan.error.column, scan.error.message);
  const escape = scan.escape;

  const lines: LogicalLine[] = [];
  const warnings: ParseWarning[] = [];
  let i = 0;
  while (i < physical.length) {
    const raw = physical[i]!;
    const lineNo = i + 1;
    i++;
    if (isCommentLine(raw)) continue;
    const lead = LEADING_WS.exec(raw)![0].length;
    let first = raw.slice(lead);
    const segments: Segment[] = [{ offset: 0, line: lineNo, column: lead + 1 }];
    let cut = continuationCut(first, escape);
    let ended = cut < 0;
    if (!ended) first = first.slice(0, cut);
    if (ended && first === '') continue;
    let joined = first;
    let endLine = lineNo;
    let endColumn = raw.length + 1;
    while (!ended && i < physical.length) {
      const next = physical[i]!;
      i++;
      if (isCommentLine(next)) continue;
      if (next.trim() === '') {
        warnings.push({ code: 'NoEmptyContinuation', line: i, column: 1, message: 'Empty continuation line' });
        continue;
      }
      segments.push({ offset: joined.length, line: i, column: 1 });
      let piece = next;
      cut = continuationCut(piece, escape);
      ended = cut < 0;
      if (!ended) piece = piece.slice(0, cut);
      joined += piece;
      endLine = i;
      endColumn = next.length + 1;
    }
    // A lone escape character continued into nothing but comments or the end of the file.
    if (joined.trim() === '') continue;
    const heredocs: HeredocBody[] = [];
    if (mayContainHeredoc(joined)) {
      for (const opener of heredocOpenersOnLine(joined)) {
        const bodyStart = i + 1;
        let content = '';
        let terminated = false;
        while (i < physical.length) {
          const body = physical[i]!;
          const ending = endings[i]!;
          i++;
          const candidate = opener.chomp ? body.replace(/^\t+/, '') : body;
          if (candidate === opener.name) {
            terminated = true;
            endLine = i;
            endColumn = body.length + 1;
            break;
          }
          content += body + ending;
        }
        if (!terminated) {
          throw new ContainerfileError(filename, lineNo, lead + 1, `unterminated heredoc <<${opener.name}: no line "${opener.name}" before the end of the file`);
        }
        heredocs.push({
          ...opener,
          content: opener.chomp ? chompHeredocBody(content) : content,
          range: { start: { line: bodyStart, column: 1 }, end: { line: endLine, column: endColumn } },
        });
      }
    }
    lines.push({
      text: joined,
      range: { start: { line: lineNo, column: segments[0]!.column }, end: { line: endLine, column: endColumn } },
      heredocs,
      segments,
    });
  }
  return { directives: scan.directives, escape, lines, warnings };
}
