import type { Descriptor } from '../oci/descriptor.js';
import { humanSize } from './human.js';

/** What pull and push report as they go. */
export interface Progress {
  /** A buildah progress line (`Copying blob sha256:…`, `Writing manifest to image destination`). */
  line(text: string): void;
  /** `n` more bytes of a blob have moved. */
  bytes(desc: Descriptor, n: number): void;
}

/** The part of a stream progress writes to (process.stderr, or a test's recorder). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const BLOB_LINE = /^Copying (blob|config) (sha256:[0-9a-f]{64})$/;
const BAR_WIDTH = 30;

/**
 * Progress as buildah shows it: nothing with `quiet`; plain lines when `stream` is not a
 * terminal (CI logs); on a terminal, one bar per blob being copied, redrawn in place below the
 * other lines (at most every 100 ms, and when a blob completes).
 */
export function createProgress(opts: { quiet?: boolean; stream?: ProgressStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { line: () => {}, bytes: () => {} };
  if (!stream.isTTY) return { line: (text) => void stream.write(text + '\n'), bytes: () => {} };

  const bars = new Map<string, { label: string; total: number; done: number }>();
  let drawn = 0;
  let lastDraw = 0;
  const render = (): void => {
    let out = drawn > 0 ? `\x1b[${drawn}A\x1b[J` : '';
    for (const [digest, b] of bars) {
      const frac = b.total > 0 ? Math.min(1, b.done / b.total) : 0;
      const fill = Math.round(frac * BAR_WIDTH);
      const bar = fill >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : '='.repeat(fill) + '>' + ' '.repeat(BAR_WIDTH - fill - 1);
      out += `Copying ${b.label} ${digest.slice(7, 19)} [${bar}] ${humanSize(b.done)} / ${humanSize(b.total)}\n`;
    }
    stream.write(out);
    drawn = bars.size;
    lastDraw = Date.now();
  };
  return {
    line(text) {
      const m = BLOB_LINE.exec(text);
      if (m && !bars.has(m[2]!)) {
        bars.set(m[2]!, { label: m[1]!, total: 0, done: 0 });
        render();
        return;
      }
      if ([...bars.values()].every((b) => b.total > 0 && b.done >= b.total)) {
        // Every bar is complete: they stay where they are and the line follows them.
        bars.clear();
        drawn = 0;
        stream.write(text + '\n');
        return;
      }
      // Other lines go above the bars still moving, which are drawn again below them.
      stream.write((drawn > 0 ? `\x1b[${drawn}A\x1b[J` : '') + text + '\n');
      drawn = 0;
      render();
    },
    bytes(desc, n) {
      const b = bars.get(desc.digest);
      if (!b) return;
      b.total = desc.size;
      b.done += n;
      if (b.done >= b.total || Date.now() - lastDraw >= 100) render();
    },
  };
}
