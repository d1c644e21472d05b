import { z } from 'zod';
import {
  ConfigError,
  amqpConfig,
  developmentSecretsInUse,
  internalTokenConfig,
  commonConfig,
  databaseConfig,
  env,
  httpConfig,
  parseConfig,
  schemaConfig,
  schemaName,
} from '@xauth/shared';

/** The dead-letter office's one config schema; keys are the environment variable names. */
export const deadLettersConfigShape = {
  ...commonConfig,
  ...amqpConfig,
  ...databaseConfig('dead_letters'),
  ...httpConfig(8083),
  ...schemaConfig('dead_letters'),
  ...internalTokenConfig('INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS', 'INTERNAL_TOKEN_DEAD_LETTERS_ORCHESTRATOR'),
  ORCHESTRATOR_URL: env.url('http://127.0.0.1:8081', "the orchestrator's internal API: a replayed authorization.job.requested reopens its job there"),
  ORCHESTRATOR_TIMEOUT_MS: env.int(10_000, 'how long one job reopen at the orchestrator may take'),
  DEAD_LETTER_PREFETCH: env.int(50, 'dead letters taken from the queue at once'),
  MAX_REPLAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(3)
    .describe('how often one dead letter may be replayed; beyond it replay answers 409 REPLAY_LIMIT_REACHED'),
  REPLAY_DEFAULT_RATE: z.coerce.number().positive().default(20).describe('messages per second a replay publishes when the request names no rate'),
  REPLAY_MAX_RATE: z.coerce.number().positive().default(500).describe('the highest rate a replay request may ask for (messages per second)'),
  REPLAY_BATCH_LIMIT: z.coerce
    .number()
    .int()
    .min(1)
    .default(1_000)
    .describe('dead letters one replay or discard request acts on at most; run it again for the rest'),
};

export type DeadLettersConfig = ReturnType<typeof loadDeadLettersConfig>;

export function loadDeadLettersConfig(source: NodeJS.ProcessEnv = process.env) {
  const c = parseConfig(deadLettersConfigShape, source);
  const problems = developmentSecretsInUse(c);
  if (problems.length) throw new ConfigError(problems);
  return { ...c, DATABASE_SCHEMA: c.DATABASE_SCHEMA ?? schemaName(c.XAUTH_NAMESPACE, 'dead_letters') };
}
