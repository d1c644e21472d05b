import { createLogger, runMain, stopOnSignals } from '@xauth/shared';
import { parseGatewayConfig } from './config.js';
import { startGateway } from './start.js';

runMain(async () => {
  const config = parseGatewayConfig(process.env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const gateway = await startGateway(config, { logger });
  stopOnSignals(gateway, logger, config.SHUTDOWN_TIMEOUT_MS);
});
