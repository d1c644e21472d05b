import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';

interface Consumer {
  prefetch: number;
  held: number;
  active: boolean;
}

/**
 * The consumers one subscription keeps on its channel, so that its prefetch can change while it runs.
 *
 * RabbitMQ fixes a consumer's prefetch (`basic.qos`, global=false) when the consumer starts: a later
 * `basic.qos` leaves running consumers alone (checked on RabbitMQ 3.10, quorum and classic queues), and
 * quorum queues refuse the per-channel (global) kind. So the limit is kept as a sum: each active consumer
 * may hold its prefetch, each cancelled one holds what it had when cancelled until that is settled
 * (its deliveries stay ackable on the channel). Growing adds a consumer for the difference; shrinking
 * cancels the active consumers and, as their deliveries settle, adds one for the room that opens. The
 * deliveries held never exceed the limit once they have fallen to it; there are at most `limit`
 * consumers, each with prefetch >= 1.
 */
export class ConsumerSet {
  private readonly consumers = new Map<string, Consumer>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ch: Channel,
    private readonly queue: string,
    private limit: number,
    private readonly hooks: {
      onMessage(msg: ConsumeMessage): void;
      /** Sends the acks already due, so the broker counts them settled before a new consumer starts. */
      flushAcks(): void;
      onError(err: unknown): void;
    },
  ) {}

  /** Deliveries that may be held now: active consumers' prefetch plus what cancelled ones still hold. */
  get capacity(): number {
    let sum = 0;
    for (const c of this.consumers.values()) sum += c.active ? c.prefetch : c.held;
    return sum;
  }

  get size(): number {
    return this.consumers.size;
  }

  start(): Promise<void> {
    return this.adjust();
  }

  setLimit(n: number): Promise<void> {
    this.limit = n;
    return this.adjust();
  }

  /** A delivery of this channel was acked or rejected. */
  settled(msg: ConsumeMessage): void {
    const c = this.consumers.get(msg.fields.consumerTag);
    if (!c) return;
    c.held--;
    if (c.active) return;
    if (c.held <= 0) this.consumers.delete(msg.fields.consumerTag);
    if (this.capacity < this.limit) void this.adjust();
  }

  /** Stops every consumer; what they hold stays ackable until the channel closes. */
  async cancelAll(): Promise<void> {
    this.closed = true;
    await this.chain;
    for (const [tag, c] of this.consumers) {
      if (!c.active) continue;
      c.active = false;
      await this.ch.cancel(tag);
    }
  }

  /** One change at a time: channel RPCs in order. */
  private adjust(): Promise<void> {
    this.chain = this.chain.then(() => this.reconcile()).catch((err: unknown) => this.hooks.onError(err));
    return this.chain;
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    if (this.capacity > this.limit) {
      for (const [tag, c] of this.consumers) {
        if (!c.active) continue;
        c.active = false;
        if (c.held <= 0) this.consumers.delete(tag);
        await this.ch.cancel(tag);
      }
    }
    const room = this.limit - this.capacity;
    if (room <= 0) return;
    this.hooks.flushAcks();
    await this.ch.prefetch(room);
    // Our own tag, registered before any delivery can name it.
    const consumerTag = `xauth-${randomUUID()}`;
    const c: Consumer = { prefetch: room, held: 0, active: true };
    this.consumers.set(consumerTag, c);
    await this.ch.consume(
      this.queue,
      (msg) => {
        if (!msg) return;
        c.held++;
        this.hooks.onMessage(msg);
      },
      { noAck: false, consumerTag },
    );
  }
}
