import type pg from 'pg';
import { ErrorCodes } from '@xauth/contracts';
import { TransientError, errorMessage, quoteSchema } from '@xauth/shared';
import { SlidingWindowBudget, type CallBudget, type CallTurn } from '../domain/call-budget.rule.js';

/**
 * The GoLogin call budget of every worker replica in a namespace together: GoLogin invalidates the
 * API token past its own per-minute limit, and a per-process budget lets N replicas make N times
 * their share. Each turn is booked in PostgreSQL (`gologin_calls`), under a table lock so two
 * replicas never book the same free place, on the database's clock so replicas' clocks need not
 * agree. The window's rule is the in-memory `SlidingWindowBudget`, run over the stored bookings.
 */
export class SharedCallBudget implements CallBudget {
  private readonly table: string;

  constructor(
    private readonly db: pg.Pool,
    schema: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.table = `${quoteSchema(schema)}.gologin_calls`;
  }

  async turn(maxWaitMs: number): Promise<CallTurn> {
    let client: pg.PoolClient;
    try {
      client = await this.db.connect();
    } catch (err) {
      throw new TransientError({
        code: ErrorCodes.DEPENDENCY_UNAVAILABLE,
        message: `PostgreSQL unreachable for the GoLogin call budget: ${errorMessage(err)}`,
      });
    }
    try {
      await client.query('BEGIN');
      // Self-conflicting: one booking at a time across replicas; readers of nothing else are held up.
      await client.query(`LOCK TABLE ${this.table} IN SHARE ROW EXCLUSIVE MODE`);
      const now = Number((await client.query<{ now: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now')).rows[0]!.now);
      await client.query(`DELETE FROM ${this.table} WHERE at <= to_timestamp($1::float8 / 1000)`, [now - this.windowMs]);
      const { rows } = await client.query<{ at: string }>(`SELECT (extract(epoch FROM at) * 1000)::float8 AS at FROM ${this.table} ORDER BY at DESC LIMIT $1`, [
        this.limit,
      ]);
      const turn = new SlidingWindowBudget(this.limit, this.windowMs, rows.map((r) => Number(r.at)).reverse()).turnAt(now, maxWaitMs);
      if (turn.granted) await client.query(`INSERT INTO ${this.table} (at) VALUES (to_timestamp($1::float8 / 1000))`, [now + turn.waitMs]);
      await client.query('COMMIT');
      client.release();
      return turn;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err as Error);
      throw new TransientError({ code: ErrorCodes.DEPENDENCY_UNAVAILABLE, message: `could not book a GoLogin call: ${errorMessage(err)}` });
    }
  }
}
