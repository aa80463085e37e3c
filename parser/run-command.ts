/**
 * What a RUN executes, with Docker's heredoc rules: exec form runs its argv; shell form runs
 * `[...SHELL, script]`; a script that is only `<<EOF` runs the body (a body starting with `#!` is
 * a script file the builder writes and executes); any other script with heredocs is handed to the
 * shell with the bodies appended, so the shell reads them as here-documents.
 */
import { parseHeredocWord } from './heredoc.js';
import type { Command, RunInstruction } from './instructions.js';

/** The resolved command of one RUN. */
export type ResolvedRunCommand =
  | { kind: 'argv'; argv: string[] }
  /**
   * A single heredoc with a shebang: write `content` to a file named `name` (mode 0755) somewhere
   * the container can read (BuildKit uses `/dev/pipes/<name>`) and execute that path, without SHELL.
   */
  | { kind: 'script'; name: string; content: string };

/**
 * Resolves a RUN into what to execute.
 * @param shell the SHELL in force (default `["/bin/sh", "-c"]` on Linux)
 */
export function resolveRunCommand(run: RunInstruction, shell: readonly string[]): ResolvedRunCommand {
  if (run.command.form === 'exec') return { kind: 'argv', argv: [...run.command.argv] };
  let script = run.command.script;
  const first = run.heredocs[0];
  if (first) {
    if (parseHeredocWord(script)) {
      if (first.content.startsWith('#!')) return { kind: 'script', name: first.name, content: first.content };
      script = first.content;
    } else {
      for (const h of run.heredocs) script += `\n${h.content}${h.name}`;
    }
  }
  return { kind: 'argv', argv: [...shell, script] };
}

/**
 * The argv of a CMD, ENTRYPOINT or HEALTHCHECK-like command for the image config: exec form as
 * is, shell form as `[...shell, script]`, and an empty script as the bare shell (what buildah
 * records for a `CMD` without arguments).
 */
export function commandArgv(command: Command, shell: readonly string[]): string[] {
  if (command.form === 'exec') return [...command.argv];
  return command.script === '' ? [...shell] : [...shell, command.script];
}
