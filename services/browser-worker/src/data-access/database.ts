import { CircuitBreakers1766000000000, openDatabase, type Logger } from '@xauth/shared';
import { CreateGoLoginCalls1765000000000 } from './migrations/1765000000000-create-gologin-calls.migration.js';
import { CreateFailureArtifacts1768000000000 } from './migrations/1768000000000-create-failure-artifacts.migration.js';

export const migrations = [CreateGoLoginCalls1765000000000, CircuitBreakers1766000000000, CreateFailureArtifacts1768000000000];

/**
 * Creates the worker's schema and applies its migrations (under the shared kit's advisory lock, so
 * replicas starting together migrate once), then closes that connection: the worker queries
 * through its own pg pool, which also holds the profile locks.
 */
export async function migrateWorkerSchema(opts: { url: string; schema: string; logger: Logger; applicationName?: string }): Promise<void> {
  const ds = await openDatabase({
    url: opts.url,
    schema: opts.schema,
    entities: [],
    migrations,
    poolSize: 2,
    applicationName: opts.applicationName ?? 'browser-worker:migrate',
    logger: opts.logger,
  });
  await ds.destroy();
}
