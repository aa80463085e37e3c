/**
 * Style problems that do not stop a build, reported as data. Codes are BuildKit's lint rule
 * names, so their documentation applies; buildah prints none of these, so the CLI shows them
 * only when asked.
 */

/** One warning at a 1-based position. */
export interface ParseWarning {
  code: 'NoEmptyContinuation' | 'LegacyKeyValueFormat' | 'MaintainerDeprecated' | 'FromAsCasing' | 'StageNameCasing' | 'JSONArgsRecommended';
  line: number;
  column: number;
  message: string;
}
