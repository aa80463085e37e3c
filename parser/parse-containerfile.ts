/**
 * Containerfile text -> stages of typed instructions, global ARGs and directives. Pure: no file
 * system, environment or clock. Words stay unexpanded; see `expandInstruction` and the stage
 * graph for what happens with variables.
 */
import type { Directive } from './directives.js';
import type { ArgInstruction, FromInstruction, Instruction } from './instructions.js';
import { scanLogicalLines } from './logical-lines.js';
import { ContainerfileError } from './parse-error.js';
import type { ParseWarning } from './parse-warning.js';
import { parseInstruction } from './parse-instruction.js';
import type { SourceRange } from './source-range.js';

/** One build stage: its FROM line and the instructions after it, up to the next FROM. */
export interface Stage {
  /** 0-based position in the file (what `COPY --from=0` refers to). */
  index: number;
  /** The lower-cased name after `AS`, if any. */
  name?: string;
  from: FromInstruction;
  /** The instructions after FROM, in order. */
  instructions: Instruction[];
  /** From the FROM keyword to the end of the stage's last instruction. */
  range: SourceRange;
}

/** A parsed Containerfile. */
export interface ParsedContainerfile {
  /** The name used in error messages. */
  filename: string;
  directives: Directive[];
  /** The escape character in force (`\` or `` ` ``); expansion needs it. */
  escape: string;
  /** Style warnings (BuildKit lint rule names), in source order. Never fatal. */
  warnings: ParseWarning[];
  /** ARG instructions before the first FROM (usable in FROM lines). */
  globalArgs: ArgInstruction[];
  stages: Stage[];
}

/** Options of {@link parseContainerfile}. */
export interface ParseOptions {
  /** The file's own name for messages (`Containerfile:3:1: …`). Default `Containerfile`. */
  filename?: string;
}

/**
 * Parses Containerfile text.
 * @throws ContainerfileError (only that) for any bad input: empty file, missing FROM, unknown
 * instruction, bad flag, bad JSON where JSON is required, unterminated heredoc, duplicate stage
 * name, and the like.
 */
export function parseContainerfile(text: string, options: ParseOptions = {}): ParsedContainerfile {
  const filename = options.filename ?? 'Containerfile';
  const scanned = scanLogicalLines(text, filename);
  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, Stage>();
  const warnings: ParseWarning[] = [...scanned.warnings];
  if (scanned.lines.length === 0) {
    throw new ContainerfileError(filename, 1, 1, 'file is empty: a Containerfile needs at least one FROM instruction');
  }
  for (const line of scanned.lines) {
    const instruction = parseInstruction({ filename, escape: scanned.escape, line, warn: (w) => warnings.push(w) });
    const current = stages[stages.length - 1];
    if (instruction.kind === 'from') {
      const stage: Stage = {
        index: stages.length,
        from: instruction,
        instructions: [],
        range: instruction.range,
        ...(instruction.stageName !== undefined ? { name: instruction.stageName } : {}),
      };
      if (stage.name !== undefined) {
        const earlier = names.get(stage.name);
        if (earlier) {
          const p = instruction.range.start;
          throw new ContainerfileError(filename, p.line, p.column,
            `duplicate stage name "${stage.name}" (first used on line ${earlier.from.range.start.line})`);
        }
        names.set(stage.name, stage);
      }
      stages.push(stage);
    } else if (current) {
      current.instructions.push(instruction);
      current.range = { start: current.range.start, end: instruction.range.end };
    } else if (instruction.kind === 'arg') {
      globalArgs.push(instruction);
    } else {
      const p = instruction.range.start;
      throw new ContainerfileError(filename, p.line, p.column,
        `${instruction.kind.toUpperCase()} before the first FROM: only ARG may come before FROM`);
    }
  }
  if (stages.length === 0) {
    const p = globalArgs[globalArgs.length - 1]?.range.end ?? { line: 1, column: 1 };
    throw new ContainerfileError(filename, p.line, p.column, 'no FROM instruction: a Containerfile needs at least one build stage');
  }
  warnings.sort((a, b) => a.line - b.line || a.column - b.column);
  return { filename, directives: scanned.directives, escape: scanned.escape, warnings, globalArgs, stages };
}
