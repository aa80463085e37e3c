import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './trowel.js';
import { writeTree } from './files.js';
import { freePort } from './registry.js';

/** One commit to make in a test repository: the files it writes, and where it is committed. */
export interface TestCommit {
  files: Record<string, string>;
  /** The branch to commit on (made from the current one if new); default the current one. */
  branch?: string;
  /** A tag to put on the commit. */
  tag?: string;
  /** Symlinks to add: path -> target. */
  symlinks?: Record<string, string>;
}

/** A `git daemon` on 127.0.0.1 serving bare repositories from a directory. */
export interface GitServer {
  /** `git://127.0.0.1:PORT` */
  base: string;
  stop(): void;
}

function git(cwd: string, args: string[]): string {
  return sh('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd });
}

/**
 * Makes the bare repository `<dir>/<name>.git` from `commits`, made in order on `main` unless
 * a commit names its branch. Returns the bare repository's path.
 */
export function makeGitRepository(dir: string, name: string, commits: TestCommit[]): string {
  const work = join(dir, `${name}-work`);
  mkdirSync(work, { recursive: true });
  git(work, ['init', '-q']);
  for (const c of commits) {
    if (c.branch !== undefined) git(work, ['checkout', '-q', '-B', c.branch]);
    writeTree(work, c.files);
    for (const [path, target] of Object.entries(c.symlinks ?? {})) sh('ln', ['-sfn', target, join(work, path)]);
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', Object.keys(c.files).join(' ') || 'links']);
    if (c.tag !== undefined) git(work, ['tag', c.tag]);
  }
  git(work, ['checkout', '-q', 'main']);
  const bare = join(dir, `${name}.git`);
  git(dir, ['clone', '-q', '--bare', work, bare]);
  return bare;
}

async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`git daemon exited ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`git daemon did not listen on ${port}`);
}

/** Starts `git daemon` exporting every repository under `dir` (as `git://…/NAME.git`). */
export async function startGitServer(dir: string): Promise<GitServer> {
  const port = await freePort();
  // `git daemon` runs git-daemon as a child of its own: the whole process group is stopped.
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${dir}`, '--listen=127.0.0.1', `--port=${port}`, dir], { stdio: 'ignore', detached: true });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', stop);
  await listening(port, child);
  return { base: `git://127.0.0.1:${port}`, stop };
}
