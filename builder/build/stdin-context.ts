/**
 * `trowel bud -`: the build context read from stdin, as buildah and Docker take it. A tar
 * (plain, gzip or zstd) is unpacked into a temporary directory; anything else is the
 * Containerfile itself, with an empty context.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TrowelError } from '../../oci/error.js';
import { looksLikeTar, makeTemporaryDir, unpackContextArchive, type TemporaryContext } from './temporary-context.js';

/**
 * Turns stdin's bytes into a context directory under `tmpDir`.
 * @throws TrowelError (`STDIN_CONTEXT`) when the tar is malformed or unsafe.
 */
export async function contextFromStdin(bytes: Buffer, tmpDir: string): Promise<TemporaryContext> {
  const { dir, remove } = makeTemporaryDir(tmpDir);
  try {
    if (looksLikeTar(bytes)) await unpackContextArchive(Readable.from([bytes]), dir);
    else writeFileSync(join(dir, 'Containerfile'), bytes);
  } catch (e) {
    remove();
    throw new TrowelError('STDIN_CONTEXT', `read build context from stdin: ${(e as Error).message}`);
  }
  return { contextDir: dir, remove };
}
