import type { Argv } from 'yargs';
import type { DockerTransportOptions } from '../registry/transports/docker.js';
import { InvalidArgumentError } from '../oci/error.js';
import { parsePlatform, hostPlatform, type Platform } from '../oci/platform.js';

/** The registry flags `pull`, `from` and `manifest` share, with buildah's names. */
export interface RegistryFlagArgs {
  'tls-verify'?: boolean; authfile?: string; creds?: string; 'cert-dir'?: string; retry?: number; 'retry-delay'?: string;
}

/** Adds `--tls-verify --authfile --creds --cert-dir --retry --retry-delay`. */
export function registryFlags<T>(y: Argv<T>): Argv<T> {
  return y
    .option('tls-verify', { type: 'boolean', describe: 'require HTTPS and verify certificates (default true)' })
    .option('authfile', { type: 'string', describe: 'path of the authentication file' })
    .option('creds', { type: 'string', describe: 'USERNAME[:PASSWORD] for the registry' })
    .option('cert-dir', { type: 'string', describe: 'certificates directory for the registry' })
    .option('retry', { type: 'number', describe: 'times to retry a failed registry request (default 4)' })
    .option('retry-delay', { type: 'string', describe: 'first delay between retries, doubled each time (default 250ms)' }) as Argv<T>;
}

/** `--retry-delay` as buildah takes it: a duration (`2s`, `500ms`, `1m`) or plain seconds; milliseconds. */
export function parseRetryDelay(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`parse --retry-delay ${JSON.stringify(text)}: expected a duration such as 2s or 500ms`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

/** The transport options the flags ask for. */
export function registryAccessFromFlags(args: RegistryFlagArgs): DockerTransportOptions {
  const retry = {
    ...(args.retry !== undefined ? { retries: args.retry } : {}),
    ...(args['retry-delay'] !== undefined ? { baseDelayMs: parseRetryDelay(args['retry-delay']) } : {}),
  };
  return {
    ...(args['tls-verify'] !== undefined ? { tlsVerify: args['tls-verify'] } : {}),
    ...(args.authfile ? { authFile: args.authfile } : {}),
    ...(args.creds ? { creds: args.creds } : {}),
    ...(args['cert-dir'] ? { certDir: args['cert-dir'] } : {}),
    ...(Object.keys(retry).length ? { client: { retry } } : {}),
  };
}

/** `--platform os/arch[/variant]`, else `--os --arch --variant` over the host's; undefined when none is given. */
export function platformFromFlags(args: { platform?: string; os?: string; arch?: string; variant?: string }): Platform | undefined {
  if (args.platform) return parsePlatform(args.platform);
  if (!args.os && !args.arch && !args.variant) return undefined;
  const host = hostPlatform();
  return parsePlatform(`${args.os ?? host.os}/${args.arch ?? host.architecture}${args.variant ? '/' + args.variant : ''}`);
}
