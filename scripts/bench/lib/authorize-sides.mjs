// The two sides of bench:authorize, each run inside its own child process with its own x-sim.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqplib from 'amqplib';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { ServiceProcess, removeNamespace, brokerUsers, declareNamespace, AMQP_URL, SERVICE_AMQP_URL, DATABASE_URL } from '@xauth/e2e';
import { startSpanCollector } from './span-collector.mjs';

export const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback'; // port 9: nothing listens, nothing leaves
const APP = { name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: REDIRECT_URI };
const GOLOGIN_TOKEN = 'xsim-gologin-token';
const CONSENT_BUTTON = '[data-testid="OAuth_Consent_Button"]';
const FLOW_TIMEOUT_MS = 120_000;

const username = (n) => `xsim_user_${String(n).padStart(3, '0')}`;
const profileId = (n) => `64f0c0de${n.toString(16).padStart(16, '0')}`; // x-sim's seeded profile ids

/** x-sim as its own process (its `main`, as `npm start` runs it), seeded with `users` accounts. */
export function startXSimProcess(users, { logLevel = 'info', otel = {} } = {}) {
  return ServiceProcess.start('x-sim', {
    NODE_ENV: 'test',
    LOG_LEVEL: logLevel,
    XSIM_PORT: '0',
    XSIM_USER_COUNT: String(users),
    XSIM_REDIRECT_URIS: REDIRECT_URI,
    ...otel,
  });
}

/** With `--logs DIR`: each service's log lines, to read the steps of a run afterwards, in files named after the side's label. */
function keepLogs(opts, processes) {
  if (!opts.logDir) return;
  mkdirSync(opts.logDir, { recursive: true });
  const name = opts.logAs.replace(/\W+/g, '-');
  for (const p of processes) writeFileSync(join(opts.logDir, `${name}-${p.name}.log`), `${p.lines.join('\n')}\n`);
}

/**
 * Runs `count` flows (accounts first, first + 1, ...) over `lanes` lanes, each starting its next
 * flow when its last one ended (closed loop: `lanes` flows in flight). Resolves with each flow's
 * result, or `{ error }`, in account order.
 */
export async function inLanes(first, count, lanes, flow) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await flow(first + i).catch((err) => ({ error: err instanceof Error ? err.message.split('\n')[0] : String(err) }));
      }
    }),
  );
  return results;
}

// ---- raw: the browser part only, as a hand-written Playwright script would do it

function authorizeUrl(base) {
  const url = new URL('/i/oauth2/authorize', base);
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: APP.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'tweet.read users.read offline.access',
    state: randomBytes(24).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);
  return url;
}

async function gologin(base, n, action) {
  const res = await fetch(`${base}/browser/${profileId(n)}/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${GOLOGIN_TOKEN}` },
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`GoLogin ${action} ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** connectOverCDP → consent in the default context at `target` (a URL) → the code → disconnect. */
export async function rawBrowserFlow(wsUrl, target) {
  const browser = await chromium.connectOverCDP(wsUrl, { timeout: 30_000 });
  try {
    const page = await browser.contexts()[0].newPage();
    const redirect = page.waitForRequest((r) => r.url().startsWith(REDIRECT_URI), { timeout: 30_000 });
    await page.goto(target.toString(), { waitUntil: 'domcontentloaded', timeout: 30_000 });
    // The interstitial reloads the page once it clears; click waits for the consent button across that.
    await page.click(CONSENT_BUTTON, { timeout: 30_000, noWaitAfter: true });
    const hop = new URL((await redirect).url());
    if (hop.searchParams.get('state') !== target.searchParams.get('state')) throw new Error('state mismatch');
    if (!hop.searchParams.get('code')) throw new Error(`no code in ${hop.search}`);
  } finally {
    await browser.close(); // over CDP: disconnects, Chromium stays until the profile is stopped
  }
}

/** start the profile → the browser part (rawBrowserFlow) → stop. */
export async function rawFlow(base, n) {
  const t0 = performance.now();
  const { wsUrl } = await gologin(base, n, 'start');
  const t1 = performance.now();
  let t2;
  try {
    await rawBrowserFlow(wsUrl, authorizeUrl(base));
  } finally {
    t2 = performance.now();
    await gologin(base, n, 'stop');
  }
  const t3 = performance.now();
  return { ms: t3 - t0, steps: { 'gologin start': t1 - t0, 'browser flow': t2 - t1, 'gologin stop': t3 - t2 } };
}

/**
 * Warm-up flows, then segments for as long as the parent asks: `hooks.ready` says the side is warm
 * and waits for the first order, each order `{ flows }` runs that many flows over the side's lanes
 * (accounts taken in turn) and `hooks.segment` hands their results back with the next order's wait;
 * an order of 0 flows ends it, before anything is torn down. The parent times and meters each
 * segment itself (it also waits for the side's browsers to be gone) and keeps the side stopped
 * between them. `pids()` names the processes to meter, by group; a pool may grow, so it is asked
 * after every segment.
 */
async function measure({ lanes, warmup }, hooks, xsimPid, pids, flow) {
  await inLanes(1, warmup, lanes, flow);
  let next = 1 + warmup;
  let order = await hooks.ready({ xsimPid, pids: await pids() });
  while (order.flows > 0) {
    const results = await inLanes(next, order.flows, lanes, flow);
    next += order.flows;
    order = await hooks.segment({ results, pids: await pids() });
  }
}

export async function rawSide(opts, hooks) {
  const xsim = await startXSimProcess(opts.warmup + opts.flows, opts);
  try {
    await measure(
      opts,
      hooks,
      xsim.child.pid,
      async () => ({ 'x-sim': [xsim.child.pid] }),
      (n) => rawFlow(xsim.url, n),
    );
    return { config: 'x-sim (own process) + this Playwright client' };
  } finally {
    await xsim.kill('SIGTERM');
    keepLogs(opts, [xsim]);
  }
}

// ---- pipeline: user.login.requested → orchestrator → browser-worker → x-sim → user.authenticated

/** Orchestrator and browser-worker as their own processes (their `main`s), wired to x-sim, in a fresh namespace. */
async function startServices(namespace, xsimUrl, { concurrency, adaptive = false, logLevel = 'info', otel = {}, serviceEnv = {}, nodeArgs }) {
  // Fixed: MIN = MAX = the lanes. Adaptive: from 1 up to the worker's default ceiling (what fits the machine).
  const pool = adaptive ? { MIN_CONCURRENT_PROFILES: '1' } : { MIN_CONCURRENT_PROFILES: String(concurrency), MAX_CONCURRENT_PROFILES: String(concurrency) };
  const env = {
    ...otel,
    NODE_ENV: 'test',
    XAUTH_NAMESPACE: namespace,
    AMQP_URL: SERVICE_AMQP_URL,
    DATABASE_URL,
    HTTP_PORT: '0',
    LOG_LEVEL: logLevel,
    X_AUTHORIZE_URL: `${xsimUrl}/i/oauth2/authorize`,
    X_TOKEN_URL: `${xsimUrl}/2/oauth2/token`,
    X_REVOKE_URL: `${xsimUrl}/2/oauth2/revoke`,
    X_ME_URL: `${xsimUrl}/2/users/me`,
    GOLOGIN_API_URL: xsimUrl,
    X_APPS: JSON.stringify([APP]),
    ...pool,
    ...serviceEnv,
  };
  const services = [];
  try {
    // Each logs in as its own development user; the namespace is declared whole first, as an operator's import does.
    await brokerUsers();
    await declareNamespace(AMQP_URL, namespace);
    // The orchestrator first: it maps profiles before any request comes.
    services.push(await ServiceProcess.start('orchestrator', env, undefined, nodeArgs));
    services.push(await ServiceProcess.start('browser-worker', env, undefined, nodeArgs));
  } catch (err) {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    throw err;
  }
  return services;
}

/**
 * How the adaptive worker's concurrency moved and why, read once the run is over: the moves from its
 * log lines (each change is logged with its time, from, to and reason), the ceiling and the count of
 * each change from one read of its /metrics. Nothing is asked of the worker while it runs, so the
 * adaptive side pays nothing the fixed side beside it does not.
 */
async function poolMoves(worker) {
  const samples = parseMetrics(await (await fetch(`${worker.url}/metrics`)).text());
  const value = (name) => samples.find((m) => m.name === name)?.value;
  const t0 = Date.parse(worker.logged(/./)[0].timestamp); // its first line: the worker starting
  const atS = (line) => Math.round((Date.parse(line.timestamp) - t0) / 1000);
  const changes = worker.logged('browser pool concurrency changed');
  const moves = [{ atS: 0, concurrency: changes[0]?.from ?? value('xauth_pool_concurrency') }, ...changes.map((c) => ({ atS: atS(c), concurrency: c.to }))];
  return {
    ceiling: value('xauth_pool_slots_total'),
    moves,
    changes: samples.filter((m) => m.name === 'xauth_pool_concurrency_changes_total').map((m) => `${m.labels.direction} ${m.labels.reason} ${m.value}`),
  };
}

/** A /metrics page's samples: name, labels, value. */
const parseMetrics = (text) =>
  [...text.matchAll(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/gm)].map(([, name, labels = '', value]) => ({
    name,
    value: Number(value),
    labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v])),
  }));

/**
 * An upstream: publishes `user.login.requested` with confirms and hears the outcome; it also
 * hears each step's message (dispatch, start, capture) to time the steps.
 */
async function openUpstream(namespace) {
  const conn = await amqplib.connect(AMQP_URL);
  const ch = await conn.createConfirmChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, `${namespace}.events`, '#');
  await ch.bindQueue(queue, `${namespace}.commands`, 'authorization.job.requested');
  const seen = new Map(); // accountId -> { routing key -> ms }
  const jobAccount = new Map();
  const waiters = new Map();
  await ch.consume(
    queue,
    (m) => {
      const at = performance.now();
      const body = JSON.parse(m.content.toString('utf8'));
      const type = m.properties.type ?? m.fields.routingKey;
      if (body.accountId && body.jobId) jobAccount.set(body.jobId, body.accountId);
      const account = body.accountId ?? jobAccount.get(body.jobId);
      if (account) seen.set(account, { ...seen.get(account), [type]: at });
      if (type === 'user.authenticated' || type === 'user.authentication.failed') waiters.get(body.requestId)?.({ type, body });
    },
    { noAck: true },
  );

  async function login(n) {
    const requestId = randomUUID();
    const accountId = username(n);
    const outcome = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no outcome for ${accountId} within ${FLOW_TIMEOUT_MS} ms`)), FLOW_TIMEOUT_MS);
      waiters.set(requestId, (o) => {
        clearTimeout(timer);
        waiters.delete(requestId);
        resolve(o);
      });
    });
    const t0 = performance.now();
    ch.publish(`${namespace}.commands`, 'user.login.requested', Buffer.from(JSON.stringify({ requestId, accountId })), {
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: 'user.login.requested',
      appId: 'bench',
      correlationId: requestId,
      timestamp: Math.floor(Date.now() / 1000),
    });
    await ch.waitForConfirms();
    const o = await outcome;
    if (o.type !== 'user.authenticated') throw new Error(`${accountId}: ${o.body.errorCode} ${o.body.message}`);
    const t = seen.get(accountId);
    const at = (k) => t[k] ?? Number.NaN;
    return {
      ms: at('user.authenticated') - t0,
      steps: {
        'login request → job dispatched': at('authorization.job.requested') - t0,
        'dispatched → worker started it': at('authorization.job.started') - at('authorization.job.requested'),
        'started → consent captured': at('authorization.consent.captured') - at('authorization.job.started'),
        'captured → user.authenticated': at('user.authenticated') - at('authorization.consent.captured'),
      },
    };
  }
  return { login, close: () => conn.close() };
}

/** The PostgreSQL server processes serving one application_name (the orchestrator's pool). */
async function backendsOf(applicationName) {
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    return (await db.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows.map((r) => r.pid);
  } finally {
    await db.end();
  }
}

export async function pipelineSide(options, hooks) {
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  // With --spans every service exports its spans here; tracing costs CPU, so such a run's rates are not the reference.
  const collector = options.spans ? await startSpanCollector() : undefined;
  const opts = { ...options, otel: collector ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } : {} };
  const xsim = await startXSimProcess(opts.warmup + opts.flows, opts);
  let services = [];
  let upstream;
  let run;
  try {
    services = await startServices(namespace, xsim.url, opts);
    upstream = await openUpstream(namespace);
    const pids = async () => ({
      'x-sim': [xsim.child.pid],
      orchestrator: [services[0].child.pid],
      'browser-worker': [services[1].child.pid],
      "orchestrator's postgres backends": await backendsOf(`${namespace}:orchestrator`),
    });
    await measure(opts, hooks, xsim.child.pid, pids, (n) => upstream.login(n));
    run = {
      pool: opts.adaptive ? await poolMoves(services[1]) : undefined,
      config: `x-sim, orchestrator, browser-worker each in its own process (their defaults; ${opts.adaptive ? 'MIN_CONCURRENT_PROFILES=1, MAX_CONCURRENT_PROFILES=its default' : `MIN_CONCURRENT_PROFILES=MAX_CONCURRENT_PROFILES=${opts.concurrency}`}) + this upstream client`,
    };
  } finally {
    await upstream?.close().catch(() => undefined);
    for (const s of services.reverse()) await s.kill('SIGTERM');
    await xsim.kill('SIGTERM');
    keepLogs(opts, [xsim, ...services]);
    await removeNamespace(namespace);
    await collector?.close();
  }
  // The services flushed their spans as they stopped.
  return { ...run, spans: collector?.summary() };
}
