import type { ConsumeMessage } from 'amqplib';
import { ErrorCodes, UPSTREAM, exchangeName, messages, replayedTypes, serviceOfBrokerUser, type RoutingKey } from '@xauth/contracts';
import { AppError } from '../errors.js';
import { HEADER } from './envelope.js';

/** The consumer's side of the check: who it is on the broker, and in which namespace. */
export interface Consumer {
  /** The broker user this process connects as: its own publishes and retries carry it. */
  readonly brokerUser: string;
  readonly namespace: string;
}

/** The user a connection to `url` logs in as (amqplib logs in as guest when the URL names none). */
export function connectionUser(url: string | readonly string[]): string {
  const first = typeof url === 'string' ? url : url[0];
  const name = first && URL.canParse(first) ? decodeURIComponent(new URL(first).username) : '';
  return name || 'guest';
}

const REPLAYED = new Set<string>(replayedTypes());

const userIdOf = (msg: Pick<ConsumeMessage, 'properties'>): string | undefined =>
  typeof msg.properties.userId === 'string' && msg.properties.userId ? msg.properties.userId : undefined;

/**
 * Why a delivery of `type` was not published by a producer its contract allows, or undefined when
 * it was. RabbitMQ refuses a publish whose `user-id` is not the connection's user, so `user-id`
 * names the publisher. A delivery is accepted when:
 * - it is the consumer's own (its `user-id` is the consumer's user): its own publish, or its own
 *   retry back from a delay tier (the broker's dead-lettering keeps the properties);
 * - its `user-id` is the user of an xauth service among the type's producers;
 * - it is a replay: the dead-letter office's user, `x-replay-of`, and a type the office republishes;
 * - the type takes `upstream` publishers, its `user-id` is no xauth service's (or it has none), and
 *   it came through the type's own exchange (not through a retry tier or the default exchange,
 *   where xauth's consumers could put it without a user-id).
 */
export function producerRefusal(type: RoutingKey, msg: Pick<ConsumeMessage, 'fields' | 'properties'>, self: Consumer): string | undefined {
  const userId = userIdOf(msg);
  if (userId === self.brokerUser) return undefined;
  const contract = messages[type];
  const producers = contract.producers as readonly string[];
  const service = serviceOfBrokerUser(userId);
  if (service !== undefined) {
    if (producers.includes(service)) return undefined;
    if (service === 'dead-letters' && REPLAYED.has(type) && msg.properties.headers?.[HEADER.replayOf] !== undefined) return undefined;
  } else if (producers.includes(UPSTREAM)) {
    const exchange = exchangeName(self.namespace, contract.kind === 'command' ? 'commands' : 'events');
    if (msg.fields.exchange === exchange) return undefined;
    return `${type} from ${userId ? `broker user "${userId}"` : 'a publisher that set no user-id'} arrived through "${msg.fields.exchange || '(the default exchange)'}", not ${exchange}`;
  }
  return `${type} was published by ${userId ? `broker user "${userId}"` : 'a publisher that set no user-id'}; only ${producers.join(', ')} may publish it`;
}

/** Throws `FORGED_PRODUCER` (not retryable: dead-lettered at once) when `producerRefusal` refuses the delivery. */
export function checkProducer(type: RoutingKey, msg: Pick<ConsumeMessage, 'fields' | 'properties'>, self: Consumer): void {
  const refusal = producerRefusal(type, msg, self);
  if (refusal) throw new AppError({ code: ErrorCodes.FORGED_PRODUCER, message: refusal, retryable: false });
}

/**
 * The user that first published a delivery, for the failure headers (`x-original-user-id`): its own
 * `user-id`, or, on the consumer's own retry, what the consumer recorded at the first failure. A
 * header that any other publisher set is not believed.
 */
export function originalProducer(msg: Pick<ConsumeMessage, 'properties'>, self: Pick<Consumer, 'brokerUser'>): string | undefined {
  const userId = userIdOf(msg);
  const recorded: unknown = msg.properties.headers?.[HEADER.originalUserId];
  return userId === self.brokerUser && typeof recorded === 'string' ? recorded : userId;
}
