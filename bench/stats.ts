/** Median, min and max of a non-empty sample. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Summarises samples; the median of an even count is the mean of the middle two.
 * Throws RangeError on an empty sample (a caller bug, not user input).
 */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** trowel/buildah as a ratio of medians; undefined when either side has no figure. */
export function ratio(trowel: number | undefined, buildah: number | undefined): number | undefined {
  if (trowel === undefined || buildah === undefined || buildah <= 0) return undefined;
  return trowel / buildah;
}
