/**
 * `RUN --mount=type=…,target=…` values, as BuildKit reads them: comma-separated fields (CSV, so a
 * field may be double-quoted), `key=value` or a bare boolean key.
 */
import type { RunMount } from './instructions.js';

const TYPES = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);
const SHARING = new Set(['shared', 'private', 'locked']);

/** A mount value Docker would refuse; `message` is the cause. */
export class MountError extends Error {}

function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let inQuote = false;
  let fieldStart = true;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (inQuote) {
      if (ch === '"') {
        if (value[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQuote = false;
      } else cur += ch;
      continue;
    }
    if (ch === '"' && fieldStart) {
      inQuote = true;
      fieldStart = false;
      continue;
    }
    if (ch === ',') {
      fields.push(cur);
      cur = '';
      fieldStart = true;
      continue;
    }
    cur += ch;
    fieldStart = false;
  }
  if (inQuote) throw new MountError(`unterminated quote in "${value}"`);
  fields.push(cur);
  return fields;
}

function parseBool(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new MountError(`invalid value for ${key}: ${value}`);
}

/**
 * Parses one `--mount` value.
 * @throws MountError for an unknown key, type or sharing mode, or a missing target.
 */
export function parseRunMount(value: string): RunMount {
  const mount: RunMount = { type: 'bind' };
  const typeField = splitCsv(value).find((f) => f.toLowerCase().startsWith('type='));
  if (typeField) {
    const t = typeField.slice(5).toLowerCase();
    if (!TYPES.has(t)) throw new MountError(`unsupported mount type "${typeField.slice(5)}"`);
    mount.type = t as RunMount['type'];
  }
  for (const field of splitCsv(value)) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (val === undefined && !['readonly', 'ro', 'readwrite', 'rw', 'required'].includes(key)) {
      throw new MountError(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        break;
      case 'target': case 'dst': case 'destination':
        mount.target = val!;
        break;
      case 'source': case 'src':
        mount.source = val!;
        break;
      case 'from':
        mount.from = val!;
        break;
      case 'readonly': case 'ro':
        mount.readonly = parseBool(key, val);
        break;
      case 'readwrite': case 'rw':
        mount.readonly = !parseBool(key, val);
        break;
      case 'required':
        mount.required = parseBool(key, val);
        break;
      case 'id':
        mount.id = val!;
        break;
      case 'sharing':
        if (!SHARING.has(val!)) throw new MountError(`unsupported sharing value "${val}"`);
        mount.sharing = val as RunMount['sharing'];
        break;
      case 'mode':
        mount.mode = val!;
        break;
      case 'uid':
        mount.uid = val!;
        break;
      case 'gid':
        mount.gid = val!;
        break;
      case 'size':
        mount.size = val!;
        break;
      case 'env':
        mount.env = val!;
        break;
      default:
        throw new MountError(`unexpected key '${key}' in '${field}'`);
    }
  }
  if ((mount.type === 'bind' || mount.type === 'cache' || mount.type === 'tmpfs') && !mount.target) {
    throw new MountError(`mount type ${mount.type} requires a target`);
  }
  if (mount.type === 'secret' && !mount.id && !mount.target && !mount.env) {
    throw new MountError('secret mount requires an id, a target or an env');
  }
  if (mount.from !== undefined && mount.type !== 'bind' && mount.type !== 'cache') {
    throw new MountError(`from is not supported for mount type ${mount.type}`);
  }
  return mount;
}
