import type { Channel, Message } from 'amqplib';

type DeliveryState = 'held' | 'done' | 'settled';

/**
 * Acks one channel's deliveries in batches. Handlers finish roughly in delivery order, so a single
 * `ack(multiple)` settles the run of finished deliveries at the head of the channel, where one ack
 * frame per message made the broker apply one settle command per message to the quorum queue (and
 * the client write one frame per message). A finished delivery behind one still running is acked
 * on its own at the same flush, so a slow handler never holds the others' prefetch slots.
 *
 * Flushes run on `setImmediate`: every handler that finished in this turn of the event loop shares one.
 */
export class AckBatcher {
  /** Outstanding delivery tags in the order the channel handed them over (tags only grow). */
  private tags: number[] = [];
  private readonly state = new Map<number, DeliveryState>();
  private scheduled = false;

  constructor(
    private readonly ch: Channel,
    private readonly onAckFailed: (err: unknown) => void,
  ) {}

  /** Every delivery, as the channel hands it over. */
  hold(msg: Message): void {
    this.tags.push(msg.fields.deliveryTag);
    this.state.set(msg.fields.deliveryTag, 'held');
  }

  /** Its work is committed: acked at the next flush. */
  ack(msg: Message): void {
    this.mark(msg.fields.deliveryTag, 'done');
  }

  /** Rejects it now: on a quorum queue this raises the delivery count (the poison limit). A later batch skips it. */
  reject(msg: Message, requeue: boolean): void {
    this.mark(msg.fields.deliveryTag, 'settled');
    this.ch.reject(msg, requeue);
  }

  /** Nacks it now: on a quorum queue this does not raise the delivery count. A later batch skips it. */
  nack(msg: Message, requeue: boolean): void {
    this.mark(msg.fields.deliveryTag, 'settled');
    this.ch.nack(msg, false, requeue);
  }

  /** Sends what is due now; `stop` calls it before closing the channel. */
  flush(): void {
    this.scheduled = false;
    let head = 0;
    let last: number | undefined;
    for (; head < this.tags.length; head++) {
      const tag = this.tags[head]!;
      const s = this.state.get(tag);
      if (s === 'held') break;
      if (s === 'done') last = tag;
      this.state.delete(tag);
    }
    if (head > 0) this.tags = this.tags.slice(head);
    try {
      // `multiple` acks every outstanding delivery up to `last`; those rejected before are no longer outstanding.
      if (last !== undefined) this.ch.ack(tagged(last), true);
      for (const tag of this.tags) {
        if (this.state.get(tag) !== 'done') continue;
        this.ch.ack(tagged(tag), false);
        this.state.set(tag, 'settled');
      }
    } catch (err) {
      // The channel died: the broker redelivers whatever was not acked, and handlers are idempotent.
      this.onAckFailed(err);
    }
  }

  private mark(tag: number, s: DeliveryState): void {
    if (!this.state.has(tag)) return;
    this.state.set(tag, s);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

const tagged = (deliveryTag: number): Message => ({ fields: { deliveryTag } }) as Message;
