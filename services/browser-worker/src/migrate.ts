import { createLogger, runMain } from '@xauth/shared';
import { loadBrowserWorkerConfig } from './config.js';
import { migrateWorkerSchema } from './data-access/database.js';

// Applies pending migrations and exits (the worker also migrates at start, under an advisory lock).
runMain(async () => {
  const config = loadBrowserWorkerConfig(process.env);
  await migrateWorkerSchema({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    logger: createLogger({ service: 'browser-worker', level: config.LOG_LEVEL }),
  });
});
