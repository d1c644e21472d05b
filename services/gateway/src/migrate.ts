import { createLogger, openDatabase, runMain } from '@xauth/shared';
import { parseGatewayConfig } from './config.js';
import { entities, gatewaySchema, migrations } from './data-access/database.js';

// Applies pending migrations and exits (the gateway also migrates at start, under an advisory lock).
runMain(async () => {
  const config = parseGatewayConfig(process.env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const ds = await openDatabase({ url: config.DATABASE_URL, schema: gatewaySchema(config), entities, migrations, applicationName: 'gateway:migrate', logger });
  await ds.destroy();
});
