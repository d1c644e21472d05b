import type pg from 'pg';
import { ErrorCodes } from '@xauth/contracts';
import { TransientError, errorMessage, inPgTransaction, quoteSchema } from '@xauth/shared';
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
    let connected = false;
    try {
      return await inPgTransaction(this.db, async (client) => {
        connected = true;
        // Self-conflicting: one booking at a time across replicas; readers of nothing else are held up.
        await client.query(`LOCK TABLE ${this.table} IN SHARE ROW EXCLUSIVE MODE`);
        const now = Number((await client.query<{ now: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now')).rows[0]!.now);
        await client.query(`DELETE FROM ${this.table} WHERE at <= to_timestamp($1::float8 / 1000)`, [now - this.windowMs]);
        const { rows } = await client.query<{ at: string }>(
          `SELECT (extract(epoch FROM at) * 1000)::float8 AS at FROM ${this.table} ORDER BY at DESC LIMIT $1`,
          [this.limit],
        );
        const turn = new SlidingWindowBudget(this.limit, this.windowMs, rows.map((r) => Number(r.at)).reverse()).turnAt(now, maxWaitMs);
        if (turn.granted) await client.query(`INSERT INTO ${this.table} (at) VALUES (to_timestamp($1::float8 / 1000))`, [now + turn.waitMs]);
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
