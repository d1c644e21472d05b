import type { DataSource } from 'typeorm';
import {
  Bus,
  ConfigError,
  createOpsApp,
  developmentSecretsInUse,
  presentedInternalToken,
  IntervalJob,
  Keyring,
  Metrics,
  ServiceRunner,
  createLogger,
  databaseReady,
  listen,
  openDatabase,
  type EntryPoint,
  type Logger,
  type RunningServer,
  busOptionsFrom,
} from '@xauth/shared';
import type { GatewayConfig } from './config.js';
import { ApiClientRepository } from './data-access/api-client.repository.js';
import { AuditEventRepository } from './data-access/audit-event.repository.js';
import { entities, gatewaySchema, migrations } from './data-access/database.js';
import { InternalServiceClient } from './data-access/internal-service.client.js';
import { SigningKeyRepository } from './data-access/signing-key.repository.js';
import { bootstrapClients } from './domain/bootstrap-clients.use-case.js';
import { AuditLog } from './domain/audit-log.js';
import { ClientAuthenticator } from './domain/client-authenticator.js';
import { ClientStates } from './domain/client-states.js';
import { ClientAdmin } from './domain/manage-clients.use-case.js';
import type { ServiceTokens } from './domain/service-token.js';
import { SigningKeys } from './domain/signing-keys.use-case.js';
import { buildGatewayApp } from './entry-points/http/app.js';
import { TokenReads } from './data-access/token-reads.client.js';

export interface GatewayOptions {
  /** @defaultValue a JSON logger at `LOG_LEVEL` */
  logger?: Logger;
  /** A connected bus to publish on (left open by `stop`). @defaultValue its own connection, service `gateway` */
  bus?: Bus;
}

export interface RunningGateway {
  /** Where the HTTP server listens, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The internal ops server (METRICS_PORT): `/metrics`, the detailed `/ready`, `/health`. */
  metricsUrl: string;
  /** Stops the HTTP server, then the bus (if the gateway opened it), then the database. */
  stop(): Promise<void>;
}

/** Opens the database (migrations, clients, signing key), connects the bus and serves HTTP. */
export async function startGateway(config: GatewayConfig, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const refused = developmentSecretsInUse(config);
  if (refused.length) throw new ConfigError(refused);
  // Refused before anything opens (a bus handed in by a test needs none).
  const busOptions = opts.bus ? undefined : busOptionsFrom(config, 'gateway');

  const metrics = new Metrics('gateway', { defaultMetrics: true });
  const keyring = new Keyring(config.ENCRYPTION_KEYS);
  const schema = gatewaySchema(config);
  const deadLetters = new InternalServiceClient({
    service: 'dead-letter office',
    baseUrl: config.DEAD_LETTERS_URL,
    internalToken: presentedInternalToken(config.INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS),
    timeoutMs: config.DEAD_LETTERS_TIMEOUT_MS,
    logger,
  });
  const browserWorker = new InternalServiceClient({
    service: 'browser-worker',
    baseUrl: config.BROWSER_WORKER_URL,
    internalToken: presentedInternalToken(config.INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER),
    timeoutMs: config.BROWSER_WORKER_TIMEOUT_MS,
    logger,
  });
  const orchestrator = new InternalServiceClient({
    service: 'orchestrator',
    baseUrl: config.ORCHESTRATOR_URL,
    internalToken: presentedInternalToken(config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR),
    timeoutMs: config.ORCHESTRATOR_TIMEOUT_MS,
    logger,
  });
  const tokenReads = new TokenReads(orchestrator, config.TOKEN_READS_MAX_BATCH);
  const orchestratorActions = new InternalServiceClient({
    service: 'orchestrator',
    baseUrl: config.ORCHESTRATOR_URL,
    internalToken: presentedInternalToken(config.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR),
    timeoutMs: config.ORCHESTRATOR_ACTIONS_TIMEOUT_MS,
    logger,
  });
  let ds: DataSource | undefined;
  let clients: ApiClientRepository | undefined;
  let tokens: ServiceTokens | undefined;
  let signingKeys: SigningKeys | undefined;
  let clientStates: ClientStates | undefined;
  let auditEvents: AuditEventRepository | undefined;
  let audit: AuditLog | undefined;
  const auditDropped = metrics.counter('xauth_gateway_audit_dropped_total', 'Audit events dropped because the buffer was full (the database slow or away)');
  let bus = opts.bus;
  let server: RunningServer | undefined;
  let opsServer: RunningServer | undefined;
  let stopApp: (() => void) | undefined;

  const database: EntryPoint = {
    name: 'database',
    start: async () => {
      const opened = await openDatabase({
        url: config.DATABASE_URL,
        schema,
        entities,
        migrations,
        poolSize: config.DATABASE_POOL_SIZE,
        applicationName: `${config.XAUTH_NAMESPACE}:gateway`,
        logger,
      });
      try {
        clients = new ApiClientRepository(opened);
        await bootstrapClients({ production: config.NODE_ENV === 'production', clients: config.BOOTSTRAP_CLIENTS }, { store: clients, logger });
        const reloadSeconds = Math.ceil(config.SIGNING_KEYS_RELOAD_MS / 1000);
        signingKeys = new SigningKeys(
          {
            configuredPem: config.JWT_PRIVATE_KEY_PEM,
            settings: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.JWT_TTL_SECONDS },
            // Published before it signs: every cached JWKS has it by then, and every replica has reloaded.
            publishLeadMs: (config.JWKS_MAX_AGE_SECONDS + reloadSeconds) * 1000,
            // The verifier's clock tolerance (5 s) and one reload past the last token's expiry.
            retireMarginMs: (5 + reloadSeconds) * 1000,
          },
          { store: new SigningKeyRepository(opened, schema), keyring, logger },
        );
        tokens = await signingKeys.load();
        clientStates = new ClientStates(clients);
        await clientStates.refresh();
        auditEvents = new AuditEventRepository(opened, schema);
        audit = new AuditLog(
          { flushMs: config.AUDIT_FLUSH_MS, batchSize: config.AUDIT_BATCH_SIZE, maxBuffered: config.AUDIT_BUFFER_MAX },
          { store: auditEvents, logger, onDrop: (n) => auditDropped.inc(n) },
        );
      } catch (err) {
        await opened.destroy();
        throw err;
      }
      ds = opened;
    },
    stop: async () => {
      await ds?.destroy();
    },
  };

  // Written before the database closes: the audit's last buffer is flushed on stop.
  const auditWriter: EntryPoint = {
    name: 'audit-writer',
    start: async () => {
      audit!.start();
    },
    stop: async () => {
      await audit?.stop();
    },
  };
  const jobs = (): EntryPoint[] => [
    new IntervalJob('client-states', config.CLIENT_STATE_REFRESH_MS, () => clientStates!.refresh(), logger, {
      runAtStart: false,
      retryMs: config.CLIENT_STATE_REFRESH_MS,
    }),
    new IntervalJob('signing-keys', config.SIGNING_KEYS_RELOAD_MS, () => signingKeys!.reload(), logger, { runAtStart: false }),
    new IntervalJob(
      'audit-pruner',
      config.AUDIT_PRUNE_INTERVAL_MS,
      async () => {
        const pruned = await auditEvents!.prune(new Date(Date.now() - config.AUDIT_RETENTION_MS));
        if (pruned) logger.info('audit events pruned', { pruned, retentionMs: config.AUDIT_RETENTION_MS });
      },
      logger,
    ),
  ];

  const broker: EntryPoint = {
    name: 'bus',
    start: async () => {
      bus ??= await Bus.connect({ ...busOptions!, namespace: config.XAUTH_NAMESPACE, service: 'gateway', logger, metrics });
    },
    stop: async () => {
      if (!opts.bus) await bus?.close(config.SHUTDOWN_TIMEOUT_MS);
    },
  };

  const readiness = { database: () => databaseReady(ds), broker: () => bus!.isConnected(), orchestrator: () => orchestrator.ready() };
  const http: EntryPoint = {
    name: 'http',
    start: async () => {
      const built = buildGatewayApp({
        logger,
        metrics,
        tokens: tokens!,
        authenticator: new ClientAuthenticator(clients!, {
          maxConcurrentChecks: config.SECRET_CHECKS_MAX_CONCURRENT,
          maxWaitingChecks: config.SECRET_CHECKS_MAX_WAITING,
          logger,
        }),
        orchestrator,
        tokenReads,
        orchestratorActions,
        deadLetters,
        browserWorker,
        clientStates: clientStates!,
        signingKeys: signingKeys!,
        audit: audit!,
        auditEvents: auditEvents!,
        clientAdmin: new ClientAdmin({ store: clients!, states: clientStates!, secretOverlapSeconds: config.CLIENT_SECRET_OVERLAP_SECONDS }),
        jwksMaxAgeSeconds: config.JWKS_MAX_AGE_SECONDS,
        publishLogin: (payload, correlationId) => bus!.publish('user.login.requested', payload, { correlationId }),
        defaultApp: config.DEFAULT_APP,
        namespace: config.XAUTH_NAMESPACE,
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        tokenRateLimit: { perIpPerMinute: config.TOKEN_RATE_LIMIT_PER_IP, perClientPerMinute: config.TOKEN_RATE_LIMIT_PER_CLIENT },
        readiness,
      });
      stopApp = built.stop;
      opsServer = await listen(createOpsApp({ service: 'gateway', metrics, readiness }), config.HTTP_HOST, config.METRICS_PORT);
      server = await listen(built.app, config.HTTP_HOST, config.HTTP_PORT);
      logger.info('gateway listening', { url: server.url, metricsUrl: opsServer.url });
    },
    stop: async () => {
      await server?.close();
      await opsServer?.close();
      stopApp?.();
      await Promise.all([orchestrator, orchestratorActions, deadLetters, browserWorker].map((c) => c.close()));
    },
  };

  const runner = new ServiceRunner('gateway', logger, config.SHUTDOWN_TIMEOUT_MS);
  try {
    await runner.start([database, auditWriter, ...jobs(), broker, http]);
  } catch (err) {
    await runner.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return { url: server!.url, metricsUrl: opsServer!.url, stop: () => (stopping ??= runner.stop()) };
}
