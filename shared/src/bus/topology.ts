import type { Channel } from 'amqplib';
import {
  DEAD_LETTER_QUEUE, exchangeName, exchanges, queueName, retryQueueName, workQueues,
  deadLetterQueueArguments, obsoleteQueueBindings, queueBindings, retryQueueArguments, workQueueArguments, type ExchangeRole,
} from '@xauth/contracts';

export interface TopologyOptions {
  /** `x-quorum-initial-group-size` of the quorum queues it creates. @defaultValue unset: the broker's default */
  quorumGroupSize?: number;
}

interface ChannelSource { createChannel(): Promise<Channel> }

const GROUP_SIZE_ARG = 'x-quorum-initial-group-size';

/**
 * Declares the whole topology of a namespace from the contracts on a channel of its own; idempotent,
 * run after every (re)connect. Returns the queues kept as they are: quorum queues that exist with
 * another initial group size (RabbitMQ 3.10 compares that argument on a redeclare although it only
 * applies at creation), and retry tiers an earlier version created as classic queues (they work on
 * one broker; on a cluster, delete them once empty and reconnect).
 */
export async function assertTopology(source: ChannelSource, namespace: string, retryTiersMs: readonly number[], opts: TopologyOptions = {}): Promise<string[]> {
  let ch = await source.createChannel();
  ch.on('error', () => undefined); // a refused declare closes the channel; the declare's own promise carries the error
  const kept: string[] = [];
  /** Declares a quorum queue; one that exists differing only in an argument named in `tolerated` is kept as it is. */
  const assertQuorum = async (name: string, args: Record<string, unknown>, ...tolerated: string[]) => {
    const withSize = opts.quorumGroupSize === undefined ? args : { ...args, [GROUP_SIZE_ARG]: opts.quorumGroupSize };
    try {
      await ch.assertQueue(name, { durable: true, arguments: withSize });
    } catch (err) {
      const keep = [...tolerated, GROUP_SIZE_ARG];
      if (!(err instanceof Error) || !keep.some((arg) => err.message.includes(`inequivalent arg '${arg}'`))) throw err;
      ch = await source.createChannel();
      ch.on('error', () => undefined);
      await ch.checkQueue(name);
      kept.push(name);
    }
  };
  for (const [role, ex] of Object.entries(exchanges)) {
    await ch.assertExchange(exchangeName(namespace, role as ExchangeRole), ex.type, { durable: true });
  }
  const dlq = queueName(namespace, DEAD_LETTER_QUEUE);
  await assertQuorum(dlq, deadLetterQueueArguments());
  await ch.bindQueue(dlq, exchangeName(namespace, 'dlx'), '#');
  for (const [purpose, q] of Object.entries(workQueues)) {
    const name = queueName(namespace, purpose);
    await assertQuorum(name, workQueueArguments(namespace, q.deliveryLimit));
    for (const b of queueBindings(q)) await ch.bindQueue(name, exchangeName(namespace, b.exchange), b.pattern);
    for (const b of obsoleteQueueBindings(q)) await ch.unbindQueue(name, exchangeName(namespace, b.exchange), b.pattern);
    for (const tier of retryTiersMs) {
      const rq = retryQueueName(namespace, purpose, tier);
      await assertQuorum(rq, retryQueueArguments(namespace, purpose, tier), 'x-queue-type', 'x-dead-letter-strategy', 'x-overflow');
      await ch.bindQueue(rq, exchangeName(namespace, 'retry'), rq);
    }
  }
  await ch.close();
  return kept;
}

/** Removes a namespace's queues and exchanges (tests clean up their own namespace). */
export async function deleteTopology(ch: Channel, namespace: string, retryTiersMs: readonly number[]): Promise<void> {
  for (const purpose of Object.keys(workQueues)) {
    await ch.deleteQueue(queueName(namespace, purpose));
    for (const tier of retryTiersMs) await ch.deleteQueue(retryQueueName(namespace, purpose, tier));
  }
  await ch.deleteQueue(queueName(namespace, DEAD_LETTER_QUEUE));
  for (const role of Object.keys(exchanges)) await ch.deleteExchange(exchangeName(namespace, role as ExchangeRole));
}
