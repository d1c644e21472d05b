import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { DeadLetterStatus } from '@xauth/contracts';
import type { DeadLetterAction, DeadLetterFilter, DeadLetterRecord, Requester, StoredDeadLetter } from '../domain/model.js';
import type { DeadLetterStore, LockedDeadLetters } from '../domain/ports.js';
import { DeadLetterActionRow } from './dead-letter-action.entity.js';
import { DeadLetterRow } from './dead-letter.entity.js';

const toLetter = (r: DeadLetterRow): StoredDeadLetter => ({
  id: r.id, messageId: r.messageId, originalExchange: r.originalExchange, routingKey: r.routingKey,
  queue: r.originalQueue === '' ? null : r.originalQueue, service: r.service, errorCode: r.errorCode, errorMessage: r.errorMessage,
  attempts: r.attempts, firstFailureAt: r.firstFailureAt, lastFailureAt: r.lastFailureAt, body: r.body,
  properties: r.properties, headers: r.headers, status: r.status as DeadLetterStatus, replayCount: r.replayCount,
  receivedAt: r.receivedAt, updatedAt: r.updatedAt,
});

/** The filter as a WHERE clause with positional parameters. */
function where(filter: DeadLetterFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => { params.push(value); parts.push(sql.replace('?', `$${params.length}`)); };
  if (filter.queue) add('d.original_queue = ?', filter.queue);
  if (filter.routingKey) add('d.routing_key = ?', filter.routingKey);
  if (filter.errorCode) add('d.error_code = ?', filter.errorCode);
  if (filter.status) add('d.status = ?', filter.status);
  if (filter.from) add('d.last_failure_at >= ?', new Date(filter.from));
  if (filter.to) add('d.last_failure_at < ?', new Date(filter.to));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
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
      [randomUUID(), r.messageId, r.queue ?? '', r.originalExchange, r.routingKey, r.service, r.errorCode, r.errorMessage,
        r.attempts, r.firstFailureAt, r.lastFailureAt, r.body, JSON.stringify(r.properties), JSON.stringify(r.headers)],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<StoredDeadLetter | undefined> {
    const row = await this.ds.manager.findOneBy(DeadLetterRow, { id });
    return row ? toLetter(row) : undefined;
  }

  async actionsOf(id: string): Promise<DeadLetterAction[]> {
    const rows = await this.ds.manager.find(DeadLetterActionRow, { where: { deadLetterId: id }, order: { at: 'ASC', id: 'ASC' } });
    return rows.map((r) => ({ action: r.action as DeadLetterAction['action'], actor: r.actor, reason: r.reason, at: r.at, replayMessageId: r.replayMessageId }));
  }

  async list(filter: DeadLetterFilter, limit: number, offset: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    const w = where(filter);
    const qb = this.ds.manager.createQueryBuilder(DeadLetterRow, 'd');
    const ids: Array<{ id: string }> = await this.ds.query(
      `SELECT d.id FROM dead_letters d ${w.sql} ORDER BY d.last_failure_at DESC, d.id LIMIT ${limit} OFFSET ${offset}`, w.params);
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM dead_letters d ${w.sql}`, w.params);
    const rows = ids.length ? await qb.where('d.id IN (:...ids)', { ids: ids.map((i) => i.id) }).getMany() : [];
    const byId = new Map(rows.map((r) => [r.id, toLetter(r)]));
    return { items: ids.map((i) => byId.get(i.id)!).filter(Boolean), total: n };
  }

  async counts(filter: DeadLetterFilter) {
    const w = where(filter);
    const byErrorCode: Array<{ errorCode: string; count: number }> = await this.ds.query(
      `SELECT d.error_code AS "errorCode", count(*)::int AS count FROM dead_letters d ${w.sql} GROUP BY 1 ORDER BY 2 DESC, 1`, w.params);
    const byQueue: Array<{ queue: string | null; count: number }> = await this.ds.query(
      `SELECT NULLIF(d.original_queue, '') AS queue, count(*)::int AS count FROM dead_letters d ${w.sql} GROUP BY 1 ORDER BY 2 DESC, 1`, w.params);
    return { total: byErrorCode.reduce((s, r) => s + r.count, 0), byErrorCode, byQueue };
  }

  async select(filter: DeadLetterFilter, limit: number): Promise<{ ids: string[]; total: number }> {
    const w = where(filter);
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT d.id FROM dead_letters d ${w.sql} ORDER BY d.last_failure_at, d.id LIMIT ${limit}`, w.params);
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM dead_letters d ${w.sql}`, w.params);
    return { ids: rows.map((r) => r.id), total: n };
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
    await this.m.query('INSERT INTO dead_letter_actions (dead_letter_id, action, actor, reason, replay_message_id) VALUES ($1, $2, $3, $4, $5)',
      [id, action, by.actor, by.reason, replayMessageId]);
  }
}
