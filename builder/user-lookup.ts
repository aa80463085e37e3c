import { resolveContainerUser, type ResolvedUser } from './run/container-user.js';

export type { ResolvedUser };

/**
 * Resolves `user[:group]` against a mounted container root's /etc/passwd and /etc/group (read
 * through the container's own symlinks, never the host's files). The same rules as RUN's
 * `--user`; see `run/container-user.ts`.
 */
export function resolveUser(root: string, spec: string): ResolvedUser {
  return resolveContainerUser(spec, [root]);
}
