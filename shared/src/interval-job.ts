import { errorMessage } from './errors.js';
import type { EntryPoint } from './lifecycle.js';
import type { Logger } from './logger.js';

export interface IntervalJobOptions {
  /** Run once right at start. @defaultValue true */
  runAtStart?: boolean;
  /** After a failed round, try again this soon instead of waiting `everyMs`. @defaultValue min(everyMs, 10 s) */
  retryMs?: number;
}

/** Runs `work` every `everyMs` (and at start), never overlapping itself; stop waits for the round in progress. */
export class IntervalJob implements EntryPoint {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly opts: IntervalJobOptions = {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    if (this.opts.runAtStart === false) this.schedule(this.everyMs);
    else this.tick();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.current = this.work()
      .then(
        () => this.everyMs,
        (err: unknown) => {
          const retryMs = this.opts.retryMs ?? Math.min(this.everyMs, 10_000);
          this.logger.warn(`${this.name} failed; will run again`, { error: errorMessage(err), retryInMs: retryMs });
          return retryMs;
        },
      )
      .then((next) => {
        this.current = undefined;
        this.schedule(next);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
