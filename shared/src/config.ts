import { z } from 'zod';
import { brokerUserOf, devBrokerPassword, workQueues, type ServiceName, type WorkQueueName } from '@xauth/contracts';
import { SCHEMA_NAME_PATTERN, defaultServiceDatabaseUrl, type DatabaseService } from './db/schema-name.js';

/** Thrown when the environment does not satisfy a service's config schema; names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment against a schema whose keys ARE the env var names, once, at start.
 * Each key's `.describe()` is its doc; `.default()` its default.
 */
export function parseConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') input[key] = raw;
  }
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const key = String(i.path[0] ?? '?');
        const doc = (shape[key] as unknown as z.ZodType | undefined)?.description;
        return `${key}: ${i.message}${doc ? ` (${doc})` : ''}`;
      }),
    );
  }
  return result.data;
}

/** Helpers for env values, which are always strings. */
export const env = {
  int: (def: number, doc: string) => z.coerce.number().int().default(def).describe(doc),
  port: (def: number, doc: string) => z.coerce.number().int().min(0).max(65535).default(def).describe(doc),
  str: (def: string, doc: string) => z.string().default(def).describe(doc),
  url: (def: string, doc: string) => z.url().default(def).describe(doc),
  optionalStr: (doc: string) => z.string().optional().describe(doc),
  bool: (def: boolean, doc: string) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1')
      .describe(doc),
  list: (def: string, doc: string) =>
    z
      .string()
      .default(def)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .describe(doc),
};

/** Keys every service shares; spread into each service's schema. */
export const commonConfig = {
  NODE_ENV: z
    .enum(['development', 'test', 'production'])
    .default('production')
    .describe(
      'runtime mode; unset means production, which refuses development defaults (dev client, dev keys, dev internal secrets); `npm start` sets development, tests set test',
    ),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('winston log level'),
  XAUTH_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/)
    .default('xauth')
    .describe('prefix of every exchange, queue and schema'),
  SHUTDOWN_TIMEOUT_MS: env.int(15_000, 'how long a SIGTERM drain may take'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().describe('OTLP/HTTP collector base URL; traces are exported only when set'),
};

/** The amqp(s) URLs in a comma-separated list. */
export function splitBrokerUrls(text: string): string[] {
  return text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

/** A comma-separated list of amqp(s) URLs, each checked; kept as text (`busOptionsFrom` splits it). */
const brokerUrls = () =>
  z.string().superRefine((text, ctx) => {
    const urls = splitBrokerUrls(text);
    for (const u of urls) {
      if (!/^amqps?:\/\/[^/]/.test(u) || !URL.canParse(u)) ctx.addIssue({ code: 'custom', message: `"${redactUrl(u)}" is not an amqp:// or amqps:// URL` });
    }
    if (!urls.length) ctx.addIssue({ code: 'custom', message: 'names no broker' });
  });

export const amqpConfig = {
  AMQP_URL: brokerUrls()
    .default('amqp://127.0.0.1:5672')
    .describe(
      "RabbitMQ connection URL; several (the nodes of a cluster) comma-separated: the bus connects to one and fails over to the next when it goes away. Credentials in it must be the service's own user's (`xauth-<service>`); AMQP_PASSWORD replaces them",
    ),
  AMQP_URLS: brokerUrls().optional().describe('the nodes of a RabbitMQ cluster, comma-separated; when set, used instead of AMQP_URL'),
  AMQP_QUORUM_GROUP_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(255)
    .optional()
    .describe(
      "replicas of each quorum queue when it is created (x-quorum-initial-group-size), e.g. 3 on a 3-node cluster; unset: the broker's default (every node, at most 5). An existing queue keeps its size",
    ),
  AMQP_CONFIRM_TIMEOUT_MS: env.int(10_000, 'how long a publish waits for the broker confirm'),
  AMQP_PASSWORD: z
    .string()
    .min(1)
    .optional()
    .describe(
      "password of the service's own RabbitMQ user, `xauth-<service>`, which it then connects as whatever AMQP_URL says; unset: the credentials in AMQP_URL, else (development, test only) the development password `npm start` and `npm test` give the users",
    ),
};

type AmqpSettings = {
  NODE_ENV: string;
  AMQP_URL: string;
  AMQP_URLS?: string;
  AMQP_PASSWORD?: string;
  AMQP_QUORUM_GROUP_SIZE?: number;
  AMQP_CONFIRM_TIMEOUT_MS: number;
};

/**
 * The `Bus.connect` options the `amqpConfig` keys give `service`: the broker nodes, each with the
 * service's own user (`xauth-<service>`) and password. Throws a `ConfigError` naming the variable
 * when the URLs name another user (its messages would be refused as forged), or when production has
 * no password.
 */
export function busOptionsFrom(config: AmqpSettings, service: ServiceName) {
  return { url: brokerUrlsFor(config, service), quorumGroupSize: config.AMQP_QUORUM_GROUP_SIZE, confirmTimeoutMs: config.AMQP_CONFIRM_TIMEOUT_MS };
}

function brokerUrlsFor(config: AmqpSettings, service: ServiceName): string[] {
  const user = brokerUserOf(service);
  const problems = new Set<string>();
  const urls = splitBrokerUrls(config.AMQP_URLS ?? config.AMQP_URL).map((text) => {
    const url = new URL(text);
    const named = decodeURIComponent(url.username);
    if (config.AMQP_PASSWORD !== undefined) {
      url.username = user;
      url.password = config.AMQP_PASSWORD;
    } else if (named) {
      if (named !== user)
        problems.add(
          `${config.AMQP_URLS ? 'AMQP_URLS' : 'AMQP_URL'}: connects as "${named}"; the ${service} connects as its own broker user "${user}" (consumers refuse what another user publishes as the ${service})`,
        );
    } else if (config.NODE_ENV === 'production') {
      problems.add(
        `AMQP_PASSWORD: required in production: the password of the ${service}'s broker user "${user}" (or put that user's credentials in AMQP_URL)`,
      );
    } else {
      url.username = user;
      url.password = devBrokerPassword(service);
    }
    return url.toString();
  });
  if (problems.size) throw new ConfigError([...problems]);
  return urls;
}

function redactUrl(u: string): string {
  return u.replace(/\/\/[^@/]*@/, '//***@');
}

/** Keys of services that consume work queues. */
export const consumerConfig = {
  MAX_ATTEMPTS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const budget: Partial<Record<WorkQueueName, number>> = {};
      for (const pair of text
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [queue, n] = pair.split('=').map((p) => p.trim());
        if (!queue || !(queue in workQueues) || !/^[1-9][0-9]{0,2}$/.test(n ?? '')) {
          ctx.addIssue({ code: 'custom', message: `"${pair}" is not <work queue>=<1-999>; queues: ${Object.keys(workQueues).join(', ')}` });
          return z.NEVER;
        }
        budget[queue as WorkQueueName] = Number(n);
      }
      return budget;
    })
    .describe('retry budget (x-attempt) per work queue as queue=n pairs, e.g. "orchestrator.login-requests=8"; unlisted queues keep the contracts default'),
};

/** `DATABASE_URL` (the service's own role by default) and the pool size. */
export const databaseConfig = (service: DatabaseService) => ({
  DATABASE_URL: env.url(
    defaultServiceDatabaseUrl(service),
    'PostgreSQL connection URL; its user is this service\'s own role, which owns the service\'s schema and nothing else (`npm run db:roles` creates it; README "Credentials")',
  ),
  DATABASE_POOL_SIZE: env.int(10, 'PostgreSQL pool size'),
});

/** `DATABASE_SCHEMA`, a service's own schema; `schemaName(namespace, service)` when unset. */
export const schemaConfig = (service: string) => ({
  DATABASE_SCHEMA: z.string().regex(SCHEMA_NAME_PATTERN).optional().describe(`PostgreSQL schema; default <namespace>_${service}`),
});

/** Keys of services that keep circuit breakers over their dependencies (shared by the replicas in PostgreSQL). */
export const breakerConfig = {
  BREAKER_FAILURE_THRESHOLD: env.int(5, "consecutive failures of a dependency (GoLogin, X's pages, X's token endpoint per app) that open its circuit breaker"),
  BREAKER_OPEN_MS: env.int(30_000, 'how long an open breaker waits before one caller (across replicas) probes the dependency; doubles after each failed probe'),
  BREAKER_MAX_OPEN_MS: env.int(300_000, 'the longest open window after failed probes'),
  BREAKER_PROBE_LEASE_MS: env.int(60_000, 'how long a half-open probe may take before another caller may probe (a crashed prober does not wedge the breaker)'),
  BREAKER_CACHE_MS: env.int(1_000, 'how long a replica trusts the closed state it read, so a healthy call costs no database round trip'),
};

export const httpConfig = (defPort: number) => ({
  HTTP_HOST: env.str('127.0.0.1', 'interface the HTTP server listens on'),
  HTTP_PORT: env.port(defPort, 'HTTP port (0 = any free port)'),
});
