/**
 * A wake-up many callers can wait for, each bounded in time: `wait` resolves true at the next
 * `fire`, false when its timeout passes first. Unlike an EventEmitter it has no listener limit to
 * raise for thousands of waiters, and it counts them (`waiting`), which the publish backpressure reads.
 */
export class Signal {
  private readonly waiters = new Set<() => void>();

  get waiting(): number {
    return this.waiters.size;
  }

  /** Wakes everyone waiting now. */
  fire(): void {
    if (this.waiters.size) for (const wake of [...this.waiters]) wake();
  }

  /** @param timeoutMs how long to wait at most; without it, until the next `fire`. */
  wait(timeoutMs?: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (fired: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(fired);
      };
      const wake = () => done(true);
      if (timeoutMs !== undefined) timer = setTimeout(() => done(false), Math.max(1, timeoutMs));
      this.waiters.add(wake);
    });
  }
}

/** The deliveries a consumer is working on, and a bounded wait for none to be left (a drain on stop). */
export class InFlight {
  private n = 0;
  private readonly idle = new Signal();

  get count(): number {
    return this.n;
  }

  enter(): void {
    this.n++;
  }

  leave(): void {
    this.n--;
    if (this.n === 0) this.idle.fire();
  }

  /** Resolves true once nothing is in flight, false when `timeoutMs` passes first. */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.n > 0) {
      if (!(await this.idle.wait(deadline - Date.now()))) return false;
    }
    return true;
  }
}
