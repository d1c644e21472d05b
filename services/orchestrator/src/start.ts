import type { DataSource } from 'typeorm';
import {
  Bus,
  CircuitBreakers,
  Keyring,
  Metrics,
  OutboxRelay,
  PgBreakerStore,
  ServiceRunner,
  SharedCallBudget,
  breakerPolicy,
  breakersRoutes,
  dataSourceSql,
  pruneOutboxAndInbox,
  createHttpApp,
  createLogger,
  databaseReady,
  finishHttpApp,
  listen,
  openDatabase,
  type EntryPoint,
  type Logger,
  type RunningServer,
  busOptionsFrom,
} from '@xauth/shared';
import type { OrchestratorConfig } from './config.js';
import { entities } from './data-access/entities/index.js';
import { GoLoginDirectory } from './data-access/gologin.client.js';
import { migrations } from './data-access/migrations/index.js';
import { Store } from './data-access/store.js';
import { CampaignStore } from './data-access/campaign.store.js';
import { EncryptedRowsStore } from './data-access/encrypted-rows.store.js';
import { runCampaigns } from './domain/use-cases/campaigns.use-case.js';
import { campaignsRoutes } from './entry-points/http/campaigns.routes.js';
import { encryptionKeysRoutes } from './entry-points/http/encryption-keys.routes.js';
import { XApiClient } from './data-access/x-api.client.js';
import { BreakerGuardedX } from './data-access/breaker-guarded-x.js';
import type { OrchestratorDeps } from './domain/deps.js';
import { expireOverdueJobs } from './domain/use-cases/expire-jobs.use-case.js';
import { AppPauses } from './domain/refresh-failure.rule.js';
import { refreshDueTokens } from './domain/use-cases/refresh-due-tokens.use-case.js';
import { ProfileSync } from './domain/use-cases/sync-profiles.use-case.js';
import { mountInternalApi } from './entry-points/http/internal-api.js';
import { mountAccountsApi } from './entry-points/http/accounts-api.js';
import { AccountQueries } from './data-access/account-queries.js';
import { offboardGoneAccounts } from './domain/use-cases/manage-account.use-case.js';
import { IntervalJob } from './entry-points/jobs/interval-job.js';
import { subscriptions } from './entry-points/messaging/subscriptions.js';

const MINUTE_MS = 60_000;

export interface RunningOrchestrator {
  url: string;
  deps: OrchestratorDeps;
  dataSource: DataSource;
  stop(): Promise<void>;
}

/** Opens the database (migrating), connects the bus, syncs profiles, then starts every entry point. */
export async function startOrchestrator(config: OrchestratorConfig, opts: { logger?: Logger } = {}): Promise<RunningOrchestrator> {
  const service = 'orchestrator';
  const busOptions = busOptionsFrom(config, service);
  const logger = opts.logger ?? createLogger({ service, level: config.LOG_LEVEL });
  const metrics = new Metrics(service, { defaultMetrics: true });
  const keyring = new Keyring(config.ENCRYPTION_KEYS);
  const refreshes = metrics.counter(
    'xauth_token_refresh_total',
    'Refresher outcomes (refreshed, not_due, busy, failed, outcome_unknown, or an error code such as REFRESH_OUTCOME_UNKNOWN)',
    ['outcome'],
  );
  const tokensGauge = metrics.gauge(
    'xauth_tokens',
    'Stored tokens by status (active, dead, outcome_unknown; backing_off: active tokens waiting out a failed refresh)',
    ['status'],
  );
  const dataSource = await openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities,
    migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: `${config.XAUTH_NAMESPACE}:${service}`,
    logger,
  });
  const bus = await Bus.connect({ ...busOptions, namespace: config.XAUTH_NAMESPACE, service, logger, metrics, maxAttempts: config.MAX_ATTEMPTS });
  const relay = new OutboxRelay({ dataSource, bus, logger, metrics, pollMs: config.OUTBOX_POLL_MS });
  // One breaker per app over X's token endpoint, in this service's schema so every replica sees one state.
  const breakers = new CircuitBreakers({
    store: new PgBreakerStore(dataSourceSql(dataSource), config.DATABASE_SCHEMA),
    policy: breakerPolicy(config),
    cacheMs: config.BREAKER_CACHE_MS,
    logger,
    metrics,
  });
  const x = new BreakerGuardedX(
    new XApiClient({ tokenUrl: config.X_TOKEN_URL, revokeUrl: config.X_REVOKE_URL, meUrl: config.X_ME_URL, timeoutMs: config.X_HTTP_TIMEOUT_MS }),
    breakers,
    config.BREAKER_FAILURE_THRESHOLD,
  );
  // The use cases see the store through their port; the pruner and the gauge below use the rest of it.
  const store = new Store(dataSource, () => relay.nudge());
  const profileSync = new ProfileSync(() => deps, { minGapMs: config.PROFILE_SYNC_MIN_GAP_MS, waitMs: config.PROFILE_SYNC_WAIT_MS });
  const deps: OrchestratorDeps = {
    store,
    campaigns: new CampaignStore(dataSource, () => relay.nudge()),
    encryptedRows: new EncryptedRowsStore(dataSource),
    keyring,
    x,
    breakers: { tokenEndpointBlocked: (app) => x.breakerOf(app).blocks() },
    profiles: new GoLoginDirectory(
      config.GOLOGIN_API_URL,
      config.GOLOGIN_API_TOKEN,
      config.X_HTTP_TIMEOUT_MS,
      new SharedCallBudget(dataSourceSql(dataSource), config.DATABASE_SCHEMA, config.GOLOGIN_LIST_RATE_LIMIT_PER_MINUTE, MINUTE_MS),
    ),
    logger,
    apps: config.X_APPS,
    appPauses: new AppPauses(),
    syncProfilesOnDemand: () => profileSync.onDemand(),
    settings: {
      defaultApp: config.DEFAULT_APP,
      defaultScopes: config.DEFAULT_SCOPES,
      authorizeUrl: config.X_AUTHORIZE_URL,
      jobTtlMs: config.JOB_TTL_MS,
      xHttpTimeoutMs: config.X_HTTP_TIMEOUT_MS,
      tokenValidityMarginMs: config.TOKEN_VALIDITY_MARGIN_MS,
      refreshAheadMs: config.REFRESH_AHEAD_MS,
      refreshBatch: config.REFRESH_BATCH,
      refreshConcurrency: config.REFRESH_CONCURRENCY,
      autoReauthorize: config.AUTO_REAUTHORIZE,
      refreshLeaseMs: config.REFRESH_LEASE_MS,
      refreshBackoff: { baseMs: config.REFRESH_BACKOFF_BASE_MS, maxMs: config.REFRESH_BACKOFF_MAX_MS },
      recheckLimit: config.RECHECK_LIMIT,
      relogin: { batchLimit: config.RELOGIN_BATCH_LIMIT, ratePerSecond: config.RELOGIN_RATE_PER_SECOND },
      campaigns: {
        ratePerSecond: config.CAMPAIGN_RATE_PER_SECOND,
        maxInFlight: config.CAMPAIGN_MAX_IN_FLIGHT,
        batch: config.CAMPAIGN_BATCH,
        intervalMs: config.CAMPAIGN_INTERVAL_MS,
      },
      reencryptLimit: config.REENCRYPT_LIMIT,
    },
  };

  // Profiles first: a login request for an account we cannot map would be refused. A large directory
  // takes minutes (paced pages): the start waits PROFILE_SYNC_WAIT_MS, the sync goes on, and logins for
  // accounts it has not mapped yet wait for it as long.
  const synced = await profileSync.within((err) =>
    logger.error('initial profile sync failed; requests for unmapped accounts will be refused until it succeeds', { error: String(err) }),
  );
  if (!synced) logger.warn('the initial profile sync is still under way; starting without waiting for it', { waitedMs: config.PROFILE_SYNC_WAIT_MS });

  const app = createHttpApp({
    service,
    logger,
    metrics,
    readiness: { database: () => databaseReady(dataSource), broker: () => bus.isConnected() },
    readinessDetails: () => breakers.details(),
  });
  mountInternalApi(app, deps, { gateway: config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR, deadLetters: config.INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR });
  mountAccountsApi(
    app,
    deps,
    new AccountQueries(dataSource, {
      apps: config.X_APPS.map((a) => a.name),
      refreshAheadMs: config.REFRESH_AHEAD_MS,
      profileGoneGraceMs: config.PROFILE_GONE_GRACE_MS,
    }),
    config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR,
  );
  app.use(breakersRoutes(breakers, config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR));
  app.use(campaignsRoutes(deps, config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR));
  app.use(encryptionKeysRoutes(deps, config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR));
  finishHttpApp(app, logger);
  let server: RunningServer | undefined;

  const consumers: EntryPoint[] = subscriptions(deps).map(({ queue, handlers }) => {
    let sub: Awaited<ReturnType<Bus['subscribe']>> | undefined;
    return {
      name: `consumer:${queue}`,
      start: async () => {
        sub = await bus.subscribe(queue, handlers, { prefetch: config.LOGIN_PREFETCH });
      },
      stop: async () => {
        await sub?.stop(config.SHUTDOWN_TIMEOUT_MS);
      },
    };
  });
  const runner = new ServiceRunner(service, logger, config.SHUTDOWN_TIMEOUT_MS);
  await runner.start([
    { name: 'bus', start: async () => undefined, stop: () => bus.close(config.SHUTDOWN_TIMEOUT_MS) },
    { name: 'database', start: async () => undefined, stop: () => dataSource.destroy() },
    relay,
    // The first sync ran above, before any consumer started.
    new IntervalJob('profile-sync', config.PROFILE_SYNC_INTERVAL_MS, () => profileSync.run(), logger, { runAtStart: false }),
    new IntervalJob('job-sweeper', config.SWEEP_INTERVAL_MS, () => expireOverdueJobs(deps), logger),
    new IntervalJob('campaign-runner', config.CAMPAIGN_INTERVAL_MS, () => runCampaigns(deps), logger),
    new IntervalJob(
      'message-log-pruner',
      3_600_000,
      async () => {
        await dataSource.transaction((m) => pruneOutboxAndInbox(m, new Date(Date.now() - config.MESSAGE_LOG_RETENTION_MS)));
        await store.transaction((tx) => tx.accounts.pruneHistory(new Date(Date.now() - config.ACCOUNT_HISTORY_RETENTION_MS)));
      },
      logger,
    ),
    new IntervalJob('profile-gone-offboarder', config.PROFILE_GONE_CHECK_INTERVAL_MS, () => offboardGoneAccounts(deps, config.PROFILE_GONE_GRACE_MS), logger),
    new IntervalJob(
      'token-refresher',
      config.REFRESH_INTERVAL_MS,
      async () => {
        const outcomes = await refreshDueTokens(deps);
        for (const [outcome, n] of Object.entries(outcomes)) refreshes.inc({ outcome }, n);
        const byStatus = await store.countTokensByStatus();
        for (const status of ['active', 'dead', 'outcome_unknown', 'backing_off']) tokensGauge.set({ status }, byStatus[status] ?? 0);
      },
      logger,
    ),
    {
      name: 'http',
      start: async () => {
        server = await listen(app, config.HTTP_HOST, config.HTTP_PORT);
      },
      stop: async () => {
        await server?.close();
      },
    },
    ...consumers,
  ]);
  return { url: server!.url, deps, dataSource, stop: () => runner.stop() };
}
