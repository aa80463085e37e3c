/**
 * The `created_by` text buildah (1.28) records in the image history for each instruction:
 * `/bin/sh -c #(nop) <instruction as written>` for metadata steps, `|N K=V … /bin/sh -c <command>`
 * for RUN (N build args in scope, sorted; `--mount=…` flags kept before the command), `#(nop) COPY file:<sha256> in <dest> ` for COPY/ADD.
 */
import { createHash } from 'node:crypto';
import type { Instruction } from '../../parser/index.js';

/**
 * The RUN text after the keyword, as written (JSON form kept): buildah 1.28 records the
 * `--mount=…` flags in front of the command (`/bin/sh -c --mount=type=ssh ssh-add -l`); the
 * flags it does not have (`--network`, `--security`) are left out.
 */
function runText(original: string): string {
  let rest = original.replace(/^\s*RUN\s+/i, '');
  const mounts: string[] = [];
  for (;;) {
    const m = /^(--\S+)\s+/.exec(rest);
    if (!m) break;
    if (/^--mount=/i.test(m[1]!)) mounts.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return [...mounts, rest].join(' ');
}

/** `|N K=V …` prefix for the build args in scope (none gives the empty string). */
function argsPrefix(args: ReadonlyMap<string, string>): string {
  if (args.size === 0) return '';
  const pairs = [...args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return `|${pairs.length} ${pairs.join(' ')} `;
}

/**
 * A stable digest of what a COPY/ADD brought in (buildah's `file:`/`dir:` token): sha256 over the
 * entries' relative paths, types, modes and contents, in sorted order.
 */
export function contentToken(kind: 'file' | 'dir' | 'multi', digest: string): string {
  return `${kind}:${digest}`;
}

/** sha256 hex of a list of parts, each length-prefixed so boundaries cannot be confused. */
export function hashParts(parts: readonly (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    h.update(`${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
}

/**
 * `created_by` for one instruction.
 * @param instruction the instruction as parsed (its `original` text is what is recorded)
 * @param argsInScope ARG values in force (recorded before a RUN's command)
 * @param copyToken for COPY/ADD, the `file:…`/`dir:…` token of the sources
 */
export function createdBy(instruction: Instruction, argsInScope: ReadonlyMap<string, string>, copyToken?: string): string {
  switch (instruction.kind) {
    case 'run':
      return `${argsPrefix(argsInScope)}/bin/sh -c ${runText(instruction.original)}`;
    case 'copy':
    case 'add':
      return `/bin/sh -c #(nop) ${instruction.kind.toUpperCase()} ${copyToken ?? 'file:'} in ${instruction.destination} `;
    case 'arg':
      return `/bin/sh -c #(nop) ARG ${instruction.args.map((a) => a.name).join(' ')}`;
    default:
      return `/bin/sh -c #(nop) ${instruction.original.replace(/\n[\s\S]*$/, '')}`;
  }
}
