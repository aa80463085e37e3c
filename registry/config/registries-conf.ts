import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { formatReference, parseReference, type ImageReference } from '../../oci/reference.js';
import { InvalidArgumentError } from '../../oci/error.js';
import { BlockedRegistryError, RegistryConfigError } from './errors.js';

/** A `[[registry.mirror]]` entry. */
export interface MirrorEntry {
  location: string;
  insecure: boolean;
  /** Which pulls may use the mirror (default `all`). */
  pullFromMirror: 'all' | 'digest-only' | 'tag-only';
}

/** A `[[registry]]` entry (v2 format). */
export interface RegistryEntry {
  /** What references it applies to: `host`, `host/ns`, or `*.domain`. */
  prefix: string;
  /** Where those references really live (defaults to `prefix`). */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEntry[];
}

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';

/** registries.conf and its drop-ins, merged. */
export interface RegistriesConf {
  unqualifiedSearchRegistries: string[];
  shortNameMode: ShortNameMode;
  registries: RegistryEntry[];
  /** Short-name aliases: `name` -> fully qualified repository. */
  aliases: Record<string, string>;
  /** Files read, in order. */
  files: string[];
}

export interface RegistriesConfOptions {
  /** One file to use instead of the system's (like CONTAINERS_REGISTRIES_CONF). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** System file (default /etc/containers/registries.conf). */
  systemFile?: string;
}

function bool(v: unknown, file: string, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new RegistryConfigError(`read registries.conf ${file}: ${what} must be true or false`, file);
  return v;
}

function str(v: unknown, file: string, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new RegistryConfigError(`read registries.conf ${file}: ${what} must be a string`, file);
  return v;
}

/** Parses one registries.conf (v2 TOML) text. Throws RegistryConfigError naming the file and line. */
export function parseRegistriesConf(text: string, file: string): Omit<RegistriesConf, 'files'> & { hasSearch: boolean; hasMode: boolean } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const line = err instanceof TomlError ? `:${err.line}` : '';
    throw new RegistryConfigError(`read registries.conf ${file}${line}: ${(err as Error).message.split('\n')[0]}`, file);
  }
  if (doc.registries !== undefined && typeof doc.registries === 'object' && !Array.isArray(doc.registries)) {
    throw new RegistryConfigError(`read registries.conf ${file}: the v1 format ([registries.search]) is not supported; use unqualified-search-registries and [[registry]]`, file);
  }
  const search = doc['unqualified-search-registries'];
  if (search !== undefined && (!Array.isArray(search) || search.some((s) => typeof s !== 'string'))) {
    throw new RegistryConfigError(`read registries.conf ${file}: unqualified-search-registries must be a list of strings`, file);
  }
  const mode = str(doc['short-name-mode'], file, 'short-name-mode');
  if (mode !== undefined && mode !== 'enforcing' && mode !== 'permissive' && mode !== 'disabled') {
    throw new RegistryConfigError(`read registries.conf ${file}: short-name-mode must be enforcing, permissive or disabled`, file);
  }
  const rawRegs = doc.registry ?? [];
  if (!Array.isArray(rawRegs)) throw new RegistryConfigError(`read registries.conf ${file}: [registry] must be an array of tables ([[registry]])`, file);
  const registries = rawRegs.map((r: Record<string, unknown>, i): RegistryEntry => {
    const where = `[[registry]] #${i + 1}`;
    const location = str(r.location, file, `${where} location`);
    const prefix = str(r.prefix, file, `${where} prefix`) ?? location;
    if (!prefix) throw new RegistryConfigError(`read registries.conf ${file}: ${where} needs a location or a prefix`, file);
    if (prefix.startsWith('*') && !prefix.startsWith('*.')) throw new RegistryConfigError(`read registries.conf ${file}: ${where} prefix ${JSON.stringify(prefix)}: a wildcard must be *.domain`, file);
    const mirrors = (Array.isArray(r.mirror) ? r.mirror : []).map((m: Record<string, unknown>, j): MirrorEntry => {
      const loc = str(m.location, file, `${where} mirror #${j + 1} location`);
      if (!loc) throw new RegistryConfigError(`read registries.conf ${file}: ${where} mirror #${j + 1} needs a location`, file);
      const pfm = str(m['pull-from-mirror'], file, 'pull-from-mirror') ?? 'all';
      if (pfm !== 'all' && pfm !== 'digest-only' && pfm !== 'tag-only') throw new RegistryConfigError(`read registries.conf ${file}: pull-from-mirror must be all, digest-only or tag-only`, file);
      return { location: loc, insecure: bool(m.insecure, file, 'insecure'), pullFromMirror: pfm };
    });
    return {
      prefix: prefix.replace(/\/+$/, ''), location: (location ?? (prefix.startsWith('*.') ? '' : prefix)).replace(/\/+$/, ''),
      insecure: bool(r.insecure, file, `${where} insecure`), blocked: bool(r.blocked, file, `${where} blocked`),
      mirrorByDigestOnly: bool(r['mirror-by-digest-only'], file, `${where} mirror-by-digest-only`), mirrors,
    };
  });
  const aliases: Record<string, string> = {};
  if (doc.aliases !== undefined) {
    if (typeof doc.aliases !== 'object' || doc.aliases === null) throw new RegistryConfigError(`read registries.conf ${file}: [aliases] must be a table`, file);
    for (const [k, v] of Object.entries(doc.aliases)) {
      if (typeof v !== 'string') throw new RegistryConfigError(`read registries.conf ${file}: alias ${JSON.stringify(k)} must be a string`, file);
      aliases[k] = v;
    }
  }
  return {
    unqualifiedSearchRegistries: (search as string[] | undefined) ?? [], hasSearch: search !== undefined,
    shortNameMode: mode ?? 'enforcing', hasMode: mode !== undefined, registries, aliases,
  };
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistryConfigError(`read registries.conf ${file}: ${(err as Error).message}`, file);
  }
}

/**
 * Loads registries.conf as containers/image does: `$CONTAINERS_REGISTRIES_CONF` (or `file`)
 * alone; else `~/.config/containers/registries.conf` if it exists, else the system file;
 * then the `registries.conf.d/*.conf` drop-ins beside the system file and the user's, in name
 * order. Later files replace search registries, mode and same-prefix entries, and add aliases.
 */
export function loadRegistriesConf(opts: RegistriesConfOptions = {}): RegistriesConf {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const single = opts.file ?? env.CONTAINERS_REGISTRIES_CONF;
  const files: string[] = [];
  if (single) files.push(single);
  else {
    const systemFile = opts.systemFile ?? '/etc/containers/registries.conf';
    const userFile = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'registries.conf');
    files.push(readIfExists(userFile) !== undefined ? userFile : systemFile);
    for (const dir of [join(dirname(systemFile), 'registries.conf.d'), join(dirname(userFile), 'registries.conf.d')]) {
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort();
      } catch {
        continue;
      }
      files.push(...names.map((n) => join(dir, n)));
    }
  }
  const conf: RegistriesConf = { unqualifiedSearchRegistries: [], shortNameMode: 'enforcing', registries: [], aliases: {}, files: [] };
  for (const f of files) {
    const text = readIfExists(f);
    if (text === undefined) {
      if (single) throw new RegistryConfigError(`read registries.conf ${f}: no such file`, f);
      continue;
    }
    const part = parseRegistriesConf(text, f);
    conf.files.push(f);
    if (part.hasSearch) conf.unqualifiedSearchRegistries = part.unqualifiedSearchRegistries;
    if (part.hasMode) conf.shortNameMode = part.shortNameMode;
    for (const r of part.registries) {
      conf.registries = conf.registries.filter((x) => x.prefix !== r.prefix);
      conf.registries.push(r);
    }
    Object.assign(conf.aliases, part.aliases);
  }
  return conf;
}

/** Whether `prefix` covers `name` (`host/path[:tag][@digest]`). */
function prefixMatches(prefix: string, name: string): boolean {
  if (prefix.startsWith('*.')) {
    const host = name.split('/')[0] ?? '';
    return host.endsWith(prefix.slice(1));
  }
  if (!name.startsWith(prefix)) return false;
  const next = name[prefix.length];
  return next === undefined || next === '/' || next === ':' || next === '@';
}

/** Throws BlockedRegistryError when registries.conf blocks the repository (`host/path`). */
export function checkNotBlocked(conf: RegistriesConf, repository: string, verb: string): void {
  const entry = findRegistryEntry(conf, repository);
  if (entry?.blocked) throw new BlockedRegistryError(`${verb} ${repository}: registry ${entry.prefix} is blocked in registries.conf`);
}

/** The entry whose prefix covers the repository `host/path` (longest prefix wins), if any. */
export function findRegistryEntry(conf: RegistriesConf, repository: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  let bestLen = -1;
  for (const r of conf.registries) {
    // A wildcard is less specific than any literal prefix of the same host.
    const len = r.prefix.startsWith('*.') ? r.prefix.length - 2 : r.prefix.length + 1000;
    if (prefixMatches(r.prefix, repository) && len > bestLen) {
      best = r;
      bestLen = len;
    }
  }
  return best;
}

/** One place to try pulling an image from. */
export interface PullSource {
  reference: ImageReference;
  insecure: boolean;
  mirror: boolean;
}

function rewrite(ref: ImageReference, prefix: string, location: string): ImageReference {
  const repo = `${ref.domain}/${ref.path}`;
  const rest = prefix.startsWith('*.') ? repo : location + repo.slice(prefix.length);
  const out = parseReference(rest, { defaultTag: false });
  if (ref.tag !== undefined) out.tag = ref.tag;
  if (ref.digest !== undefined) out.digest = ref.digest;
  return out;
}

/**
 * Where a pull of `ref` goes, in order: the mirrors that may serve it (by digest-only rules),
 * then the registry's own location. Throws BlockedRegistryError when the entry is blocked.
 */
export function pullSources(conf: RegistriesConf, ref: ImageReference): PullSource[] {
  const entry = findRegistryEntry(conf, `${ref.domain}/${ref.path}`);
  if (!entry) return [{ reference: ref, insecure: false, mirror: false }];
  if (entry.blocked) throw new BlockedRegistryError(`pull ${formatReference(ref)}: registry ${entry.prefix} is blocked in registries.conf`);
  const byDigest = ref.digest !== undefined;
  const sources: PullSource[] = [];
  for (const m of entry.mirrors) {
    const allowed = entry.mirrorByDigestOnly ? byDigest : m.pullFromMirror === 'all' || (m.pullFromMirror === 'digest-only' ? byDigest : !byDigest);
    if (allowed) sources.push({ reference: rewrite(ref, entry.prefix, m.location), insecure: m.insecure, mirror: true });
  }
  sources.push({ reference: entry.location ? rewrite(ref, entry.prefix, entry.location) : ref, insecure: entry.insecure, mirror: false });
  return sources;
}

/** Whether a name has no registry host (`busybox`, `library/busybox:1`), so needs resolving. */
export function isShortName(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return true;
  const first = name.slice(0, slash);
  return !(first.includes('.') || first.includes(':') || first === 'localhost');
}

/** How a short name was resolved. */
export interface ShortNameResolution {
  /** References to try, in order. */
  candidates: ImageReference[];
  /** The alias that decided it, if one did. */
  alias?: string;
}

/**
 * Resolves a short name as podman does: an alias from [aliases] wins; otherwise each
 * unqualified-search registry in order. With short-name-mode `enforcing` and more than one
 * candidate, the choice is ambiguous without a prompt, so it is an error (as podman without a
 * terminal). Fully qualified names come back as themselves.
 */
export function resolveShortName(conf: RegistriesConf, name: string): ShortNameResolution {
  if (!isShortName(name)) return { candidates: [parseReference(name)] };
  const probe = parseReference(`short.invalid/${name}`, { defaultTag: false });
  const bare = probe.path;
  const keep = (r: ImageReference): ImageReference => {
    if (probe.tag !== undefined) r.tag = probe.tag;
    if (probe.digest !== undefined) r.digest = probe.digest;
    if (r.tag === undefined && r.digest === undefined) r.tag = 'latest';
    return r;
  };
  const alias = conf.aliases[bare] ?? (bare.startsWith('library/') ? conf.aliases[bare.slice(8)] : undefined);
  if (alias) return { candidates: [keep(parseReference(alias, { defaultTag: false }))], alias: bare };
  if (conf.unqualifiedSearchRegistries.length === 0) {
    throw new InvalidArgumentError(`resolve short name ${JSON.stringify(name)}: no alias and no unqualified-search-registries in registries.conf (${conf.files.join(', ') || 'none read'}); use a fully qualified name`);
  }
  if (conf.shortNameMode === 'enforcing' && conf.unqualifiedSearchRegistries.length > 1) {
    throw new InvalidArgumentError(`resolve short name ${JSON.stringify(name)}: ambiguous among ${conf.unqualifiedSearchRegistries.join(', ')} with short-name-mode "enforcing" and no terminal to ask; use a fully qualified name`);
  }
  return { candidates: conf.unqualifiedSearchRegistries.map((reg) => keep(parseReference(`${reg}/${bare}`, { defaultTag: false }))) };
}
