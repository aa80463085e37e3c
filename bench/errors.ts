import { TrowelError } from '../oci/error.js';
import { lastLine, type Outcome } from './process.js';

/** Something the bench needs is missing or unusable (a program, a user, a directory). */
export class BenchSetupError extends TrowelError {
  constructor(message: string) {
    super('BENCH_SETUP', message, { exitCode: 1 });
  }
}

/** A timed command exited 0 but its result is not there. */
export class BenchVerifyError extends TrowelError {
  constructor(message: string) {
    super('BENCH_VERIFY', message, { exitCode: 1 });
  }
}

/**
 * A tool under test failed an untimed or timed step. `notYet` is set when the failure says
 * the feature has not landed (trowel's NOT_IMPLEMENTED, an unknown command or flag), which
 * the report shows as "not yet" rather than as a failure.
 */
export class ToolCommandError extends TrowelError {
  readonly notYet: boolean;

  constructor(readonly tool: string, readonly args: readonly string[], readonly outcome: Outcome) {
    // args are the command's own (no store flags), so the first word is the verb.
    const verb = args.find((a) => !a.startsWith('-')) ?? '';
    const why = outcome.signal
      ? `killed by ${outcome.signal}`
      : outcome.exitCode === 0
        ? 'printed nothing where a value was expected'
        : `exit ${outcome.exitCode}: ${lastLine(outcome)}`;
    super('BENCH_TOOL_FAILED', `run ${tool} ${verb}: ${why}`, { exitCode: 1 });
    this.notYet = looksNotImplemented(outcome.stderr + '\n' + outcome.stdout);
  }
}

/** Whether a tool's output says that a command or flag does not exist yet. */
export function looksNotImplemented(output: string): boolean {
  return /NOT_IMPLEMENTED|is not supported yet|Unknown argument|Unknown command|missing command|Cannot find module|ERR_MODULE_NOT_FOUND/i.test(
    output,
  );
}
