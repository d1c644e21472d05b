import { messages, type RoutingKey } from './catalog.js';

/** Exchange roles; the real name is `<namespace>.<role>` (e.g. `xauth.commands`). */
export const exchanges = {
  commands: { type: 'topic' },
  events: { type: 'topic' },
  retry: { type: 'direct' },
  dlx: { type: 'topic' },
} as const;
export type ExchangeRole = keyof typeof exchanges;

export interface Binding {
  exchange: Extract<ExchangeRole, 'commands' | 'events'>;
  /** The routing key consumed; a repliable type also gets `<type>.#`, its targeted replies (`user.authenticated.<replyTo>`). */
  pattern: RoutingKey;
}

export interface WorkQueue {
  /** Owning service: the one logical consumer. */
  service: string;
  /** Routing keys consumed here; each needs a handler in the owning service's list. */
  consumes: readonly RoutingKey[];
  bindings: readonly Binding[];
  /** Broker-side poison limit (quorum `x-delivery-limit`): crashes and rejects count, our retries do not. */
  deliveryLimit: number;
  /** Our own retry budget (`x-attempt`), after which the consumer wrapper dead-letters. */
  maxAttempts: number;
}

/** Work queues by purpose name; the real name is `<namespace>.<key>`. */
export const workQueues = {
  'orchestrator.login-requests': {
    service: 'orchestrator',
    consumes: ['user.login.requested'],
    bindings: [{ exchange: 'commands', pattern: 'user.login.requested' }],
    deliveryLimit: 5,
    maxAttempts: 5,
  },
  'orchestrator.refresh-requests': {
    service: 'orchestrator',
    consumes: ['token.refresh.requested'],
    bindings: [{ exchange: 'commands', pattern: 'token.refresh.requested' }],
    deliveryLimit: 5,
    maxAttempts: 5,
  },
  'orchestrator.authorization-results': {
    service: 'orchestrator',
    consumes: ['authorization.job.started', 'authorization.consent.captured', 'authorization.attempt.failed'],
    bindings: [
      { exchange: 'events', pattern: 'authorization.job.started' },
      { exchange: 'events', pattern: 'authorization.consent.captured' },
      { exchange: 'events', pattern: 'authorization.attempt.failed' },
    ],
    deliveryLimit: 5,
    maxAttempts: 8,
  },
  'browser-worker.authorization-jobs': {
    service: 'browser-worker',
    consumes: ['authorization.job.requested'],
    bindings: [{ exchange: 'commands', pattern: 'authorization.job.requested' }],
    deliveryLimit: 3,
    maxAttempts: 3,
  },
} as const satisfies Record<string, WorkQueue>;
export type WorkQueueName = keyof typeof workQueues;

/** The quorum queue every dead letter ends in (`<namespace>.dead-letters`), bound to the DLX with `#`. */
export const DEAD_LETTER_QUEUE = 'dead-letters';

/**
 * Delay tiers of the retry exchange, in ms. A retried message goes to `<queue>.retry.<tier>`, a classic
 * queue whose TTL dead-letters it back to the work queue; tiers (not per-message TTLs) avoid
 * head-of-line blocking between short and long delays.
 */
export const RETRY_TIERS_MS = [1_000, 5_000, 30_000, 120_000, 600_000] as const;

/**
 * Every binding of a work queue: each routing key and, for a type that travels as targeted replies,
 * `<type>.#`. Only repliable types get it: a `#` binding makes the broker's topic match branch, which
 * costs it about 15 µs per message on every type bound so (measured with scripts/bench/bus.mjs).
 */
export function queueBindings(q: WorkQueue): Array<{ exchange: Binding['exchange']; pattern: string }> {
  return q.bindings.flatMap((b) => (messages[b.pattern].repliable ? [b, { exchange: b.exchange, pattern: `${b.pattern}.#` }] : [b]));
}

/** Bindings earlier versions declared and this one does not: removed on connect (unbinding a missing one is a no-op). */
export function obsoleteQueueBindings(q: WorkQueue): Array<{ exchange: Binding['exchange']; pattern: string }> {
  return q.bindings.flatMap((b) => (messages[b.pattern].repliable ? [] : [{ exchange: b.exchange, pattern: `${b.pattern}.#` }]));
}

export function exchangeName(namespace: string, role: ExchangeRole): string {
  return `${namespace}.${role === 'dlx' ? 'dlx' : role}`;
}
export function queueName(namespace: string, purpose: string): string {
  return `${namespace}.${purpose}`;
}
export function retryQueueName(namespace: string, purpose: string, tierMs: number): string {
  return `${namespace}.${purpose}.retry.${tierMs}`;
}
