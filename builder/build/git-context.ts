/**
 * A build context from a git repository, as buildah takes it: `REPO[#REF[:SUBDIR]]`, where
 * REPO is a `git://` URL or an http(s) URL whose path ends in `.git`. The REF (a branch or a
 * tag; the remote's HEAD when absent) is fetched at depth 1 into a temporary directory and
 * checked out; SUBDIR, inside the checkout, is the context. Runs the `git` program.
 */
import { execFile } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { TrowelError } from '../../oci/error.js';
import { redactUrl } from './remote-source.js';

/** Cloning the repository failed, or its SUBDIR is not a directory inside the checkout. */
export class GitContextError extends TrowelError {
  /** `verb` says what the repository was for: `clone build context`, `add`. */
  constructor(verb: string, url: string, why: string) {
    super('GIT_SOURCE', `${verb} ${redactUrl(url)}: ${why}`);
  }
}

/** How a clone is made and named in errors. */
interface CloneOptions {
  verb: string;
  signal?: AbortSignal | undefined;
}

/** A git context URL taken apart. */
export interface GitContextUrl {
  /** What git fetches from. */
  repo: string;
  /** The branch or tag; undefined for the remote's HEAD. */
  ref: string | undefined;
  /** The context's directory inside the checkout, `.` for its top. */
  subdir: string;
}

/** Whether a context URL names a git repository rather than a file to download. */
export function isGitContextUrl(url: string): boolean {
  if (/^git:\/\//i.test(url)) return true;
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    return new URL(url.split('#')[0]!).pathname.endsWith('.git');
  } catch {
    return false;
  }
}

/** Splits `REPO#REF:SUBDIR` (buildah's form; both parts after `#` optional). */
export function parseGitContextUrl(url: string): GitContextUrl {
  const hash = url.indexOf('#');
  if (hash < 0) return { repo: url, ref: undefined, subdir: '.' };
  const fragment = url.slice(hash + 1);
  const colon = fragment.indexOf(':');
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  return { repo: url.slice(0, hash), ref: ref === '' ? undefined : ref, subdir: subdir === '' ? '.' : subdir };
}

/** The line of git's stderr that says what went wrong, with any password in `repo` hidden. */
function gitReason(stderr: string, repo: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let why = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.at(-1) ?? 'failed';
  let password = '';
  try {
    password = decodeURIComponent(new URL(repo).password);
  } catch {
    /* not a URL git would print with a password */
  }
  if (password !== '') why = why.split(password).join('xxxxx');
  return why;
}

function git(args: string[], cwd: string, url: GitContextUrl, original: string, opts: CloneOptions): Promise<void> {
  // No prompt for credentials on a terminal: a build in CI would hang on it.
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '' };
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env, maxBuffer: 16 << 20, ...(opts.signal ? { signal: opts.signal } : {}) }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new GitContextError(opts.verb, original, 'the git program is not installed'));
      if (err.name === 'AbortError') return reject(err);
      reject(new GitContextError(opts.verb, original, `git ${args[0] === '-c' ? args[2] : args[0]}: ${gitReason(stderr, url.repo)}`));
    });
  });
}

/**
 * Fetches the repository `url` names into `dir` (an empty directory) and returns the context
 * directory inside it.
 * @throws GitContextError when git fails, or SUBDIR is missing or leads outside the checkout
 *   (through `..` or a symlink).
 */
export async function cloneGitContext(url: string, dir: string, opts: CloneOptions = { verb: 'clone build context' }): Promise<string> {
  const parsed = parseGitContextUrl(url);
  await git(['init', '-q', dir], dir, parsed, url, opts);
  await git(['remote', 'add', 'origin', parsed.repo], dir, parsed, url, opts);
  await git(['fetch', '-q', '--depth=1', 'origin', '--', parsed.ref ?? 'HEAD'], dir, parsed, url, opts);
  // FETCH_HEAD is what was fetched, whether a branch, a tag or HEAD.
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'FETCH_HEAD'], dir, parsed, url, opts);
  return subdirInside(dir, parsed.subdir, url, opts.verb);
}

function subdirInside(top: string, subdir: string, url: string, verb: string): string {
  const fail = (why: string) => new GitContextError(verb, url, `subdirectory ${subdir}${why}`);
  if (isAbsolute(subdir)) throw fail(' must be relative to the repository');
  let real: string;
  try {
    real = realpathSync(join(top, subdir));
  } catch {
    throw fail(': not in the repository');
  }
  const rel = relative(realpathSync(top), real);
  if (rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) throw fail(' leads outside the repository');
  if (!statSync(real).isDirectory()) throw fail(': not a directory');
  return real;
}
