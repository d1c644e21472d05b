import { createHash } from 'node:crypto';
import pg from 'pg';
import { ErrorCodes } from '@xauth/contracts';
import {
  Bus,
  CircuitBreakers,
  Metrics,
  PgBreakerStore,
  ServiceRunner,
  breakerPolicy,
  breakersRoutes,
  createHttpApp,
  createLogger,
  finishHttpApp,
  listen,
  pgPoolSql,
  type Logger,
  type RunningServer,
  type Subscription,
  busOptionsFrom,
} from '@xauth/shared';
import { artifactsForAttempt, startArtifactSweeper } from './failure-artifacts/artifact-store.js';
import { artifactsOf } from './failure-artifacts/error-artifacts.js';
import { PgArtifactStore } from './data-access/pg-artifact.store.js';
import { migrateWorkerSchema } from './data-access/database.js';
import { runAuthorizeFlow } from './browser/authorize-flow.js';
import { setCdpCompression } from './browser/cdp-compression.js';
import type { BrowserWorkerConfig } from './config.js';
import type { AuthorizeJobDeps } from './domain/authorize-job.use-case.js';
import { artifactsRoutes } from './entry-points/http/artifacts.routes.js';
import { jobRequested } from './entry-points/messaging/job-requested.handler.js';
import { BrowserPool } from './pool/browser-pool.js';
import { BreakerGate } from './pool/dependency-gate.js';
import { ConcurrencyController } from './pool/concurrency-controller.js';
import { concurrencyMetrics, poolMetrics } from './pool/pool-metrics.js';
import { createProfileProvider } from './pool/profile-provider.factory.js';
import { ProfileLocks } from './pool/profile-locks.js';
import { SystemSampler, type Sampler } from './pool/system-sampler.js';

export interface RunningBrowserWorker {
  url: string;
  stop(): Promise<void>;
}

/**
 * Consumes authorization jobs with prefetch = the pool's concurrency, so the queue, not the worker,
 * holds the backlog; each job opens one profile. The concurrency starts at MIN_CONCURRENT_PROFILES
 * and follows what the machine and the provider take, up to MAX_CONCURRENT_PROFILES.
 */
export async function startBrowserWorker(
  config: BrowserWorkerConfig,
  opts: { logger?: Logger; /** What the pool sizing reads of the machine; tests pin it. */ sampler?: Sampler } = {},
): Promise<RunningBrowserWorker> {
  const service = 'browser-worker';
  setCdpCompression(config.CDP_COMPRESSION);
  const busOptions = busOptionsFrom(config, service);
  const logger = opts.logger ?? createLogger({ service, level: config.LOG_LEVEL });
  const metrics = new Metrics(service, { defaultMetrics: true });
  const poolStats = poolMetrics(metrics, config.MAX_CONCURRENT_PROFILES);
  const jobSeconds = metrics.histogram('xauth_browser_job_duration_seconds', 'Browser attempts by outcome', ['outcome'], [0.5, 1, 2, 5, 10, 30, 60, 180]);
  const interstitials = metrics.counter('xauth_interstitials_total', 'Interstitials seen, by whether they cleared', ['cleared']);

  // Each held profile lock keeps a connection for its job (and a warm browser); one more answers /ready,
  // two more write failure artifacts and book GoLogin calls.
  // The schema holds what every replica shares: the GoLogin call budget and the failure artifacts.
  await migrateWorkerSchema({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    logger,
    applicationName: `${config.XAUTH_NAMESPACE}:${service}:migrate`,
  });
  const db = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: Math.max(config.DATABASE_POOL_SIZE, config.MAX_CONCURRENT_PROFILES + 3),
    connectionTimeoutMillis: 5_000,
  });
  db.on('error', (err) => logger.warn('idle PostgreSQL connection broke', { error: err.message }));
  // Breakers live in the worker's schema, so every replica sees one state (DESIGN.md: load is contained, not passed on).
  const breakers = new CircuitBreakers({
    store: new PgBreakerStore(pgPoolSql(db), config.DATABASE_SCHEMA),
    policy: breakerPolicy(config),
    cacheMs: config.BREAKER_CACHE_MS,
    logger,
    metrics,
  });
  const gologinBreaker = config.PROFILE_PROVIDER === 'gologin' ? breakers.get(gologinBreakerName(config.GOLOGIN_API_TOKEN), 'GoLogin') : undefined;
  let sub: Subscription | undefined;
  const controller = new ConcurrencyController({
    limits: {
      min: config.MIN_CONCURRENT_PROFILES,
      max: config.MAX_CONCURRENT_PROFILES,
      cpuCeiling: config.POOL_CPU_CEILING,
      cpuGrowBelow: config.POOL_CPU_GROW_BELOW,
      minFreeMemoryBytes: config.POOL_MIN_FREE_MEMORY_MB * MB,
      slotMemoryBytes: config.POOL_SLOT_MEMORY_MB * MB,
      maxLoopLagMs: config.POOL_MAX_LOOP_LAG_MS,
      slowStartMs: config.POOL_SLOW_START_MS,
      slowStartFactor: config.POOL_SLOW_START_FACTOR,
    },
    tickMs: config.POOL_SIZING_INTERVAL_MS,
    sampler: opts.sampler ?? new SystemSampler(),
    metrics: concurrencyMetrics(metrics, config.MIN_CONCURRENT_PROFILES),
    logger,
    apply: async (n) => {
      pool.setLevel(n);
      await sub?.setPrefetch(n);
    },
  });
  const pool = new BrowserPool({
    provider: createProfileProvider(config, logger, poolStats, db, gologinBreaker),
    locks: new ProfileLocks(db, config.XAUTH_NAMESPACE, logger),
    metrics: poolStats,
    logger,
    maxOpen: config.MAX_CONCURRENT_PROFILES,
    closeTimeoutMs: config.BROWSER_CLOSE_TIMEOUT_MS,
    keepAliveMs: config.PROFILE_KEEP_ALIVE_MS,
    recycleAfterJobs: config.BROWSER_RECYCLE_AFTER_JOBS,
    observer: controller,
  });
  const bus = await Bus.connect({ ...busOptions, namespace: config.XAUTH_NAMESPACE, service, logger, metrics, maxAttempts: config.MAX_ATTEMPTS });
  // In the worker's schema, so any replica serves any artifact (the gateway may ask any of them).
  const artifacts = new PgArtifactStore(db, config.DATABASE_SCHEMA);
  const deps: AuthorizeJobDeps = {
    bus,
    logger,
    workerId: config.WORKER_ID,
    jobTimeoutMs: config.JOB_TIMEOUT_MS,
    runningJobs: new Map(),
    pool,
    runFlow: (req) =>
      runAuthorizeFlow(
        req,
        {
          stepMs: config.STEP_TIMEOUT_MS,
          interstitialMs: config.INTERSTITIAL_TIMEOUT_MS,
          closeMs: config.PAGE_CLOSE_TIMEOUT_MS,
          captureMs: config.ARTIFACT_CAPTURE_TIMEOUT_MS,
        },
        logger,
        {
          interstitial: (cleared) => interstitials.inc({ cleared: String(cleared) }),
        },
        {
          trace: req.attempt >= config.ARTIFACTS_TRACE_FROM_ATTEMPT ? config.ARTIFACTS_TRACE : 'off',
          into: (secrets) => artifactsForAttempt(artifacts, req.jobId, req.attempt, secrets),
        },
      ),
    failureArtifacts: { keptFor: artifactsOf },
    onOutcome: (outcome, seconds) => {
      jobSeconds.observe({ outcome }, seconds);
      controller.flowEnded(outcome === 'captured', OVERLOAD_CODES.has(outcome));
    },
    gate: new BreakerGate(breakers.get('x-web', "X's pages"), gologinBreaker),
  };

  const app = createHttpApp({
    service,
    logger,
    metrics,
    readiness: {
      broker: () => bus.isConnected(),
      db: () =>
        db.query('SELECT 1').then(
          () => true,
          () => false,
        ),
    },
    readinessDetails: () => breakers.details(),
  });
  app.use(breakersRoutes(breakers, config.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER));
  app.use(artifactsRoutes({ store: artifacts, internalToken: config.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER }));
  finishHttpApp(app, logger);
  let sweeper: { stop(): void } | undefined;
  let server: RunningServer | undefined;
  const runner = new ServiceRunner(service, logger, config.SHUTDOWN_TIMEOUT_MS);
  await runner.start([
    { name: 'bus', start: async () => undefined, stop: () => bus.close(config.SHUTDOWN_TIMEOUT_MS) },
    {
      name: 'database',
      start: async () => {
        await db.query('SELECT 1');
      },
      stop: () => db.end(),
    },
    {
      name: 'browser-pool',
      start: async () => {
        await pool.sweepStrays();
      },
      stop: () => pool.closeAll(),
    },
    {
      name: 'artifact retention',
      start: async () => {
        sweeper = startArtifactSweeper(
          artifacts,
          { retentionMs: config.ARTIFACTS_RETENTION_MS, maxBytes: config.ARTIFACTS_MAX_BYTES },
          config.ARTIFACTS_SWEEP_INTERVAL_MS,
          logger,
        );
      },
      stop: async () => sweeper?.stop(),
    },
    {
      name: 'http',
      start: async () => {
        server = await listen(app, config.HTTP_HOST, config.HTTP_PORT);
      },
      stop: async () => {
        await server?.close();
      },
    },
    {
      name: 'consumer:browser-worker.authorization-jobs',
      start: async () => {
        sub = await bus.subscribe(
          'browser-worker.authorization-jobs',
          { 'authorization.job.requested': jobRequested(deps) },
          { prefetch: config.MIN_CONCURRENT_PROFILES },
        );
        await controller.start();
      },
      stop: async () => {
        controller.stop();
        await sub?.stop(config.SHUTDOWN_TIMEOUT_MS);
      },
    },
  ]);
  return { url: server!.url, stop: () => runner.stop() };
}

/** One breaker per GoLogin API token (replicas sharing a token share its fate), named without the token itself. */
export function gologinBreakerName(token: string): string {
  return `gologin:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

const MB = 2 ** 20;
/** Flow failures that load causes (the machine too slow for the page, a browser that died): they shrink the pool. */
const OVERLOAD_CODES = new Set<string>([ErrorCodes.TIMEOUT, ErrorCodes.BROWSER_CRASHED]);
