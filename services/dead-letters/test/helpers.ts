import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import pg from 'pg';
import { RETRY_TIERS_MS } from '@xauth/contracts';
import {
  assertTopology,
  createLogger,
  defaultServiceDatabaseUrl,
  defaultServiceRole,
  deleteTopology,
  provisionServiceDatabases,
  schemaName,
  type Logger,
} from '@xauth/shared';
import { devBrokerUrl, ensureDevBrokerUsers } from '@xauth/shared/broker-users';
import { loadDeadLettersConfig } from '../src/config.js';
import { startDeadLetters, type RunningDeadLetters } from '../src/start.js';

/** The broker as its administrator: the tests' own clients, the namespace's topology and its clean-up. */
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** A superuser's: it sets up the office's schema for its role and reads what the office stored. */
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const INTERNAL_TOKEN = 'test-internal-token';

/** A logger that writes nowhere but keeps every line. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ service: 'dead-letters', level: 'debug', stream, silent: true }), lines };
}

/**
 * The office alone, as its own role, in a fresh namespace (declared whole first, as an operator's definitions import
 * does) and schema, logged in as its own development user; with a pg client to look at what it
 * stored, and an administrator's channel `ch` and the orchestrator's `asOrchestrator` (whose
 * dead letters the office replays).
 */
export async function startOffice(env: Record<string, string> = {}) {
  const namespace = `test-${randomBytes(4).toString('hex')}`;
  const schema = schemaName(namespace, 'dead_letters');
  const { logger, lines } = capturingLogger();
  await provisionServiceDatabases(DATABASE_URL, [{ role: defaultServiceRole('dead_letters'), schemas: [schema] }]);
  await ensureDevBrokerUsers();
  const conn = await amqplib.connect(AMQP_URL);
  await assertTopology(conn, namespace, RETRY_TIERS_MS);
  const ch = await conn.createConfirmChannel();
  const orchestratorConn = await amqplib.connect(devBrokerUrl('orchestrator'));
  const asOrchestrator = await orchestratorConn.createConfirmChannel();
  const office: RunningDeadLetters = await startDeadLetters(
    loadDeadLettersConfig({
      NODE_ENV: 'test',
      XAUTH_NAMESPACE: namespace,
      AMQP_URL: 'amqp://127.0.0.1:5672',
      DATABASE_URL: defaultServiceDatabaseUrl('dead_letters'),
      HTTP_PORT: '0',
      INTERNAL_TOKEN_GATEWAY_DEAD_LETTERS: INTERNAL_TOKEN,
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    }),
    { logger },
  );
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  return {
    namespace,
    schema,
    office,
    db,
    ch,
    asOrchestrator,
    lines,
    rows: async (where = 'true', params: unknown[] = []) =>
      (await db.query(`SELECT * FROM "${schema}".dead_letters WHERE ${where} ORDER BY received_at`, params)).rows,
    stop: async (extraTiers: readonly number[] = []) => {
      await office.stop();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      await deleteTopology(ch, namespace, [...RETRY_TIERS_MS, ...extraTiers]);
      await orchestratorConn.close();
      await conn.close();
    },
  };
}
export type Office = Awaited<ReturnType<typeof startOffice>>;

export async function waitUntil<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function api(office: Office, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${office.office.url}/internal/v1/dead-letters${path}`, {
    method,
    headers: {
      authorization: `Bearer ${INTERNAL_TOKEN}`,
      'x-xauth-actor': 'ops-test',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
