/**
 * `--add-history` (config, copy, add, run), as buildah has it: each operation records a history
 * entry on the working container, and the next commit writes those entries, as empty layers,
 * before its own. Without the flag, `TROWEL_HISTORY` then `BUILDAH_HISTORY` (true/false) decide.
 */
import type { Store } from '../storage/store.js';
import type { ContainerRecord } from '../storage/records.js';
import type { HistoryEntry } from '../oci/image-config.js';
import { InvalidArgumentError } from '../oci/error.js';
// storage/lookup, not ./working-container: `run` loads this module, and the container module
// brings the commit code and layers/ with it.
import { findContainer } from '../storage/lookup.js';
import type { ConfigChanges } from './config-edit.js';

const TRUE = new Set(['1', 't', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'false', 'FALSE', 'False']);

/** Whether to record history: the flag when given, else the environment (Go's ParseBool values). */
export function wantsHistory(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag !== undefined) return flag;
  for (const name of ['TROWEL_HISTORY', 'BUILDAH_HISTORY']) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    throw new InvalidArgumentError(`parse ${name}=${JSON.stringify(v)}: want true or false`);
  }
  return false;
}

/** Adds `createdBy` lines (now, as empty layers) to a container record's pending history. */
export function addPendingHistory(c: ContainerRecord, createdBy: readonly string[]): void {
  if (createdBy.length === 0) return;
  const created = new Date().toISOString();
  c.pendingHistory = [...(c.pendingHistory ?? []), ...createdBy.map((line): HistoryEntry => ({ created, created_by: line, empty_layer: true }))];
}

/** Records `createdBy` lines for the container's next commit. */
export async function recordHistory(store: Store, containerId: string, createdBy: readonly string[]): Promise<void> {
  if (createdBy.length === 0) return;
  await store.transaction((state) => addPendingHistory(findContainer(state.containers, containerId), createdBy));
}

const nop = (text: string) => `/bin/sh -c #(nop) ${text}`;

/** The entries `config --add-history` records for `changes`, in buildah's order and words. */
export function configHistory(changes: ConfigChanges): string[] {
  const lines: string[] = [];
  const some = (list: string[] | undefined): list is string[] => list !== undefined && list.length > 0;
  if (changes.user !== undefined) lines.push(nop(`USER ${changes.user}`));
  if (changes.shell !== undefined) lines.push(nop(`SHELL ${changes.shell}`));
  if (changes.stopSignal !== undefined) lines.push(nop(`STOPSIGNAL ${changes.stopSignal}`));
  if (some(changes.ports)) lines.push(nop(`EXPOSE ${changes.ports.join(' ')}`));
  if (some(changes.env)) lines.push(nop(`ENV ${changes.env.join(' ')}`));
  if (changes.entrypoint !== undefined) lines.push(nop(`ENTRYPOINT ${changes.entrypoint}`));
  if (changes.cmd !== undefined) lines.push(nop(`CMD ${changes.cmd}`));
  for (const v of changes.volumes ?? []) lines.push(nop(`VOLUME ${v}`));
  const timing: [string, string | number | undefined][] = [
    ['interval', changes.healthcheckInterval], ['retries', changes.healthcheckRetries],
    ['start-period', changes.healthcheckStartPeriod], ['start-interval', changes.healthcheckStartInterval], ['timeout', changes.healthcheckTimeout],
  ];
  if (changes.healthcheck !== undefined || timing.some(([, v]) => v !== undefined)) {
    const flags = timing.filter(([, v]) => v !== undefined).map(([k, v]) => `--${k}=${v} `).join('');
    lines.push(nop(changes.healthcheck === '' ? 'HEALTHCHECK NONE' : `HEALTHCHECK ${flags}${changes.healthcheck ?? ''}`));
  }
  if (some(changes.labels)) lines.push(nop(`LABEL ${changes.labels.join(' ')}`));
  if (changes.workingDir !== undefined) lines.push(nop(`WORKDIR ${changes.workingDir}`));
  for (const o of changes.onbuild ?? []) lines.push(nop(`ONBUILD ${o}`));
  return lines;
}

/** The entry `copy`/`add --add-history` records: the content's digest, as buildah words it. */
export function copyHistory(verb: 'COPY' | 'ADD', content: { kind: string; digest: string }): string {
  return nop(`${verb} ${content.kind}:${content.digest}`);
}

/** The entry `run --add-history` records: the image's shell (else `/bin/sh -c`) and the command. */
export function runHistory(shell: readonly string[] | undefined, command: readonly string[]): string {
  return `${(shell && shell.length > 0 ? shell : ['/bin/sh', '-c']).join(' ')} ${command.join(' ')}`;
}
