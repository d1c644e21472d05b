import { createLogger, openDatabase, runMain } from '@xauth/shared';
import { loadOrchestratorConfig } from './config.js';
import { entities } from './data-access/entities/index.js';
import { migrations } from './data-access/migrations/index.js';

// Applies pending migrations and exits (services also migrate at start, under an advisory lock).
runMain(async () => {
  const config = loadOrchestratorConfig(process.env);
  const logger = createLogger({ service: 'orchestrator', level: config.LOG_LEVEL });
  const ds = await openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities,
    migrations,
    applicationName: 'orchestrator:migrate',
    logger,
  });
  await ds.destroy();
});
