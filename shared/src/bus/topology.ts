import type { Channel } from 'amqplib';
import {
  DEAD_LETTER_QUEUE,
  exchangeName,
  exchanges,
  queueName,
  retryQueueName,
  workQueues,
  isServiceName,
  serviceAccess,
  deadLetterQueueArguments,
  obsoleteQueueBindings,
  queueBindings,
  retryQueueArguments,
  workQueueArguments,
  type ExchangeRole,
} from '@xauth/contracts';

export interface TopologyOptions {
  /** `x-quorum-initial-group-size` of the quorum queues it creates. @defaultValue unset: the broker's default */
  quorumGroupSize?: number;
  /**
   * The xauth service declaring: it declares only its part (the exchanges it publishes to or binds
   * from, its own queues), which is all its broker user may configure. Any other name (a test, a
   * tool with an administrator's user) declares the whole topology. @defaultValue the whole topology
   */
  service?: string;
}

/** What one declarer declares: exchange roles, whether the dead-letter queue, which work queues. */
function partOf(service: string | undefined): { exchanges: ExchangeRole[]; deadLetterQueue: boolean; workQueues: string[] } {
  if (service !== undefined && isServiceName(service)) {
    const a = serviceAccess(service);
    return { exchanges: a.declares, deadLetterQueue: a.deadLetterQueue, workQueues: a.workQueues };
  }
  return { exchanges: Object.keys(exchanges) as ExchangeRole[], deadLetterQueue: true, workQueues: Object.keys(workQueues) };
}

interface ChannelSource {
  createChannel(): Promise<Channel>;
}

const GROUP_SIZE_ARG = 'x-quorum-initial-group-size';

/**
 * Declares the topology of a namespace from the contracts (a service's part of it, see
 * `TopologyOptions.service`) on a channel of its own; idempotent, run after every (re)connect. Returns the queues kept as they are: quorum queues that exist with
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
  const part = partOf(opts.service);
  for (const role of part.exchanges) {
    await ch.assertExchange(exchangeName(namespace, role), exchanges[role].type, { durable: true });
  }
  if (part.deadLetterQueue) {
    const dlq = queueName(namespace, DEAD_LETTER_QUEUE);
    await assertQuorum(dlq, deadLetterQueueArguments());
    await ch.bindQueue(dlq, exchangeName(namespace, 'dlx'), '#');
  }
  for (const purpose of part.workQueues) {
    const q = workQueues[purpose as keyof typeof workQueues];
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
