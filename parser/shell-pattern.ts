/**
 * Shell patterns of `${V#p}`, `${V##p}`, `${V%p}`, `${V%%p}` and `${V/p/r}`: `*` (any run), `?`
 * (any one character), the escape `\x` (a literal x), everything else literal; bracket classes
 * are literal text, as in BuildKit. Matched by carrying the set of reachable positions from
 * token to token, so time stays linear in the pattern and value (BuildKit uses Go's RE2, which
 * is linear too; a backtracking regexp is exponential on `*a*a*a*a*b`).
 */

type Token = { t: 'lit'; c: string } | { t: 'one' } | { t: 'star' };

function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (out[out.length - 1]?.t !== 'star') out.push({ t: 'star' });
    } else if (ch === '?') out.push({ t: 'one' });
    else if (ch === '\\' && i + 1 < chars.length) out.push({ t: 'lit', c: chars[++i]! });
    else out.push({ t: 'lit', c: ch });
  }
  return out;
}

/** Marks every end e such that the tokens match chars[start..e) exactly. */
function matchEnds(tokens: readonly Token[], chars: readonly string[], start: number): Uint8Array {
  const n = chars.length;
  let cur = new Uint8Array(n + 1);
  cur[start] = 1;
  for (const tok of tokens) {
    const next = new Uint8Array(n + 1);
    // As in Go's regexp (BuildKit's engine), `*` and `?` do not match a newline.
    if (tok.t === 'star') {
      for (let p = start; p <= n; p++) if (cur[p] || (p > start && next[p - 1] && chars[p - 1] !== '\n')) next[p] = 1;
    } else {
      for (let p = start; p < n; p++) {
        if (cur[p] && (tok.t === 'one' ? chars[p] !== '\n' : chars[p] === tok.c)) next[p + 1] = 1;
      }
    }
    cur = next;
  }
  return cur;
}

/** `${V#p}` (shortest) and `${V##p}` (longest): removes the matching prefix, if any. */
export function trimPatternPrefix(pattern: string, value: string, longest: boolean): string {
  const chars = Array.from(value);
  const ends = matchEnds(tokenize(pattern), chars, 0);
  const n = chars.length;
  if (longest) {
    for (let e = n; e >= 0; e--) if (ends[e]) return chars.slice(e).join('');
  } else {
    for (let e = 0; e <= n; e++) if (ends[e]) return chars.slice(e).join('');
  }
  return value;
}

/** `${V%p}` (shortest) and `${V%%p}` (longest): removes the matching suffix, if any. */
export function trimPatternSuffix(pattern: string, value: string, longest: boolean): string {
  // A suffix match is a prefix match of the reversed pattern on the reversed value.
  const reversed = tokenize(pattern).reverse();
  const chars = Array.from(value).reverse();
  const ends = matchEnds(reversed, chars, 0);
  const n = chars.length;
  const keep = (e: number) => chars.slice(e).reverse().join('');
  if (longest) {
    for (let e = n; e >= 0; e--) if (ends[e]) return keep(e);
  } else {
    for (let e = 0; e <= n; e++) if (ends[e]) return keep(e);
  }
  return value;
}

/**
 * `${V/p/r}` and `${V//p/r}`: replaces the leftmost (then every) longest match, with Go's rule
 * that an empty match right after a previous match is skipped.
 */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const tokens = tokenize(pattern);
  const chars = Array.from(value);
  const n = chars.length;
  let out = '';
  let copied = 0;
  let lastEnd = -1;
  let from = 0;
  while (from <= n) {
    let start = -1;
    let end = -1;
    for (let st = from; st <= n && start < 0; st++) {
      const ends = matchEnds(tokens, chars, st);
      for (let e = n; e >= st; e--) {
        if (!ends[e]) continue;
        if (e === st && st === lastEnd) break;
        start = st;
        end = e;
        break;
      }
    }
    if (start < 0) break;
    out += chars.slice(copied, start).join('') + replacement;
    copied = end;
    lastEnd = end;
    if (!all) break;
    from = end === start ? end + 1 : end;
  }
  return out + chars.slice(copied).join('');
}
