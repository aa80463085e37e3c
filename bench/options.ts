import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../oci/error.js';

/** The bench's command line, with defaults filled in. */
export interface BenchOptions {
  quick: boolean;
  /** Factor on every file count and size: 1, or QUICK_SCALE with --quick. */
  scale: number;
  /** Scenario ids or substrings of ids; empty means all. */
  only: string[];
  warmup: number;
  runs: number;
  /** Write the markdown report (default: when no --only filter is given). */
  write: boolean;
  out: string;
  keep: boolean;
  list: boolean;
  help: boolean;
}

/**
 * --quick's factor on input sizes. Small enough that the whole quick run, both tools,
 * stays under 3 minutes on a 2-CPU machine; large enough that per-file costs still show.
 */
export const QUICK_SCALE = 0.05;

export const USAGE = `usage: npm run bench -- [options]

  --quick            inputs at 1/20 size, 1 warm-up + 3 runs (under 3 minutes)
  --only ID[,ID]     run only scenarios whose id contains one of these (repeatable)
  --runs N           timed runs per tool (default 5, quick 3)
  --warmup N         untimed warm-up runs per tool (default 1)
  --write            write the report even with --only
  --no-write         do not write the report
  --out FILE         report path (default docs/BENCHMARKS.md)
  --keep             keep the scratch directory (for inspection)
  --list             list the scenarios and exit
  -h, --help         this text`;

function count(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`parse --${name}: expected an integer >= ${min}, got "${v}"`);
  return n;
}

/** Parses the bench's arguments; throws InvalidArgumentError on anything it does not know. */
export function parseBenchArgs(argv: readonly string[], defaultOut: string): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        write: { type: 'boolean' },
        'no-write': { type: 'boolean' },
        out: { type: 'string' },
        keep: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new InvalidArgumentError(`parse bench arguments: ${(err as Error).message}`);
  }
  const v = parsed.values;
  const only = (v.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (v.write && v['no-write']) throw new InvalidArgumentError('parse bench arguments: --write and --no-write together');
  return {
    quick: v.quick ?? false,
    scale: v.quick ? QUICK_SCALE : 1,
    only,
    warmup: count('warmup', v.warmup, 1, 0),
    runs: count('runs', v.runs, v.quick ? 3 : 5, 1),
    write: v['no-write'] ? false : v.write ?? only.length === 0,
    out: v.out ?? defaultOut,
    keep: v.keep ?? false,
    list: v.list ?? false,
    help: v.help ?? false,
  };
}

/** Scenarios selected by --only (all when empty); an unmatched filter is an error. */
export function selectScenarios<T extends { id: string }>(all: readonly T[], only: readonly string[]): T[] {
  if (only.length === 0) return [...all];
  for (const f of only) {
    if (!all.some((s) => s.id.includes(f))) {
      throw new InvalidArgumentError(`select scenario "${f}": no such scenario (try --list)`);
    }
  }
  return all.filter((s) => only.some((f) => s.id.includes(f)));
}
