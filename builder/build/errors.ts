/**
 * Errors a build reports. Each names the step at fault with its file and line, so the user
 * sees one line that says where and why.
 */
import { TrowelError } from '../../oci/error.js';

/** Where a step is: the Containerfile and the 1-based line of its instruction. */
export interface StepLocation {
  file: string;
  line: number;
  /** The instruction as written (its first line), e.g. `RUN make`. */
  text: string;
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

/**
 * A step of the build failed. The message reads like buildah's
 * (`error building at STEP "RUN false" (Containerfile:3): exit status 1`); `exitCode` is the
 * failed command's status for a RUN, 125 otherwise.
 */
export class BuildStepError extends TrowelError {
  constructor(readonly step: StepLocation, readonly reason: string, options: { exitCode?: number; code?: string } = {}) {
    super(options.code ?? 'BUILD_STEP', `error building at STEP "${firstLine(step.text)}" (${step.file}:${step.line}): ${reason}`, {
      ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : {}),
    });
  }
}

/** The build was interrupted (Ctrl-C, SIGTERM) or another stage failed first. */
export class BuildCancelledError extends TrowelError {
  constructor(why: string) {
    super('BUILD_CANCELLED', `build image: cancelled: ${why}`, { exitCode: 130 });
  }
}

/** The context directory or a Containerfile cannot be used. */
export class BuildInputError extends TrowelError {
  constructor(message: string) {
    super('BUILD_INPUT', message);
  }
}
