import type { Digest } from './digest.js';

/** The runtime part of an image config (`config` key). Field names follow the OCI spec. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  // Docker-format only extensions (kept in OCI configs too, as buildah does for round trips):
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
  Hostname?: string;
  Domainname?: string;
  ArgsEscaped?: boolean;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config blob. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  // Docker-format extras.
  container_config?: ContainerConfig;
  docker_version?: string;
  comment?: string;
}
