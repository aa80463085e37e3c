/** A place in the source text: 1-based line and 1-based column (in UTF-16 code units). */
export interface Position {
  line: number;
  column: number;
}

/** A span of source text; `end` is exclusive (the column just after the last character). */
export interface SourceRange {
  start: Position;
  end: Position;
}
