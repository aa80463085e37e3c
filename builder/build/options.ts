/**
 * What a build is asked to do: the options of `build()` (the CLI fills them from buildah's
 * flags) with their defaults filled in one place.
 */
import { cpus } from 'node:os';
import type { Compression, ManifestFormat } from '../../oci/media-types.js';
import type { StorageDriverConfig } from '../run/storage-driver.js';
import type { IdMaps } from '../run/id-shift.js';
import type { DnsSettings } from '../run/etc-files.js';
import type { NamedContext } from './named-contexts.js';
import type { DockerTransportOptions } from '../../registry/transports/docker.js';
import type { Platform } from '../../oci/platform.js';

/** `--pull` policies, as buildah names them. */
export type PullPolicy = 'always' | 'missing' | 'never' | 'newer';

/** A Containerfile to build: a path, or text read from stdin (`-f -`). */
export type ContainerfileInput = { path: string } | { text: string; name: string };

/** The options of {@link build}. Only `contextDir` is required. */
export interface BuildOptions {
  /** The build context directory (COPY sources are confined to it). */
  contextDir: string;
  /** `-f`: default `Containerfile`, else `Dockerfile`, in the context. Several are concatenated. */
  containerfiles?: ContainerfileInput[];
  /** `-t`: names for the final image (normalized like buildah: short names under localhost/). */
  tags?: string[];
  /** The tags as the user wrote them (the `COMMIT` line shows the first); default `tags`. */
  tagsAsGiven?: string[];
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** `--target`: the stage to stop at. */
  target?: string;
  /** `--skip-unused-stages` (default true): false builds every stage up to the target. */
  skipUnusedStages?: boolean;
  /**
   * `--platform`: the platform to build for. FROM images must be that platform's (picked from
   * a registry's index, or local and matching, else pulled per `pull`); a scratch stage gets it
   * in its config; RUN steps for a foreign one need an emulator. Default: the host's, with
   * local images taken whatever their platform.
   */
  platform?: Platform;
  /** `--layers`: commit each step and reuse cached steps. */
  layers?: boolean;
  /** `--no-cache`: with layers, never reuse a cached step (results are still recorded). */
  noCache?: boolean;
  /** `--cache-from`, `--cache-to`: registry repositories sharing the `--layers` cache (tags are cache keys). */
  cacheFrom?: string[];
  cacheTo?: string[];
  /** `--cache-ttl` in seconds: cached steps older than this are not reused (0: none are). */
  cacheTtl?: number;
  /** `--squash`: the final image has one layer. */
  squash?: boolean;
  format?: ManifestFormat;
  compression?: Compression;
  /** `--label`, `--annotation`, `--env` (`KEY=VALUE`; `KEY-` removes), applied to the final image. */
  labels?: string[];
  annotations?: string[];
  env?: string[];
  /** `--unsetenv`, `--unsetlabel`: removed from the final image. */
  unsetEnv?: string[];
  unsetLabels?: string[];
  /** `--timestamp` / `--source-date-epoch`: Unix seconds for every time the image records. */
  timestamp?: number;
  omitHistory?: boolean;
  pull?: PullPolicy;
  /** How pulls reach registries (`--tls-verify`, `--authfile`, `--creds`, `--cert-dir`). */
  registryAccess?: DockerTransportOptions;
  /** RUN settings shared by every step. */
  isolation?: string;
  network?: string;
  volumes?: string[];
  capAdd?: string[];
  capDrop?: string[];
  ulimits?: string[];
  /** `--add-host name:ip` for RUN steps. */
  addHosts?: string[];
  /** `--cpp-flag`: more flags for cpp, which preprocesses `.in` Containerfiles. */
  cppFlags?: string[];
  /** `--shm-size` for RUN steps, in bytes. */
  shmSize?: number;
  /** `--device` for RUN steps. */
  devices?: string[];
  /** `--dns`, `--dns-search`, `--dns-option` for RUN steps (`parseDnsSettings`). */
  dns?: DnsSettings;
  /** `--no-hosts`: RUN steps get no generated /etc/hosts. */
  noHosts?: boolean;
  /** `--security-opt no-new-privileges`, `seccomp=unconfined` for RUN steps. */
  noNewPrivileges?: boolean;
  seccomp?: boolean;
  /** `--http-proxy` (default true): RUN steps see the proxy variables of trowel's environment (never recorded). */
  httpProxy?: boolean;
  /** `--build-context NAME=…`, prepared (`prepareNamedContexts`): names taken before stages and images. */
  namedContexts?: Record<string, NamedContext>;
  /** `--from`: the image the first FROM names instead of its own. */
  from?: string;
  /** `--os-version`, `--os-feature` for the final image (`NAME-` removes a feature). */
  osVersion?: string;
  osFeatures?: string[];
  /** `--pid`, `--ipc`, `--uts` for RUN steps: `private` (default) or `host`. */
  pid?: string;
  ipc?: string;
  uts?: string;
  /** `--secret id=ID,src=PATH`, by id: host paths RUN --mount=type=secret may bind. */
  secrets?: Record<string, string>;
  /**
   * `--ssh`, by id: an agent socket, or private key files loaded into an ssh-agent started for
   * the build, that RUN --mount=type=ssh may use (see {@link parseSshSpec}).
   */
  ssh?: Record<string, string[]>;
  /**
   * `--userns=container` with id maps (`--userns-uid-map`/`--userns-gid-map`, as root): every
   * RUN runs in a new user namespace with these maps; absent: the host's (buildah's `host`).
   */
  userns?: IdMaps;
  /** Stages run at the same time at most (default: the number of CPUs). */
  jobs?: number;
  /** `--rm`: remove working containers after a successful build (default true). */
  rm?: boolean;
  /** `--force-rm`: remove them after a failed one too (default true, so nothing is left behind). */
  forceRm?: boolean;
  /** `--ignorefile`. */
  ignoreFile?: string;
  /** The storage driver RUN mounts with. */
  driver: StorageDriverConfig;
  /** Receives progress lines (`STEP 1/3: FROM …`); default: nothing is printed. */
  progress?: (line: string) => void;
  /** Receives warnings (unused build args, settings the format cannot carry). */
  warn?: (message: string) => void;
  /** RUN output: inherit trowel's stdio (default) or discard it (`-q` keeps it, as buildah). */
  runOutput?: 'inherit' | 'ignore';
  /** `--stdin`: RUN steps read trowel's standard input (otherwise they get none). */
  runStdin?: boolean;
  /** Aborting stops the build after the current step, cleaning up as for a failure. */
  signal?: AbortSignal;
}

/** Options with every default filled in. */
type Optional = 'target' | 'timestamp' | 'ignoreFile' | 'signal' | 'platform' | 'userns' | 'cacheTtl' | 'from' | 'osVersion' | 'dns' | 'shmSize';
export type ResolvedBuildOptions = Required<Omit<BuildOptions, Optional>> & Pick<BuildOptions, Optional>;

/** Fills the defaults (buildah's): no layers, oci format, uncompressed local layers, pull missing. */
export function resolveBuildOptions(o: BuildOptions): ResolvedBuildOptions {
  return {
    contextDir: o.contextDir,
    containerfiles: o.containerfiles ?? [],
    tags: o.tags ?? [],
    tagsAsGiven: o.tagsAsGiven ?? o.tags ?? [],
    buildArgs: o.buildArgs ?? {},
    ...(o.target !== undefined ? { target: o.target } : {}),
    skipUnusedStages: o.skipUnusedStages ?? true,
    ...(o.platform !== undefined ? { platform: o.platform } : {}),
    layers: o.layers ?? false,
    noCache: o.noCache ?? false,
    cacheFrom: o.cacheFrom ?? [],
    cacheTo: o.cacheTo ?? [],
    ...(o.cacheTtl !== undefined ? { cacheTtl: o.cacheTtl } : {}),
    squash: o.squash ?? false,
    format: o.format ?? 'oci',
    compression: o.compression ?? 'none',
    labels: o.labels ?? [],
    annotations: o.annotations ?? [],
    env: o.env ?? [],
    unsetEnv: o.unsetEnv ?? [],
    unsetLabels: o.unsetLabels ?? [],
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    omitHistory: o.omitHistory ?? false,
    pull: o.pull ?? 'missing',
    registryAccess: o.registryAccess ?? {},
    isolation: o.isolation ?? 'oci',
    network: o.network ?? 'host',
    volumes: o.volumes ?? [],
    capAdd: o.capAdd ?? [],
    capDrop: o.capDrop ?? [],
    ulimits: o.ulimits ?? [],
    addHosts: o.addHosts ?? [],
    noHosts: o.noHosts ?? false,
    cppFlags: o.cppFlags ?? [],
    ...(o.shmSize !== undefined ? { shmSize: o.shmSize } : {}),
    namedContexts: o.namedContexts ?? {},
    ...(o.dns ? { dns: o.dns } : {}),
    devices: o.devices ?? [],
    noNewPrivileges: o.noNewPrivileges ?? false,
    seccomp: o.seccomp ?? true,
    httpProxy: o.httpProxy ?? true,
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.osVersion !== undefined ? { osVersion: o.osVersion } : {}),
    osFeatures: o.osFeatures ?? [],
    pid: o.pid ?? 'private',
    ipc: o.ipc ?? 'private',
    uts: o.uts ?? 'private',
    secrets: o.secrets ?? {},
    ssh: o.ssh ?? {},
    ...(o.userns !== undefined ? { userns: o.userns } : {}),
    jobs: Math.max(1, o.jobs ?? cpus().length),
    rm: o.rm ?? true,
    forceRm: o.forceRm ?? true,
    ...(o.ignoreFile !== undefined ? { ignoreFile: o.ignoreFile } : {}),
    driver: o.driver,
    progress: o.progress ?? (() => {}),
    warn: o.warn ?? (() => {}),
    runOutput: o.runOutput ?? 'inherit',
    runStdin: o.runStdin ?? false,
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  };
}

/** What a FROM, COPY --from or mount from= value stands for: a named context, else itself. */
export function namedContextOf(o: Pick<ResolvedBuildOptions, 'namedContexts'>, from: string): NamedContext | undefined {
  return Object.hasOwn(o.namedContexts, from) ? o.namedContexts[from] : undefined;
}
