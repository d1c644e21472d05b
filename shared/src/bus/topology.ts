import type { Channel } from 'amqplib';
import {
  DEAD_LETTER_QUEUE, exchangeName, exchanges, queueName, retryQueueName, workQueues,
  deadLetterQueueArguments, obsoleteQueueBindings, queueBindings, retryQueueArguments, workQueueArguments, type ExchangeRole,
} from '@xauth/contracts';

/** Declares the whole topology of a namespace from the contracts; idempotent, run after every (re)connect. */
export async function assertTopology(ch: Channel, namespace: string, retryTiersMs: readonly number[]): Promise<void> {
  for (const [role, ex] of Object.entries(exchanges)) {
    await ch.assertExchange(exchangeName(namespace, role as ExchangeRole), ex.type, { durable: true });
  }
  const dlq = queueName(namespace, DEAD_LETTER_QUEUE);
  await ch.assertQueue(dlq, { durable: true, arguments: deadLetterQueueArguments() });
  await ch.bindQueue(dlq, exchangeName(namespace, 'dlx'), '#');
  for (const [purpose, q] of Object.entries(workQueues)) {
    const name = queueName(namespace, purpose);
    await ch.assertQueue(name, { durable: true, arguments: workQueueArguments(namespace, q.deliveryLimit) });
    for (const b of queueBindings(q)) await ch.bindQueue(name, exchangeName(namespace, b.exchange), b.pattern);
    for (const b of obsoleteQueueBindings(q)) await ch.unbindQueue(name, exchangeName(namespace, b.exchange), b.pattern);
    for (const tier of retryTiersMs) {
      const rq = retryQueueName(namespace, purpose, tier);
      await ch.assertQueue(rq, { durable: true, arguments: retryQueueArguments(namespace, purpose, tier) });
      await ch.bindQueue(rq, exchangeName(namespace, 'retry'), rq);
    }
  }
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
