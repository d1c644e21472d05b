import { z } from 'zod';
import { AppName, INTERNAL_TOKEN_READS_MAX, SERVICE_SCOPES } from '@xauth/contracts';
import {
  DEV_ENCRYPTION_KEYS,
  Keyring,
  internalTokenConfig,
  amqpConfig,
  commonConfig,
  databaseConfig,
  env,
  errorMessage,
  httpConfig,
  parseConfig,
  schemaConfig,
} from '@xauth/shared';
import { CLIENT_ID_PATTERN } from './domain/credentials.rule.js';
import { parseSigningKeyPem } from './domain/signing-key.rule.js';

const BootstrapClient = z.strictObject({
  clientId: z.string().regex(CLIENT_ID_PATTERN, 'must be 1-100 letters, digits, "_" or "-"'),
  clientSecret: z.string().min(16, 'must be at least 16 characters').max(500),
  scopes: z.array(z.enum(SERVICE_SCOPES)).min(1),
  name: z.string().min(1).max(200).optional(),
  apps: z.array(AppName).min(1).optional(),
});
export type BootstrapClient = z.infer<typeof BootstrapClient>;

const bootstrapClients = z
  .string()
  .transform((text, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {clientId, clientSecret, scopes, name?, apps?}' });
      return z.NEVER;
    }
    const parsed = z.array(BootstrapClient).safeParse(json);
    if (!parsed.success) {
      // The values are secrets: name the field, never echo the input.
      ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ') });
      return z.NEVER;
    }
    return parsed.data;
  })
  .optional()
  .describe('JSON [{clientId, clientSecret, scopes:[...], name?, apps?:[...]}] upserted at start; apps limits its token reads to those X apps');

const encryptionKeys = env
  .str(DEV_ENCRYPTION_KEYS, 'kid:base64key[,kid:base64key...]; the first encrypts the stored signing key, all decrypt')
  .refine((spec) => {
    try {
      new Keyring(spec);
      return true;
    } catch {
      return false;
    }
  }, 'must be kid:base64(32 bytes)[,kid:base64key...]');

const signingKeyPem = z
  .string()
  // Env files often carry PEMs on one line with literal "\n".
  .transform((pem) => pem.replace(/\\n/g, '\n'))
  .superRefine((pem, ctx) => {
    try {
      parseSigningKeyPem(pem);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
    }
  })
  .optional()
  .describe('EC P-256 PKCS8 PEM that signs service JWTs; when absent one key is generated and stored encrypted');

/** The gateway's one config schema; keys are the environment variable names. */
export const gatewayConfigShape = {
  ...commonConfig,
  ...amqpConfig,
  ...databaseConfig('gateway'),
  ...httpConfig(8080),
  ...schemaConfig('gateway'),
  ORCHESTRATOR_URL: env.url('http://127.0.0.1:8081', "base URL of the orchestrator's internal API"),
  ORCHESTRATOR_TIMEOUT_MS: env.int(5_000, 'how long a call to the orchestrator may take'),
  TOKEN_READS_MAX_BATCH: z.coerce
    .number()
    .int()
    .min(1)
    .max(INTERNAL_TOKEN_READS_MAX)
    .default(100)
    .describe('token reads that arrive together go to the orchestrator as one request of at most this many (1: one request per read)'),
  ORCHESTRATOR_ACTIONS_TIMEOUT_MS: env.int(
    150_000,
    'how long an operator action at the orchestrator may take (a paced "request failed logins again" takes RELOGIN_BATCH_LIMIT / RELOGIN_RATE_PER_SECOND at most)',
  ),
  DEAD_LETTERS_URL: env.url('http://127.0.0.1:8083', "base URL of the dead-letter office's internal API"),
  DEAD_LETTERS_TIMEOUT_MS: env.int(120_000, 'how long a call to the dead-letter office may take (a rate-limited replay takes a while)'),
  BROWSER_WORKER_URL: env.url('http://127.0.0.1:8082', "base URL of the browser-worker's artifact download API (GET /v1/jobs/{jobId}/artifacts/...)"),
  BROWSER_WORKER_TIMEOUT_MS: env.int(30_000, 'how long one artifact download from the browser-worker may take'),
  ...internalTokenConfig('INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR', 'INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS', 'INTERNAL_TOKEN_GATEWAY_BROWSER_WORKER'),
  ENCRYPTION_KEYS: encryptionKeys,
  JWT_ISSUER: env.str('xauth', '`iss` of the service JWTs'),
  JWT_AUDIENCE: env.str('xauth-api', '`aud` of the service JWTs'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900).describe('lifetime of a service JWT'),
  JWT_PRIVATE_KEY_PEM: signingKeyPem,
  BOOTSTRAP_CLIENTS: bootstrapClients,
  METRICS_PORT: env.port(9080, 'internal port of /metrics and the detailed /ready (each check, details), on HTTP_HOST; never expose it (0 = any free port)'),
  TOKEN_RATE_LIMIT_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .default(120)
    .describe('POST /v1/oauth/token requests per minute per source IP, counted before the secret is checked (per replica)'),
  TOKEN_RATE_LIMIT_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('POST /v1/oauth/token requests per minute per named client id, counted before the secret is checked (per replica)'),
  SECRET_CHECKS_MAX_CONCURRENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe('client secret checks (scrypt, 128 MiB each) running at once; size the memory limit for it'),
  SECRET_CHECKS_MAX_WAITING: z.coerce.number().int().min(0).default(32).describe('client secret checks waiting for a slot at most; beyond, 503 AUTH_BUSY'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600).describe('requests per minute per client on /v1 (per replica)'),
  CLIENT_SECRET_OVERLAP_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400)
    .describe('after a client secret rotation, how long the previous secret keeps working (a rotation request may name another overlap)'),
  CLIENT_STATE_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .describe(
      "how often each replica reloads every client's enabled state and token version: a disabled or deleted client's JWTs are refused everywhere within this",
    ),
  JWKS_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(300)
    .describe(
      'Cache-Control max-age of /.well-known/jwks.json; a rotated signing key is published this long (plus one SIGNING_KEYS_RELOAD_MS) before it signs',
    ),
  SIGNING_KEYS_RELOAD_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(300_000)
    .default(10_000)
    .describe('how often each replica reloads the signing keys (a key rotated on another replica, a retirement)'),
  AUDIT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(90 * 86_400_000)
    .describe('how long audit events are kept (token reads, login requests, admin actions)'),
  AUDIT_PRUNE_INTERVAL_MS: env.int(600_000, 'how often audit events older than AUDIT_RETENTION_MS are deleted'),
  AUDIT_FLUSH_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(500)
    .describe('audit events are buffered in memory and written at least this often (a crash loses at most this much)'),
  AUDIT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500).describe('audit events per insert; a full batch is written at once'),
  AUDIT_BUFFER_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe('audit events held at most while the database is slow or away; beyond, events are dropped and counted (xauth_gateway_audit_dropped_total)'),
  DEFAULT_APP: AppName.default('xauth-dev').describe('X app used when a login or token request names none'),
};

export type GatewayConfig = ReturnType<typeof parseGatewayConfig>;

export function parseGatewayConfig(source: NodeJS.ProcessEnv = process.env) {
  return parseConfig(gatewayConfigShape, source);
}
