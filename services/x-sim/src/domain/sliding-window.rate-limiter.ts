/** Counts hits in a sliding window; `hit` says whether this one is still within the limit. */
export class SlidingWindowRateLimiter {
  private hits: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hit(): boolean {
    const t = this.now();
    this.hits = this.hits.filter((h) => h > t - this.windowMs);
    this.hits.push(t);
    return this.hits.length <= this.limit;
  }

  reset(): void {
    this.hits = [];
  }
}
