import type { DataSource } from 'typeorm';
import type { AuditEventView, AuditPage, AuditQuery } from '@xauth/contracts';
import type { AuditRecord, AuditStore } from '../domain/audit-log.js';
import { quoteSchema } from '@xauth/shared';

/** audit_events: written in batches, read newest first by client, account, action and time, pruned by age. */
export class AuditEventRepository implements AuditStore {
  private readonly table: string;

  constructor(
    private readonly ds: DataSource,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.audit_events`;
  }

  async insert(records: readonly AuditRecord[]): Promise<void> {
    if (!records.length) return;
    const col = <K extends keyof AuditRecord>(k: K) => records.map((r) => r[k]);
    // One statement per batch: arrays unnested, whatever the batch size.
    await this.ds.query(
      `INSERT INTO ${this.table} (at, client_id, action, route, account_id, app, target, status, outcome, request_id)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::smallint[], $9::text[], $10::text[])`,
      [col('at'), col('clientId'), col('action'), col('route'), col('accountId'), col('app'), col('target'), col('status'), col('outcome'), col('requestId')],
    );
  }

  async query(q: AuditQuery): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.clientId) add('client_id = ?', q.clientId);
    if (q.accountId) add('account_id = ?', q.accountId);
    if (q.action) add('action = ?', q.action);
    if (q.from) add('at >= ?', new Date(q.from));
    if (q.to) add('at < ?', new Date(q.to));
    if (q.before) add('id < ?', q.before);
    params.push(q.limit + 1);
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT * FROM ${this.table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const events = rows.slice(0, q.limit).map(toView);
    return rows.length > q.limit ? { events, next: events[events.length - 1]!.id } : { events };
  }

  /** Deletes events older than `before`, `batch` rows a statement, so no statement holds many locks; answers how many. */
  async prune(before: Date, batch = 5_000): Promise<number> {
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.ds.query(`DELETE FROM ${this.table} WHERE id IN (SELECT id FROM ${this.table} WHERE at < $1 ORDER BY at LIMIT $2)`, [
        before,
        batch,
      ])) as [unknown, number];
      total += deleted;
      if (deleted < batch) return total;
    }
  }
}

function toView(r: Record<string, unknown>): AuditEventView {
  return {
    id: String(r.id),
    at: new Date(r.at as string).toISOString(),
    clientId: (r.client_id as string | null) ?? null,
    action: r.action as string,
    route: r.route as string,
    accountId: (r.account_id as string | null) ?? null,
    app: (r.app as string | null) ?? null,
    target: (r.target as string | null) ?? null,
    status: Number(r.status),
    outcome: r.outcome as AuditEventView['outcome'],
    requestId: (r.request_id as string | null) ?? null,
  };
}
