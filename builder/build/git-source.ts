/**
 * ADD's git sources (`ADD [--keep-git-dir] REPO.git#REF[:SUBDIR] DEST`, as the Dockerfile
 * reference has it): each repository is fetched at depth 1 into its own directory of one
 * temporary directory, and its files (SUBDIR's, when given) are copied into DEST like a
 * directory of the context. The `.git` directory is left out unless `--keep-git-dir`.
 */
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cloneGitContext, isGitContextUrl } from './git-context.js';
import { makeTemporaryDir } from './temporary-context.js';

/** Whether an ADD source is a git repository (git://…, or an http(s) URL ending in `.git`). */
export function isGitSource(source: string): boolean {
  return isGitContextUrl(source);
}

/** Checked-out repositories: `sources[i]` is the directory, relative to `dir`, for `urls[i]`. */
export interface GitCheckouts {
  dir: string;
  sources: string[];
  remove(): void;
}

/**
 * Checks out each of `urls` under a new directory of `tmpDir`.
 * @throws GitContextError (`add URL: …`) when git fails or a SUBDIR is unusable.
 */
export async function checkOutGitSources(urls: readonly string[], tmpDir: string, opts: { keepGitDir: boolean; signal?: AbortSignal | undefined }): Promise<GitCheckouts> {
  const { dir, remove } = makeTemporaryDir(tmpDir, 'gitsrc');
  const out: GitCheckouts = { dir, sources: [], remove };
  try {
    for (const [i, url] of urls.entries()) {
      const top = join(dir, String(i));
      mkdirSync(top);
      const files = await cloneGitContext(url, top, { verb: 'add', signal: opts.signal });
      if (!opts.keepGitDir) rmSync(join(top, '.git'), { recursive: true, force: true });
      out.sources.push(relative(realpathSync(dir), files) || String(i));
    }
    return out;
  } catch (e) {
    out.remove();
    throw e;
  }
}
