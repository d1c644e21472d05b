import type { DataSource } from 'typeorm';
import { exchangeName, serviceAccess } from '@xauth/contracts';
import {
  Bus,
  Metrics,
  ServiceRunner,
  createHttpApp,
  createLogger,
  databaseReady,
  finishHttpApp,
  listen,
  openDatabase,
  presentedInternalToken,
  type Logger,
  type RunningServer,
  busOptionsFrom,
} from '@xauth/shared';
import type { DeadLettersConfig } from './config.js';
import { entities, migrations } from './data-access/database.js';
import { DeadLetterRepository } from './data-access/dead-letter.repository.js';
import { OrchestratorJobs } from './data-access/orchestrator.client.js';
import { internalRoutes } from './entry-points/http/internal.routes.js';
import { deadLetterConsumer } from './entry-points/messaging/dead-letter.consumer.js';

export interface RunningDeadLetters {
  url: string;
  dataSource: DataSource;
  stop(): Promise<void>;
}

/** Opens the database (migrating), connects the bus, serves the internal API, then consumes the dead-letter queue. */
export async function startDeadLetters(config: DeadLettersConfig, opts: { logger?: Logger } = {}): Promise<RunningDeadLetters> {
  const service = 'dead-letters';
  const busOptions = busOptionsFrom(config, service);
  const logger = opts.logger ?? createLogger({ service, level: config.LOG_LEVEL });
  const metrics = new Metrics(service, { defaultMetrics: true });
  const stored = metrics.counter('xauth_dead_letters_stored_total', 'Dead letters stored by the office, by original queue and error code', [
    'queue',
    'error_code',
  ]);
  const dataSource = await openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities,
    migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: `${config.XAUTH_NAMESPACE}:${service}`,
    logger,
  });
  let bus: Bus;
  try {
    bus = await Bus.connect({ ...busOptions, namespace: config.XAUTH_NAMESPACE, service, logger, metrics });
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  const store = new DeadLetterRepository(dataSource);

  const app = createHttpApp({ service, logger, metrics, readiness: { database: () => databaseReady(dataSource), broker: () => bus.isConnected() } });
  app.use(
    internalRoutes({
      store,
      internalToken: config.INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS,
      maxReplays: config.MAX_REPLAYS,
      // Only where its broker user may publish: the namespace's commands and events exchanges.
      exchanges: new Set(serviceAccess(service).publishesTo.map((role) => exchangeName(config.XAUTH_NAMESPACE, role))),
      defaultRate: config.REPLAY_DEFAULT_RATE,
      maxRate: config.REPLAY_MAX_RATE,
      batchLimit: config.REPLAY_BATCH_LIMIT,
      jobs: new OrchestratorJobs({
        baseUrl: config.ORCHESTRATOR_URL,
        internalToken: presentedInternalToken(config.INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR),
        timeoutMs: config.ORCHESTRATOR_TIMEOUT_MS,
        logger,
      }),
      republish: (exchange, routingKey, body, properties) => bus.publishRaw(exchange, routingKey, body, properties),
    }),
  );
  finishHttpApp(app, logger);
  let server: RunningServer | undefined;

  const runner = new ServiceRunner(service, logger, config.SHUTDOWN_TIMEOUT_MS);
  await runner.start([
    { name: 'bus', start: async () => undefined, stop: () => bus.close(config.SHUTDOWN_TIMEOUT_MS) },
    { name: 'database', start: async () => undefined, stop: () => dataSource.destroy() },
    {
      name: 'http',
      start: async () => {
        server = await listen(app, config.HTTP_HOST, config.HTTP_PORT);
      },
      stop: async () => {
        await server?.close();
      },
    },
    deadLetterConsumer({
      bus,
      store,
      prefetch: config.DEAD_LETTER_PREFETCH,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      onStored: (r) => stored.inc({ queue: r.queue ?? 'unknown', error_code: r.errorCode }),
    }),
  ]);
  let stopping: Promise<void> | undefined;
  return { url: server!.url, dataSource, stop: () => (stopping ??= runner.stop()) };
}
