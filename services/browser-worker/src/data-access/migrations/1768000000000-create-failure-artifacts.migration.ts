import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failure artifacts, in the one place every worker replica reaches (they were on the disk of the
 * worker that made them, so with two workers half the links were broken). Screenshots and traces
 * are already compressed: their bytes are stored out of line, not compressed again.
 */
export class CreateFailureArtifacts1768000000000 implements MigrationInterface {
  name = 'CreateFailureArtifacts1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE failure_artifacts (
      job_id uuid NOT NULL,
      attempt int NOT NULL,
      file text NOT NULL,
      content_type text NOT NULL,
      bytes bytea NOT NULL,
      size int NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (job_id, attempt, file)
    )`);
    await q.query('ALTER TABLE failure_artifacts ALTER COLUMN bytes SET STORAGE EXTERNAL');
    await q.query('CREATE INDEX failure_artifacts_created_at_idx ON failure_artifacts (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE failure_artifacts');
  }
}
