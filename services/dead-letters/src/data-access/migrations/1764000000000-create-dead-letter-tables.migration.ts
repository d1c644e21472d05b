import type { MigrationInterface, QueryRunner } from 'typeorm';

/** dead_letters and their audit trail; plain SQL, the schema comes from the connection's search_path. */
export class CreateDeadLetterTables1764000000000 implements MigrationInterface {
  name = 'CreateDeadLetterTables1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE dead_letters (
      id                uuid PRIMARY KEY,
      message_id        text NOT NULL,
      original_queue    text NOT NULL,
      original_exchange text NULL,
      routing_key       text NOT NULL,
      service           text NULL,
      error_code        text NOT NULL,
      error_message     text NULL,
      attempts          int NOT NULL,
      first_failure_at  timestamptz NULL,
      last_failure_at   timestamptz NOT NULL,
      body              bytea NOT NULL,
      properties        jsonb NOT NULL,
      headers           jsonb NOT NULL,
      status            text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'replayed', 'discarded')),
      replay_count      int NOT NULL DEFAULT 0,
      received_at       timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now(),
      UNIQUE (message_id, original_queue))`);
    await q.query('CREATE INDEX dead_letters_last_failure_idx ON dead_letters (last_failure_at DESC)');
    await q.query('CREATE INDEX dead_letters_status_code_idx ON dead_letters (status, error_code)');
    await q.query(`CREATE TABLE dead_letter_actions (
      id                bigserial PRIMARY KEY,
      dead_letter_id    uuid NOT NULL REFERENCES dead_letters (id),
      action            text NOT NULL CHECK (action IN ('replay', 'discard')),
      actor             text NOT NULL,
      reason            text NOT NULL,
      replay_message_id text NULL,
      at                timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX dead_letter_actions_letter_idx ON dead_letter_actions (dead_letter_id, at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE dead_letter_actions');
    await q.query('DROP TABLE dead_letters');
  }
}
