/**
 * Applies Docker's word expansion to one instruction, only where Docker applies it: FROM image
 * and platform; ENV and LABEL keys and values; ARG names and defaults; COPY/ADD sources,
 * destination, --chown, --chmod, --exclude, --checksum and unquoted heredoc bodies; EXPOSE ports
 * (which may split into several); VOLUME paths; USER; WORKDIR; STOPSIGNAL; RUN --mount fields;
 * COPY --from (as buildah does). RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands, MAINTAINER and
 * ONBUILD triggers are left as written (the shell, or the child build, expands them).
 */
import { expandHeredocBody, expandWord, expandWords, ExpansionError, type Environment } from './expand.js';
import type { Heredoc, Instruction, RunMount } from './instructions.js';
import { ContainerfileError } from './parse-error.js';

/** Options of {@link expandInstruction}. */
export interface ExpandInstructionOptions {
  /** The file name for messages. Default `Containerfile`. */
  filename?: string;
  /** The escape character of the file (`ParsedContainerfile.escape`). Default `\`. */
  escape?: string;
}

/**
 * Returns a copy of `instruction` with its expandable words expanded in `env` (ARGs and ENV in
 * scope, ENV winning; see StageVariables). The input is not changed.
 * @throws ContainerfileError (at the instruction's line) on a malformed substitution, an
 * unterminated quote or a `${V:?msg}` whose variable is unset.
 */
export function expandInstruction<I extends Instruction>(instruction: I, env: Environment, options: ExpandInstructionOptions = {}): I {
  const escape = options.escape ?? '\\';
  const word = (w: string) => expandWord(w, env, { escape });
  try {
    return expandUnchecked(instruction, env, escape, word) as I;
  } catch (e) {
    if (e instanceof ExpansionError) {
      const p = instruction.range.start;
      throw new ContainerfileError(options.filename ?? 'Containerfile', p.line, p.column,
        `${instruction.kind.toUpperCase()}: ${e.message}`);
    }
    throw e;
  }
}

function expandUnchecked(i: Instruction, env: Environment, escape: string, word: (w: string) => string): Instruction {
  const heredoc = (h: Heredoc): Heredoc => (h.expand ? { ...h, content: expandHeredocBody(h.content, env, { escape }) } : h);
  switch (i.kind) {
    case 'from':
      return { ...i, image: word(i.image), ...(i.platform !== undefined ? { platform: word(i.platform) } : {}) };
    case 'run':
      return { ...i, mounts: i.mounts.map((m) => expandMount(m, word)) };
    case 'env':
    case 'label':
      return { ...i, pairs: i.pairs.map((p) => ({ key: word(p.key), value: word(p.value) })) };
    case 'arg':
      return {
        ...i,
        args: i.args.map((a) => (a.default === undefined ? { name: word(a.name) } : { name: word(a.name), default: word(a.default) })),
      };
    case 'copy':
    case 'add': {
      const common = {
        sources: i.sources.map(word),
        destination: word(i.destination),
        inline: i.inline.map(heredoc),
        exclude: i.exclude.map(word),
        ...(i.chown !== undefined ? { chown: word(i.chown) } : {}),
        ...(i.chmod !== undefined ? { chmod: word(i.chmod) } : {}),
      };
      if (i.kind === 'copy') return { ...i, ...common, ...(i.from !== undefined ? { from: word(i.from) } : {}) };
      return { ...i, ...common, ...(i.checksum !== undefined ? { checksum: word(i.checksum) } : {}) };
    }
    case 'expose':
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, env, { escape })) };
    case 'volume':
      return { ...i, paths: i.paths.map(word) };
    case 'user':
      return { ...i, user: word(i.user) };
    case 'workdir':
      return { ...i, path: word(i.path) };
    case 'stopsignal':
      return { ...i, signal: word(i.signal) };
    case 'cmd':
    case 'entrypoint':
    case 'shell':
    case 'healthcheck':
    case 'maintainer':
    case 'onbuild':
      return i;
    default: {
      const never: never = i;
      return never;
    }
  }
}

function expandMount(m: RunMount, word: (w: string) => string): RunMount {
  const out: RunMount = { ...m };
  for (const k of ['target', 'source', 'from', 'id', 'mode', 'uid', 'gid', 'size', 'env'] as const) {
    const v = m[k];
    if (v !== undefined) out[k] = word(v);
  }
  return out;
}
