import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataSchemaId, messages, type RoutingKey } from './catalog.js';
import { embeddedJsonSchema } from './openapi.js';
import { breakingChanges, same, type JsonSchema } from './schema-compat.js';

/**
 * The committed JSON Schema of every published message version, `contracts/schemas/<type>/v<N>.json`:
 * what a version promised when it was published. contracts/test/schema-snapshots.test.ts compares the
 * zod contracts with them; `npm run contracts:snapshot` writes them. Not exported from the package
 * index: it reads files.
 */
export const SNAPSHOT_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** The JSON Schema a type's current contract publishes, with its dataschema as `$id`. */
export function currentSchema(type: RoutingKey): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: dataSchemaId(type),
    ...embeddedJsonSchema(messages[type].schema, 'output'),
  };
}

export const snapshotPath = (type: RoutingKey, version: number, dir = SNAPSHOT_DIR): string => join(dir, type, `v${version}.json`);

/** The versions of a type that have a snapshot, ascending. */
export function snapshotVersions(type: RoutingKey, dir = SNAPSHOT_DIR): number[] {
  const typeDir = join(dir, type);
  if (!existsSync(typeDir)) return [];
  return readdirSync(typeDir)
    .map((f) => /^v(\d+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export function readSnapshot(type: RoutingKey, version: number, dir = SNAPSHOT_DIR): JsonSchema | undefined {
  const file = snapshotPath(type, version, dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JsonSchema) : undefined;
}

/** How a type's current contract stands against the snapshot of its current version. */
export type SnapshotStatus =
  { state: 'current' } | { state: 'missing' } | { state: 'stale' } | { state: 'breaking'; changes: string[] } | { state: 'version-went-back'; newest: number };

export function snapshotStatus(type: RoutingKey, dir = SNAPSHOT_DIR): SnapshotStatus {
  const version = messages[type].version;
  const newest = snapshotVersions(type, dir).at(-1);
  if (newest !== undefined && newest > version) return { state: 'version-went-back', newest };
  const snapshot = readSnapshot(type, version, dir);
  if (snapshot === undefined) return { state: 'missing' };
  const current = currentSchema(type);
  const changes = breakingChanges(snapshot, current);
  if (changes.length) return { state: 'breaking', changes };
  return same(snapshot, current) ? { state: 'current' } : { state: 'stale' };
}

/**
 * Writes the snapshot of every type's current version that is missing or stale (compatible changes
 * only). A breaking change to a published version is refused unless its type is named in
 * `acceptBreaking` (e.g. a zod upgrade that rewrote a pattern but accepts the same values): then the
 * published promise changes in place, which the commit must explain.
 */
export function writeSnapshots(opts: { dir?: string; acceptBreaking?: readonly string[] } = {}): { written: string[]; refused: string[] } {
  const dir = opts.dir ?? SNAPSHOT_DIR;
  const written: string[] = [];
  const refused: string[] = [];
  for (const type of Object.keys(messages) as RoutingKey[]) {
    const status = snapshotStatus(type, dir);
    if (status.state === 'current') continue;
    if (status.state === 'version-went-back') {
      refused.push(`${type}: the contract says v${messages[type].version} but v${status.newest} was published; versions only go up`);
      continue;
    }
    if (status.state === 'breaking' && !opts.acceptBreaking?.includes(type)) {
      refused.push(
        `${type}: breaks the published ${dataSchemaId(type)}:\n    ${status.changes.join('\n    ')}\n  give it a new version instead (version: ${messages[type].version + 1} in contracts/src/catalog.ts)`,
      );
      continue;
    }
    const file = snapshotPath(type, messages[type].version, dir);
    mkdirSync(join(dir, type), { recursive: true });
    writeFileSync(file, `${JSON.stringify(currentSchema(type), null, 2)}\n`);
    written.push(file);
  }
  return { written, refused };
}
