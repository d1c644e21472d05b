import { quoteSchema } from '../db/schema-name.js';
import type { SqlRunner } from '../db/sql-runner.js';
import type { BreakerRecord, BreakerState } from './breaker.rule.js';
import type { BreakerStore, StoredBreaker, StoredBreakerRow } from './breaker.store.js';

interface Row {
  name: string;
  state: BreakerState;
  failures: number;
  open_ms: number;
  last_error: string | null;
  opened_until: number;
  probe_lease_until: number;
  updated_at: number;
  now: number;
}

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
const COLUMNS = `name, state, failures, open_ms, last_error, ${ms('opened_until')} AS opened_until, ${ms('probe_lease_until')} AS probe_lease_until, ${ms('updated_at')} AS updated_at, ${ms('clock_timestamp()')} AS now`;

const toRecord = (r: Row): BreakerRecord => ({
  state: r.state,
  failures: r.failures,
  openMs: r.open_ms,
  openedUntil: Number(r.opened_until),
  probeLeaseUntil: Number(r.probe_lease_until),
  ...(r.last_error ? { lastError: r.last_error } : {}),
});

/**
 * Breakers in the owning service's schema (`circuit_breakers`, one row per breaker), on the
 * database's clock. A change is one short transaction holding the row's lock.
 */
export class PgBreakerStore implements BreakerStore {
  private readonly table: string;

  constructor(
    private readonly sql: SqlRunner,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.circuit_breakers`;
  }

  async read(name: string): Promise<StoredBreaker> {
    const rows = (await this.sql.query(`SELECT ${COLUMNS} FROM (SELECT 1) one LEFT JOIN ${this.table} ON name = $1`, [name])) as Row[];
    const row = rows[0]!;
    return { rec: row.name ? toRecord(row) : undefined, now: Number(row.now) };
  }

  update(name: string, change: (rec: BreakerRecord | undefined, now: number) => BreakerRecord | undefined) {
    return this.sql.transaction(async (query) => {
      const inserted = (await query(
        `INSERT INTO ${this.table} (name, state, failures, open_ms) VALUES ($1, 'closed', 0, 0) ON CONFLICT (name) DO NOTHING RETURNING name`,
        [name],
      )) as unknown[];
      const row = ((await query(`SELECT ${COLUMNS} FROM ${this.table} WHERE name = $1 FOR UPDATE`, [name])) as Row[])[0]!;
      const now = Number(row.now);
      // A row this call inserted stands for "never recorded": the caller's policy gives its defaults.
      const before = inserted.length ? undefined : toRecord(row);
      const after = change(before, now);
      if (after) {
        await query(
          `UPDATE ${this.table} SET state = $2, failures = $3, open_ms = $4, opened_until = to_timestamp($5::float8 / 1000),
             probe_lease_until = to_timestamp($6::float8 / 1000), last_error = $7, updated_at = clock_timestamp() WHERE name = $1`,
          [name, after.state, after.failures, after.openMs, after.openedUntil, after.probeLeaseUntil, after.lastError ?? null],
        );
      }
      return { before, after: after ?? before, now };
    });
  }

  async list(): Promise<StoredBreakerRow[]> {
    const rows = (await this.sql.query(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY name`)) as Row[];
    return rows.map((r) => ({ name: r.name, rec: toRecord(r), now: Number(r.now), updatedAt: Number(r.updated_at) }));
  }
}
