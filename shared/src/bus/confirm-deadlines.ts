/** One publish waiting for its confirm; `settle` says whether this call was the one that settled it. */
export interface ConfirmWait {
  settle(): boolean;
}

/**
 * The deadlines of publishes waiting for their broker confirm, on one timer: a timer per publish
 * cost about 1 µs each on the bus's hot path (scripts/bench/bus.mjs). Deadlines are checked every
 * `resolutionMs` while something waits, so a publish fails at most that long after its deadline.
 */
export class ConfirmDeadlines {
  private readonly waiting = new Set<Waiting>();
  private timer?: NodeJS.Timeout;

  /** @param resolutionMs how often deadlines are checked. @defaultValue 100 */
  constructor(private readonly resolutionMs = 100) {}

  /** Calls `onExpire` once `deadline` (epoch ms) passes, unless the wait is settled first. */
  wait(deadline: number, onExpire: () => void): ConfirmWait {
    const w = new Waiting(deadline, onExpire, this);
    this.waiting.add(w);
    this.timer ??= setInterval(() => this.sweep(), this.resolutionMs);
    return w;
  }

  /** How many publishes wait for their confirm. */
  get size(): number {
    return this.waiting.size;
  }

  /** @internal */
  forget(w: Waiting): void {
    this.waiting.delete(w);
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const w of this.waiting) if (w.deadline <= now) w.expire();
  }
}

class Waiting implements ConfirmWait {
  private settled = false;

  constructor(
    readonly deadline: number,
    private readonly onExpire: () => void,
    private readonly owner: ConfirmDeadlines,
  ) {}

  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.owner.forget(this);
    return true;
  }

  expire(): void {
    if (this.settle()) this.onExpire();
  }
}
