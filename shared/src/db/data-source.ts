import 'reflect-metadata';
import { DataSource, type MigrationInterface, type EntitySchema, type QueryRunner } from 'typeorm';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';
import { quoteSchema } from './schema-name.js';

export interface DatabaseOptions {
  url: string;
  /** The service's own schema; tables and the migrations table live there. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Array<Function | EntitySchema>;
  migrations: Array<new () => MigrationInterface>;
  /** At least 2: migrations run on one connection while another holds the migration lock. @defaultValue 10 */
  poolSize?: number;
  applicationName: string;
  logger: Logger;
}

/**
 * Opens a TypeORM data source bound to one schema (via `search_path`, so migrations are plain SQL),
 * checks that the connecting role owns the schema (or creates it, when the role may) and runs pending
 * migrations under an advisory lock, so replicas starting together migrate once. Never `synchronize`.
 */
export async function openDatabase(opts: DatabaseOptions): Promise<DataSource> {
  const ds = new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: opts.entities,
    migrations: opts.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    applicationName: opts.applicationName,
    poolSize: Math.max(2, opts.poolSize ?? 10),
    connectTimeoutMS: 5_000,
    extra: {
      options: `-c search_path=${opts.schema},public -c statement_timeout=30000 -c lock_timeout=10000`,
      idleTimeoutMillis: 30_000,
    },
  });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [opts.schema]);
    await ensureSchema(runner, opts.schema);
    const ran = await ds.runMigrations({ transaction: 'each' });
    if (ran.length) opts.logger.info('database migrated', { schema: opts.schema, migrations: ran.map((m) => m.name) });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [opts.schema]).catch(() => undefined);
    await runner.release();
  }
  return ds;
}

/**
 * Creates the schema when it is missing and the connecting role may (a superuser, in tests that
 * connect as one); otherwise the schema must exist and belong to this role, as `npm run db:roles`
 * leaves it. Refused with the variable to fix, before a migration fails halfway on a permission.
 */
async function ensureSchema(runner: QueryRunner, schema: string): Promise<void> {
  const [state] = (await runner.query(
    `
    SELECT current_user AS role, r.rolsuper AS superuser, n.oid IS NOT NULL AS present, n.nspowner = r.oid AS owned,
           has_database_privilege(current_database(), 'CREATE') AS may_create
    FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = $1 WHERE r.rolname = current_user`,
    [schema],
  )) as Array<{ role: string; superuser: boolean; present: boolean; owned: boolean; may_create: boolean }>;
  if (!state) throw new Error('the connecting role is not in pg_roles');
  if (state.present) {
    if (state.owned || state.superuser) return;
    throw new ConfigError([
      `DATABASE_URL: schema "${schema}" belongs to another role than "${state.role}"; npm run db:roles hands it over (README "Credentials")`,
    ]);
  }
  if (!state.may_create)
    throw new ConfigError([
      `DATABASE_URL: schema "${schema}" does not exist and role "${state.role}" may not create it; npm run db:roles creates it (README "Credentials")`,
    ]);
  await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`);
}

/** True when a trivial query answers within the pool's timeouts. */
export async function databaseReady(ds: DataSource | undefined): Promise<boolean> {
  if (!ds?.isInitialized) return false;
  try {
    await ds.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** Drops a schema and everything in it (tests clean up after themselves). */
export async function dropSchema(ds: DataSource, schema: string): Promise<void> {
  await ds.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
}
