import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import amqplib from 'amqplib';
import { RETRY_TIERS_MS } from '@xauth/contracts';
import { assertTopology, createLogger, defaultServiceDatabases, deleteTopology, provisionServiceDatabases, schemaName, type Logger } from '@xauth/shared';
import { ensureDevBrokerUsers } from '@xauth/shared/broker-users';
import { startXSim, type XSim, type XSimOptions } from '@xauth/x-sim';
import { loadOrchestratorConfig, startOrchestrator, type RunningOrchestrator } from '@xauth/orchestrator';
import { loadBrowserWorkerConfig, startBrowserWorker, type RunningBrowserWorker } from '@xauth/browser-worker';
import { parseGatewayConfig, startGateway } from '@xauth/gateway';
import { loadDeadLettersConfig, startDeadLetters, type RunningDeadLetters } from '@xauth/dead-letters';
import { BrokerProbe, type Received } from './broker-probe.js';

/** The machine's broker as its administrator: tests set up, probe and clean up with it (and play upstream services). */
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The machine's broker for a service: no credentials, so each service logs in as its own development user (`xauth-<service>`). */
export const SERVICE_AMQP_URL = 'amqp://127.0.0.1:5672';
/** A superuser's connection: it sets up each namespace's schemas and roles, and tests read any schema with it. The services connect as their own roles (their DATABASE_URL defaults). */
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';

export interface StackOptions {
  xsim?: XSimOptions;
  /** Extra environment for every service (e.g. BOOTSTRAP_CLIENTS for the gateway); `undefined` removes a test default (the service's own default applies). */
  env?: Record<string, string | undefined>;
  /** Print service logs (they are always captured in `logs`). */
  printLogs?: boolean;
  /**
   * Another broker (e.g. a test's cluster) with the development users in it: `url` for the services'
   * AMQP_URL (without credentials), `probeUrl` (an administrator's) for the probe, the topology and
   * the clean-up. @defaultValue the machine's RabbitMQ (SERVICE_AMQP_URL, AMQP_URL)
   */
  broker?: { url: string; probeUrl: string };
  /** Start a browser worker in this process. @defaultValue true (false: the test runs its own, e.g. as a child process) */
  inProcessWorker?: boolean;
  /** Log secrets unredacted: only for the test that proves the secret scan catches a leak. */
  unredactedLogs?: boolean;
}

export interface Stack {
  namespace: string;
  xsim: XSim;
  orchestrator: RunningOrchestrator;
  /** The in-process worker, unless `inProcessWorker: false`. */
  worker?: RunningBrowserWorker;
  /** The environment every service got (a test starts more services with it). */
  env: Record<string, string>;
  /** The dead-letter office: it consumes the dead-letter queue, so read dead letters from its table (`probe.waitForDeadLetter` does). */
  deadLetters: RunningDeadLetters;
  gateway: { url: string; metricsUrl: string; stop(): Promise<void> };
  probe: BrokerProbe;
  db: pg.Client;
  /** Every log line every service wrote, as JSON text. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * The whole of xauth in this process, in a fresh namespace (its own exchanges, queues and
 * schemas), against a fresh x-sim. `stop` ends everything and removes the namespace.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const namespace = `test-${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => logs.push(...c.toString().split('\n').filter(Boolean)));
  const loggerFor = (service: string): Logger =>
    createLogger({ service, level: 'debug', stream, silent: !opts.printLogs, redaction: opts.unredactedLogs !== true });

  // As an operator does (infra/rabbitmq/definitions.json): the users exist and the whole namespace is
  // declared before any service starts, so nothing published before its consumer's first start is lost.
  if (!opts.broker) await brokerUsers();
  const probeUrl = opts.broker?.probeUrl ?? AMQP_URL;
  await declareNamespace(probeUrl, namespace, opts.env?.AMQP_QUORUM_GROUP_SIZE);
  const xsim = await startXSim({
    apps: [{ name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUris: [REDIRECT_URI] }],
    logger: loggerFor('x-sim'),
    ...opts.xsim,
  });
  const env = withoutUnset({
    NODE_ENV: 'test',
    XAUTH_NAMESPACE: namespace,
    AMQP_URL: opts.broker?.url ?? SERVICE_AMQP_URL,
    HTTP_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'debug',
    X_AUTHORIZE_URL: `${xsim.url}/i/oauth2/authorize`,
    X_TOKEN_URL: `${xsim.url}/2/oauth2/token`,
    X_REVOKE_URL: `${xsim.url}/2/oauth2/revoke`,
    X_ME_URL: `${xsim.url}/2/users/me`,
    GOLOGIN_API_URL: xsim.url,
    X_APPS: JSON.stringify([{ name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: REDIRECT_URI }]),
    // Tests poll the token endpoint; its budget is tested in services/gateway/test/edge.test.ts.
    TOKEN_RATE_LIMIT_PER_IP: '100000',
    TOKEN_RATE_LIMIT_PER_CLIENT: '100000',
    OUTBOX_POLL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '10000',
    MAX_CONCURRENT_PROFILES: '4',
    ...opts.env,
  });
  // A fixed concurrency (MIN = MAX) unless the test sizes the pool itself: a shared test machine's CPU is not the stack's.
  if (env.MAX_CONCURRENT_PROFILES !== undefined) env.MIN_CONCURRENT_PROFILES ??= env.MAX_CONCURRENT_PROFILES;
  const stops: Array<() => Promise<void>> = [() => xsim.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    await provisionNamespace(namespace);
    const orchestrator = await startOrchestrator(loadOrchestratorConfig(env), { logger: loggerFor('orchestrator') });
    stops.push(() => orchestrator.stop());
    const worker = opts.inProcessWorker === false ? undefined : await startBrowserWorker(loadBrowserWorkerConfig(env), { logger: loggerFor('browser-worker') });
    if (worker) stops.push(() => worker.stop());
    const deadLetters = await startDeadLetters(loadDeadLettersConfig({ ...env, ORCHESTRATOR_URL: orchestrator.url }), { logger: loggerFor('dead-letters') });
    stops.push(() => deadLetters.stop());
    const gateway = await startGateway(
      parseGatewayConfig({
        ...env,
        ORCHESTRATOR_URL: orchestrator.url,
        DEAD_LETTERS_URL: deadLetters.url,
        ...(worker ? { BROWSER_WORKER_URL: worker.url } : {}),
      }),
      { logger: loggerFor('gateway') },
    );
    stops.push(() => gateway.stop());
    const db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    stops.push(() => db.end());
    const probe = await BrokerProbe.open(probeUrl, namespace, { storedDeadLetters: () => readStoredDeadLetters(db, namespace) });
    stops.push(() => probe.close());
    return {
      namespace,
      xsim,
      orchestrator,
      worker,
      deadLetters,
      gateway,
      probe,
      db,
      logs,
      env,
      stop: async () => {
        await stopAll();
        await removeNamespace(namespace, probeUrl);
      },
    };
  } catch (err) {
    await stopAll();
    await removeNamespace(namespace, probeUrl);
    throw err;
  }
}

let usersReady: Promise<void> | undefined;
/** The machine broker's development users, checked (and created if missing) once per process. */
export function brokerUsers(): Promise<void> {
  usersReady ??= ensureDevBrokerUsers().catch((err: unknown) => {
    usersReady = undefined;
    throw err;
  });
  return usersReady;
}

/** Declares a namespace's whole topology as the broker's administrator. */
export async function declareNamespace(adminUrl: string, namespace: string, quorumGroupSize?: string): Promise<void> {
  const conn = await amqplib.connect(adminUrl);
  try {
    await assertTopology(conn, namespace, RETRY_TIERS_MS, { quorumGroupSize: quorumGroupSize ? Number(quorumGroupSize) : undefined });
  } finally {
    await conn.close();
  }
}

function withoutUnset(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The orchestrator's schema in a stack's namespace (tests look at what it stored). */
export function schemaOf(stack: Pick<Stack, 'namespace'>): string {
  return schemaName(stack.namespace, 'orchestrator');
}

/** Every dead letter the office stored in a namespace, as the probe shows a delivery. */
export async function readStoredDeadLetters(db: pg.Client, namespace: string): Promise<Received[]> {
  const { rows } = await db.query(
    `SELECT routing_key, body, properties, headers FROM "${schemaName(namespace, 'dead_letters')}".dead_letters ORDER BY received_at`,
  );
  return rows.map((r: { routing_key: string; body: Buffer; properties: Record<string, unknown>; headers: Record<string, unknown> }) => {
    const raw = r.body.toString('utf8');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      /* keep raw */
    }
    return { routingKey: r.routing_key, body, raw, properties: { ...r.properties, headers: r.headers } as unknown as Received['properties'] };
  });
}

/** Each service's schema in the namespace, owned by the service's own role (roles are shared by every test namespace), as `npm run db:roles` sets them up. */
export async function provisionNamespace(namespace: string): Promise<void> {
  await provisionServiceDatabases(DATABASE_URL, defaultServiceDatabases(namespace));
}

/** Drops the namespace's schemas and deletes its exchanges and queues. */
export async function removeNamespace(namespace: string, amqpUrl = AMQP_URL): Promise<void> {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    for (const service of ['orchestrator', 'gateway', 'dead_letters', 'browser_worker'])
      await db.query(`DROP SCHEMA IF EXISTS "${schemaName(namespace, service)}" CASCADE`);
  } finally {
    await db.end();
  }
  const conn = await amqplib.connect(amqpUrl);
  try {
    await deleteTopology(await conn.createChannel(), namespace, RETRY_TIERS_MS);
  } finally {
    await conn.close();
  }
}
