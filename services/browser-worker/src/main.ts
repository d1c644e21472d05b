import { createLogger, runMain, stopOnSignals } from '@xauth/shared';
import { loadBrowserWorkerConfig } from './config.js';
import { startBrowserWorker } from './start.js';

runMain(async () => {
  const config = loadBrowserWorkerConfig(process.env);
  const logger = createLogger({ service: 'browser-worker', level: config.LOG_LEVEL });
  const running = await startBrowserWorker(config, { logger });
  logger.info('browser-worker listening', { url: running.url, maxConcurrentProfiles: config.MAX_CONCURRENT_PROFILES });
  stopOnSignals(running, logger, config.SHUTDOWN_TIMEOUT_MS);
});
