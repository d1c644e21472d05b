import { availableParallelism, hostname, totalmem } from 'node:os';
import { z } from 'zod';
import {
  ConfigError,
  amqpConfig,
  developmentSecretsInUse,
  breakerConfig,
  consumerConfig,
  commonConfig,
  databaseConfig,
  env,
  httpConfig,
  parseConfig,
  schemaConfig,
  schemaName,
} from '@xauth/shared';
import { artifactsConfig } from './failure-artifacts/artifacts.config.js';
import { browserFlowConfig } from './browser/flow.config.js';
import { fittingMaxConcurrency } from './domain/concurrency.rule.js';
import { CgroupLimits } from './pool/cgroup-limits.js';

export const browserWorkerConfigShape = {
  ...commonConfig,
  ...amqpConfig,
  ...consumerConfig,
  ...databaseConfig('browser_worker'),
  ...schemaConfig('browser_worker'),
  ...httpConfig(8082),
  WORKER_ID: env.optionalStr('names this worker in authorization.job.started; default <hostname>-<pid>'),
  GOLOGIN_API_URL: env.url('https://api.gologin.com', 'GoLogin API base URL'),
  GOLOGIN_API_TOKEN: env.str('xsim-gologin-token', 'GoLogin API bearer token'),
  GOLOGIN_TIMEOUT_MS: env.int(30_000, 'timeout of one GoLogin API call (a profile start can be slow)'),
  PROFILE_PROVIDER: z
    .enum(['gologin', 'local'])
    .default('gologin')
    .describe(
      "where profiles' browsers come from: gologin (the GoLogin API) or local (a Chromium persistent profile directory per profile under LOCAL_PROFILES_DIR, launched by this worker)",
    ),
  GOLOGIN_RATE_LIMIT_PER_MINUTE: env.int(
    240,
    'GoLogin API calls (start, status, stop) all workers of this namespace make per minute together (booked in PostgreSQL); GoLogin invalidates the API token past its own limit (300). Namespaces sharing one GoLogin token split it',
  ),
  GOLOGIN_RATE_LIMIT_WAIT_MS: env.int(
    15_000,
    'how long a GoLogin call may wait for the per-minute budget; past it the job is retried later (GOLOGIN_RATE_LIMITED)',
  ),
  GOLOGIN_START_TIMEOUT_MS: env.int(60_000, 'how long a profile start that GoLogin answers as pending may take to run'),
  GOLOGIN_POLL_MS: env.int(1_000, "how often a pending start asks GoLogin for the profile's status"),
  LOCAL_PROFILES_DIR: env.str(
    'data/profiles',
    'local provider: one Chromium user-data-dir per profile id below this directory (npm run profiles:import fills one)',
  ),
  CHROMIUM_PATH: env.str('/usr/bin/chromium', 'local provider: the Chromium binary'),
  MAX_CONCURRENT_PROFILES: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "the ceiling of the pool's adaptive concurrency (jobs in flight = prefetch) and of the profiles open at once, closing ones included (below it a job's start overlaps the last one's close); default: what fits the machine, one per core (os.availableParallelism(), or the cgroup's CPU quota in whole cores in a limited container: a consent flow keeps Chromium busy for 5-6 CPU-seconds) and no more than half the memory (or of the cgroup's memory.max) at POOL_SLOT_MEMORY_MB each",
    ),
  MIN_CONCURRENT_PROFILES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1)
    .describe("the floor of the pool's adaptive concurrency, where it starts; MIN = MAX gives a fixed concurrency"),
  POOL_SIZING_INTERVAL_MS: env.int(
    3_000,
    'how often the pool resizes its concurrency from the last interval (starts, flows, slots busy, CPU, memory, event-loop lag)',
  ),
  POOL_CPU_CEILING: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe(
      "CPU busy (0..1: of the cgroup's CPU quota in a limited container, else of all the machine's cores) above which the pool shrinks. 1 = CPU alone never shrinks it: a busy CPU is what the pool is for, and it shrinks when the work slows (slow or failing starts, flows failing from load, loop lag, low memory)",
    ),
  POOL_CPU_GROW_BELOW: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(0.9)
    .describe(
      'CPU busy (0..1, as POOL_CPU_CEILING counts it) below which the pool grows to an unmeasured level freely; on a busier machine it only tries one (probe) and keeps it if it was measured to finish at least as many jobs a second',
    ),
  POOL_SLOT_MEMORY_MB: env.int(300, 'memory one open profile (Chromium) needs: the pool grows only with this much available above POOL_MIN_FREE_MEMORY_MB'),
  POOL_MIN_FREE_MEMORY_MB: env.int(256, 'available memory (MemAvailable) below which the pool shrinks'),
  POOL_MAX_LOOP_LAG_MS: env.int(
    250,
    'event-loop delay (p99 of an interval) above which, two intervals in a row, the pool shrinks (one stalled interval is the host, not the pool)',
  ),
  POOL_SLOW_START_MS: env.int(15_000, 'profile starts slower than this (median of an interval) shrink the pool: the machine or GoLogin is struggling'),
  POOL_SLOW_START_FACTOR: z.coerce
    .number()
    .min(0)
    .default(3)
    .describe(
      'profile starts (median of an interval, over 2 s) this many times slower than usual at the same concurrency (the fastest interval median of its last 20; a start beside more browsers is slower, which measured capacity judges) shrink the pool; 0 = off',
    ),
  BROWSER_CLOSE_TIMEOUT_MS: env.int(10_000, 'how long closing a profile (GoLogin stop, Chromium exit) may take before its process tree is killed'),
  PROFILE_KEEP_ALIVE_MS: env.int(
    0,
    "after a successful job the profile's browser (and its lock) is kept open this long for the next job of the same profile in this worker; 0 = close after each job",
  ),
  BROWSER_RECYCLE_AFTER_JOBS: env.int(50, 'a browser kept alive for reuse is closed (and the next job starts a fresh one) after this many jobs; 0 = no limit'),
  JOB_TIMEOUT_MS: env.int(180_000, 'budget of one browser attempt, far below RabbitMQ consumer_timeout'),
  STEP_TIMEOUT_MS: env.int(30_000, 'budget of one page step (navigation, waiting for a page to show something known)'),
  INTERSTITIAL_TIMEOUT_MS: env.int(20_000, 'how long a Cloudflare-style interstitial may take to clear itself'),
  ...breakerConfig,
  ...browserFlowConfig,
  ...artifactsConfig,
};

export type BrowserWorkerConfig = ReturnType<typeof loadBrowserWorkerConfig>;

/**
 * Cores and memory this worker may use: the machine's, or less where its cgroup limits them (a
 * container's CPU quota counts whole cores, rounded down, at least one).
 */
export function containerSize(cgroup: CgroupLimits): [cores: number, memoryBytes: number] {
  const quota = cgroup.cpuQuotaCores();
  const cores = quota === undefined ? availableParallelism() : Math.min(availableParallelism(), Math.max(1, Math.floor(quota)));
  return [cores, Math.min(totalmem(), cgroup.memoryLimitBytes() ?? Infinity)];
}

export function loadBrowserWorkerConfig(source: NodeJS.ProcessEnv = process.env) {
  const c = parseConfig(browserWorkerConfigShape, source);
  if (c.NODE_ENV === 'production' && !source.GOLOGIN_API_TOKEN) {
    throw new ConfigError(["GOLOGIN_API_TOKEN: set the GoLogin API token; the default is x-sim's"]);
  }
  const refused = developmentSecretsInUse(c);
  if (refused.length) throw new ConfigError(refused);
  const max =
    c.MAX_CONCURRENT_PROFILES ??
    Math.max(c.MIN_CONCURRENT_PROFILES, fittingMaxConcurrency(...containerSize(new CgroupLimits()), c.POOL_SLOT_MEMORY_MB * 2 ** 20));
  if (c.MIN_CONCURRENT_PROFILES > max)
    throw new ConfigError([`MIN_CONCURRENT_PROFILES: ${c.MIN_CONCURRENT_PROFILES} is above MAX_CONCURRENT_PROFILES (${max})`]);
  return {
    ...c,
    MAX_CONCURRENT_PROFILES: max,
    WORKER_ID: c.WORKER_ID ?? `${hostname()}-${process.pid}`,
    DATABASE_SCHEMA: c.DATABASE_SCHEMA ?? schemaName(c.XAUTH_NAMESPACE, 'browser_worker'),
  };
}
