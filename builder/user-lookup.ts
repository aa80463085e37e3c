import { readFileSync } from 'node:fs';
import { TrowelError } from '../oci/error.js';
import { resolveInRoot } from './root-path.js';

/** A user spec `user[:group]` resolved to numeric ids inside a container. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups from /etc/group (only when the spec named no group). */
  groups: number[];
  home?: string;
}

/** Bad `--user`/`--chown`/`USER` value, or a name the container does not know. */
export class UserLookupError extends TrowelError {
  constructor(readonly spec: string, why: string) {
    super('USER_LOOKUP', `resolve user ${JSON.stringify(spec)}: ${why}`);
  }
}

function readDb(root: string, file: string): string[][] {
  try {
    return readFileSync(resolveInRoot(root, file, { followLast: true }), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isNumber = (s: string) => /^\d+$/.test(s);

/**
 * Resolves `user[:group]` against the container's /etc/passwd and /etc/group, read through
 * the container's own symlinks (never the host's files). Numeric ids need no entry; a user
 * without a group takes its primary group from passwd (0 if the uid has no entry).
 */
export function resolveUser(root: string, spec: string): ResolvedUser {
  if (spec === '') return { uid: 0, gid: 0, groups: [] };
  const [userPart, groupPart, ...extra] = spec.split(':');
  if (extra.length > 0 || userPart === '' || groupPart === '') throw new UserLookupError(spec, 'expected USER[:GROUP]');
  const passwd = readDb(root, '/etc/passwd');
  const entry = isNumber(userPart!) ? passwd.find((p) => p[2] === userPart) : passwd.find((p) => p[0] === userPart);
  if (!entry && !isNumber(userPart!)) throw new UserLookupError(spec, `no user ${JSON.stringify(userPart)} in the container's /etc/passwd`);
  const uid = entry ? Number(entry[2]) : Number(userPart);
  let gid: number;
  const groups = readDb(root, '/etc/group');
  if (groupPart !== undefined) {
    if (isNumber(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x[0] === groupPart);
      if (!g) throw new UserLookupError(spec, `no group ${JSON.stringify(groupPart)} in the container's /etc/group`);
      gid = Number(g[2]);
    }
    return { uid, gid, groups: [], ...(entry?.[5] ? { home: entry[5] } : {}) };
  }
  gid = entry ? Number(entry[3]) : 0;
  const name = entry?.[0];
  const supplementary = name ? groups.filter((g) => (g[3] ?? '').split(',').includes(name)).map((g) => Number(g[2])) : [];
  return { uid, gid, groups: supplementary, ...(entry?.[5] ? { home: entry[5] } : {}) };
}
