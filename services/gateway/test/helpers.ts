import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import express from 'express';
import { DataSource } from 'typeorm';
import { RETRY_TIERS_MS, type AccountTokenView, type JobView } from '@xauth/contracts';
import { createLogger, deleteTopology, dropSchema, listen, parseConfig, schemaName, type Logger } from '@xauth/shared';
import { ensureDevBrokerUsers } from '@xauth/shared/broker-users';
import { gatewayConfigShape, type GatewayConfig } from '../src/config.js';
import { startGateway } from '../src/start.js';

export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The broker as its administrator: the tests' own clients and clean-up. */
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The broker for the gateway: no credentials, so it logs in as its own development user, xauth-gateway. */
export const SERVICE_AMQP_URL = 'amqp://127.0.0.1:5672';
export const INTERNAL_TOKEN = 'test-internal-token';

// A root hook (this module is loaded with the first test file that imports it): the development
// broker users exist before any gateway logs in, also when one test file runs alone.
before(() => ensureDevBrokerUsers());

export function testNamespace(): string {
  return `test-${randomBytes(4).toString('hex')}`;
}

/** The gateway's config as its schema parses it, from overrides only (never process.env). */
export function gatewayConfig(namespace: string, overrides: Record<string, string> = {}): GatewayConfig {
  return parseConfig(gatewayConfigShape, {
    NODE_ENV: 'test',
    XAUTH_NAMESPACE: namespace,
    HTTP_PORT: '0',
    METRICS_PORT: '0',
    // Tests poll the token endpoint; its budget is tested in edge.test.ts (which sets its own).
    TOKEN_RATE_LIMIT_PER_IP: '100000',
    TOKEN_RATE_LIMIT_PER_CLIENT: '100000',
    DATABASE_URL,
    AMQP_URL: SERVICE_AMQP_URL,
    INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR: INTERNAL_TOKEN,
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...overrides,
  });
}

/** A logger that writes nowhere but keeps every line, so tests can look for leaked secrets. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ service: 'gateway', level: 'debug', stream, silent: true }), lines };
}

/** Drops the namespace's gateway schema and deletes its broker topology. */
export async function cleanupNamespace(namespace: string): Promise<void> {
  const ds = new DataSource({ type: 'postgres', url: DATABASE_URL });
  await ds.initialize();
  try {
    await dropSchema(ds, schemaName(namespace, 'gateway'));
  } finally {
    await ds.destroy();
  }
  const conn = await amqplib.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await deleteTopology(ch, namespace, RETRY_TIERS_MS);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StubCall {
  path: string;
  /** The batched token read's reads. */
  reads?: Array<{ accountId: string; app: string }>;
  authorization: string | undefined;
  requestId: string | undefined;
  correlationId: string | undefined;
}

/** The orchestrator's internal query API as the gateway sees it from outside: a small real HTTP server. */
export async function startOrchestratorStub() {
  const jobs = new Map<string, JobView>();
  const tokens = new Map<string, AccountTokenView>();
  const calls: StubCall[] = [];
  const state = { expectedToken: INTERNAL_TOKEN, hang: false };
  const app = express();
  app.get('/ready', (_req, res) => {
    res.json({ status: 'ready' });
  });
  app.use('/internal', (req, res, next) => {
    calls.push({
      path: req.originalUrl,
      authorization: req.get('authorization'),
      requestId: req.get('x-request-id'),
      correlationId: req.get('x-correlation-id'),
    });
    if (req.get('authorization') !== `Bearer ${state.expectedToken}`) {
      return void res.status(401).json({ code: 'UNAUTHENTICATED', message: 'bad internal token', requestId: 'orchestrator-request' });
    }
    if (state.hang) return; // never answers: the gateway's timeout has to end it
    next();
  });
  app.get('/internal/v1/jobs/:jobId', (req, res) => {
    const job = jobs.get(req.params.jobId);
    if (!job) return void res.status(404).json({ code: 'UNKNOWN_JOB', message: `no job ${req.params.jobId}`, requestId: 'orchestrator-request' });
    res.json(job);
  });
  // The orchestrator's batched read: one answer per read, each as the single read would answer it.
  app.post('/internal/v1/tokens/read', express.json(), (req, res) => {
    const reads = (req.body as { reads: Array<{ accountId: string; app: string }> }).reads;
    calls.at(-1)!.reads = reads;
    res.json({
      answers: reads.map(({ accountId, app }) => {
        const token = tokens.get(`${accountId}/${app}`);
        return token ? { status: 200, body: token } : { status: 404, body: { code: 'TOKEN_NOT_FOUND', message: 'no token for that account and app' } };
      }),
    });
  });
  const server = await listen(app, '127.0.0.1', 0);
  return { url: server.url, jobs, tokens, calls, state, close: () => server.close() };
}
export type OrchestratorStub = Awaited<ReturnType<typeof startOrchestratorStub>>;

/** A URL where nothing listens (a port that was free a moment ago). */
export async function deadUrl(): Promise<string> {
  const server = await listen(express(), '127.0.0.1', 0);
  await server.close();
  return server.url;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** A service JWT for a client, by the JSON client-credentials grant. */
export async function serviceToken(gatewayUrl: string, clientId: string, clientSecret: string, scope?: string): Promise<string> {
  const res = await postJson(`${gatewayUrl}/v1/oauth/token`, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    ...(scope ? { scope } : {}),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export const sampleJob = (jobId: string): JobView => ({
  jobId,
  accountId: 'alice_x',
  app: 'xauth-dev',
  profileId: 'profile-1',
  status: 'running',
  attempt: 1,
  errorCode: null,
  errorMessage: null,
  artifacts: [],
  deadline: new Date(Date.now() + 180_000).toISOString(),
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

/** A gateway in `namespace` in front of an orchestrator stub that knows the job `jobId`; `stop` undoes all of it. */
export async function startGatewayWithStub(namespace: string, jobId: string, env: Record<string, string>) {
  const stub = await startOrchestratorStub();
  stub.jobs.set(jobId, sampleJob(jobId));
  const gateway = await startGateway(gatewayConfig(namespace, { ORCHESTRATOR_URL: stub.url, ...env }), { logger: capturingLogger().logger });
  return {
    stub,
    gateway,
    stop: async () => {
      await gateway.stop();
      await stub.close();
      await cleanupNamespace(namespace);
    },
  };
}
