import type { DataSource, EntityManager } from 'typeorm';
import type { EncryptedRow, EncryptedTableName } from '../domain/model.js';
import type { EncryptedRowsPort } from '../domain/ports.js';

/** A table that holds ciphertexts: its primary key, its encrypted columns, and each row's associated data. */
interface EncryptedTable {
  table: string;
  keyColumns: string[];
  keyTypes: string[];
  columns: string[];
  aadSql: string;
}

/** Every table of the orchestrator that holds a ciphertext (`v1.<kid>.<iv>.<tag>.<data>`). */
export const ENCRYPTED_TABLES = {
  // aad = `<account_key>/<app>` (tokenAad)
  tokens: {
    table: 'tokens',
    keyColumns: ['account_key', 'app'],
    keyTypes: ['text', 'text'],
    columns: ['access_token_enc', 'refresh_token_enc'],
    aadSql: `account_key || '/' || app`,
  },
  // aad = job id
  jobs: {
    table: 'authorization_jobs',
    keyColumns: ['job_id'],
    keyTypes: ['uuid'],
    columns: ['state_enc', 'verifier_enc', 'pending_tokens_enc'],
    aadSql: 'job_id::text',
  },
} satisfies Record<EncryptedTableName, EncryptedTable>;

const kidOf = (column: string) => `split_part(${column}, '.', 2)`;
/** Rows with a ciphertext under another key than $1. */
const notOnKey = (t: EncryptedTable) => `(${t.columns.map((c) => `(${c} IS NOT NULL AND ${kidOf(c)} <> $1)`).join(' OR ')})`;

/**
 * Reads and rewrites the orchestrator's ciphertexts for re-encryption. Rows are taken in primary-key
 * order after a cursor; only rows under another key than the active one are looked at.
 */
export class EncryptedRowsStore implements EncryptedRowsPort {
  constructor(private readonly ds: DataSource) {}

  /** The next rows after `after` with a ciphertext under another key than `activeKid`, not locked; at most `limit`. */
  async candidates(name: EncryptedTableName, activeKid: string, after: string[] | undefined, limit: number): Promise<string[][]> {
    const t: EncryptedTable = ENCRYPTED_TABLES[name];
    const key = `(${t.keyColumns.join(', ')})`;
    const afterSql = after ? `AND ${key} > (${t.keyColumns.map((_, i) => `$${i + 3}::${t.keyTypes[i]}`).join(', ')})` : '';
    const rows: Array<Record<string, string>> = await this.ds.query(
      `SELECT ${t.keyColumns.map((c) => `${c}::text AS ${c}`).join(', ')} FROM ${t.table} WHERE ${notOnKey(t)} ${afterSql} ORDER BY ${t.keyColumns.join(', ')} LIMIT $2`,
      [activeKid, limit, ...(after ?? [])],
    );
    return rows.map((r) => t.keyColumns.map((c) => r[c]!));
  }

  /**
   * In one short transaction: locks those of `keys` still under another key (SKIP LOCKED: a row a
   * refresh or a consent holds is left for a later pass), hands each to `rewrite`, and stores what
   * it returns. How many rows were locked and rewritten.
   */
  async rewrite(
    name: EncryptedTableName,
    activeKid: string,
    keys: string[][],
    rewrite: (row: EncryptedRow) => Record<string, string> | undefined,
  ): Promise<{ locked: number; rewritten: number }> {
    const t: EncryptedTable = ENCRYPTED_TABLES[name];
    return this.ds.transaction(async (m: EntityManager) => {
      const unnest = t.keyColumns.map((_, i) => `$${i + 2}::${t.keyTypes[i]}[]`).join(', ');
      const rows: Array<Record<string, string | null>> = await m.query(
        `SELECT ${t.keyColumns.map((c) => `${c}::text AS ${c}`).join(', ')}, ${t.aadSql} AS aad, ${t.columns.join(', ')} FROM ${t.table}
         WHERE (${t.keyColumns.join(', ')}) IN (SELECT * FROM unnest(${unnest})) AND ${notOnKey(t)}
         ORDER BY ${t.keyColumns.join(', ')} FOR UPDATE SKIP LOCKED`,
        [activeKid, ...t.keyColumns.map((_, i) => keys.map((k) => k[i]))],
      );
      let rewritten = 0;
      for (const r of rows) {
        const values = Object.fromEntries(t.columns.filter((c) => r[c] !== null).map((c) => [c, r[c] as string]));
        const fresh = rewrite({ key: t.keyColumns.map((c) => r[c] as string), aad: r.aad as string, values });
        if (!fresh) continue;
        const cols = Object.keys(fresh);
        // Raw SQL on purpose: updated_at keeps meaning "the row's state changed" (it dates a job's end).
        await m.query(
          `UPDATE ${t.table} SET ${cols.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE ${t.keyColumns.map((c, i) => `${c} = $${cols.length + i + 1}::${t.keyTypes[i]}`).join(' AND ')}`,
          [...cols.map((c) => fresh[c]), ...t.keyColumns.map((c) => r[c])],
        );
        rewritten++;
      }
      return { locked: rows.length, rewritten };
    });
  }

  /** Rows per key id in each table (a row counts once per key it uses), and how many rows are under another key than `activeKid`. */
  async usage(activeKid: string): Promise<{ byKey: Array<{ keyId: string; tokens: number; jobs: number }>; notOnActive: number }> {
    const perRow = (name: EncryptedTableName) => {
      const t: EncryptedTable = ENCRYPTED_TABLES[name];
      return `SELECT DISTINCT '${name}' AS tbl, ${t.keyColumns.map((c) => `${c}::text`).join(` || '/' || `)} AS id, v.kid FROM ${t.table}
        CROSS JOIN LATERAL (VALUES ${t.columns.map((c) => `(${kidOf(c)})`).join(', ')}) v(kid) WHERE v.kid IS NOT NULL`;
    };
    const byKey: Array<{ kid: string; tokens: number; jobs: number }> = await this.ds.query(
      `SELECT kid, count(*) FILTER (WHERE tbl = 'tokens')::int AS tokens, count(*) FILTER (WHERE tbl = 'jobs')::int AS jobs
       FROM (${perRow('tokens')} UNION ALL ${perRow('jobs')}) x GROUP BY kid ORDER BY kid`,
    );
    const [{ n }] = (await this.ds.query(
      `SELECT (SELECT count(*) FROM tokens WHERE ${notOnKey(ENCRYPTED_TABLES.tokens)}) + (SELECT count(*) FROM authorization_jobs WHERE ${notOnKey(ENCRYPTED_TABLES.jobs)}) AS n`,
      [activeKid],
    )) as [{ n: string }];
    return { byKey: byKey.map((r) => ({ keyId: r.kid, tokens: r.tokens, jobs: r.jobs })), notOnActive: Number(n) };
  }
}
