import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The circuit breakers of the dependencies a service calls, one row each, shared by its replicas:
 * an open breaker seen by one is seen by all, and one of them alone gets the half-open probe.
 * Services that keep breakers list this among their migrations (plain SQL: the schema is the search_path).
 */
export class CircuitBreakers1766000000000 implements MigrationInterface {
  name = 'CircuitBreakers1766000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE circuit_breakers (
      name text PRIMARY KEY,
      state text NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
      failures int NOT NULL,
      open_ms int NOT NULL,
      opened_until timestamptz NOT NULL DEFAULT to_timestamp(0),
      probe_lease_until timestamptz NOT NULL DEFAULT to_timestamp(0),
      last_error text,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE circuit_breakers');
  }
}
