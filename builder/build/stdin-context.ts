/**
 * `trowel bud -`: the build context read from stdin, as buildah and Docker take it. A tar
 * (plain, gzip or zstd) is unpacked into a temporary directory with layers/ (which refuses
 * entries that would land outside it); anything else is the Containerfile itself, with an
 * empty context.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer, detectCompression } from '../../layers/index.js';
import { TrowelError } from '../../oci/error.js';

/** A context made from stdin; `remove()` deletes it. */
export interface StdinContext {
  contextDir: string;
  remove(): void;
}

function isTar(bytes: Buffer): boolean {
  return detectCompression(bytes) !== 'none' || (bytes.length >= 263 && bytes.subarray(257, 262).toString('latin1') === 'ustar');
}

/**
 * Turns stdin's bytes into a context directory under `tmpDir`.
 * @throws TrowelError (`STDIN_CONTEXT`) when the tar is malformed or unsafe.
 */
export async function contextFromStdin(bytes: Buffer, tmpDir: string): Promise<StdinContext> {
  mkdirSync(tmpDir, { recursive: true });
  const contextDir = mkdtempSync(join(tmpDir, 'build-context-'));
  const remove = () => rmSync(contextDir, { recursive: true, force: true });
  try {
    if (isTar(bytes)) await applyLayer(Readable.from([bytes]), contextDir, { mode: 'plain' });
    else writeFileSync(join(contextDir, 'Containerfile'), bytes);
  } catch (e) {
    remove();
    throw new TrowelError('STDIN_CONTEXT', `read build context from stdin: ${(e as Error).message}`);
  }
  return { contextDir, remove };
}
