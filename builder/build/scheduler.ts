/**
 * Runs build stages as their dependencies allow: a stage starts once every stage it depends on
 * has finished, with at most `jobs` stages running at once. The first failure aborts the rest
 * (they stop after their current step) and is the error reported; later failures are dropped.
 */

/** A stage to schedule. */
export interface ScheduledStage {
  index: number;
  dependsOn: readonly number[];
}

/**
 * Runs `run` for every stage; resolves with each stage's result by index.
 * @param abort called once with the first error, so running stages can stop early
 */
export async function runScheduled<T>(
  stages: readonly ScheduledStage[],
  jobs: number,
  run: (index: number) => Promise<T>,
  abort: (reason: unknown) => void,
): Promise<Map<number, T>> {
  const results = new Map<number, T>();
  const done = new Map<number, Promise<T>>();
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (running < jobs) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  let firstError: { error: unknown } | undefined;
  const byIndex = new Map(stages.map((s) => [s.index, s]));
  const start = (index: number): Promise<T> => {
    const existing = done.get(index);
    if (existing) return existing;
    const s = byIndex.get(index);
    if (!s) return Promise.reject(new Error(`schedule stage ${index}: not in the build`));
    const p = (async () => {
      await Promise.all(s.dependsOn.filter((d) => byIndex.has(d)).map(start));
      await acquire();
      try {
        if (firstError) throw firstError.error;
        const r = await run(index);
        results.set(index, r);
        return r;
      } catch (e) {
        if (!firstError) {
          firstError = { error: e };
          abort(e);
        }
        throw e;
      } finally {
        release();
      }
    })();
    done.set(index, p);
    return p;
  };
  await Promise.allSettled(stages.map((s) => start(s.index)));
  if (firstError) throw firstError.error;
  return results;
}
