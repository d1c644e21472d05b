import type { MigrationInterface, QueryRunner } from 'typeorm';

/** api_clients and signing_keys; plain SQL, the schema comes from the connection's search_path. */
export class CreateGatewayTables1732240000000 implements MigrationInterface {
  name = 'CreateGatewayTables1732240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_clients (
        client_id   text PRIMARY KEY,
        secret_hash text NOT NULL,
        name        text NOT NULL,
        scopes      text[] NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz NULL
      )`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid             text PRIMARY KEY,
        algorithm       text NOT NULL,
        public_jwk      jsonb NOT NULL,
        private_key_enc text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        retired_at      timestamptz NULL
      )`);
    await q.query('CREATE INDEX signing_keys_unretired ON signing_keys (created_at DESC) WHERE retired_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE signing_keys');
    await q.query('DROP TABLE api_clients');
  }
}
