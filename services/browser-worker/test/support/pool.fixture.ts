import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Metrics, SharedCallBudget, SlidingWindowBudget, createLogger, pgPoolSql, quoteSchema, schemaName } from '@xauth/shared';
import { migrateWorkerSchema } from '../../src/data-access/database.js';
import { GoLoginProvider, type GoLoginOptions } from '../../src/data-access/gologin.provider.js';
import type { ProfileProvider } from '../../src/domain/ports.js';
import { BrowserPool, type BrowserPoolOptions } from '../../src/pool/browser-pool.js';
import { poolMetrics } from '../../src/pool/pool-metrics.js';
import { profileLockKey } from '../../src/pool/profile-lock-key.js';
import { ProfileLocks } from '../../src/pool/profile-locks.js';

export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const silentLogger = createLogger({ service: 'browser-worker-test', silent: true });

/** A pool as the worker builds it (real PostgreSQL locks, real metrics), in a namespace of its own. */
export class PoolFixture {
  readonly namespace = `test-${randomBytes(4).toString('hex')}`;
  readonly db = new pg.Pool({ connectionString: DATABASE_URL, max: 20 });
  readonly metrics = new Metrics('browser-worker-test');
  readonly stats = poolMetrics(this.metrics, 4);
  readonly pools: BrowserPool[] = [];

  gologin(url: string, over: Partial<GoLoginOptions> = {}): GoLoginProvider {
    return new GoLoginProvider({
      baseUrl: url,
      token: 'xsim-gologin-token',
      timeoutMs: 10_000,
      stopTimeoutMs: 1_500,
      startTimeoutMs: 15_000,
      pollMs: 100,
      budget: new SlidingWindowBudget(240, 60_000),
      budgetWaitMs: 1_000,
      ...over,
    });
  }

  pool(provider: ProfileProvider, over: Partial<BrowserPoolOptions> = {}): BrowserPool {
    const pool = new BrowserPool({
      provider,
      locks: new ProfileLocks(this.db, this.namespace, silentLogger),
      metrics: this.stats,
      logger: silentLogger,
      maxOpen: 4,
      closeTimeoutMs: 1_500,
      keepAliveMs: 0,
      recycleAfterJobs: 0,
      ...over,
    });
    this.pools.push(pool);
    return pool;
  }

  /** Whether nobody holds the profile's lock (checked by taking and giving it back on one session). */
  async lockIsFree(profileId: string, namespace = this.namespace): Promise<boolean> {
    const key = profileLockKey(namespace, profileId);
    const client = await this.db.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (rows[0]?.ok) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
      return rows[0]?.ok === true;
    } finally {
      client.release();
    }
  }

  /** Holds the profile's lock as another replica would, until the returned function is called. */
  async holdLock(profileId: string): Promise<() => Promise<void>> {
    const client = await this.db.connect();
    await client.query('SELECT pg_advisory_lock($1::bigint)', [profileLockKey(this.namespace, profileId)]);
    return async () => {
      await client.query('SELECT pg_advisory_unlock_all()');
      client.release();
    };
  }

  /** The GoLogin call budget the worker replicas of this namespace share, on a migrated schema of its own. */
  async sharedBudget(limit: number, windowMs: number): Promise<SharedCallBudget> {
    const schema = schemaName(this.namespace, 'browser_worker');
    if (!this.migrated) {
      await migrateWorkerSchema({ url: DATABASE_URL, schema, logger: silentLogger });
      this.migrated = true;
    }
    return new SharedCallBudget(pgPoolSql(this.db), schema, limit, windowMs);
  }
  private migrated = false;

  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = await this.metrics.registry.getSingleMetric(name)?.get();
    const match = metric?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return (match ?? []).reduce((sum, v) => sum + v.value, 0);
  }

  async close(): Promise<void> {
    for (const p of this.pools.splice(0)) await p.closeAll();
    if (this.migrated) await this.db.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schemaName(this.namespace, 'browser_worker'))} CASCADE`);
    await this.db.end();
  }
}
