import { openSync, writeSync, closeSync, readFileSync, rmSync, renameSync, linkSync, statSync } from 'node:fs';
import { StoreLockedError } from './errors.js';

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), to tell pid reuse. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  /** How long to wait for another holder before giving up (ms). */
  timeoutMs?: number;
}

/**
 * An exclusive lock on the store, held as a file that names its holder (`pid starttime`).
 * A lock whose holder is gone (a killed trowel) is taken over, so a crash never wedges the store.
 * Not re-entrant: take it once per operation, around the read-modify-write of metadata.
 */
export class FileLock {
  private held = false;
  private readonly owner = `${process.pid} ${processStartTime(process.pid) ?? '0'}`;

  constructor(readonly path: string) {}

  async acquire(opts: LockOptions = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let delay = 2;
    for (;;) {
      if (this.tryAcquire()) return;
      if (Date.now() > deadline) throw new StoreLockedError(this.path, this.describeHolder());
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  private tryAcquire(): boolean {
    try {
      const fd = openSync(this.path, 'wx', 0o600);
      writeSync(fd, this.owner);
      closeSync(fd);
      this.held = true;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const stale = this.staleContent();
    if (stale !== undefined) {
      // Take over: move the file aside, then make sure what we moved is the stale one we judged.
      // If a contender had meanwhile taken the lock, put its file back (link never clobbers).
      const aside = `${this.path}.stale-${process.pid}`;
      try {
        renameSync(this.path, aside);
        if (readFileSync(aside, 'utf8') !== stale) {
          try { linkSync(aside, this.path); } catch { /* a third process holds it now */ }
        }
        rmSync(aside, { force: true });
      } catch {
        /* someone else took it over first */
      }
    }
    return false;
  }

  /** The lock file's content if its holder is gone, else undefined. */
  private staleContent(): string | undefined {
    let content: string;
    try {
      content = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const [pidText, start] = content.split(' ');
    const pid = Number(pidText);
    // An empty file is a holder killed between create and write.
    if (!pid) {
      // Empty for a moment between create and write; stale only once that moment is long past.
      try {
        return Date.now() - statSync(this.path).mtimeMs > 2000 ? content : undefined;
      } catch {
        return undefined;
      }
    }
    const now = processStartTime(pid);
    const gone = now === undefined || (start !== undefined && start !== '0' && now !== start);
    return gone ? content : undefined;
  }

  private describeHolder(): string {
    try {
      return `process ${readFileSync(this.path, 'utf8').split(' ')[0]}`;
    } catch {
      return 'another process';
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    rmSync(this.path, { force: true });
  }

  /** Runs `fn` with the lock held, releasing it however `fn` ends. */
  async with<T>(fn: () => Promise<T> | T, opts?: LockOptions): Promise<T> {
    await this.acquire(opts);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
