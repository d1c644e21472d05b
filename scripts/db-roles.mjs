#!/usr/bin/env node
// `npm run db:roles`: gives each service its own PostgreSQL role, owning its schema and nothing
// else (README "Credentials"). Idempotent: run it at each deployment and after changing a password.
// Production (NODE_ENV unset or production) names every connection: DATABASE_ADMIN_URL (a
// superuser) and DATABASE_URL_ORCHESTRATOR, _GATEWAY, _DEAD_LETTERS, _BROWSER_WORKER (user = the
// role, password = the one to set). `npm start` and `npm test` run the same with local defaults.
import { provisionServiceRoles, serviceUrlVariable } from './lib/database-roles.mjs';
import { log } from './lib/proc.mjs';

const development = ['development', 'test'].includes(process.env.NODE_ENV ?? 'production');
const unset = ['DATABASE_ADMIN_URL', ...['orchestrator', 'gateway', 'dead-letters', 'browser-worker'].map(serviceUrlVariable)].filter((v) => !process.env[v]);
if (!development && unset.length) {
  log(`db:roles: set ${unset.join(', ')} (NODE_ENV is production; NODE_ENV=development uses local defaults)`);
  process.exit(1);
}
try {
  for (const line of await provisionServiceRoles({ withSchemas: true })) log(`db:roles: ${line}`);
} catch (err) {
  log(`db:roles failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
