/**
 * Token scopes (`repository:<name>:<actions>`) per the Docker token specification.
 */

export type RepositoryAction = 'pull' | 'push' | 'delete';

/** `repository:name:pull,push`. */
export function repositoryScope(repository: string, actions: readonly RepositoryAction[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** A stable key for a set of scopes (order-free), used to cache tokens. */
export function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
