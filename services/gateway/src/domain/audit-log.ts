import type { AuditOutcome } from '@xauth/contracts';
import { errorMessage, type Logger } from '@xauth/shared';

/** One line of the audit: who did what to which account or object, when, and how it ended. */
export interface AuditRecord {
  at: Date;
  clientId: string | null;
  action: string;
  route: string;
  accountId: string | null;
  app: string | null;
  target: string | null;
  status: number;
  outcome: AuditOutcome;
  requestId: string | null;
}

export interface AuditStore {
  insert(records: readonly AuditRecord[]): Promise<void>;
}

export interface AuditLogOptions {
  /** Flush at least this often. */
  flushMs: number;
  /** Rows per insert; a full batch is flushed at once. */
  batchSize: number;
  /** Rows held at most (waiting for the database); beyond, new rows are dropped and counted. */
  maxBuffered: number;
}

/**
 * The audit's write side, off the request path: `record` only pushes onto an in-memory buffer,
 * which is written in batches every `flushMs` or every `batchSize` rows. The buffer is bounded:
 * while the database is away rows wait, and past `maxBuffered` new ones are dropped (`onDrop`
 * counts them). A stop flushes what is held; a crash loses at most what was not flushed yet
 * (one `flushMs` of requests, or what waited for an absent database).
 */
export class AuditLog {
  private buffer: AuditRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly opts: AuditLogOptions,
    private readonly deps: { store: AuditStore; logger: Logger; onDrop(n: number): void },
  ) {}

  get buffered(): number {
    return this.buffer.length;
  }

  record(record: AuditRecord): void {
    if (this.buffer.length >= this.opts.maxBuffered) return this.deps.onDrop(1);
    this.buffer.push(record);
    if (this.buffer.length >= this.opts.batchSize && !this.flushing) void this.flush();
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Writes what is held, batch by batch; rows a failed insert could not write go back to the front. */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flushing;
    await this.flush();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.flush().finally(() => this.schedule());
    }, this.opts.flushMs);
    this.timer.unref();
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.opts.batchSize);
      try {
        await this.deps.store.insert(batch);
      } catch (err) {
        this.deps.logger.warn('audit events not written yet; kept for the next flush', { error: errorMessage(err), rows: batch.length });
        this.buffer.unshift(...batch);
        const over = this.buffer.length - this.opts.maxBuffered;
        if (over > 0) {
          this.buffer.splice(this.buffer.length - over, over);
          this.deps.onDrop(over);
        }
        return;
      }
    }
  }
}
