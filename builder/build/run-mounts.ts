/**
 * `RUN --mount=…` entries -> the `--mount` specs builder/run understands: bind (from the
 * context, or a stage or image root with `from=`; read-only unless `rw`), cache (a directory
 * kept in the store by id), tmpfs, and secret (the `--secret` file, read-only, at
 * `/run/secrets/<id>` by default, or its content as a variable of the command with `env=`;
 * never copied into the layer), and ssh (a socket relaying to
 * the `--ssh` agent of the id, at `/run/buildkit/ssh_agent.N` by default, with `SSH_AUTH_SOCK`
 * pointing at the first one for this command only).
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../oci/error.js';
import type { RunMount } from '../../parser/index.js';
import { resolveInRoot } from '../root-path.js';
import type { ForwardedSocket, SshForwarding } from './ssh-forwarding.js';
import { mapId, type IdMaps } from '../run/id-shift.js';

/** Where mount sources come from. */
export interface RunMountSources {
  /** The build context. */
  contextDir: string;
  /** The root of a stage or image named by `from=` (mounted on demand). */
  rootOf: (from: string) => Promise<string>;
  /** `--secret` files by id. */
  secrets: Readonly<Record<string, string>>;
  /** The RUN's working directory, for relative targets. */
  workingDir: string;
  /** `--ssh` agents (absent: none given). */
  ssh?: SshForwarding;
  /** The RUN's id maps (`--userns-uid-map`), so sockets it gets are owned by the mapped ids. */
  idMaps?: IdMaps;
}

/** The mounts of one RUN, what they add to its environment, and how to release them. */
export interface RunMounts {
  /** `--mount` specs for builder/run. */
  specs: string[];
  /** `NAME=value` entries for this command only (`SSH_AUTH_SOCK`). */
  env: string[];
  /** Closes what the mounts opened (ssh relay sockets); call when the RUN has ended. */
  release: () => Promise<void>;
}

/** `mode=` of an ssh mount: octal, default 0600 (BuildKit's). */
function octalMode(v: string | undefined, what: string): number {
  if (v === undefined) return 0o600;
  if (!/^[0-7]{1,4}$/.test(v)) throw new InvalidArgumentError(`parse ${what}: mode=${v} is not an octal mode`);
  return parseInt(v, 8);
}

function numericId(v: string | undefined, key: string, what: string): number {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`parse ${what}: ${key}=${v} is not a number`);
  return Number(v);
}

/** A mount field value with `,` or `=` would break the spec syntax. */
function field(v: string): string {
  if (/[,]/.test(v)) throw new NotImplementedError(`RUN --mount values containing "," (${JSON.stringify(v)})`);
  return v;
}

/**
 * Turns the (expanded) mounts of one RUN into `--mount` specs; secrets and ssh agents that are
 * optional and absent are skipped (as BuildKit and buildah do).
 * @throws InvalidArgumentError for a required secret or ssh id that was not given, bad values.
 */
export async function runMountSpecs(mounts: readonly RunMount[], src: RunMountSources): Promise<RunMounts> {
  const specs: string[] = [];
  const env: string[] = [];
  const sockets: ForwardedSocket[] = [];
  const release = async () => {
    await Promise.all(sockets.map((s) => s.close()));
  };
  let sshCount = 0;
  try {
    for (const m of mounts) {
      await addMount(m);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { specs, env, release };

  async function addMount(m: RunMount): Promise<void> {
    const target = m.target !== undefined ? posix.resolve(src.workingDir, m.target) : undefined;
    switch (m.type) {
      case 'bind': {
        const root = m.from !== undefined ? await src.rootOf(m.from) : src.contextDir;
        // Resolved with the root as `/`: a source can never name a host path outside it.
        const source = resolveInRoot(root, m.source ?? '/', { followLast: true });
        specs.push(`type=bind,source=${field(source)},target=${field(target ?? '/')},ro=${m.readonly === false ? 'false' : 'true'}`);
        break;
      }
      case 'cache':
        if (m.from !== undefined) {
          // As buildah: the cache is that stage's (or image's) directory itself, for this build.
          const root = await src.rootOf(m.from);
          const source = resolveInRoot(root, m.source ?? '/', { followLast: true });
          specs.push(`type=bind,source=${field(source)},target=${field(target ?? '/')},ro=${m.readonly ? 'true' : 'false'}`);
          break;
        }
        specs.push(`type=cache,target=${field(target ?? '/')}${m.id !== undefined ? `,id=${field(m.id)}` : ''}${m.readonly ? ',ro=true' : ''}`
          + `${m.mode !== undefined ? `,mode=${field(m.mode)}` : ''}${m.uid !== undefined ? `,uid=${field(m.uid)}` : ''}${m.gid !== undefined ? `,gid=${field(m.gid)}` : ''}`);
        break;
      case 'tmpfs':
        specs.push(`type=tmpfs,target=${field(target ?? '/')}${m.size !== undefined ? `,tmpfs-size=${field(m.size)}` : ''}`);
        break;
      case 'secret': {
        const id = m.id ?? (m.target !== undefined ? posix.basename(m.target) : undefined);
        if (id === undefined) throw new NotImplementedError('RUN --mount=type=secret without id or target');
        const file = src.secrets[id];
        if (file === undefined) {
          if (m.required) throw new InvalidArgumentError(`mount secret ${id}: it is required but no --secret id=${id},src=PATH was given`);
          return;
        }
        if (m.env !== undefined) {
          // The secret as a variable of this one command (BuildKit's env=); a file too only when a target is given.
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.env)) throw new InvalidArgumentError(`mount secret ${id}: env=${m.env} is not a variable name`);
          env.push(`${m.env}=${readFileSync(file, 'utf8')}`);
          if (m.target === undefined) break;
        }
        specs.push(`type=bind,source=${field(file)},target=${field(target ?? `/run/secrets/${id}`)},ro=true`);
        break;
      }
      case 'ssh': {
        const id = m.id ?? 'default';
        const n = sshCount++;
        const what = `RUN --mount=type=ssh,id=${id}`;
        const uid = numericId(m.uid, 'uid', what);
        const gid = numericId(m.gid, 'gid', what);
        const access = {
          uid: src.idMaps ? mapId(uid, src.idMaps.uidMappings, 'to-host') : uid,
          gid: src.idMaps ? mapId(gid, src.idMaps.gidMappings, 'to-host') : gid,
          mode: octalMode(m.mode, what),
        };
        if (!src.ssh?.has(id)) {
          if (m.required) throw new InvalidArgumentError(`mount ssh ${id}: it is required but no --ssh ${id === 'default' ? 'default' : `${id}=SOCKET|KEY`} was given`);
          break;
        }
        const socket = await src.ssh.socketFor(id, access);
        sockets.push(socket);
        const at = target ?? `/run/buildkit/ssh_agent.${n}`;
        specs.push(`type=bind,source=${field(socket.path)},target=${field(at)},ro=true`);
        if (!env.some((e) => e.startsWith('SSH_AUTH_SOCK='))) env.push(`SSH_AUTH_SOCK=${at}`);
        break;
      }
      default: {
        const never: never = m.type;
        return never;
      }
    }
  }
}
