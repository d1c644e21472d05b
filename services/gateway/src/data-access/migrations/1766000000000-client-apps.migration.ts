import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 14: a client's token reads may be limited to some X apps (NULL: every app). */
export class ClientApps1766000000000 implements MigrationInterface {
  name = 'ClientApps1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_clients ADD COLUMN apps text[] NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE api_clients DROP COLUMN apps');
  }
}
