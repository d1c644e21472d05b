import { SharedCallBudget, pgPoolSql, type CircuitBreaker, type Logger } from '@xauth/shared';
import type { BrowserWorkerConfig } from '../config.js';
import { GoLoginProvider } from '../data-access/gologin.provider.js';
import { LocalChromiumProvider } from '../data-access/local-chromium.provider.js';
import type pg from 'pg';
import type { ProfileProvider } from '../domain/ports.js';
import type { PoolMetrics } from './pool-metrics.js';

const MINUTE_MS = 60_000;
const LOCAL_LAUNCH_TIMEOUT_MS = 30_000;

/** The provider PROFILE_PROVIDER names; GoLogin's call budget is shared through `db` with every replica. */
export function createProfileProvider(
  config: BrowserWorkerConfig,
  logger: Logger,
  metrics: PoolMetrics,
  db: pg.Pool,
  gologinBreaker?: CircuitBreaker,
): ProfileProvider {
  if (config.PROFILE_PROVIDER === 'local') {
    return new LocalChromiumProvider({
      profilesDir: config.LOCAL_PROFILES_DIR,
      chromiumPath: config.CHROMIUM_PATH,
      launchTimeoutMs: LOCAL_LAUNCH_TIMEOUT_MS,
      stopGraceMs: config.BROWSER_CLOSE_TIMEOUT_MS,
      logger,
      onOrphansKilled: (n) => metrics.orphansKilled(n),
    });
  }
  return new GoLoginProvider({
    baseUrl: config.GOLOGIN_API_URL,
    token: config.GOLOGIN_API_TOKEN,
    timeoutMs: config.GOLOGIN_TIMEOUT_MS,
    stopTimeoutMs: config.BROWSER_CLOSE_TIMEOUT_MS,
    startTimeoutMs: config.GOLOGIN_START_TIMEOUT_MS,
    pollMs: config.GOLOGIN_POLL_MS,
    budget: new SharedCallBudget(pgPoolSql(db), config.DATABASE_SCHEMA, config.GOLOGIN_RATE_LIMIT_PER_MINUTE, MINUTE_MS),
    budgetWaitMs: config.GOLOGIN_RATE_LIMIT_WAIT_MS,
    breaker: gologinBreaker,
  });
}
