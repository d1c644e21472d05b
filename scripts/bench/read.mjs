#!/usr/bin/env node
// Benchmark: token reads. `GET /v1/accounts/{id}/token` through the gateway (service JWT, scope
// check, rate limit, the hop to the orchestrator that owns the tokens, its indexed read,
// decryption, the answer) against, in the same run, a plain express 5 app doing one indexed SELECT
// of the same rows through a pg Pool (max 10): written here, with no project code. Both are loaded
// by the same closed-loop client (autocannon, keep-alive, N connections, each request for the next
// of the seeded accounts), alternating which side goes first over the rounds; each side is warmed
// up once, not counted. Prints req/s, p50 and p99 of both and their ratios per round, the medians,
// and `read ratio: N` (the median of gateway req/s / plain req/s) last.
//
// As deployed: the gateway and orchestrator run as their own processes (their `main`s, with the
// node flags `npm start` gives them, NODE_ENV=production, LOG_LEVEL info), the plain app in its own
// process too. The gateway's rate limit is raised out of the way (RATE_LIMIT_PER_MINUTE). Tokens are
// put in place as a finished login leaves them: x-sim (in this process, idle under the load) issues
// each pair, the orchestrator's own store keeps it encrypted. After the rounds, `--cached N` login
// requests for accounts holding a valid token time the `cached: true` answer (publish →
// user.authenticated heard). Error and warning lines the services log while loaded are printed.
//
// On a shared machine the figures move with whatever else runs; only the same-run ratios mean much.
// `npm run bench:read -- --rounds 3 --seconds 10 --connections 50 --accounts 200 [--internal] [--cpu-prof DIR]`
//   --internal      also loads the orchestrator's internal API directly (no gateway), as a third side
//   --cpu-prof DIR  runs the gateway and orchestrator under `node --cpu-prof`, prints where their CPU went
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SERVICE_NODE_ARGS } from '../lib/proc.mjs';
import { alternate, median } from './lib/figures.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    accounts: { type: 'string', default: '200' },
    cached: { type: 'string', default: '100' },
    internal: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    child: { type: 'string' },
    schema: { type: 'string' },
  },
});

const APP = 'xauth-dev';
const SCOPES = ['tweet.read', 'users.read', 'offline.access'];
const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

// ---- the plain side: express 5 + pg, nothing of xauth's

async function plainServer(schema) {
  const { default: express } = await import('express');
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, options: `-c search_path=${schema}` });
  const app = express();
  app.get('/v1/accounts/:accountId/token', async (req, res) => {
    const { rows } = await pool.query('SELECT access_token_enc, scopes, expires_at FROM tokens WHERE account_key = $1 AND app = $2', [
      req.params.accountId.toLowerCase(),
      typeof req.query.app === 'string' ? req.query.app : APP,
    ]);
    if (!rows.length) return void res.status(404).json({ code: 'TOKEN_NOT_FOUND' });
    res
      .set('cache-control', 'no-store')
      .json({ accessToken: rows[0].access_token_enc, tokenType: 'bearer', scopes: rows[0].scopes, expiresAt: rows[0].expires_at.toISOString() });
  });
  const server = app.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}` }));
  process.on('disconnect', () => process.exit(0));
}

function startPlain(schema, databaseUrl) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', 'plain', '--schema', schema], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) =>
      resolve({
        url: m.url,
        stop: () =>
          new Promise((r) => {
            child.once('exit', r);
            child.kill('SIGTERM');
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`the plain server exited with ${code}`)));
  });
}

// ---- load

/** One closed-loop load of `path(account)` over the accounts; req/s, p50, p99 and what failed. */
async function load(autocannon, url, { seconds, connections, accounts, path, headers }) {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, path: path(accounts[next++ % accounts.length]) }) }],
  });
  return {
    rps: result.requests.total / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

// ---- the cached answer: a login request for an account whose token is valid

async function timeCachedAnswers(amqplib, amqpUrl, namespace, accounts, count) {
  const conn = await amqplib.connect(amqpUrl);
  try {
    const ch = await conn.createConfirmChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    for (const key of ['user.authenticated', 'user.authentication.failed']) await ch.bindQueue(queue, `${namespace}.events`, key);
    const waiters = new Map();
    await ch.consume(
      queue,
      (m) => {
        const body = JSON.parse(m.content.toString('utf8'));
        waiters.get(body.requestId)?.({ type: m.fields.routingKey, body, at: performance.now() });
      },
      { noAck: true },
    );
    const ms = [];
    for (let i = 0; i < count; i++) {
      const requestId = randomUUID();
      const heard = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${requestId} within 10 s`)), 10_000);
        waiters.set(requestId, (o) => {
          clearTimeout(timer);
          waiters.delete(requestId);
          resolve(o);
        });
      });
      const t0 = performance.now();
      ch.publish(`${namespace}.commands`, 'user.login.requested', Buffer.from(JSON.stringify({ requestId, accountId: accounts[i % accounts.length] })), {
        persistent: true,
        contentType: 'application/json',
        messageId: randomUUID(),
        type: 'user.login.requested',
        appId: 'bench',
        correlationId: requestId,
        timestamp: Math.floor(Date.now() / 1000),
      });
      const o = await heard;
      if (o.type !== 'user.authenticated' || o.body.cached !== true)
        throw new Error(`expected a cached user.authenticated, got ${o.type} ${JSON.stringify(o.body)}`);
      ms.push(o.at - t0);
    }
    return ms;
  } finally {
    await conn.close();
  }
}

// ---- the run

async function main() {
  const [{ default: autocannon }, { default: amqplib }, e2e, shared, xsimPkg, { Store }, { tokenAad }, { entities }, profiles] = await Promise.all([
    import('autocannon'),
    import('amqplib'),
    import('@xauth/e2e'),
    import('@xauth/shared'),
    import('@xauth/x-sim'),
    import(join(ROOT, 'services/orchestrator/dist/src/data-access/store.js')),
    import(join(ROOT, 'services/orchestrator/dist/src/domain/model.js')),
    import(join(ROOT, 'services/orchestrator/dist/src/data-access/entities/index.js')),
    import('./lib/cpu-profile.mjs'),
  ]);
  const { ServiceProcess, removeNamespace, brokerUsers, declareNamespace, AMQP_URL, SERVICE_AMQP_URL, DATABASE_URL } = e2e;
  const { devBrokerPassword } = await import('@xauth/contracts');
  const rounds = Number(args.rounds);
  const seconds = Number(args.seconds);
  const connections = Number(args.connections);
  const accountCount = Number(args.accounts);
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const schema = shared.schemaName(namespace, 'orchestrator');
  const profileDir = args['cpu-prof'] ? resolve(args['cpu-prof']) : undefined;
  if (profileDir) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const nodeArgs = (service) => [...SERVICE_NODE_ARGS, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, service)}`] : [])];

  const xsim = await xsimPkg.startXSim({ userCount: accountCount });
  const accounts = Array.from({ length: accountCount }, (_, i) => xsimPkg.simUsername(i + 1));
  const reader = { clientId: 'bench-reader', clientSecret: randomBytes(24).toString('base64url') };
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    XAUTH_NAMESPACE: namespace,
    AMQP_URL: SERVICE_AMQP_URL,
    DATABASE_URL,
    HTTP_PORT: '0',
    ENCRYPTION_KEYS: shared.Keyring.generateSpec('bench'),
    ...Object.fromEntries(Object.keys(shared.INTERNAL_TOKENS).map((k) => [k, randomBytes(24).toString('base64url')])),
    METRICS_PORT: '0',
    X_AUTHORIZE_URL: `${xsim.url}/i/oauth2/authorize`,
    X_TOKEN_URL: `${xsim.url}/2/oauth2/token`,
    X_REVOKE_URL: `${xsim.url}/2/oauth2/revoke`,
    X_ME_URL: `${xsim.url}/2/users/me`,
    GOLOGIN_API_URL: xsim.url,
    GOLOGIN_API_TOKEN: 'xsim-gologin-token',
    X_APPS: JSON.stringify([{ name: APP, clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: 'http://127.0.0.1:9/oauth/callback' }]),
  };
  const services = [];
  let plain;
  let seeding;
  try {
    // Each service logs in as its own broker user; production has no default password, this machine's broker has the development ones.
    await brokerUsers();
    await declareNamespace(AMQP_URL, namespace);
    services.push(await ServiceProcess.start('orchestrator', { ...env, AMQP_PASSWORD: devBrokerPassword('orchestrator') }, 60_000, nodeArgs('orchestrator')));
    services.push(
      await ServiceProcess.start(
        'gateway',
        {
          ...env,
          AMQP_PASSWORD: devBrokerPassword('gateway'),
          ORCHESTRATOR_URL: services[0].url,
          RATE_LIMIT_PER_MINUTE: '1000000000',
          BOOTSTRAP_CLIENTS: JSON.stringify([{ ...reader, scopes: ['tokens:read'] }]),
        },
        60_000,
        nodeArgs('gateway'),
      ),
    );
    const [orchestrator, gateway] = services;

    // Tokens as a finished login leaves them: issued by X (x-sim), kept encrypted by the orchestrator's store.
    seeding = await shared.openDatabase({
      url: DATABASE_URL,
      schema,
      entities,
      migrations: [],
      poolSize: 2,
      applicationName: `${namespace}:bench`,
      logger: shared.createLogger({ service: 'bench', silent: true }),
    });
    const keyring = new shared.Keyring(env.ENCRYPTION_KEYS);
    const store = new Store(seeding, () => undefined);
    await store.transaction(async (tx) => {
      for (const [i, accountId] of accounts.entries()) {
        const issued = xsim.state.tokens.issue('xsim-client-id', accountId, SCOPES, 7200);
        const aad = tokenAad(accountId, APP);
        await tx.saveToken({
          accountId,
          app: APP,
          xUserId: String(1_000_000 + i),
          scopes: SCOPES.join(' '),
          expiresAt: new Date(Date.now() + 7200 * 1000),
          accessTokenEnc: keyring.encrypt(issued.accessToken, aad),
          refreshTokenEnc: keyring.encrypt(issued.refreshToken, aad),
        });
      }
    });
    plain = await startPlain(schema, DATABASE_URL);

    const grant = await fetch(`${gateway.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret }),
    });
    if (grant.status !== 200) throw new Error(`token grant failed: ${grant.status} ${await grant.text()}`);
    const jwt = (await grant.json()).access_token;
    // The same answer from every side, checked once before loading.
    const sides = {
      gateway: { url: gateway.url, headers: { authorization: `Bearer ${jwt}` }, path: (a) => `/v1/accounts/${a}/token` },
      plain: { url: plain.url, headers: {}, path: (a) => `/v1/accounts/${a}/token` },
      ...(args.internal
        ? {
            orchestrator: {
              url: orchestrator.url,
              headers: { authorization: `Bearer ${env.INTERNAL_TOKEN_GATEWAY_ORCHESTRATOR}` },
              path: (a) => `/internal/v1/accounts/${a}/token?app=${APP}`,
            },
          }
        : {}),
    };
    for (const [name, side] of Object.entries(sides)) {
      const res = await fetch(`${side.url}${side.path(accounts[0])}`, { headers: side.headers });
      if (res.status !== 200) throw new Error(`${name} answered ${res.status}: ${await res.text()}`);
    }
    const names = Object.keys(sides);
    const windows = Object.fromEntries(names.map((n) => [n, []])); // when each side was loaded in a measured round (µs, monotonic)
    const loadSide = (name, secs) =>
      load(autocannon, sides[name].url, { seconds: secs, connections, accounts, path: sides[name].path, headers: sides[name].headers });

    console.log(
      `read benchmark: GET /v1/accounts/{id}/token over ${accountCount} accounts, ${connections} connections, ${seconds} s per side per round, ${rounds} round(s), warm-up ${args.warmup} s per side; sides: ${names.join(', ')}${profileDir ? ' (gateway and orchestrator under --cpu-prof: slower than usual)' : ''}`,
    );
    console.log('a shared machine: figures move with whatever else runs; compare the same-run ratios');
    for (const name of names) await loadSide(name, Number(args.warmup));
    const before = services.map((s) => s.lines.length);
    const runs = [];
    const fmt = (r) =>
      `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms${r.failed ? `  FAILED ${r.failed} (non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})` : ''}`;
    for (let round = 1; round <= rounds; round++) {
      const order = names.length === 2 ? alternate(round, names) : round % 2 ? names : [...names].reverse();
      const r = {};
      for (const name of order) {
        const from = Number(process.hrtime.bigint() / 1000n);
        r[name] = await loadSide(name, seconds);
        windows[name].push([from, Number(process.hrtime.bigint() / 1000n)]);
        console.log(`round ${round}  ${name.padEnd(12)} ${fmt(r[name])}`);
      }
      r.ratio = r.gateway.rps / r.plain.rps;
      r.p99Ratio = r.gateway.p99 / r.plain.p99;
      console.log(`round ${round}  gateway / plain: throughput ${r.ratio.toFixed(2)}, p99 ${r.p99Ratio.toFixed(2)}`);
      runs.push(r);
    }
    const logged = services
      .flatMap((s, i) => s.lines.slice(before[i]).map((l) => ({ service: s.name, line: l })))
      .filter(({ line }) => /"level":"(error|warn)"/.test(line));
    console.log(`\nmedian of ${rounds} round(s):`);
    for (const name of names) {
      const m = (k) => median(runs.map((r) => r[name][k]));
      console.log(
        `  ${name.padEnd(12)} ${m('rps').toFixed(0).padStart(6)} req/s  p50 ${String(m('p50')).padStart(4)} ms  p99 ${String(m('p99')).padStart(4)} ms  failed ${runs.reduce((n, r) => n + r[name].failed, 0)}`,
      );
    }
    console.log(`  gateway p99 / plain p99: ${median(runs.map((r) => r.p99Ratio)).toFixed(2)} (goal <= 2)`);
    console.log(
      `  lines logged under load: ${services.map((s, i) => `${s.name} ${s.lines.length - before[i]}`).join(', ')}; error/warn among them: ${logged.length}`,
    );
    for (const { service, line } of logged.slice(0, 10)) console.log(`    ${service}: ${line}`);

    if (Number(args.cached) > 0) {
      const ms = await timeCachedAnswers(amqplib, AMQP_URL, namespace, accounts, Number(args.cached)).catch((err) => {
        throw new Error(`${err.message}; the orchestrator's last lines:\n${services[0].lines.slice(-10).join('\n')}`);
      });
      console.log(
        `cached answer (user.login.requested → user.authenticated cached: true, one at a time, ${ms.length} requests): p50 ${median(ms).toFixed(1)} ms, p95 ${[...ms].sort((a, b) => a - b)[Math.floor(ms.length * 0.95)].toFixed(1)} ms (goal p50 < 50 ms)`,
      );
    }
    if (profileDir) {
      for (const s of [...services].reverse()) await s.kill('SIGTERM');
      for (const service of ['gateway', 'orchestrator']) {
        for (const file of readdirSync(join(profileDir, service)).filter((f) => f.endsWith('.cpuprofile'))) {
          const path = join(profileDir, service, file);
          console.log(
            `\n${profiles.formatProfile(`${service} while the gateway side was loaded (${path})`, profiles.summarizeProfile(path, 25, windows.gateway)).join('\n')}`,
          );
        }
      }
    }
    console.log(`\nread ratio: ${median(runs.map((r) => r.ratio)).toFixed(2)}`);
  } finally {
    await plain?.stop();
    for (const s of services.reverse()) await s.kill('SIGTERM');
    await seeding?.destroy();
    await xsim.stop();
    await removeNamespace(namespace);
  }
}

if (args.child === 'plain') await plainServer(args.schema);
else await main();
