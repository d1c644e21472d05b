import { createLogger, runMain, stopOnSignals } from '@xauth/shared';
import { loadOrchestratorConfig } from './config.js';
import { startOrchestrator } from './start.js';

runMain(async () => {
  const config = loadOrchestratorConfig(process.env);
  const logger = createLogger({ service: 'orchestrator', level: config.LOG_LEVEL });
  const running = await startOrchestrator(config, { logger });
  logger.info('orchestrator listening', { url: running.url });
  stopOnSignals(running, logger, config.SHUTDOWN_TIMEOUT_MS);
});
