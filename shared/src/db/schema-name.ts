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
