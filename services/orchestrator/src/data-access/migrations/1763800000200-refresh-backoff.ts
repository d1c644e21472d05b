import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh that survives configuration mistakes, bad accounts and lost answers: each token backs off
 * on its own (`next_attempt_at`, `failures`, `last_error_code`), and a refresh in flight is marked
 * (`refresh_started_at`) and committed before X is called, so a crash or a lost answer leaves a
 * trace (`status = 'outcome_unknown'` once the lease passed) instead of a second blind spend.
 */
export class RefreshBackoff1763800000200 implements MigrationInterface {
  name = 'RefreshBackoff1763800000200';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tokens
      ADD COLUMN next_attempt_at timestamptz,
      ADD COLUMN failures int NOT NULL DEFAULT 0,
      ADD COLUMN last_error_code text,
      ADD COLUMN refresh_started_at timestamptz`);
    await q.query(`CREATE INDEX tokens_unsettled_idx ON tokens (app) WHERE status = 'outcome_unknown' OR refresh_started_at IS NOT NULL`);
    await q.query(`CREATE INDEX tokens_dead_idx ON tokens (app, account_key) WHERE status = 'dead'`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX tokens_dead_idx');
    await q.query('DROP INDEX tokens_unsettled_idx');
    await q.query('ALTER TABLE tokens DROP COLUMN next_attempt_at, DROP COLUMN failures, DROP COLUMN last_error_code, DROP COLUMN refresh_started_at');
  }
}
