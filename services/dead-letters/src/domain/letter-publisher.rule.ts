import { ErrorCodes, UPSTREAM, brokerUserOf, isRoutingKey, messages, replayedTypes, serviceOfBrokerUser, workQueues, type ServiceName } from '@xauth/contracts';
import { HEADER } from '@xauth/shared';
import type { DeadLetterRecord } from './model.js';

type Letter = Pick<DeadLetterRecord, 'errorCode' | 'headers' | 'properties' | 'queue' | 'routingKey'>;

const REPLAYED = new Set<string>(replayedTypes());
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The service consuming a work queue, from its full name (`<namespace>.<purpose>`). */
function consumerOf(queue: string | null): ServiceName | undefined {
  const entry = queue ? Object.entries(workQueues).find(([purpose]) => queue.endsWith(`.${purpose}`)) : undefined;
  return entry?.[1].service;
}

/**
 * Why a letter's publisher makes a replay unsafe, if it does. A replay goes out under the office's
 * own broker user, which consumers accept for a replayed type: so the office replays only what the
 * rightful parties dead-lettered. The letter's `userId` (checked by the broker) is who wrote it to
 * the dead-letter exchange:
 * - a letter with our failure headers must come from the consumer of its queue (the consumer
 *   wrapper), which vouches for the original publisher (`x-original-user-id`);
 * - a letter the broker dead-lettered itself keeps the original publish's `userId`, which must be
 *   one the type's contract allows (or the queue's consumer: its own retry, or a replay);
 * - a letter refused as `FORGED_PRODUCER` is never replayed: that would launder it.
 * A publisher with write on the dead-letter exchange and no `user-id` can still pose as the broker
 * for a type upstream services may publish; such a letter is no more than any upstream can send.
 */
export function whyPublisherRefused(letter: Letter): string | undefined {
  if (letter.errorCode === ErrorCodes.FORGED_PRODUCER) {
    return "it was refused because its publisher may not publish its type (FORGED_PRODUCER); a replay would publish it as the office's own";
  }
  const type = str(letter.properties.type) ?? letter.routingKey;
  const publisher = str(letter.properties.userId);
  const consumer = consumerOf(letter.queue);
  if (str(letter.headers[HEADER.errorCode])) {
    if (consumer && publisher === brokerUserOf(consumer)) return undefined;
    return `it was written to the dead-letter exchange by ${publisher ? `broker user "${publisher}"` : 'a publisher that set no user-id'}, not by its queue's consumer${consumer ? ` (${brokerUserOf(consumer)})` : ''}`;
  }
  if (!isRoutingKey(type)) return undefined; // nothing a consumer would take
  const producers = messages[type].producers as readonly string[];
  const service = serviceOfBrokerUser(publisher);
  const allowed =
    service === undefined
      ? producers.includes(UPSTREAM)
      : producers.includes(service) || service === consumer || (service === 'dead-letters' && REPLAYED.has(type));
  return allowed
    ? undefined
    : `its publisher, ${publisher ? `broker user "${publisher}"` : 'a publisher that set no user-id'}, may not publish ${type} (only ${producers.join(', ')})`;
}
