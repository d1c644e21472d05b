import type { DataSource } from 'typeorm';
import { exchangeName, messages, type RoutingKey } from '@xauth/contracts';
import type { Bus } from '../bus/bus.js';
import { publishOptions } from '../bus/envelope.js';
import { errorMessage } from '../errors.js';
import type { EntryPoint } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { OutboxRow } from './outbox.entity.js';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  /** Poll period when nothing nudges the relay. @defaultValue 500 */
  pollMs?: number;
  /** Rows claimed per round. @defaultValue 200 */
  batchSize?: number;
}

/**
 * Publishes committed outbox rows with confirms, then marks them sent. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so replicas share the work; a failed publish leaves the row for the
 * next round. `nudge()` after a commit skips the poll delay.
 */
export class OutboxRelay implements EntryPoint {
  readonly name = 'outbox-relay';
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The next round claims without reading first, and at once: something was just committed, or the last batch was full. */
  private nudged = false;
  private stopped = true;
  private readonly lag;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.lag = opts.metrics.gauge('xauth_outbox_lag_seconds', 'Age of the oldest unsent outbox row');
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
  }

  nudge(): void {
    if (this.stopped) return;
    this.nudged = true;
    // During a round the flag is enough: the round ends by scheduling the next one at once.
    if (!this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
    }, ms);
  }

  /**
   * A round after a nudge (or a full batch) claims rows at once. A poll first reads the lag, one
   * read of the unsent rows' partial index, and claims only if a row waits: an idle relay costs one
   * query a poll, not a transaction (a service spends most of its life idle, beside its Chromiums).
   */
  private async round(): Promise<void> {
    let published = 0;
    const nudged = this.nudged;
    this.nudged = false;
    try {
      if (nudged || (await this.measureLag()) > 0) {
        published = await this.publishBatch();
        await this.measureLag();
      }
    } catch (err) {
      this.opts.logger.warn('outbox relay round failed', { error: errorMessage(err) });
    }
    if (this.stopped) return;
    if (published >= (this.opts.batchSize ?? 200)) this.nudged = true;
    this.schedule(this.nudged ? 0 : (this.opts.pollMs ?? 500));
  }

  private async publishBatch(): Promise<number> {
    if (!this.opts.bus.isConnected()) return 0;
    return this.opts.dataSource.transaction(async (m) => {
      const rows = await m
        .getRepository(OutboxRow)
        .createQueryBuilder('o')
        .where('o.sent_at IS NULL')
        .orderBy('o.id')
        .limit(this.opts.batchSize ?? 200)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const results = await Promise.allSettled(rows.map((row) => this.publishRow(row)));
      const sent = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id);
      const failed = rows.filter((_, i) => results[i]!.status === 'rejected');
      if (sent.length)
        await m
          .createQueryBuilder()
          .update(OutboxRow)
          .set({ sentAt: () => 'now()', attempts: () => 'attempts + 1' })
          .whereInIds(sent)
          .execute();
      for (const row of failed) {
        const reason: unknown = (results[rows.indexOf(row)] as PromiseRejectedResult).reason;
        await m.update(OutboxRow, { id: row.id }, { attempts: row.attempts + 1, lastError: errorMessage(reason).slice(0, 500) });
      }
      if (failed.length) this.opts.logger.warn('outbox rows not confirmed; will retry', { failed: failed.length });
      return sent.length;
    });
  }

  private async publishRow(row: OutboxRow): Promise<void> {
    const type = row.type as RoutingKey;
    const kind = messages[type]?.kind ?? 'event';
    const exchange = exchangeName(this.opts.bus.namespace, kind === 'command' ? 'commands' : 'events');
    const props = publishOptions({
      type,
      source: this.opts.bus.service,
      userId: this.opts.bus.brokerUser,
      messageId: row.messageId,
      correlationId: row.correlationId,
      causationId: row.causationId ?? undefined,
      // The event happened when its row was written (a resend after a lost confirm keeps the same time).
      time: row.createdAt,
    });
    await this.opts.bus.publishRaw(exchange, row.routingKey, Buffer.from(JSON.stringify(row.payload)), props);
  }

  /** Sets the lag gauge; resolves with how many rows wait (0 when none). */
  private async measureLag(): Promise<number> {
    const [row] = await this.opts.dataSource.query<Array<{ lag: string | null; waiting: string }>>(
      'SELECT EXTRACT(EPOCH FROM (now() - min(created_at))) AS lag, count(*) AS waiting FROM outbox WHERE sent_at IS NULL',
    );
    this.lag.set(Number(row?.lag ?? 0) || 0);
    return Number(row?.waiting ?? 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
