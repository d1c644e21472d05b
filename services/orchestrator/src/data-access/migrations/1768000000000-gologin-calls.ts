import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createGoLoginCallsTable, dropGoLoginCallsTable } from '@xauth/shared';

/** The profile-list calls every orchestrator replica of the namespace booked (GoLogin's per-minute budget); the schema comes from search_path. */
export class GoLoginCalls1768000000000 implements MigrationInterface {
  name = 'GoLoginCalls1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await createGoLoginCallsTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropGoLoginCallsTable(q);
  }
}
