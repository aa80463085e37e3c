/** `--ulimit type=soft[:hard]` as buildah and Docker spell it. */
import { InvalidArgumentError } from '../../oci/error.js';
import type { Rlimit } from '../../native/runner.js';

const TYPES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as']);

function limit(text: string, flag: string): number {
  if (text === 'unlimited' || text === '-1') return -1;
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`parse --ulimit ${JSON.stringify(flag)}: ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

/**
 * Parses `nofile=1024:2048` (hard defaults to soft; `unlimited` or -1 is no limit).
 * @throws InvalidArgumentError for an unknown type, a non-number or soft above hard.
 */
export function parseUlimit(spec: string): Rlimit {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(spec.trim());
  if (!m) throw new InvalidArgumentError(`parse --ulimit ${JSON.stringify(spec)}: want type=soft[:hard]`);
  const type = m[1]!;
  if (!TYPES.has(type)) throw new InvalidArgumentError(`parse --ulimit ${JSON.stringify(spec)}: unknown type ${type}`);
  const soft = limit(m[2]!, spec);
  const hard = m[3] === undefined ? soft : limit(m[3], spec);
  if (hard !== -1 && (soft === -1 || soft > hard)) throw new InvalidArgumentError(`parse --ulimit ${JSON.stringify(spec)}: soft limit above hard limit`);
  return { type, soft, hard };
}
