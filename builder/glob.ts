import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../oci/error.js';

/** Whether a path segment uses Go filepath.Match metacharacters. */
export function hasGlobMeta(s: string): boolean {
  return /[*?[\\]/.test(s);
}

/** Translates one Go filepath.Match pattern segment into an anchored RegExp. */
function segmentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= pattern.length) throw new InvalidArgumentError(`parse pattern ${JSON.stringify(pattern)}: trailing backslash`);
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new InvalidArgumentError(`parse pattern ${JSON.stringify(pattern)}: unterminated [`);
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('^')) body = '^' + body.slice(1).replace(/\\/g, '\\\\');
      else body = body.replace(/\\/g, '\\\\');
      re += `[${body}]`;
      i = close;
    } else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Go's filepath.Match for one whole path (segments matched one by one). */
export function globMatch(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const xs = path.split('/');
  return ps.length === xs.length && ps.every((p, i) => segmentRegExp(p).test(xs[i]!));
}

/**
 * Expands a pattern relative to `base` the way Go's filepath.Glob does: each segment with
 * metacharacters is matched against directory entries (hidden ones included); results are
 * relative paths, sorted.
 */
export function expandGlob(base: string, pattern: string): string[] {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let current = [''];
  for (const seg of segments) {
    const next: string[] = [];
    for (const prefix of current) {
      if (!hasGlobMeta(seg)) {
        next.push(prefix ? `${prefix}/${seg}` : seg);
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(join(base, prefix));
      } catch {
        continue;
      }
      const re = segmentRegExp(seg);
      for (const n of names.sort()) if (re.test(n)) next.push(prefix ? `${prefix}/${n}` : n);
    }
    current = next;
  }
  return current.filter((p) => p !== '');
}
