import { createLogger, openDatabase, runMain } from '@xauth/shared';
import { loadDeadLettersConfig } from './config.js';
import { entities, migrations } from './data-access/database.js';

// Applies pending migrations and exits (the office also migrates at start, under an advisory lock).
runMain(async () => {
  const config = loadDeadLettersConfig(process.env);
  const logger = createLogger({ service: 'dead-letters', level: config.LOG_LEVEL });
  const ds = await openDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    entities,
    migrations,
    applicationName: 'dead-letters:migrate',
    logger,
  });
  await ds.destroy();
});
