import type { Channel, ConsumeMessage } from 'amqplib';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { AckBatcher } from './ack-batcher.js';
import type { Attachable, ChannelSource } from './bus-context.js';
import { InFlight } from './signal.js';

/** Takes one delivery as it came; resolving acks it, throwing gives it back to the queue. */
export type RawHandler = (msg: ConsumeMessage) => Promise<void>;

export interface RawConsumerOptions {
  /** Unacked deliveries held at once. */
  prefetch: number;
  /** How long a failed delivery is held before it goes back to the queue, so a broken dependency is not hammered. @defaultValue 1000 */
  failureDelayMs?: number;
}

/**
 * A consumer for queues that are not work queues (the dead-letter office takes every type as it
 * is): no envelope, schema or failure policy. Ack after the handler resolved (its work committed);
 * a failure is `nack`ed back to the queue after a pause, never dropped: `nack` does not raise a
 * quorum queue's delivery count, so a message whose handler cannot commit waits, it is not lost.
 */
export class RawConsumer implements Attachable {
  private ch?: Channel;
  private acks?: AckBatcher;
  private consumerTag?: string;
  private readonly inFlight = new InFlight();
  private stopped = false;
  private readonly failureDelayMs: number;

  constructor(
    readonly queue: string,
    private readonly handler: RawHandler,
    private readonly opts: RawConsumerOptions,
    private readonly logger: Logger,
    private readonly onStopped: () => void,
  ) {
    this.failureDelayMs = opts.failureDelayMs ?? 1_000;
  }

  async attach(source: ChannelSource): Promise<void> {
    if (this.stopped) return;
    const ch = await source.createChannel();
    ch.on('error', (err: Error) => this.logger.warn('consumer channel error', { queue: this.queue, error: errorMessage(err) }));
    await ch.prefetch(this.opts.prefetch);
    const acks = new AckBatcher(ch, (err) => this.logger.warn('could not ack; the broker will redeliver', { queue: this.queue, error: errorMessage(err) }));
    const { consumerTag } = await ch.consume(
      this.queue,
      (msg) => {
        if (!msg) return;
        acks.hold(msg);
        void this.onDelivery(acks, msg);
      },
      { noAck: false },
    );
    this.ch = ch;
    this.acks = acks;
    this.consumerTag = consumerTag;
  }

  private async onDelivery(acks: AckBatcher, msg: ConsumeMessage): Promise<void> {
    this.inFlight.enter();
    try {
      await this.handler(msg);
      acks.ack(msg);
    } catch (err) {
      this.logger.error('could not take a delivery; returning it to the queue', { queue: this.queue, error: errorMessage(err) });
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.failureDelayMs));
      try {
        acks.nack(msg, true);
      } catch {
        /* channel gone: the broker redelivers anyway */
      }
    } finally {
      this.inFlight.leave();
    }
  }

  /** Stops taking deliveries, waits (bounded) for those in flight, closes the channel. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.ch && this.consumerTag) await this.ch.cancel(this.consumerTag);
    } catch {
      /* channel already closed */
    }
    if (!(await this.inFlight.drained(timeoutMs))) {
      this.logger.warn('stop timed out with deliveries in flight', { queue: this.queue, inFlight: this.inFlight.count });
    }
    this.acks?.flush();
    try {
      await this.ch?.close();
    } catch {
      /* already closed */
    }
    this.onStopped();
  }
}
