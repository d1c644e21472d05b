import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';

/**
 * Caps the client secret checks running at once: each is a 128 MiB scrypt on libuv's thread pool, so
 * unbounded, wrong secrets alone could exhaust the gateway's memory and threads. Up to `maxRunning`
 * run, up to `maxWaiting` wait their turn in order, and beyond that a check is refused at once with
 * 503 AUTH_BUSY (Retry-After 1 s): a flood costs the attacker requests, not the gateway memory.
 */
export class SecretCheckGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxRunning) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AppError({
          code: ErrorCodes.AUTH_BUSY,
          message: 'too many client secret checks at once; retry shortly',
          httpStatus: 503,
          retryable: true,
          retryAfterMs: 1_000,
        });
      }
      // The slot is handed over by the finishing check, so `running` never dips and lets a newcomer pass.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await check();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Checks running and waiting now (for metrics and tests). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
