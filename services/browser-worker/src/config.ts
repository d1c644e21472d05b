import { hostname } from 'node:os';
import { ConfigError, DEV_INTERNAL_API_TOKEN, amqpConfig, consumerConfig, commonConfig, env, httpConfig, parseConfig } from '@xauth/shared';
import { artifactsConfig } from './failure-artifacts/artifacts.config.js';
import { browserFlowConfig } from './browser/flow.config.js';

export const browserWorkerConfigShape = {
  ...commonConfig,
  ...amqpConfig,
  ...consumerConfig,
  ...httpConfig(8082),
  WORKER_ID: env.optionalStr('names this worker in authorization.job.started; default <hostname>-<pid>'),
  GOLOGIN_API_URL: env.url('https://api.gologin.com', 'GoLogin API base URL'),
  GOLOGIN_API_TOKEN: env.str('xsim-gologin-token', 'GoLogin API bearer token'),
  GOLOGIN_TIMEOUT_MS: env.int(30_000, 'timeout of one GoLogin API call (a profile start can be slow)'),
  MAX_CONCURRENT_PROFILES: env.int(10, 'profiles open at once in this worker = jobs in flight = prefetch'),
  JOB_TIMEOUT_MS: env.int(180_000, 'budget of one browser attempt, far below RabbitMQ consumer_timeout'),
  STEP_TIMEOUT_MS: env.int(30_000, 'budget of one page step (navigation, waiting for a page to show something known)'),
  INTERSTITIAL_TIMEOUT_MS: env.int(20_000, 'how long a Cloudflare-style interstitial may take to clear itself'),
  ...browserFlowConfig,
  ...artifactsConfig,
};

export type BrowserWorkerConfig = ReturnType<typeof loadBrowserWorkerConfig>;

export function loadBrowserWorkerConfig(source: NodeJS.ProcessEnv = process.env) {
  const c = parseConfig(browserWorkerConfigShape, source);
  if (c.NODE_ENV === 'production' && !source.GOLOGIN_API_TOKEN) {
    throw new ConfigError(["GOLOGIN_API_TOKEN: set the GoLogin API token; the default is x-sim's"]);
  }
  if (c.NODE_ENV === 'production' && c.INTERNAL_API_TOKEN === DEV_INTERNAL_API_TOKEN) throw new ConfigError(['INTERNAL_API_TOKEN: the development token cannot be used in production']);
  return { ...c, WORKER_ID: c.WORKER_ID ?? `${hostname()}-${process.pid}` };
}
