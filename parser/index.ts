/**
 * parser/: Containerfile text -> typed instructions -> stage graph. Pure (no fs, env or clock).
 * See README.md for the contract.
 */
export { ContainerfileError } from './parse-error.js';
export type { Position, SourceRange } from './source-range.js';
export type { Directive } from './directives.js';
export type { ParseWarning } from './parse-warning.js';
export type * from './instructions.js';
export { parseContainerfile, type ParsedContainerfile, type ParseOptions, type Stage } from './parse-containerfile.js';
export {
  expandWord, expandWords, expandWithReport, expandHeredocBody, ExpansionError,
  type Environment, type ExpandOptions, type ExpansionResult,
} from './expand.js';
export { expandInstruction, type ExpandInstructionOptions } from './expand-instruction.js';
export {
  BUILTIN_ARGS, PROXY_ARGS, builtinArgValues, resolveGlobalArgs, type BuildPlatforms,
} from './build-args.js';
export { StageVariables, type StageVariablesOptions } from './stage-variables.js';
export {
  buildStageGraph, type StageGraph, type StageGraphOptions, type GraphStage, type StageBase, type StageEdge,
  type BuildWarning,
} from './stage-graph.js';
export { parseOnbuildTriggers, type OnbuildTriggerOptions } from './onbuild-triggers.js';
export { parseGoDuration } from './duration.js';
export { IgnoreMatcher, compileIgnoreFile, readIgnoreFile, cleanPath, type IgnorePatternLine } from './ignore-patterns.js';
export { commandArgv, resolveRunCommand, type ResolvedRunCommand } from './run-command.js';
export { exposedPortKeys } from './exposed-ports.js';
