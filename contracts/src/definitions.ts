import { brokerUserDefinitions, escapeRegex } from './broker-access.js';
import {
  DEAD_LETTER_QUEUE,
  RETRY_TIERS_MS,
  exchangeName,
  exchanges,
  queueBindings,
  queueName,
  retryQueueName,
  workQueues,
  type ExchangeRole,
} from './topology.js';

/** Queue arguments of a work queue: quorum, poison limit, at-least-once dead-lettering to the DLX. */
export function workQueueArguments(namespace: string, deliveryLimit: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': exchangeName(namespace, 'dlx'),
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

export function deadLetterQueueArguments(): Record<string, unknown> {
  return { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish' };
}

/**
 * Queue arguments of a retry tier: a quorum queue too (RabbitMQ 3.10 keeps message TTL on quorum
 * queues), so a retry survives a node and no tier lives on one node only: a classic queue whose node
 * is down refuses the declare, and with it every service's reconnect to the rest of a cluster.
 */
export function retryQueueArguments(namespace: string, purpose: string, tierMs: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    'x-message-ttl': tierMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queueName(namespace, purpose),
  };
}

/**
 * The whole topology in RabbitMQ's definitions format (for `rabbitmqctl import_definitions`), with
 * each service's user and its permissions on exactly this namespace. The users carry no password:
 * they cannot log in until the operator sets one (`rabbitmqctl change_password`), and an import
 * clears the password of a user that exists already.
 */
export function rabbitDefinitions(namespace = 'xauth', vhost = '/') {
  const ex = Object.entries(exchanges).map(([role, e]) => ({
    name: exchangeName(namespace, role as ExchangeRole),
    vhost,
    type: e.type,
    durable: true,
    auto_delete: false,
    internal: false,
    arguments: {},
  }));
  const queues: object[] = [];
  const bindings: object[] = [];
  const bind = (source: string, destination: string, routing_key: string) =>
    bindings.push({ source, vhost, destination, destination_type: 'queue', routing_key, arguments: {} });
  for (const [purpose, q] of Object.entries(workQueues)) {
    const name = queueName(namespace, purpose);
    queues.push({ name, vhost, durable: true, auto_delete: false, arguments: workQueueArguments(namespace, q.deliveryLimit) });
    for (const b of queueBindings(q)) bind(exchangeName(namespace, b.exchange), name, b.pattern);
    for (const tier of RETRY_TIERS_MS) {
      const rq = retryQueueName(namespace, purpose, tier);
      queues.push({ name: rq, vhost, durable: true, auto_delete: false, arguments: retryQueueArguments(namespace, purpose, tier) });
      bind(exchangeName(namespace, 'retry'), rq, rq);
    }
  }
  const dlq = queueName(namespace, DEAD_LETTER_QUEUE);
  queues.push({ name: dlq, vhost, durable: true, auto_delete: false, arguments: deadLetterQueueArguments() });
  bind(exchangeName(namespace, 'dlx'), dlq, '#');
  return { ...brokerUserDefinitions({ vhost, namespacePattern: escapeRegex(namespace), topicNamespaces: [namespace] }), exchanges: ex, queues, bindings };
}
