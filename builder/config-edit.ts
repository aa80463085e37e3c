import type { ImageConfig, HealthConfig } from '../oci/image-config.js';
import { InvalidArgumentError } from '../oci/error.js';

/** Changes `trowel config` (and the builder) make to a working container's config. Unset = unchanged. */
export interface ConfigChanges {
  cmd?: string;
  entrypoint?: string;
  env?: string[];
  labels?: string[];
  annotations?: string[];
  ports?: string[];
  volumes?: string[];
  workingDir?: string;
  user?: string;
  author?: string;
  stopSignal?: string;
  shell?: string;
  onbuild?: string[];
  healthcheck?: string;
  healthcheckInterval?: string;
  healthcheckTimeout?: string;
  healthcheckStartPeriod?: string;
  healthcheckStartInterval?: string;
  healthcheckRetries?: number;
  arch?: string;
  os?: string;
  variant?: string;
  /** `os.version` of the image. */
  osVersion?: string;
  /** `os.features` to add; `NAME-` removes NAME (buildah's `--os-feature`). */
  osFeatures?: string[];
  hostname?: string;
  domainname?: string;
}

/** Parses a JSON array of strings, or returns undefined if the text is not one. */
function jsonArray(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

/** Splits a command line into words the way a POSIX shell would, without expansion. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`parse ${JSON.stringify(text)}: unterminated quote`);
  if (inWord) words.push(cur);
  return words;
}

/** `KEY=VALUE` into a record; `KEY-` removes KEY (buildah's convention). */
function applyKeyValues(target: Record<string, string>, items: string[], what: string): void {
  for (const item of items) {
    if (item.endsWith('-') && !item.includes('=')) {
      delete target[item.slice(0, -1)];
      continue;
    }
    const eq = item.indexOf('=');
    if (eq === 0) throw new InvalidArgumentError(`set ${what} ${JSON.stringify(item)}: empty key`);
    if (eq < 0) target[item] = '';
    else target[item.slice(0, eq)] = item.slice(eq + 1);
  }
}

/** Go duration strings (`30s`, `1m30s`, `500ms`) to nanoseconds, as the Docker config stores them. */
export function parseDuration(text: string, what: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === '0') return 0;
  if (matched !== text.length || text.length === 0) throw new InvalidArgumentError(`parse ${what} ${JSON.stringify(text)}: not a duration like 30s or 1m30s`);
  return Math.round(total);
}

function normalizePort(p: string): string {
  if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(p)) throw new InvalidArgumentError(`set port ${JSON.stringify(p)}: expected PORT[/PROTO]`);
  return p.includes('/') ? p : `${p}/tcp`;
}

/**
 * Applies changes to a config and returns the new config plus manifest annotations; the
 * inputs are not modified. Throws InvalidArgumentError naming the flag value at fault.
 */
export function applyConfigChanges(config: ImageConfig, annotations: Record<string, string>, ch: ConfigChanges): { config: ImageConfig; annotations: Record<string, string> } {
  const next: ImageConfig = structuredClone(config);
  const nextAnnotations = { ...annotations };
  const c = (next.config ??= {});
  if (ch.cmd !== undefined) c.Cmd = ch.cmd === '' ? null : jsonArray(ch.cmd) ?? shellWords(ch.cmd);
  if (ch.entrypoint !== undefined) {
    // buildah: a JSON array is exec form; anything else runs through /bin/sh -c.
    c.Entrypoint = ch.entrypoint === '' ? null : jsonArray(ch.entrypoint) ?? ['/bin/sh', '-c', ch.entrypoint];
  }
  if (ch.env) {
    const env = new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e] as const));
    for (const item of ch.env) {
      if (item.endsWith('-') && !item.includes('=')) env.delete(item.slice(0, -1));
      else if (!item.includes('=')) throw new InvalidArgumentError(`setting env ${JSON.stringify(item)}: no value given`);
      else env.set(item.slice(0, item.indexOf('=')), item);
    }
    c.Env = [...env.values()];
  }
  if (ch.labels) applyKeyValues((c.Labels ??= {}), ch.labels, 'label');
  if (ch.annotations) applyKeyValues(nextAnnotations, ch.annotations, 'annotation');
  if (ch.ports) {
    const ports = (c.ExposedPorts ??= {});
    for (const p of ch.ports) {
      if (p.endsWith('-')) delete ports[normalizePort(p.slice(0, -1))];
      else ports[normalizePort(p)] = {};
    }
  }
  if (ch.volumes) {
    const vols = (c.Volumes ??= {});
    for (const v of ch.volumes) {
      if (v.endsWith('-')) delete vols[v.slice(0, -1)];
      else vols[v] = {};
    }
  }
  if (ch.workingDir !== undefined) c.WorkingDir = ch.workingDir;
  if (ch.user !== undefined) c.User = ch.user;
  if (ch.author !== undefined) next.author = ch.author;
  if (ch.stopSignal !== undefined) c.StopSignal = ch.stopSignal;
  if (ch.shell !== undefined) c.Shell = jsonArray(ch.shell) ?? shellWords(ch.shell);
  if (ch.onbuild) c.OnBuild = [...(c.OnBuild ?? []), ...ch.onbuild];
  if (ch.healthcheck !== undefined) {
    const hc = ch.healthcheck.trim();
    if (hc === '' ) delete c.Healthcheck;
    else if (hc.toUpperCase() === 'NONE') c.Healthcheck = { Test: ['NONE'] };
    else {
      const m = /^(CMD|CMD-SHELL)\s+(.*)$/s.exec(hc);
      if (!m) throw new InvalidArgumentError(`set healthcheck ${JSON.stringify(hc)}: expected NONE, "CMD ARGS…" or "CMD-SHELL COMMAND"`);
      const rest = m[2]!;
      const test = m[1] === 'CMD' ? ['CMD', ...(jsonArray(rest) ?? shellWords(rest))] : ['CMD-SHELL', rest];
      // buildah's defaults for a new healthcheck: 30s interval and timeout, 3 retries.
      c.Healthcheck = { Interval: 30e9, Timeout: 30e9, StartPeriod: 0, Retries: 3, ...(c.Healthcheck ?? {}), Test: test };
    }
  }
  const hcNumbers: Array<[keyof HealthConfig, string | undefined, string]> = [
    ['Interval', ch.healthcheckInterval, 'healthcheck-interval'],
    ['Timeout', ch.healthcheckTimeout, 'healthcheck-timeout'],
    ['StartPeriod', ch.healthcheckStartPeriod, 'healthcheck-start-period'],
    ['StartInterval', ch.healthcheckStartInterval, 'healthcheck-start-interval'],
  ];
  for (const [key, value, flag] of hcNumbers) {
    if (value !== undefined) (c.Healthcheck ??= {})[key] = parseDuration(value, flag) as never;
  }
  if (ch.healthcheckRetries !== undefined) {
    if (!Number.isInteger(ch.healthcheckRetries) || ch.healthcheckRetries < 0) throw new InvalidArgumentError(`set healthcheck-retries ${ch.healthcheckRetries}: expected a whole number`);
    (c.Healthcheck ??= {}).Retries = ch.healthcheckRetries;
  }
  if (ch.arch !== undefined) next.architecture = ch.arch;
  if (ch.os !== undefined) next.os = ch.os;
  if (ch.variant !== undefined) next.variant = ch.variant;
  if (ch.osVersion !== undefined) next['os.version'] = ch.osVersion;
  for (const f of ch.osFeatures ?? []) {
    const features = next['os.features'] ?? [];
    if (f.endsWith('-')) next['os.features'] = features.filter((x) => x !== f.slice(0, -1));
    else if (!features.includes(f)) next['os.features'] = [...features, f];
  }
  if (next['os.features']?.length === 0) delete next['os.features'];
  if (ch.hostname !== undefined) c.Hostname = ch.hostname;
  if (ch.domainname !== undefined) c.Domainname = ch.domainname;
  return { config: next, annotations: nextAnnotations };
}
