import { errorMessage, type EntryPoint, type Logger } from '@xauth/shared';

/** Runs `work` now and then every `everyMs`, never overlapping itself; stop waits for the round in progress. */
export class IntervalJob implements EntryPoint {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;
  private stopped = false;

  constructor(readonly name: string, private readonly everyMs: number, private readonly work: () => Promise<unknown>, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.tick();
  }

  private tick(): void {
    this.current = this.work()
      .then(() => undefined, (err: unknown) => { this.logger.warn(`${this.name} failed; will run again`, { error: errorMessage(err) }); })
      .finally(() => {
        this.current = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.everyMs);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
