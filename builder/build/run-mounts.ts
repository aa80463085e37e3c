/**
 * `RUN --mount=…` entries -> the `--mount` specs builder/run understands: bind (from the
 * context, or a stage or image root with `from=`; read-only unless `rw`), cache (a directory
 * kept in the store by id), tmpfs, and secret (the `--secret` file, read-only, at
 * `/run/secrets/<id>` by default; never copied into the layer). ssh is not supported yet.
 */
import { posix } from 'node:path';
import { InvalidArgumentError, NotImplementedError } from '../../oci/error.js';
import type { RunMount } from '../../parser/index.js';
import { resolveInRoot } from '../root-path.js';

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
}

/** A mount field value with `,` or `=` would break the spec syntax. */
function field(v: string): string {
  if (/[,]/.test(v)) throw new NotImplementedError(`RUN --mount values containing "," (${JSON.stringify(v)})`);
  return v;
}

/** Turns the (expanded) mounts of one RUN into `--mount` specs; secrets that are optional and absent are skipped. */
export async function runMountSpecs(mounts: readonly RunMount[], src: RunMountSources): Promise<string[]> {
  const specs: string[] = [];
  for (const m of mounts) {
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
        if (m.from !== undefined) throw new NotImplementedError('RUN --mount=type=cache with from=');
        specs.push(`type=cache,target=${field(target ?? '/')}${m.id !== undefined ? `,id=${field(m.id)}` : ''}${m.readonly ? ',ro=true' : ''}`);
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
          continue;
        }
        if (m.env !== undefined) throw new NotImplementedError('RUN --mount=type=secret,env=');
        specs.push(`type=bind,source=${field(file)},target=${field(target ?? `/run/secrets/${id}`)},ro=true`);
        break;
      }
      case 'ssh':
        throw new NotImplementedError('RUN --mount=type=ssh');
      default: {
        const never: never = m.type;
        return never;
      }
    }
  }
  return specs;
}
