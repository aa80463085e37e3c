import { InvalidArgumentError } from '../oci/error.js';

/**
 * A small subset of Go's text/template, enough for `--format` as buildah users write it:
 * literal text, `{{.Field.Sub}}` paths, `{{json .X}}`, `{{.}}`, `\t`/`\n` escapes. Values print
 * as Go's `%v` does (`[a b]` for lists, `map[k:v]` for maps, `<no value>` for missing fields).
 */
export function renderGoTemplate(template: string, data: unknown): string {
  const text = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, open);
    const close = text.indexOf('}}', open);
    if (close < 0) throw new InvalidArgumentError(`parse template ${JSON.stringify(template)}: unclosed action`);
    out += evalAction(text.slice(open + 2, close).trim().replace(/^-\s*|\s*-$/g, ''), data, template);
    i = close + 2;
  }
  return out;
}

function evalAction(action: string, data: unknown, template: string): string {
  const words = action.split(/\s+/).filter(Boolean);
  if (words.length === 1) return formatValue(lookup(words[0]!, data, template));
  if (words.length === 2 && words[0] === 'json') return JSON.stringify(lookup(words[1]!, data, template));
  throw new InvalidArgumentError(`parse template ${JSON.stringify(template)}: unsupported action {{${action}}}`);
}

function lookup(path: string, data: unknown, template: string): unknown {
  if (path === '.') return data;
  if (!path.startsWith('.')) throw new InvalidArgumentError(`parse template ${JSON.stringify(template)}: unsupported value ${path}`);
  let cur: unknown = data;
  for (const key of path.slice(1).split('.')) {
    cur = field(cur, key);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * One step of a field path. Go templates walk struct fields, whose names are the capitalized
 * JSON keys, so keys match case-insensitively. A string holding a JSON object (buildah's
 * `Config` and `Manifest`) is walked into, and an image config's runtime fields are found
 * through its `config` member (`.Config.Cmd`).
 */
function field(cur: unknown, key: string): unknown {
  if (typeof cur === 'string' && cur.startsWith('{')) {
    try {
      cur = JSON.parse(cur);
    } catch {
      return undefined;
    }
  }
  if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
  const obj = cur as Record<string, unknown>;
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const match = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  if (match !== undefined) return obj[match];
  const nested = obj.config;
  if (nested && typeof nested === 'object' && 'rootfs' in obj) return field(nested, key);
  return undefined;
}

/** Go's `%v` formatting of JSON-like values. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${formatValue(x)}`).join(' ')}]`;
  }
  return String(v);
}
