/**
 * `trowel bud URL`: a build context fetched from a URL, as buildah takes it. A git repository
 * (`git://…`, or an http(s) URL whose path ends in `.git`, with `#REF:SUBDIR`) is cloned; any
 * other http(s) URL is downloaded, and unpacked when it is a tar (plain, gzip or zstd), else
 * taken as the Containerfile with an empty context. `github.com/OWNER/REPO` is the archive of
 * that repository's master branch.
 */
import { createReadStream, openSync, readSync, closeSync, createWriteStream, renameSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tempName } from '../../storage/atomic.js';
import { cloneGitContext, isGitContextUrl } from './git-context.js';
import { RemoteSourceError, fetchUrl } from './remote-source.js';
import { looksLikeTar, makeTemporaryDir, unpackContextArchive, type TemporaryContext } from './temporary-context.js';

const VERB = 'fetch build context';

/** Whether a `bud` context argument is a URL rather than a directory. */
export function isContextUrl(context: string): boolean {
  return /^(https?|git):\/\//i.test(context) || context.startsWith('github.com/');
}

/**
 * Fetches the context `url` names into a temporary directory under `tmpDir`.
 * @throws GitContextError, or RemoteSourceError for a failed download or an unsafe archive.
 */
export async function contextFromUrl(url: string, tmpDir: string, signal?: AbortSignal): Promise<TemporaryContext> {
  const { dir, remove } = makeTemporaryDir(tmpDir);
  try {
    if (isGitContextUrl(url)) return { contextDir: await cloneGitContext(url, dir, { verb: 'clone build context', signal }), remove };
    if (url.startsWith('github.com/')) {
      // buildah's shorthand: the tarball of the master branch, whose top directory is REPO-master.
      await downloadContext(`https://${url}/archive/master.tar.gz`, dir, tmpDir, signal);
      return { contextDir: join(dir, `${posix.basename(url)}-master`), remove };
    }
    await downloadContext(url, dir, tmpDir, signal);
    return { contextDir: dir, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(512);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

async function downloadContext(url: string, dir: string, tmpDir: string, signal?: AbortSignal): Promise<void> {
  const file = join(tmpDir, tempName('download'));
  try {
    const res = await fetchUrl(url, VERB, signal);
    await pipeline(res.body, createWriteStream(file, { fd: openSync(file, 'w', 0o600) }));
    if (!looksLikeTar(readHead(file))) {
      renameSync(file, join(dir, 'Containerfile'));
      return;
    }
    try {
      await unpackContextArchive(createReadStream(file), dir);
    } catch (e) {
      throw new RemoteSourceError(VERB, url, (e as Error).message);
    }
  } finally {
    rmSync(file, { force: true });
  }
}

/** `bud -f URL`: the Containerfile's text, downloaded from an http(s) URL. */
export async function fetchContainerfile(url: string, signal?: AbortSignal): Promise<string> {
  const res = await fetchUrl(url, 'fetch Containerfile', signal);
  return Buffer.concat(await res.body.toArray()).toString('utf8');
}
