import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { DATABASE_SERVICES, SCHEMA_NAME_PATTERN, defaultServiceRole, quoteSchema, schemaName } from './schema-name.js';

/** One service's login role and the schemas it owns. */
export interface ServiceDatabase {
  /** The login role the service connects as; it owns `schemas` and is granted nothing else. */
  role: string;
  /** Set as the role's password, sent as a SCRAM-SHA-256 verifier (the plain text never reaches the server or its logs). Unset: the password stays as it is. */
  password?: string;
  /** Schemas created for the role, or handed over to it (with the tables, views and sequences in them) when another role created them. */
  schemas: string[];
}

/** Every service's default role, each with its schema in `namespace` (what `npm start`, the tests and `npm run db:roles` set up unless told otherwise). */
export function defaultServiceDatabases(namespace: string): ServiceDatabase[] {
  return DATABASE_SERVICES.map((service) => ({ role: defaultServiceRole(service), schemas: [schemaName(namespace, service)] }));
}

/** The role, password and database a service's `DATABASE_URL` names. */
export function serviceDatabaseFromUrl(url: string, schemas: string[]): ServiceDatabase & { database: string } {
  const parsed = new URL(url);
  const role = decodeURIComponent(parsed.username);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  return { role, ...(password ? { password } : {}), schemas, database: decodeURIComponent(parsed.pathname.slice(1)) || role };
}

/** Thrown when a service role cannot be set up as asked; the message names the role and what to change. */
export class ServiceRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceRoleError';
  }
}

/**
 * Sets up each service's role on the server `adminUrl` points at, idempotently: creates the login
 * role (no superuser, no CREATEDB, no CREATEROLE, no replication, no RLS bypass; an existing one is
 * brought back to that), sets its password when one is given, creates each schema owned by it, and
 * hands over a schema another role created before (older releases ran everything as `postgres`),
 * with its tables, views and sequences. It grants nothing else, and revokes a membership in another
 * service's role or in `pg_read_all_data`/`pg_write_all_data`: a role reads only what it owns.
 * Runs in one transaction under an advisory lock, so concurrent runs (test files, replicated jobs)
 * do not race. `adminUrl` must be a superuser's.
 */
export async function provisionServiceDatabases(adminUrl: string, services: ServiceDatabase[]): Promise<void> {
  checkServices(services);
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'xauth:db-roles' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('xauth:service-roles'))");
    const {
      rows: [admin],
    } = await client.query<{ name: string; superuser: boolean }>(
      'SELECT current_user AS name, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
    );
    if (!admin?.superuser)
      throw new ServiceRoleError(`the admin connection's role "${admin?.name}" is not a superuser; it must be (it creates roles and hands schemas over)`);
    for (const service of services) {
      if (service.role === admin.name) throw new ServiceRoleError(`role "${service.role}" is the admin's own; give the service a role of its own`);
      await ensureRole(client, service);
      for (const schema of service.schemas) await ensureOwnedSchema(client, schema, service.role);
    }
    await revokeWiderMemberships(
      client,
      services.map((s) => s.role),
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

function checkServices(services: ServiceDatabase[]): void {
  const seen = new Set<string>();
  for (const { role, password, schemas } of services) {
    if (!SCHEMA_NAME_PATTERN.test(role)) throw new ServiceRoleError(`role name "${role}" must match ${SCHEMA_NAME_PATTERN}`);
    if (seen.has(role)) throw new ServiceRoleError(`role "${role}" is named for two services; each service needs its own`);
    seen.add(role);
    // PostgreSQL prepares non-ASCII passwords with SASLprep; printable ASCII needs none, so the verifier is exact.
    if (password !== undefined && !/^[\x21-\x7e]{8,}$/.test(password))
      throw new ServiceRoleError(`the password for role "${role}" must be at least 8 printable ASCII characters without spaces (e.g. openssl rand -hex 32)`);
    for (const schema of schemas) quoteSchema(schema);
  }
}

const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';

async function ensureRole(client: pg.Client, { role, password }: ServiceDatabase): Promise<void> {
  const {
    rows: [existing],
  } = await client.query<{ superuser: boolean }>('SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = $1', [role]);
  if (existing?.superuser) throw new ServiceRoleError(`role "${role}" is a superuser; a service's role must not be (name another role in its DATABASE_URL)`);
  const name = client.escapeIdentifier(role);
  await client.query(`${existing ? 'ALTER' : 'CREATE'} ROLE ${name} ${ROLE_ATTRIBUTES}`);
  if (password !== undefined) await client.query(`ALTER ROLE ${name} PASSWORD ${client.escapeLiteral(scramSha256Verifier(password))}`);
}

/** Predefined roles that read or write every table: a service role is never a member. */
const READ_WRITE_ALL = ['pg_read_all_data', 'pg_write_all_data'];

/** Membership in another service's role, or in a read-all/write-all role, would open other schemas: revoked. */
async function revokeWiderMemberships(client: pg.Client, roles: string[]): Promise<void> {
  const { rows } = await client.query<{ granted: string; member: string }>(
    `
    SELECT g.rolname AS granted, m.rolname AS member FROM pg_auth_members a
    JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
    WHERE m.rolname = ANY($1) AND g.rolname = ANY($2)`,
    [roles, [...roles, ...READ_WRITE_ALL]],
  );
  for (const r of rows) await client.query(`REVOKE ${client.escapeIdentifier(r.granted)} FROM ${client.escapeIdentifier(r.member)}`);
}

/** Relation kinds handed over with a schema, and the ALTER that names each. */
const RELATION_KINDS: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE', S: 'SEQUENCE' };

async function ensureOwnedSchema(client: pg.Client, schema: string, role: string): Promise<void> {
  const quoted = quoteSchema(schema);
  const name = client.escapeIdentifier(role);
  const {
    rows: [found],
  } = await client.query<{ owned: boolean }>('SELECT nspowner = (SELECT oid FROM pg_roles WHERE rolname = $2) AS owned FROM pg_namespace WHERE nspname = $1', [
    schema,
    role,
  ]);
  if (!found) {
    await client.query(`CREATE SCHEMA ${quoted} AUTHORIZATION ${name}`);
    return;
  }
  if (!found.owned) await client.query(`ALTER SCHEMA ${quoted} OWNER TO ${name}`);
  // Sequences that belong to a column (serial, identity) follow their table.
  const { rows } = await client.query<{ relname: string; relkind: string }>(
    `
    SELECT c.relname, c.relkind FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
      AND c.relkind = ANY($3)
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
    [schema, role, Object.keys(RELATION_KINDS)],
  );
  for (const r of rows) await client.query(`ALTER ${RELATION_KINDS[r.relkind]} ${quoted}.${client.escapeIdentifier(r.relname)} OWNER TO ${name}`);
}

/**
 * A SCRAM-SHA-256 password verifier as PostgreSQL stores it (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
 * RFC 5802/7677): `ALTER ROLE ... PASSWORD '<verifier>'` stores it as is, like psql's `\password`.
 * @defaultValue iterations 4096 (PostgreSQL's `scram_iterations` default)
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
