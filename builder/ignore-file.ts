/**
 * Finds and reads the ignore file of a build context, in this order:
 * 1. `--ignorefile PATH` (must exist);
 * 2. beside a named Containerfile: `<file>.containerignore`, then `<file>.dockerignore`;
 * 3. in the context directory: `.containerignore`, then `.dockerignore`.
 * The patterns themselves (moby patternmatcher semantics) live in parser/ignore-patterns.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../oci/error.js';
import { IgnoreMatcher, readIgnoreFile, type IgnorePatternLine } from '../parser/ignore-patterns.js';

/** Where to look. */
export interface IgnoreFileOptions {
  /** The build context directory. */
  contextDir: string;
  /** The Containerfile as given with `-f` (its own ignore files sit beside it). */
  containerfile?: string;
  /** `--ignorefile`: use exactly this file. */
  ignoreFile?: string;
}

/** An ignore file found and compiled. */
export interface LoadedIgnoreFile {
  /** The file that was read. */
  path: string;
  patterns: IgnorePatternLine[];
  matcher: IgnoreMatcher;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** The candidate paths in the order they are tried. */
export function ignoreFileCandidates(options: IgnoreFileOptions): string[] {
  if (options.ignoreFile !== undefined) return [options.ignoreFile];
  const out: string[] = [];
  if (options.containerfile !== undefined) {
    out.push(`${options.containerfile}.containerignore`, `${options.containerfile}.dockerignore`);
  }
  out.push(join(options.contextDir, '.containerignore'), join(options.contextDir, '.dockerignore'));
  return out;
}

/**
 * Reads the first ignore file that exists; `undefined` when there is none.
 * @throws NotFoundError when `ignoreFile` is given and missing.
 * @throws ContainerfileError (from parser/) for a malformed pattern, naming the file and line.
 */
export async function loadIgnoreFile(options: IgnoreFileOptions): Promise<LoadedIgnoreFile | undefined> {
  for (const path of ignoreFileCandidates(options)) {
    const text = await readIfExists(path);
    if (text === undefined) continue;
    const patterns = readIgnoreFile(text);
    return { path, patterns, matcher: new IgnoreMatcher(patterns, path) };
  }
  if (options.ignoreFile !== undefined) {
    throw new NotFoundError(`read ignore file ${options.ignoreFile}: no such file`);
  }
  return undefined;
}
