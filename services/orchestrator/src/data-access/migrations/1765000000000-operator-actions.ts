import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit trail of operator actions on jobs (reopen, request failed logins again). */
export class OperatorActions1765000000000 implements MigrationInterface {
  name = 'OperatorActions1765000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE operator_actions (
      id bigserial PRIMARY KEY,
      action text NOT NULL,
      actor text NOT NULL,
      reason text NOT NULL,
      params jsonb NOT NULL,
      result jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now())`);
    // "Request these logins again" selects each account's newest job among the ended ones.
    await q.query('CREATE INDEX jobs_account_created_idx ON authorization_jobs (account_key, app, created_at DESC)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX jobs_account_created_idx');
    await q.query('DROP TABLE operator_actions');
  }
}
