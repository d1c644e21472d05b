import { z } from 'zod';
import type { XApp } from './domain/model.js';
import {
  DEV_ENCRYPTION_KEYS,
  ConfigError,
  developmentSecretsInUse,
  internalTokenConfig,
  amqpConfig,
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

const XAppSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  redirectUri: z.url(),
}) satisfies z.ZodType<XApp>;
/** The domain names the app type; the config only parses it. */
export type { XApp };

const DEV_APPS = JSON.stringify([
  { name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: 'http://127.0.0.1:8080/oauth/callback' },
]);

export const orchestratorConfigShape = {
  ...commonConfig,
  ...amqpConfig,
  ...consumerConfig,
  ...databaseConfig('orchestrator'),
  ...breakerConfig,
  ...httpConfig(8081),
  ...schemaConfig('orchestrator'),
  ...internalTokenConfig('INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR', 'INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR'),
  ENCRYPTION_KEYS: env.str(DEV_ENCRYPTION_KEYS, 'kid:base64key[,kid:base64key] for tokens, verifiers, states at rest; the first encrypts'),
  X_APPS: z
    .string()
    .default(DEV_APPS)
    .transform((s, ctx) => {
      try {
        return z.array(XAppSchema).min(1).parse(JSON.parse(s));
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `must be a JSON array of {name, clientId, clientSecret?, redirectUri}: ${(e as Error).message}` });
        return z.NEVER;
      }
    })
    .describe('our X apps, JSON [{name, clientId, clientSecret?, redirectUri}]'),
  DEFAULT_APP: env.str('xauth-dev', 'app used when a login request names none'),
  DEFAULT_SCOPES: env.str('tweet.read users.read offline.access', 'scopes used when a login request names none'),
  X_AUTHORIZE_URL: env.url('https://x.com/i/oauth2/authorize', 'X OAuth 2.0 authorize page'),
  X_TOKEN_URL: env.url('https://api.x.com/2/oauth2/token', 'X token endpoint'),
  X_REVOKE_URL: env.url('https://api.x.com/2/oauth2/revoke', 'X revoke endpoint'),
  X_ME_URL: env.url('https://api.x.com/2/users/me', 'X /2/users/me'),
  X_HTTP_TIMEOUT_MS: env.int(10_000, 'timeout of each call to X'),
  GOLOGIN_API_URL: env.url('https://api.gologin.com', 'GoLogin API base URL'),
  GOLOGIN_API_TOKEN: env.str('xsim-gologin-token', 'GoLogin API bearer token'),
  PROFILE_SYNC_INTERVAL_MS: env.int(300_000, 'how often profiles are synced from GoLogin'),
  PROFILE_SYNC_MIN_GAP_MS: env.int(30_000, 'a login for an unmapped account syncs profiles at once, at most this often'),
  PROFILE_SYNC_WAIT_MS: env.int(
    30_000,
    'how long a login for an unmapped account (and the start) waits for a profile sync; a sync still under way goes on, and the login is answered UNKNOWN_ACCOUNT naming it (replayable)',
  ),
  GOLOGIN_LIST_RATE_LIMIT_PER_MINUTE: env.int(
    40,
    "GoLogin profile-list pages all orchestrators of this namespace fetch per minute together (booked in PostgreSQL), 30 profiles a page: 40,000 profiles take 34 min. With the workers' GOLOGIN_RATE_LIMIT_PER_MINUTE (240) it must stay under GoLogin's own limit (300), past which GoLogin invalidates the API token",
  ),
  PROFILE_GONE_GRACE_MS: env.int(
    7 * 86_400_000,
    'an account whose GoLogin profile disappeared is paused at once and offboarded (tokens revoked at X and deleted) this long after, unless the profile comes back',
  ),
  PROFILE_GONE_CHECK_INTERVAL_MS: env.int(300_000, 'how often accounts whose profile is gone past PROFILE_GONE_GRACE_MS are looked for and offboarded'),
  ACCOUNT_HISTORY_RETENTION_MS: env.int(14 * 86_400_000, 'account history entries (refreshes, dead tokens, pauses, offboardings) older than this are deleted'),
  JOB_TTL_MS: env.int(900_000, 'a job not finished this long after it was requested is expired (workers will not start it after that)'),
  SWEEP_INTERVAL_MS: env.int(30_000, 'how often the sweeper looks for stuck jobs'),
  TOKEN_VALIDITY_MARGIN_MS: env.int(300_000, 'a stored token closer than this to expiry does not count as valid'),
  REFRESH_INTERVAL_MS: env.int(30_000, 'how often the refresher looks for tokens near expiry'),
  REFRESH_AHEAD_MS: env.int(900_000, 'tokens expiring within this are refreshed'),
  REFRESH_BATCH: env.int(200, 'tokens one refresher round takes at most'),
  REFRESH_CONCURRENCY: env.int(4, 'refreshes in flight at once per replica'),
  AUTO_REAUTHORIZE: env.bool(false, 'when a refresh token is dead (or its refresh outcome was lost), request a new login (force) by itself'),
  REFRESH_LEASE_MS: env.int(
    120_000,
    'a refresh in flight longer than this was lost with its replica: its outcome is unknown and the token needs reauthorization (at least twice X_HTTP_TIMEOUT_MS)',
  ),
  REFRESH_BACKOFF_BASE_MS: env.int(
    30_000,
    'a token whose refresh failed waits about this long before the next try, doubling per failure in a row (with jitter)',
  ),
  REFRESH_BACKOFF_MAX_MS: env.int(1_800_000, 'the longest a failing token waits between refresh tries'),
  RECHECK_LIMIT: env.int(500, 'dead tokens one operator recheck tries at most (the answer says where to go on)'),
  MESSAGE_LOG_RETENTION_MS: env.int(7 * 86_400_000, 'sent outbox rows and inbox entries older than this are deleted (the dedupe window)'),
  RELOGIN_RATE_PER_SECOND: z.coerce
    .number()
    .positive()
    .default(10)
    .describe('jobs "request failed logins again" reopens per second at most (each starts a browser)'),
  RELOGIN_BATCH_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .default(1_000)
    .describe('accounts one "request failed logins again" acts on at most; run it again for the rest'),
  CAMPAIGN_RATE_PER_SECOND: z.coerce
    .number()
    .positive()
    .default(5)
    .describe("logins a campaign requests per second (the default and the ceiling of a campaign's own rate; each may start a browser)"),
  CAMPAIGN_MAX_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe("a campaign's logins requested and not yet ended at most: it waits rather than flood the queue"),
  CAMPAIGN_BATCH: z.coerce.number().int().min(1).max(1_000).default(50).describe('logins a campaign requests in one transaction at most'),
  CAMPAIGN_INTERVAL_MS: env.int(1_000, 'how often the campaign runner advances running campaigns'),
  REENCRYPT_LIMIT: z.coerce.number().int().min(1).default(2_000).describe('rows one re-encryption request rewrites at most (the answer says where to go on)'),
  OUTBOX_POLL_MS: env.int(500, 'outbox relay poll period'),
  LOGIN_PREFETCH: env.int(20, 'login requests held at once'),
};

export type OrchestratorConfig = ReturnType<typeof loadOrchestratorConfig>;

export function loadOrchestratorConfig(source: NodeJS.ProcessEnv = process.env) {
  const c = parseConfig(orchestratorConfigShape, source);
  if (c.NODE_ENV === 'production') {
    const problems = developmentSecretsInUse(c);
    if (!source.X_APPS) problems.push('X_APPS: set your X apps; the development app is for x-sim only');
    if (!source.GOLOGIN_API_TOKEN) problems.push("GOLOGIN_API_TOKEN: set the GoLogin API token; the default is x-sim's");
    if (problems.length) throw new ConfigError(problems);
  }
  if (c.REFRESH_LEASE_MS < 2 * c.X_HTTP_TIMEOUT_MS)
    throw new ConfigError([
      `REFRESH_LEASE_MS: must be at least twice X_HTTP_TIMEOUT_MS (${2 * c.X_HTTP_TIMEOUT_MS}), or refreshes still in flight would count as lost`,
    ]);
  if (c.REFRESH_BACKOFF_MAX_MS < c.REFRESH_BACKOFF_BASE_MS) throw new ConfigError(['REFRESH_BACKOFF_MAX_MS: must not be below REFRESH_BACKOFF_BASE_MS']);
  if (!c.X_APPS.some((a) => a.name === c.DEFAULT_APP)) throw new ConfigError([`DEFAULT_APP: "${c.DEFAULT_APP}" is not one of X_APPS`]);
  return { ...c, DATABASE_SCHEMA: c.DATABASE_SCHEMA ?? schemaName(c.XAUTH_NAMESPACE, 'orchestrator') };
}
