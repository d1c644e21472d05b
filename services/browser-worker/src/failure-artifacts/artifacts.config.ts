import { env, internalTokenConfig } from '@xauth/shared';

const DAY_MS = 86_400_000;

/** The browser-worker's failure-artifact keys; spread into its config schema. */
export const artifactsConfig = {
  ARTIFACTS_RETENTION_MS: env.int(
    7 * DAY_MS,
    "failed attempts' artifacts (screenshot, page HTML, Playwright trace, kept in the worker's PostgreSQL schema, table failure_artifacts) older than this are removed",
  ),
  ARTIFACTS_MAX_BYTES: env.int(1024 ** 3, 'artifacts beyond this total size (all replicas together) are removed, oldest attempt first'),
  ARTIFACTS_SWEEP_INTERVAL_MS: env.int(600_000, 'how often retention is applied (also once at start)'),
  ...internalTokenConfig('INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER'),
};
