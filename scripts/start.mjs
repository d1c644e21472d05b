#!/usr/bin/env node
// `npm start`: sets the machine up (deps, build, RabbitMQ, PostgreSQL and each service's role, Chromium), migrates, then
// runs x-sim and every service in the foreground with prefixed logs. Ctrl-C stops all of it.
// Every setting is an environment variable the services document (see README); this script only
// fills in the wiring between them (x-sim as X and GoLogin, the gateway's route to the orchestrator).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AMQP_URL, ROOT, ensureEnvironment } from './lib/environment.mjs';
import { serviceDatabaseUrls } from './lib/database-roles.mjs';
import { SERVICE_NODE_ARGS, log, run } from './lib/proc.mjs';

const migrateOnly = process.argv.includes('--migrate-only');
const e = process.env;
const XSIM_PORT = e.XSIM_PORT ?? '8090';
const XSIM = `http://127.0.0.1:${XSIM_PORT}`;
const GATEWAY_PORT = e.GATEWAY_PORT ?? '8080';
const ORCHESTRATOR_PORT = e.ORCHESTRATOR_PORT ?? '8081';
const WORKER_PORT = e.BROWSER_WORKER_PORT ?? '8082';
const DEAD_LETTERS_PORT = e.DEAD_LETTERS_PORT ?? '8083';
const REDIRECT_URI = e.XAUTH_REDIRECT_URI ?? `http://127.0.0.1:${GATEWAY_PORT}/oauth/callback`;
const useSim = (e.X_AUTHORIZE_URL ?? '') === '';

const common = {
  ...e,
  // The development client and keys exist only when NODE_ENV=development is explicit; services default to production.
  NODE_ENV: e.NODE_ENV ?? 'development',
  AMQP_URL,
  ...(useSim
    ? {
        X_AUTHORIZE_URL: `${XSIM}/i/oauth2/authorize`,
        X_TOKEN_URL: `${XSIM}/2/oauth2/token`,
        X_REVOKE_URL: `${XSIM}/2/oauth2/revoke`,
        X_ME_URL: `${XSIM}/2/users/me`,
        GOLOGIN_API_URL: XSIM,
        X_APPS: JSON.stringify([{ name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: REDIRECT_URI }]),
      }
    : {}),
};

const services = [
  ...(useSim
    ? [{ name: 'x-sim', main: 'services/x-sim/dist/src/main.js', env: { XSIM_PORT, XSIM_REDIRECT_URIS: REDIRECT_URI }, ready: `${XSIM}/_sim/stats` }]
    : []),
  {
    name: 'orchestrator',
    main: 'services/orchestrator/dist/src/main.js',
    env: { HTTP_PORT: ORCHESTRATOR_PORT },
    ready: `http://127.0.0.1:${ORCHESTRATOR_PORT}/ready`,
  },
  { name: 'browser-worker', main: 'services/browser-worker/dist/src/main.js', env: { HTTP_PORT: WORKER_PORT }, ready: `http://127.0.0.1:${WORKER_PORT}/ready` },
  {
    name: 'dead-letters',
    main: 'services/dead-letters/dist/src/main.js',
    env: { HTTP_PORT: DEAD_LETTERS_PORT, ORCHESTRATOR_URL: `http://127.0.0.1:${ORCHESTRATOR_PORT}` },
    ready: `http://127.0.0.1:${DEAD_LETTERS_PORT}/ready`,
  },
  {
    name: 'gateway',
    main: 'services/gateway/dist/src/main.js',
    env: {
      HTTP_PORT: GATEWAY_PORT,
      ORCHESTRATOR_URL: `http://127.0.0.1:${ORCHESTRATOR_PORT}`,
      DEAD_LETTERS_URL: `http://127.0.0.1:${DEAD_LETTERS_PORT}`,
      BROWSER_WORKER_URL: `http://127.0.0.1:${WORKER_PORT}`,
    },
    ready: `http://127.0.0.1:${GATEWAY_PORT}/ready`,
  },
];

const COLORS = [36, 35, 33, 32, 34];
const children = [];
let stopping = false;

/** Each service connects as its own PostgreSQL role (DATABASE_URL_<SERVICE>, scripts/lib/database-roles.mjs). */
let databaseUrls = {};
const serviceEnv = (name) => (databaseUrls[name] ? { ...common, DATABASE_URL: databaseUrls[name] } : common);

function startService(svc, i) {
  // Own process group: Ctrl-C reaches this script only, which stops the services in order.
  const child = spawn(process.execPath, [...SERVICE_NODE_ARGS, join(ROOT, svc.main)], {
    env: { ...serviceEnv(svc.name), ...svc.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `\x1b[${COLORS[i % COLORS.length]}m${svc.name.padEnd(15)}|\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited (${signal ?? code})\n`);
    if (!stopping) {
      log(`${svc.name} stopped unexpectedly; stopping everything`);
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

async function waitReady(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  log('stopping every service');
  // Reverse start order: the gateway and workers drain before the orchestrator, x-sim goes last.
  for (const c of [...children].reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    const hard = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(hard);
  }
  process.exit(code);
}

await ensureEnvironment({ purpose: migrateOnly ? 'migrations' : 'start' });
databaseUrls = await serviceDatabaseUrls();
log('running migrations');
for (const svc of ['orchestrator', 'dead-letters', 'gateway', 'browser-worker'])
  await run(process.execPath, [join(ROOT, `services/${svc}/dist/src/migrate.js`)], { env: serviceEnv(svc) });
if (migrateOnly) process.exit(0);

process.on('SIGINT', () => void stopAll(0));
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
process.on('SIGTERM', () => void stopAll(0));
for (const [i, svc] of services.entries()) {
  const child = startService(svc, i);
  if (!(await waitReady(svc.ready, 60_000, child))) {
    log(`${svc.name} did not become ready at ${svc.ready}`);
    await stopAll(1);
  }
}
process.stdout.write(`
xauth is running. Gateway: http://127.0.0.1:${GATEWAY_PORT}  (x-sim as X and GoLogin: ${useSim ? XSIM : 'off'})

  Ask for a login (publishes user.login.requested on xauth.commands):
    npm run login -- xsim_user_007
  or over REST:
    TOKEN=$(curl -s -X POST http://127.0.0.1:${GATEWAY_PORT}/v1/oauth/token -d grant_type=client_credentials -d client_id=dev-admin -d client_secret=dev-admin-secret | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
    curl -s -X POST http://127.0.0.1:${GATEWAY_PORT}/v1/logins -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"accountId":"xsim_user_007"}'
  Read the token:
    curl -s http://127.0.0.1:${GATEWAY_PORT}/v1/accounts/xsim_user_007/token -H "authorization: Bearer $TOKEN"

  See what was dead-lettered, and replay or discard it (the CLI uses the dev-admin client):
    npx xauth dlq list
    npx xauth dlq replay --filter errorCode=UNKNOWN_ACCOUNT --dry-run --reason "profiles synced"
  or in a browser (sign in as dev-admin / dev-admin-secret): http://127.0.0.1:${GATEWAY_PORT}/console

  The API: http://127.0.0.1:${GATEWAY_PORT}/docs (OpenAPI at /docs/openapi.json, the bus at /docs/asyncapi.json)

Ctrl-C stops everything.
`);
