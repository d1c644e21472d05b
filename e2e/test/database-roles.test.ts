import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import {
  DATABASE_SERVICES,
  defaultServiceDatabaseUrl,
  defaultServiceDatabases,
  defaultServiceRole,
  provisionServiceDatabases,
  scramSha256Verifier,
  schemaName,
  type DatabaseService,
} from '@xauth/shared';
import { DATABASE_URL, provisionNamespace } from '../src/index.js';

const require = createRequire(import.meta.url);
const PACKAGES: Record<DatabaseService, string> = {
  orchestrator: 'orchestrator',
  gateway: 'gateway',
  dead_letters: 'dead-letters',
  browser_worker: 'browser-worker',
};

/** Runs a service's own migrate entry point (as `npm start` and the k8s Job do) with `env`. */
function migrate(service: DatabaseService, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const main = join(dirname(require.resolve(`@xauth/${PACKAGES[service]}`)), 'migrate.js');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main],
      { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

/** A query as a service's own role; resolves with the error's SQLSTATE, or 'ok'. */
async function asRole(service: DatabaseService, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: defaultServiceDatabaseUrl(service) });
  await client.connect();
  try {
    await client.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL roles per service: each service owns its schema and reads nothing else (real PostgreSQL)', function () {
  this.timeout(180_000);
  const namespace = `test-${randomBytes(4).toString('hex')}`;
  const schema = (service: DatabaseService) => schemaName(namespace, service);
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const dropped: string[] = [];

  before(async () => {
    await admin.connect();
    await provisionNamespace(namespace);
    for (const service of DATABASE_SERVICES) {
      const { code, output } = await migrate(service, { XAUTH_NAMESPACE: namespace });
      expect(code, output).to.equal(0);
    }
  });
  after(async () => {
    for (const s of [...DATABASE_SERVICES.map(schema), ...dropped]) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  });

  it('when each service migrates as its own role, then the role owns its schema and every table in it, and is no superuser', async () => {
    for (const service of DATABASE_SERVICES) {
      const role = defaultServiceRole(service);
      const {
        rows: [owner],
      } = await admin.query('SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1', [schema(service)]);
      expect(owner.owner, service).to.equal(role);
      const { rows: tables } = await admin.query(
        `SELECT relname, relowner::regrole::text AS owner FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r'`,
        [schema(service)],
      );
      expect(tables.length, service).to.be.greaterThan(1);
      for (const t of tables) expect(t.owner, `${service} ${t.relname}`).to.equal(role);
      const {
        rows: [attrs],
      } = await admin.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = $1', [role]);
      expect(attrs, role).to.deep.equal({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolbypassrls: false });
    }
  });

  it("when the orchestrator's role reads the gateway's clients, or the gateway's role the orchestrator's tokens, then PostgreSQL refuses (42501)", async () => {
    expect(await asRole('orchestrator', `SELECT * FROM "${schema('gateway')}".api_clients`)).to.equal('42501');
    expect(await asRole('gateway', `SELECT * FROM "${schema('orchestrator')}".tokens`)).to.equal('42501');
  });

  it("when any role reads or writes another service's schema, then it is refused; its own it reads and writes", async () => {
    for (const service of DATABASE_SERVICES) {
      for (const other of DATABASE_SERVICES.filter((s) => s !== service)) {
        expect(await asRole(service, `SELECT count(*) FROM "${schema(other)}".migrations`), `${service} reads ${other}`).to.equal('42501');
        expect(await asRole(service, `CREATE TABLE "${schema(other)}".planted (id int)`), `${service} writes into ${other}`).to.equal('42501');
      }
      expect(
        await asRole(
          service,
          `INSERT INTO "${schema(service)}".migrations (timestamp, name) VALUES (1, 'probe'); DELETE FROM "${schema(service)}".migrations WHERE name = 'probe'`,
        ),
        service,
      ).to.equal('ok');
    }
  });

  it('when a role creates a schema, or a table in public, then it is refused: the bootstrap makes schemas, not the services', async () => {
    expect(await asRole('orchestrator', `CREATE SCHEMA "${namespace.replace(/-/g, '_')}_squat"`)).to.equal('42501');
    expect(await asRole('gateway', 'CREATE TABLE public.xauth_planted (id int)')).to.equal('42501');
  });

  it('when a service migrates in a namespace nobody set up, then it stops with what to run instead of failing halfway', async () => {
    const stray = `test-${randomBytes(4).toString('hex')}`;
    const { code, output } = await migrate('orchestrator', { XAUTH_NAMESPACE: stray });
    expect(code).to.not.equal(0);
    expect(output).to.include(
      `DATABASE_URL: schema "${schemaName(stray, 'orchestrator')}" does not exist and role "xauth_orchestrator" may not create it; npm run db:roles`,
    );
  });

  it('when a schema was made by the superuser (an older release), then the bootstrap hands it and its tables over, and the role migrates and alters it', async () => {
    const older = `test-${randomBytes(4).toString('hex')}`;
    dropped.push(schemaName(older, 'dead_letters'));
    const asSuperuser = await migrate('dead_letters', { XAUTH_NAMESPACE: older, DATABASE_URL });
    expect(asSuperuser.code, asSuperuser.output).to.equal(0);
    expect((await migrate('dead_letters', { XAUTH_NAMESPACE: older })).output).to.include(
      'belongs to another role than "xauth_dead_letters"; npm run db:roles hands it over',
    );

    await provisionServiceDatabases(
      DATABASE_URL,
      defaultServiceDatabases(older).filter((d) => d.role === 'xauth_dead_letters'),
    );
    const { rows } = await admin.query(
      `SELECT relname, relowner::regrole::text AS owner FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'S')`,
      [schemaName(older, 'dead_letters')],
    );
    expect(rows.map((r) => r.owner)).to.satisfy((owners: string[]) => owners.length > 2 && owners.every((o) => o === 'xauth_dead_letters'));
    const asRoleAgain = await migrate('dead_letters', { XAUTH_NAMESPACE: older });
    expect(asRoleAgain.code, asRoleAgain.output).to.equal(0);
    // It may alter the tables (later migrations), and the serial sequence followed its table.
    const table = `"${schemaName(older, 'dead_letters')}".dead_letter_actions`;
    expect(
      await asRole(
        'dead_letters',
        `ALTER TABLE ${table} ADD COLUMN probe int; ALTER TABLE ${table} DROP COLUMN probe; SELECT nextval(pg_get_serial_sequence('${table}', 'id'))`,
      ),
    ).to.equal('ok');
  });

  it('when the bootstrap runs twice at once, then both succeed and nothing changes', async () => {
    await Promise.all([provisionNamespace(namespace), provisionNamespace(namespace)]);
    const { rows } = await admin.query(`SELECT nspname, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = ANY($1) ORDER BY nspname`, [
      DATABASE_SERVICES.map(schema),
    ]);
    expect(rows.map((r) => r.owner).sort()).to.deep.equal(DATABASE_SERVICES.map(defaultServiceRole).sort());
  });

  it("when a service role was made a member of another's or of pg_read_all_data, then the bootstrap revokes it and the reads are refused again", async () => {
    const [a, b] = [`xauth_test_${randomBytes(4).toString('hex')}`, `xauth_test_${randomBytes(4).toString('hex')}`];
    const owned = `${namespace.replace(/-/g, '_')}_b`;
    try {
      await provisionServiceDatabases(DATABASE_URL, [
        { role: a, schemas: [] },
        { role: b, schemas: [owned] },
      ]);
      await admin.query(`CREATE TABLE "${owned}".secrets (v text); ALTER TABLE "${owned}".secrets OWNER TO "${b}"`);
      await admin.query(`GRANT "${b}" TO "${a}"; GRANT pg_read_all_data TO "${a}"`);
      const readAsA = async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL.replace('//postgres@', `//${a}@`) });
        await client.connect();
        return client
          .query(`SELECT v FROM "${owned}".secrets`)
          .then(
            () => 'ok',
            (err: { code?: string }) => err.code,
          )
          .finally(() => client.end());
      };
      expect(await readAsA()).to.equal('ok');
      await provisionServiceDatabases(DATABASE_URL, [
        { role: a, schemas: [] },
        { role: b, schemas: [owned] },
      ]);
      expect(await readAsA()).to.equal('42501');
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${owned}" CASCADE; DROP ROLE IF EXISTS "${a}"; DROP ROLE IF EXISTS "${b}"`);
    }
  });

  it('when a password is given, then PostgreSQL stores the SCRAM verifier as sent (the plain text never reaches it); a superuser or shared role is refused', async () => {
    const role = `xauth_test_${randomBytes(4).toString('hex')}`;
    try {
      await provisionServiceDatabases(DATABASE_URL, [{ role, password: 'correct-horse-battery', schemas: [] }]);
      const {
        rows: [stored],
      } = await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored.rolpassword) ?? [];
      expect(stored.rolpassword).to.equal(scramSha256Verifier('correct-horse-battery', Buffer.from(salt!, 'base64'), Number(iterations)));
    } finally {
      await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    }
    const refusal = (p: Promise<void>) =>
      p.then(
        () => '',
        (err: Error) => err.message,
      );
    expect(await refusal(provisionServiceDatabases(DATABASE_URL, [{ role: 'postgres', schemas: [] }]))).to.include("is the admin's own");
    const superuser = `xauth_test_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE ROLE "${superuser}" SUPERUSER`);
    try {
      expect(await refusal(provisionServiceDatabases(DATABASE_URL, [{ role: superuser, schemas: [] }]))).to.include('is a superuser');
    } finally {
      await admin.query(`DROP ROLE "${superuser}"`);
    }
    expect(
      await refusal(
        provisionServiceDatabases(DATABASE_URL, [
          { role: 'xauth_gateway', schemas: [] },
          { role: 'xauth_gateway', schemas: [] },
        ]),
      ),
    ).to.include('named for two services');
    expect(await refusal(provisionServiceDatabases(DATABASE_URL, [{ role: 'xauth_gateway', password: 'short', schemas: [] }]))).to.include(
      'at least 8 printable ASCII',
    );
  });
});
