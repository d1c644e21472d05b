import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { inPgTransaction } from './pg-transaction.js';

export type SqlQuery = (sql: string, params?: unknown[]) => Promise<unknown>;

/** How a store reaches PostgreSQL: a plain query (its rows), and a transaction around several. */
export interface SqlRunner {
  query: SqlQuery;
  transaction<T>(fn: (query: SqlQuery) => Promise<T>): Promise<T>;
}

/** A `pg.Pool` as a `SqlRunner`. */
export function pgPoolSql(pool: pg.Pool): SqlRunner {
  return {
    query: async (sql, params) => (await pool.query(sql, params)).rows as unknown[],
    transaction: (fn) => inPgTransaction(pool, (client) => fn(async (sql, params) => (await client.query(sql, params)).rows as unknown[])),
  };
}

/** A TypeORM data source as a `SqlRunner` (only the rows of SELECTs are read). */
export function dataSourceSql(ds: DataSource): SqlRunner {
  return {
    query: (sql, params) => ds.query(sql, params),
    transaction: (fn) => ds.transaction((m) => fn((sql, params) => m.query(sql, params))),
  };
}
