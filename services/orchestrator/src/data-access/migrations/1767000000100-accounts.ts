import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts an operator manages: pause state, the profile-gone rule's clock and offboarding, keyed
 * by account key (an account with no row is neither paused nor offboarded); a bounded history of
 * what happened to each account's tokens (refreshes, deaths, pauses); and the consent exchange's
 * claim on a job, so two copies of one captured consent never both spend the code.
 */
export class Accounts1767000000100 implements MigrationInterface {
  name = 'Accounts1767000000100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE accounts (
      account_key text PRIMARY KEY,
      account_id text NOT NULL,
      paused_at timestamptz,
      paused_by text,
      pause_reason text,
      profile_gone_at timestamptz,
      offboarded_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX accounts_profile_gone_idx ON accounts (profile_gone_at) WHERE profile_gone_at IS NOT NULL AND offboarded_at IS NULL');
    await q.query(`CREATE TABLE account_events (
      id bigserial PRIMARY KEY,
      account_key text NOT NULL,
      app text,
      kind text NOT NULL,
      error_code text,
      detail text,
      at timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX account_events_account_idx ON account_events (account_key, at DESC)');
    await q.query('CREATE INDEX account_events_at_idx ON account_events (at)');
    await q.query('ALTER TABLE authorization_jobs ADD COLUMN exchange_started_at timestamptz');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE authorization_jobs DROP COLUMN exchange_started_at');
    await q.query('DROP TABLE account_events');
    await q.query('DROP TABLE accounts');
  }
}
