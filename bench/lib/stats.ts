/** Small helpers the benchmarks share: percentiles and number formatting. */

/** The p-th percentile (nearest rank) of `samples`. */
export function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function median(samples: number[]): number {
  return pct(samples, 50);
}

/** Milliseconds with two decimals under 10, whole above. */
export function fmt(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : 0);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
