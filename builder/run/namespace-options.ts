/**
 * buildah's `--pid`, `--ipc` and `--uts` values for a run: a new namespace of that kind
 * (`private`, the default) or the host's (`host`).
 */
import { InvalidArgumentError, NotImplementedError } from '../../oci/error.js';
import type { HostNamespace } from '../../native/runner.js';

/** The namespace kinds a run may share with the host, with their flag names. */
export const SHAREABLE_NAMESPACES: readonly HostNamespace[] = ['pid', 'ipc', 'uts'];

/** What a run gets for one namespace kind. */
export type NamespaceChoice = 'private' | 'host';

/**
 * Parses one `--pid`/`--ipc`/`--uts` value: absent, empty or `private` gives a new namespace,
 * `host` the host's.
 * @throws NotImplementedError for the path of an existing namespace (joining one is not done);
 *   InvalidArgumentError for anything else.
 */
export function parseNamespaceOption(kind: HostNamespace, value: string | undefined): NamespaceChoice {
  if (value === undefined || value === '' || value === 'private') return 'private';
  if (value === 'host') return 'host';
  if (value.startsWith('/')) throw new NotImplementedError(`joining the ${kind} namespace ${value} (--${kind}=PATH)`);
  throw new InvalidArgumentError(`parse --${kind} ${JSON.stringify(value)}: want private, host or the path of a namespace`);
}

/** The kinds set to `host` in `values` (keyed by kind), in a fixed order. */
export function hostNamespacesOf(values: Partial<Record<HostNamespace, string>>): HostNamespace[] {
  return SHAREABLE_NAMESPACES.filter((kind) => parseNamespaceOption(kind, values[kind]) === 'host');
}
