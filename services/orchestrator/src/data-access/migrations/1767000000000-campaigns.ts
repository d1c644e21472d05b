import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login campaigns: a campaign and its items, one per account, each with the requestId of the
 * `user.login.requested` it emits, so its outcome is read from login_requests and jobs. A refused
 * request (no job) keeps its error code on the request, so a campaign counts failures by code.
 */
export class Campaigns1767000000000 implements MigrationInterface {
  name = 'Campaigns1767000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE campaigns (
      campaign_id uuid PRIMARY KEY,
      status text NOT NULL,
      app text NOT NULL,
      scopes text,
      force boolean NOT NULL,
      selection jsonb NOT NULL,
      rate_per_second double precision NOT NULL,
      created_by text NOT NULL,
      reason text NOT NULL,
      paced_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX campaigns_running_idx ON campaigns (created_at) WHERE status = 'running'`);
    await q.query(`CREATE TABLE campaign_items (
      request_id uuid PRIMARY KEY,
      campaign_id uuid NOT NULL REFERENCES campaigns (campaign_id) ON DELETE CASCADE,
      seq int NOT NULL,
      account_id text NOT NULL,
      requested_at timestamptz,
      settled_at timestamptz,
      UNIQUE (campaign_id, seq))`);
    await q.query('CREATE INDEX campaign_items_pending_idx ON campaign_items (campaign_id, seq) WHERE requested_at IS NULL');
    await q.query('CREATE INDEX campaign_items_in_flight_idx ON campaign_items (campaign_id) WHERE requested_at IS NOT NULL AND settled_at IS NULL');
    await q.query('ALTER TABLE login_requests ADD COLUMN error_code text');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE login_requests DROP COLUMN error_code');
    await q.query('DROP TABLE campaign_items');
    await q.query('DROP TABLE campaigns');
  }
}
