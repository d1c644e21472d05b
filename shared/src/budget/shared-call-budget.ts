import type { QueryRunner } from 'typeorm';
import { ErrorCodes } from '@xauth/contracts';
import { quoteSchema } from '../db/schema-name.js';
import type { SqlRunner } from '../db/sql-runner.js';
import { TransientError, errorMessage } from '../errors.js';
import { SlidingWindowBudget, type CallBudget, type CallTurn } from './call-budget.rule.js';

/**
 * The GoLogin call budget of every replica of a service in a namespace together: GoLogin
 * invalidates the API token past its own per-minute limit, and a per-process budget lets N replicas
 * make N times their share. Each turn is booked in PostgreSQL (`gologin_calls` in the service's
 * schema), under a table lock so two replicas never book the same free place, on the database's
 * clock so replicas' clocks need not agree. The window's rule is the in-memory
 * `SlidingWindowBudget`, run over the stored bookings.
 */
export class SharedCallBudget implements CallBudget {
  private readonly table: string;

  constructor(
    private readonly sql: SqlRunner,
    schema: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.table = `${quoteSchema(schema)}.gologin_calls`;
  }

  async turn(maxWaitMs: number): Promise<CallTurn> {
    let connected = false;
    try {
      return await this.sql.transaction(async (query) => {
        connected = true;
        // Self-conflicting: one booking at a time across replicas; readers of nothing else are held up.
        await query(`LOCK TABLE ${this.table} IN SHARE ROW EXCLUSIVE MODE`);
        const [clock] = (await query('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now')) as Array<{ now: string | number }>;
        const now = Number(clock!.now);
        await query(`DELETE FROM ${this.table} WHERE at <= to_timestamp($1::float8 / 1000)`, [now - this.windowMs]);
        const rows = (await query(`SELECT (extract(epoch FROM at) * 1000)::float8 AS at FROM ${this.table} ORDER BY at DESC LIMIT $1`, [this.limit])) as Array<{
          at: string | number;
        }>;
        const turn = new SlidingWindowBudget(this.limit, this.windowMs, rows.map((r) => Number(r.at)).reverse()).turnAt(now, maxWaitMs);
        if (turn.granted) await query(`INSERT INTO ${this.table} (at) VALUES (to_timestamp($1::float8 / 1000))`, [now + turn.waitMs]);
        return turn;
      });
    } catch (err) {
      throw new TransientError({
        code: ErrorCodes.DEPENDENCY_UNAVAILABLE,
        message: connected ? `could not book a GoLogin call: ${errorMessage(err)}` : `PostgreSQL unreachable for the GoLogin call budget: ${errorMessage(err)}`,
      });
    }
  }
}

/** The bookings' table, in the schema a migration runs in (search_path): each service that calls GoLogin has one. */
export async function createGoLoginCallsTable(q: QueryRunner): Promise<void> {
  await q.query('CREATE TABLE gologin_calls (at timestamptz NOT NULL)');
  await q.query('CREATE INDEX gologin_calls_at_idx ON gologin_calls (at)');
}

export async function dropGoLoginCallsTable(q: QueryRunner): Promise<void> {
  await q.query('DROP TABLE gologin_calls');
}
