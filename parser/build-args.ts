/**
 * Build arguments: the built-in ones Docker predefines (platforms, SOURCE_DATE_EPOCH), the proxy
 * ones usable without an ARG line, and the global ARGs (before the first FROM) resolved against
 * `--build-arg` values.
 */
import type { Platform } from '../oci/platform.js';
import { expandWithReport, ExpansionError } from './expand.js';
import type { ArgInstruction } from './instructions.js';
import { ContainerfileError } from './parse-error.js';

/** Proxy variables a `--build-arg` passes to RUN without an ARG line (and keeps out of history). */
export const PROXY_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

/** Names Docker predefines in the global scope (visible in a stage only after `ARG NAME`). */
export const BUILTIN_ARGS: ReadonlySet<string> = new Set([
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
  'SOURCE_DATE_EPOCH',
]);

/** The platforms of a build: where it runs and what it produces. */
export interface BuildPlatforms {
  build: Platform;
  /** Defaults to `build`. */
  target?: Platform;
}

function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x).join('/');
}

/**
 * The values of the built-in args. SOURCE_DATE_EPOCH is only present when passed as a build arg.
 * Pure; the caller supplies the host platform.
 */
export function builtinArgValues(platforms: BuildPlatforms, buildArgs: Readonly<Record<string, string>> = {}): Map<string, string> {
  const target = platforms.target ?? platforms.build;
  const m = new Map<string, string>([
    ['BUILDPLATFORM', platformString(platforms.build)],
    ['BUILDOS', platforms.build.os],
    ['BUILDARCH', platforms.build.architecture],
    ['BUILDVARIANT', platforms.build.variant ?? ''],
    ['TARGETPLATFORM', platformString(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
  ]);
  const epoch = buildArgs['SOURCE_DATE_EPOCH'];
  if (epoch !== undefined) m.set('SOURCE_DATE_EPOCH', epoch);
  return m;
}

/**
 * Resolves the global ARGs in order: a `--build-arg` wins, else the default expanded with the
 * built-ins and the global ARGs before it. An ARG with neither keeps the value it already had
 * (a built-in or an earlier line) or stays without one (absent from the map). Built-ins are
 * included in the result.
 * @throws ContainerfileError when a default has a malformed substitution.
 */
export function resolveGlobalArgs(
  filename: string,
  globalArgs: readonly ArgInstruction[],
  buildArgs: Readonly<Record<string, string>>,
  builtins: ReadonlyMap<string, string>,
  escape = '\\',
): Map<string, string> {
  const env = new Map(builtins);
  for (const instruction of globalArgs) {
    for (const decl of instruction.args) {
      const given = Object.prototype.hasOwnProperty.call(buildArgs, decl.name) ? buildArgs[decl.name] : undefined;
      if (given !== undefined) {
        env.set(decl.name, given);
      } else if (decl.default !== undefined) {
        try {
          env.set(decl.name, expandWithReport(decl.default, env, { escape }).value);
        } catch (e) {
          if (e instanceof ExpansionError) {
            const p = instruction.range.start;
            throw new ContainerfileError(filename, p.line, p.column, `ARG ${decl.name}: ${e.message}`);
          }
          throw e;
        }
      }
      // `ARG NAME` alone keeps what NAME already has (a built-in or an earlier ARG line).
    }
  }
  return env;
}
