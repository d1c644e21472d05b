import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox and inbox tables; services that own a database list this among their migrations. */
export class OutboxInbox1763800000000 implements MigrationInterface {
  name = 'OutboxInbox1763800000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      message_id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      routing_key text NOT NULL,
      payload jsonb NOT NULL,
      correlation_id text NOT NULL,
      causation_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      attempts int NOT NULL DEFAULT 0,
      last_error text)`);
    await q.query('CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL');
    await q.query(`CREATE TABLE inbox (
      message_id text NOT NULL,
      consumer text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (message_id, consumer))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE inbox');
    await q.query('DROP TABLE outbox');
  }
}
