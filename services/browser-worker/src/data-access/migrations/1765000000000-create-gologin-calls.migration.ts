import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createGoLoginCallsTable, dropGoLoginCallsTable } from '@xauth/shared';

/** The GoLogin calls every replica of the namespace booked (the shared call budget); plain SQL, the schema comes from search_path. */
export class CreateGoLoginCalls1765000000000 implements MigrationInterface {
  name = 'CreateGoLoginCalls1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await createGoLoginCallsTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropGoLoginCallsTable(q);
  }
}
