/**
 * The JSON (exec) form of CMD, ENTRYPOINT, RUN, SHELL, HEALTHCHECK CMD, VOLUME, COPY and ADD:
 * parsed as JSON exactly (whitespace, escapes and unicode kept). Text that is not a JSON array
 * falls back to shell form as in Docker; a JSON array holding something other than strings is
 * an error, also as in Docker.
 */

/** The outcome of trying exec form. */
export type ExecFormResult =
  | { kind: 'exec'; argv: string[] }
  | { kind: 'not-json' }
  | { kind: 'not-strings' };

/** Tries to read `rest` (already trimmed) as a JSON array of strings. Never throws. */
export function parseExecForm(rest: string): ExecFormResult {
  const text = rest.replace(/^\s+/u, '');
  if (!text.startsWith('[')) return { kind: 'not-json' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'not-json' };
  }
  if (!Array.isArray(value)) return { kind: 'not-json' };
  if (!value.every((v): v is string => typeof v === 'string')) return { kind: 'not-strings' };
  return { kind: 'exec', argv: value };
}

/** Docker's message for a JSON array with non-string members. */
export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';
