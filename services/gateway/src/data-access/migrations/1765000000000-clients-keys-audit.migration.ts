import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 12: clients an operator manages (previous secret during a rotation's overlap, who manages
 * the row, a token version that refuses JWTs issued before a narrowing), signing keys with an
 * activation time (published before they sign), and the audit log.
 */
export class ClientsKeysAudit1765000000000 implements MigrationInterface {
  name = 'ClientsKeysAudit1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_clients
        ADD COLUMN previous_secret_hash       text NULL,
        ADD COLUMN previous_secret_expires_at timestamptz NULL,
        ADD COLUMN managed_by                 text NOT NULL DEFAULT 'bootstrap' CHECK (managed_by IN ('bootstrap', 'operator')),
        ADD COLUMN token_version              integer NOT NULL DEFAULT 0,
        ADD COLUMN updated_at                 timestamptz NOT NULL DEFAULT now()`);
    await q.query('ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz NULL');
    await q.query('UPDATE signing_keys SET activates_at = created_at');
    await q.query('ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL, ALTER COLUMN activates_at SET DEFAULT now()');
    await q.query(`
      CREATE TABLE audit_events (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL,
        client_id  text NULL,
        action     text NOT NULL,
        route      text NOT NULL,
        account_id text NULL,
        app        text NULL,
        target     text NULL,
        status     smallint NOT NULL,
        outcome    text NOT NULL,
        request_id text NULL
      )`);
    await q.query('CREATE INDEX audit_events_at ON audit_events (at)');
    await q.query('CREATE INDEX audit_events_client ON audit_events (client_id, at)');
    await q.query('CREATE INDEX audit_events_account ON audit_events (account_id, at) WHERE account_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_events');
    await q.query('ALTER TABLE signing_keys DROP COLUMN activates_at');
    await q.query(`ALTER TABLE api_clients DROP COLUMN previous_secret_hash, DROP COLUMN previous_secret_expires_at, DROP COLUMN managed_by,
      DROP COLUMN token_version, DROP COLUMN updated_at`);
  }
}
