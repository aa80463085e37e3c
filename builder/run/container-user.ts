/**
 * `--user` (and USER) resolved the way buildah does, through the container's own /etc/passwd
 * and /etc/group: `name`, `uid`, `name:group`, `uid:gid` and mixes. Supplementary groups are
 * the groups that list the user as a member.
 */
import { InvalidArgumentError } from '../../oci/error.js';
import { readLayeredFile, type LayerDirs } from './layered-file.js';

/** The ids a command runs with, plus the home directory for HOME. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
  name?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').map((l) => l.split(':')).filter((f) => f.length >= 7 && f[0] && !f[0].startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }))
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4 && f[0] && !f[0].startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }))
    .filter((e) => Number.isInteger(e.gid));
}

const ID = /^\d+$/;
const MAX_ID = 4294967294;

function numericId(text: string, spec: string): number {
  const n = Number(text);
  if (n > MAX_ID) throw new InvalidArgumentError(`resolve user ${JSON.stringify(spec)}: id ${text} is out of range`);
  return n;
}

/**
 * Resolves a user spec against the container's files (`layers` topmost first).
 * @throws InvalidArgumentError naming /etc/passwd or /etc/group of the container when a name is
 *   not there, or the spec is malformed.
 */
export function resolveContainerUser(spec: string | undefined, layers: LayerDirs): ResolvedUser {
  const s = (spec ?? '').trim();
  const [userPart = '', groupPart, extra] = s.split(':');
  if (extra !== undefined) throw new InvalidArgumentError(`resolve user ${JSON.stringify(s)}: want USER[:GROUP]`);
  if (groupPart !== undefined && groupPart === '') throw new InvalidArgumentError(`resolve user ${JSON.stringify(s)}: empty group`);
  const passwd = parsePasswd(readLayeredFile(layers, '/etc/passwd'));
  const groups = parseGroup(readLayeredFile(layers, '/etc/group'));
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '') {
    uid = 0;
    entry = passwd.find((e) => e.uid === 0);
  } else if (ID.test(userPart)) {
    uid = numericId(userPart, s);
    entry = passwd.find((e) => e.uid === uid);
  } else {
    entry = passwd.find((e) => e.name === userPart);
    if (!entry) throw new InvalidArgumentError(`resolve user ${JSON.stringify(s)}: no user ${userPart} in the container's /etc/passwd`);
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    if (ID.test(groupPart)) gid = numericId(groupPart, s);
    else {
      const g = groups.find((e) => e.name === groupPart);
      if (!g) throw new InvalidArgumentError(`resolve user ${JSON.stringify(s)}: no group ${groupPart} in the container's /etc/group`);
      gid = g.gid;
    }
  }
  // An explicit group replaces the supplementary list, as in buildah and runc.
  const additionalGids = groupPart === undefined && entry ? groups.filter((g) => g.members.includes(entry!.name) && g.gid !== gid).map((g) => g.gid) : [];
  const out: ResolvedUser = { uid, gid, additionalGids, home: entry?.home ?? '/' };
  if (entry) out.name = entry.name;
  return out;
}
