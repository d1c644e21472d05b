import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeadLetterStatus } from '@xauth/contracts';
import type { DeadLetterAction, DeadLetterFilter, DeadLetterRecord, Requester, StoredDeadLetter } from '../domain/model.js';
import type { DeadLetterStore, LockedDeadLetters } from '../domain/ports.js';
import { DeadLetterActionRow } from './dead-letter-action.entity.js';
import { DeadLetterRow } from './dead-letter.entity.js';

const toLetter = (r: DeadLetterRow): StoredDeadLetter => ({
  id: r.id,
  messageId: r.messageId,
  originalExchange: r.originalExchange,
  routingKey: r.routingKey,
  queue: r.originalQueue === '' ? null : r.originalQueue,
  service: r.service,
  errorCode: r.errorCode,
  errorMessage: r.errorMessage,
  attempts: r.attempts,
  firstFailureAt: r.firstFailureAt,
  lastFailureAt: r.lastFailureAt,
  body: r.body,
  properties: r.properties,
  headers: r.headers,
  status: r.status as DeadLetterStatus,
  replayCount: r.replayCount,
  receivedAt: r.receivedAt,
  updatedAt: r.updatedAt,
});

/** The filter as conditions with named parameters (TypeORM query builder style). */
function conditions(filter: DeadLetterFilter): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = ['true'];
  const params: Record<string, unknown> = {};
  const add = (column: string, op: string, name: string, value: unknown) => {
    parts.push(`d.${column} ${op} :${name}`);
    params[name] = value;
  };
  if (filter.queue) add('original_queue', '=', 'queue', filter.queue);
  if (filter.routingKey) add('routing_key', '=', 'routingKey', filter.routingKey);
  if (filter.errorCode) add('error_code', '=', 'errorCode', filter.errorCode);
  if (filter.status) add('status', '=', 'status', filter.status);
  if (filter.from) add('last_failure_at', '>=', 'from', new Date(filter.from));
  if (filter.to) add('last_failure_at', '<', 'to', new Date(filter.to));
  return { sql: parts.join(' AND '), params };
}

/** dead_letters and dead_letter_actions in the office's schema. */
export class DeadLetterRepository implements DeadLetterStore {
  constructor(private readonly ds: DataSource) {}

  async insert(r: DeadLetterRecord): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `INSERT INTO dead_letters (id, message_id, original_queue, original_exchange, routing_key, service, error_code, error_message,
         attempts, first_failure_at, last_failure_at, body, properties, headers)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (message_id, original_queue) DO NOTHING RETURNING id`,
      [
        randomUUID(),
        r.messageId,
        r.queue ?? '',
        r.originalExchange,
        r.routingKey,
        r.service,
        r.errorCode,
        r.errorMessage,
        r.attempts,
        r.firstFailureAt,
        r.lastFailureAt,
        r.body,
        JSON.stringify(r.properties),
        JSON.stringify(r.headers),
      ],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<StoredDeadLetter | undefined> {
    const row = await this.ds.manager.findOneBy(DeadLetterRow, { id });
    return row ? toLetter(row) : undefined;
  }

  async actionsOf(id: string): Promise<DeadLetterAction[]> {
    const rows = await this.ds.manager.find(DeadLetterActionRow, { where: { deadLetterId: id }, order: { at: 'ASC', id: 'ASC' } });
    return rows.map((r) => ({
      action: r.action as DeadLetterAction['action'],
      actor: r.actor,
      reason: r.reason,
      at: r.at,
      replayMessageId: r.replayMessageId,
    }));
  }

  async list(filter: DeadLetterFilter, limit: number, offset: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    const [rows, total] = await this.matching(filter).orderBy('d.last_failure_at', 'DESC').addOrderBy('d.id').take(limit).skip(offset).getManyAndCount();
    return { items: rows.map(toLetter), total };
  }

  async counts(filter: DeadLetterFilter) {
    const grouped = <T>(column: string, alias: string) =>
      this.matching(filter)
        .select(column, alias)
        .addSelect('count(*)::int', 'count')
        .groupBy(column)
        .orderBy('count', 'DESC')
        .addOrderBy(column)
        .getRawMany<T>();
    const byErrorCode = await grouped<{ errorCode: string; count: number }>('d.error_code', 'errorCode');
    const byQueue = await grouped<{ queue: string | null; count: number }>("NULLIF(d.original_queue, '')", 'queue');
    return { total: byErrorCode.reduce((s, r) => s + r.count, 0), byErrorCode, byQueue };
  }

  async select(filter: DeadLetterFilter, limit: number): Promise<{ ids: string[]; total: number }> {
    const [rows, total] = await this.matching(filter).select('d.id').orderBy('d.last_failure_at').addOrderBy('d.id').take(limit).getManyAndCount();
    return { ids: rows.map((r) => r.id), total };
  }

  private matching(filter: DeadLetterFilter) {
    const c = conditions(filter);
    return this.ds.manager.createQueryBuilder(DeadLetterRow, 'd').where(c.sql, c.params);
  }

  async withLocked<T>(id: string, fn: (letter: StoredDeadLetter | undefined, tx: LockedDeadLetters) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      const row = await m.createQueryBuilder(DeadLetterRow, 'd').setLock('pessimistic_write').where('d.id = :id', { id }).getOne();
      return fn(row ? toLetter(row) : undefined, new LockedTx(m));
    });
  }
}

class LockedTx implements LockedDeadLetters {
  constructor(private readonly m: EntityManager) {}

  async markReplayed(id: string, replayMessageId: string, by: Requester): Promise<void> {
    await this.m.query(`UPDATE dead_letters SET status = 'replayed', replay_count = replay_count + 1, updated_at = now() WHERE id = $1`, [id]);
    await this.record(id, 'replay', by, replayMessageId);
  }

  async markDiscarded(id: string, by: Requester): Promise<void> {
    await this.m.query(`UPDATE dead_letters SET status = 'discarded', updated_at = now() WHERE id = $1`, [id]);
    await this.record(id, 'discard', by, null);
  }

  private async record(id: string, action: 'replay' | 'discard', by: Requester, replayMessageId: string | null): Promise<void> {
    await this.m.query('INSERT INTO dead_letter_actions (dead_letter_id, action, actor, reason, replay_message_id) VALUES ($1, $2, $3, $4, $5)', [
      id,
      action,
      by.actor,
      by.reason,
      replayMessageId,
    ]);
  }
}
