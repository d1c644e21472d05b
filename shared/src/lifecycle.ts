import { errorMessage } from './errors.js';
import { bounded } from './time-bound.js';
import { createLogger, type Logger } from './logger.js';
import { startTelemetry } from './telemetry.js';

/** Something a service starts and stops: a consumer, an HTTP server, a scheduler. */
export interface EntryPoint {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts entry points in order and stops them in reverse, each stop bounded by the shutdown budget. */
export class ServiceRunner {
  private readonly started: EntryPoint[] = [];
  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly shutdownTimeoutMs: number,
  ) {}

  async start(entryPoints: EntryPoint[]): Promise<void> {
    for (const ep of entryPoints) {
      await ep.start();
      this.started.push(ep);
      this.logger.debug('entry point started', { entryPoint: ep.name });
    }
    this.logger.info(`${this.name} started`, { entryPoints: entryPoints.map((e) => e.name) });
  }

  async stop(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMs;
    while (this.started.length) {
      const ep = this.started.pop()!;
      const left = Math.max(100, deadline - Date.now());
      try {
        await bounded(ep.stop(), left, `stopping ${ep.name}`);
      } catch (err) {
        this.logger.error('entry point failed to stop cleanly', { entryPoint: ep.name, error: errorMessage(err) });
      }
    }
    this.logger.info(`${this.name} stopped`);
  }
}

/** For a service's `main`: stop on SIGTERM/SIGINT, exit non-zero if the drain overruns. */
export function stopOnSignals(service: { stop(): Promise<void> }, logger: Logger, shutdownTimeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const hard = setTimeout(() => {
      logger.error('shutdown overran SHUTDOWN_TIMEOUT_MS; exiting');
      process.exit(1);
    }, shutdownTimeoutMs + 1_000);
    hard.unref();
    service.stop().then(
      () => logger.on('finish', () => process.exit(0)).end(),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs an async main, printing config errors plainly and exiting 1 on failure to start. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

interface RunnableConfig {
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

/**
 * A service's whole `main`: parse its config from the environment, make its logger, start
 * telemetry (if configured) and the service, and drain on SIGTERM/SIGINT.
 */
export function runService<C extends RunnableConfig>(
  service: string,
  loadConfig: (env: NodeJS.ProcessEnv) => C,
  start: (config: C, opts: { logger: Logger }) => Promise<{ url: string; stop(): Promise<void> }>,
): void {
  runMain(async () => {
    const config = loadConfig(process.env);
    const logger = createLogger({ service, level: config.LOG_LEVEL });
    const telemetry = await startTelemetry({ service, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, logger });
    const running = await start(config, { logger });
    logger.info(`${service} ready`, { url: running.url });
    stopOnSignals(
      {
        stop: async () => {
          await running.stop();
          await telemetry.shutdown();
        },
      },
      logger,
      config.SHUTDOWN_TIMEOUT_MS,
    );
  });
}
