import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The GoLogin calls every replica of the namespace booked (the shared call budget); plain SQL, the schema comes from search_path. */
export class CreateGoLoginCalls1765000000000 implements MigrationInterface {
  name = 'CreateGoLoginCalls1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE gologin_calls (at timestamptz NOT NULL)');
    await q.query('CREATE INDEX gologin_calls_at_idx ON gologin_calls (at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE gologin_calls');
  }
}
