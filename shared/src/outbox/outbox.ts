import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { messages, routingKeyFor, type Payload, type RoutingKey } from '@xauth/contracts';
import { ValidationError } from '../errors.js';
import { InboxRow, OutboxRow } from './outbox.entity.js';

export interface OutboxMeta {
  correlationId: string;
  causationId?: string;
  /** Targeted reply: routing key becomes `<type>.<suffix>`. */
  routingKeySuffix?: string;
}

/** Writes a message in the caller's transaction; the relay publishes it after the commit. */
export async function enqueue<K extends RoutingKey>(m: EntityManager, type: K, payload: Payload<K>, meta: OutboxMeta): Promise<string> {
  const parsed = messages[type].schema.safeParse(payload);
  if (!parsed.success) throw new ValidationError({ message: `refusing to enqueue an invalid ${type}: ${parsed.error.message}` });
  const messageId = randomUUID();
  await m.insert(OutboxRow, {
    messageId,
    type,
    routingKey: routingKeyFor(type, meta.routingKeySuffix),
    payload: parsed.data as object,
    correlationId: meta.correlationId,
    causationId: meta.causationId ?? null,
  });
  return messageId;
}

/**
 * Deletes outbox rows sent, and inbox rows recorded, before `olderThan`: dedupe only needs a
 * window longer than any redelivery. Returns how many rows went.
 */
export async function pruneOutboxAndInbox(m: EntityManager, olderThan: Date): Promise<number> {
  const sent = await m.createQueryBuilder().delete().from(OutboxRow).where('sent_at < :t', { t: olderThan }).execute();
  const seen = await m.createQueryBuilder().delete().from(InboxRow).where('processed_at < :t', { t: olderThan }).execute();
  return (sent.affected ?? 0) + (seen.affected ?? 0);
}

/**
 * Records that `consumer` processed `messageId`, in the caller's transaction. Returns false when it
 * already had: the caller then does nothing (the delivery is a duplicate).
 */
export async function claimInbox(m: EntityManager, consumer: string, messageId: string): Promise<boolean> {
  const result = await m.createQueryBuilder().insert().into(InboxRow).values({ messageId, consumer }).orIgnore().execute();
  return (result.raw as unknown[]).length > 0 || result.identifiers.some((i) => i !== undefined && Object.keys(i).length > 0);
}
