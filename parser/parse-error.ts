import { TrowelError } from '../oci/error.js';

/**
 * The one error the parser throws: bad Containerfile syntax or a bad build graph. The message
 * reads `FILE:LINE:COL: message` with the file's own name (as given in `filename`), 1-based line
 * and column, so an editor can jump to it. `code` is always `CONTAINERFILE_SYNTAX`.
 */
export class ContainerfileError extends TrowelError {
  /** The file name the positions refer to (e.g. `Containerfile`, `build/Dockerfile.prod`). */
  readonly file: string;
  /** 1-based line of the fault. */
  readonly line: number;
  /** 1-based column of the fault. */
  readonly column: number;
  /** The message without the `FILE:LINE:COL: ` prefix. */
  readonly detail: string;

  constructor(file: string, line: number, column: number, detail: string) {
    // Quoted user text may hold line breaks or control bytes; the message must stay one
    // printable line.
    detail = detail.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, (ch) => {
      if (ch === '\n') return '\\n';
      if (ch === '\r') return '\\r';
      return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    });
    super('CONTAINERFILE_SYNTAX', `${file}:${line}:${column}: ${detail}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}
