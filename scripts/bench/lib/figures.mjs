// What every benchmark here computes the same way: quantiles, medians of rounds, run order.

/** The p-quantile (0..1) of numbers (nearest rank; the input is not changed). */
export function quantile(xs, p) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The middle value; of an even count, the mean of the two middle ones (of two rounds, their mean, not the higher). */
export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The two sides in the order of this run: alternating, so neither always runs on a warmer machine. */
export const alternate = (run, sides) => (run % 2 ? sides : [...sides].reverse());
