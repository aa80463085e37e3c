/**
 * ONBUILD triggers recorded in a base image's config (`OnBuild`, the text after `ONBUILD`) parsed
 * back into instructions so a child build can replay them right after its FROM.
 */
import type { Instruction } from './instructions.js';
import { scanLogicalLines } from './logical-lines.js';
import { ContainerfileError } from './parse-error.js';
import { parseInstruction } from './parse-instruction.js';

/** Options of {@link parseOnbuildTriggers}. */
export interface OnbuildTriggerOptions {
  /** How messages name the source, e.g. `docker.io/library/app:1 ONBUILD`. */
  filename: string;
}

/**
 * Parses each trigger (one expression per entry, line numbers counting entries from 1).
 * @throws ContainerfileError when a trigger does not parse or is FROM, MAINTAINER or ONBUILD.
 */
export function parseOnbuildTriggers(expressions: readonly string[], options: OnbuildTriggerOptions): Instruction[] {
  const out: Instruction[] = [];
  expressions.forEach((expression, n) => {
    let scanned;
    try {
      scanned = scanLogicalLines(expression, options.filename);
    } catch (e) {
      if (e instanceof ContainerfileError) throw new ContainerfileError(options.filename, n + 1, e.column, e.detail);
      throw e;
    }
    for (const line of scanned.lines) {
      let instruction: Instruction;
      try {
        instruction = parseInstruction({ filename: options.filename, escape: '\\', line });
      } catch (e) {
        if (e instanceof ContainerfileError) throw new ContainerfileError(options.filename, n + 1, e.column, e.detail);
        throw e;
      }
      if (instruction.kind === 'from' || instruction.kind === 'maintainer' || instruction.kind === 'onbuild') {
        throw new ContainerfileError(options.filename, n + 1, 1, `${instruction.kind.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      }
      out.push(instruction);
    }
  });
  return out;
}
