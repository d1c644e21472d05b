/** What a schema name must look like (so it can be quoted into SQL safely). */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** `<namespace>_<service>` as a PostgreSQL identifier (namespaces may contain `-`). */
export function schemaName(namespace: string, service: string): string {
  return `${namespace}_${service}`.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
}

/** A schema name quoted for SQL; throws on anything but `SCHEMA_NAME_PATTERN`. */
export function quoteSchema(name: string): string {
  if (!SCHEMA_NAME_PATTERN.test(name)) throw new Error(`unsafe schema name "${name}"`);
  return `"${name}"`;
}

/** The services that keep a PostgreSQL schema, as `schemaName(namespace, service)` spells them. */
export const DATABASE_SERVICES = ['orchestrator', 'gateway', 'dead_letters', 'browser_worker'] as const;
export type DatabaseService = (typeof DATABASE_SERVICES)[number];

/** The role a service connects as unless its `DATABASE_URL` names another: `xauth_<service>`, the same in every namespace. */
export function defaultServiceRole(service: DatabaseService): string {
  return `xauth_${service}`;
}

/**
 * A service's development `DATABASE_URL`: its own role, without a password (the local PostgreSQL
 * trusts 127.0.0.1), on `server`'s host, port and database.
 * @defaultValue server `postgres://127.0.0.1:5432/postgres`
 */
export function defaultServiceDatabaseUrl(service: DatabaseService, server = 'postgres://127.0.0.1:5432/postgres'): string {
  const url = new URL(server);
  url.username = defaultServiceRole(service);
  url.password = '';
  return url.toString();
}
