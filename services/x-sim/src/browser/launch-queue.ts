/**
 * At most `limit` Chromium launches at once; the others wait their turn in arrival order. A start
 * that waits here is only slower, as a busy GoLogin is, instead of failing on x-sim's own timeouts.
 */
export class LaunchQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`launch concurrency must be a positive integer, got ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active += 1;
    // A released slot is handed straight to the next waiter, so `active` never dips in between.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
