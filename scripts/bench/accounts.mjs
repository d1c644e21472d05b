#!/usr/bin/env node
// Benchmark: xauth at 10,000 accounts (issue 12). Every service runs as its own process (its `main`,
// NODE_ENV=production, LOG_LEVEL info): x-sim seeded with N users and their GoLogin profiles (listed
// 30 a page with `allProfilesCount`, as GoLogin's API does), the gateway, and orchestrator replicas.
//
// 1. Sync: the first orchestrator's start lists every profile, page by page, and stores the map;
//    its `profiles synced` log says how long that took.
// 2. Logins: N `user.login.requested` through the real path. The bench stands in for the browser
//    worker only: for each `authorization.job.requested` it asks x-sim's `POST /_sim/consent` (the
//    consent given server-side, for the job's own authorize URL) for the redirect and publishes
//    `authorization.consent.captured`; the orchestrators exchange the code, check the identity and
//    store the tokens. x-sim issues these tokens with a short lifetime (XSIM_TOKEN_LIFETIME_SEC).
// 3. Refresh: x-sim's lifetime goes back to 2 h; 2 fresh orchestrator replicas start with
//    REFRESH_AHEAD_MS = 1 h, so every stored token is due and every refreshed one is not. They drain
//    the backlog while reader loops read tokens through the gateway. Throughput counts the
//    `token.refreshed` events heard, from the first to the last. Double spends are x-sim's count of
//    refreshes presented with an already rotated refresh token.
//
// On a shared machine the figures move with whatever else runs; the load average is printed.
// `npm run bench:accounts -- [--accounts 10000] [--readers 8] [--replicas 2] [--logs DIR]`
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICE_NODE_ARGS } from '../lib/proc.mjs';
import { quantile } from './lib/figures.mjs';

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '10000' },
    readers: { type: 'string', default: '8' },
    replicas: { type: 'string', default: '2' },
    'login-lanes': { type: 'string', default: '32' },
    'logins-in-flight': { type: 'string', default: '100' },
    logs: { type: 'string' },
  },
});

const APP = 'xauth-dev';
const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback'; // port 9: nothing listens, nothing leaves
const SHORT_LIFETIME_SEC = 1800;
const FULL_LIFETIME_SEC = 7200;
const DUE_AHEAD_MS = 3_600_000; // between the two lifetimes: every short-lived token is due, no refreshed one

/** What this run started, for an interrupted run to end. */
const started = { processes: [], cleanup: undefined };

const rssMb = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const secs = (ms) => (ms / 1000).toFixed(1);
/** From --trace-gc lines ("Mark-Compact 61.2 (70.1) -> 40.3 (68.9) MB, ..."): the heap alive after each full collection, MB. */
const liveAfterFullGcMb = (lines) =>
  lines.flatMap((l) => {
    const m = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(l);
    return m ? [Number(m[1])] : [];
  });

/** Counts events of some routing keys on `<namespace>.events`; `until(n)` resolves once `key` was heard n times. */
async function listen(conn, namespace, keys) {
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  for (const key of keys) await ch.bindQueue(queue, `${namespace}.events`, key);
  const counts = Object.fromEntries(keys.map((k) => [k, 0]));
  const times = Object.fromEntries(keys.map((k) => [k, { first: 0, last: 0 }]));
  const waiters = [];
  await ch.consume(
    queue,
    (m) => {
      const key = m.fields.routingKey;
      counts[key] = (counts[key] ?? 0) + 1;
      const t = (times[key] ??= { first: 0, last: 0 });
      t.first ||= performance.now();
      t.last = performance.now();
      for (const w of [...waiters])
        if (w.count() >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
    { noAck: true },
  );
  return {
    counts,
    times,
    /** Resolves once `count()` (by default how often `key` was heard) reaches n. */
    until: (key, n, timeoutMs, what, count = () => counts[key]) =>
      count() >= n
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`${what}: ${count()} of ${n} ${key} within ${secs(timeoutMs)} s (${JSON.stringify(counts)})`)),
              timeoutMs,
            );
            waiters.push({
              count,
              n,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
  };
}

/** Stands in for the browser worker: answers each job's authorize URL through x-sim's consent route, publishes the consent. */
async function consentAnswerer(conn, workerConn, namespace, xsimUrl, lanes, userId) {
  const ch = await conn.createChannel();
  const pub = await workerConn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, `${namespace}.commands`, 'authorization.job.requested');
  await ch.prefetch(lanes);
  let failed = 0;
  await ch.consume(queue, async (m) => {
    try {
      const job = JSON.parse(m.content.toString('utf8'));
      const res = await fetch(`${xsimUrl}/_sim/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ authorizeUrl: job.authorizeUrl, username: job.accountId }),
      });
      if (res.status !== 200) throw new Error(`x-sim consent answered ${res.status}: ${await res.text()}`);
      const to = new URL((await res.json()).location);
      const body = { jobId: job.jobId, code: to.searchParams.get('code'), state: to.searchParams.get('state') };
      pub.publish(`${namespace}.events`, 'authorization.consent.captured', Buffer.from(JSON.stringify(body)), {
        persistent: true,
        contentType: 'application/json',
        messageId: randomUUID(),
        type: 'authorization.consent.captured',
        appId: 'bench',
        // The orchestrator believes this event only from the browser worker's broker user (FORGED_PRODUCER otherwise).
        userId,
      });
      ch.ack(m);
    } catch (err) {
      failed += 1;
      if (failed <= 5) console.error(`consent failed: ${err.message}`);
      ch.nack(m, false, false);
    }
  });
  return { failed: () => failed };
}

/** `lanes` loops reading random accounts' tokens through the gateway until `stop()`; latencies (ms) and statuses. */
function readLoop(gatewayUrl, jwt, accounts, lanes) {
  const ms = [];
  const statuses = {};
  let running = true;
  const done = Promise.all(
    Array.from({ length: lanes }, async () => {
      while (running) {
        const account = accounts[Math.floor(Math.random() * accounts.length)];
        const t0 = performance.now();
        try {
          const res = await fetch(`${gatewayUrl}/v1/accounts/${account}/token`, { headers: { authorization: `Bearer ${jwt}` } });
          await res.arrayBuffer();
          ms.push(performance.now() - t0);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        } catch {
          statuses.error = (statuses.error ?? 0) + 1;
        }
      }
    }),
  );
  return {
    stop: async () => {
      running = false;
      await done;
      return { ms, statuses };
    },
  };
}

async function main() {
  const [{ default: amqplib }, { default: pg }, e2e, shared, { devBrokerPassword, brokerUserOf }] = await Promise.all([
    import('amqplib'),
    import('pg'),
    import('@xauth/e2e'),
    import('@xauth/shared'),
    import('@xauth/contracts'),
  ]);
  const { ServiceProcess, removeNamespace, brokerUsers, declareNamespace, AMQP_URL, SERVICE_AMQP_URL, DATABASE_URL } = e2e;
  const n = Number(args.accounts);
  const replicaCount = Number(args.replicas);
  const namespace = `bench-${randomBytes(4).toString('hex')}`;
  const schema = shared.schemaName(namespace, 'orchestrator');
  const accounts = Array.from({ length: n }, (_, i) => `xsim_user_${String(i + 1).padStart(3, '0')}`);
  const reader = { clientId: 'bench-reader', clientSecret: randomBytes(24).toString('base64url') };
  // GoLogin lists 30 profiles a page: a sync of N profiles is N/30 calls, past x-sim's default
  // 300 a minute from 9,000 profiles on (a 429 would invalidate the API token). Raised here.
  const gologinPerMinute = Math.max(300, 2 * Math.ceil(n / 30) * replicaCount + 100);
  console.log(
    `accounts benchmark: ${n} accounts, ${replicaCount} orchestrator replicas, ${args.readers} reader loops; machine: ${cpus().length} cores, load average ${load()}`,
  );

  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    XAUTH_NAMESPACE: namespace,
    AMQP_URL: SERVICE_AMQP_URL,
    DATABASE_URL,
    HTTP_PORT: '0',
    ENCRYPTION_KEYS: shared.Keyring.generateSpec('bench'),
    METRICS_PORT: '0',
    ...Object.fromEntries(Object.keys(shared.INTERNAL_TOKENS).map((k) => [k, randomBytes(24).toString('base64url')])),
    GOLOGIN_API_TOKEN: 'xsim-gologin-token',
    X_APPS: JSON.stringify([{ name: APP, clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret', redirectUri: REDIRECT_URI }]),
  };
  const all = started.processes;
  started.cleanup = () => removeNamespace(namespace);
  // Each service logs in as its own broker user; production has no default password, this machine's broker has the development ones.
  await brokerUsers();
  await declareNamespace(AMQP_URL, namespace);
  // --trace-gc: each full collection prints the heap left alive after it, which RSS (kept by V8 and the allocator) does not show.
  const start = async (service, extra) => {
    const p = await ServiceProcess.start(service, { ...env, AMQP_PASSWORD: devBrokerPassword(service), ...extra }, 300_000, [
      ...SERVICE_NODE_ARGS,
      '--trace-gc',
    ]);
    all.push(p);
    return p;
  };
  let conn;
  let workerConn;
  let db;
  try {
    const xsim = await ServiceProcess.start(
      'x-sim',
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        XSIM_PORT: '0',
        XSIM_USER_COUNT: String(n),
        XSIM_REDIRECT_URIS: REDIRECT_URI,
        XSIM_TOKEN_LIFETIME_SEC: String(SHORT_LIFETIME_SEC),
        XSIM_GOLOGIN_RATE_LIMIT_PER_MINUTE: String(gologinPerMinute),
      },
      120_000,
      SERVICE_NODE_ARGS,
    );
    all.push(xsim);
    Object.assign(env, {
      X_AUTHORIZE_URL: `${xsim.url}/i/oauth2/authorize`,
      X_TOKEN_URL: `${xsim.url}/2/oauth2/token`,
      X_REVOKE_URL: `${xsim.url}/2/oauth2/revoke`,
      X_ME_URL: `${xsim.url}/2/users/me`,
      GOLOGIN_API_URL: xsim.url,
      // The orchestrators pace their listing under their own budget (40 pages a minute by default): raised with x-sim's limit.
      GOLOGIN_LIST_RATE_LIMIT_PER_MINUTE: String(gologinPerMinute - 100),
    });
    const simStats = async () => (await fetch(`${xsim.url}/_sim/stats`)).json();

    // ---- 1. the sync: the first replica's start lists every profile (fresh rows), the next ones update them
    const loginReplicas = [];
    for (let i = 0; i < replicaCount; i++) loginReplicas.push(await start('orchestrator', { REFRESH_AHEAD_MS: '60000' }));
    const synced = loginReplicas.map((r) => r.logged('profiles synced')[0]);
    for (const [i, s] of synced.entries()) {
      if (!s || s.count !== n || s.complete !== true)
        throw new Error(`replica ${i + 1}'s sync listed ${s?.count} profiles (complete: ${s?.complete}), expected ${n}`);
    }
    const syncMs = Number(synced[0].durationMs);
    console.log(
      `sync: ${n} profiles in ${Math.ceil(n / 30)} GoLogin pages: ${secs(syncMs)} s (first, into an empty table); next replicas: ${synced
        .slice(1)
        .map((s) => `${secs(s.durationMs)} s`)
        .join(', ')} (updates)`,
    );

    const gateway = await start('gateway', {
      ORCHESTRATOR_URL: loginReplicas[0].url,
      RATE_LIMIT_PER_MINUTE: '1000000000',
      BOOTSTRAP_CLIENTS: JSON.stringify([{ ...reader, scopes: ['tokens:read'] }]),
    });

    // ---- 2. N logins through the real path, the bench answering consent as the browser would
    conn = await amqplib.connect(AMQP_URL);
    const events = await listen(conn, namespace, [
      'user.authenticated',
      'user.authentication.failed',
      'token.refreshed',
      'token.refresh.failed',
      'user.reauthorization.required',
    ]);
    // The stand-in worker publishes as the browser worker's own broker user, as the real one does (it hears the jobs as guest: its own queue is anonymous).
    const workerUrl = new URL(SERVICE_AMQP_URL);
    workerUrl.username = brokerUserOf('browser-worker');
    workerUrl.password = devBrokerPassword('browser-worker');
    workerConn = await amqplib.connect(workerUrl.toString());
    const consents = await consentAnswerer(conn, workerConn, namespace, xsim.url, Number(args['login-lanes']), workerUrl.username);
    const cmd = await conn.createConfirmChannel();
    const loginT0 = performance.now();
    // A bounded number of logins in flight, as browser workers would take them: X's codes live 30 s,
    // so consents answered all at once would wait in the queue past their code's life.
    const ended = () => events.counts['user.authenticated'] + events.counts['user.authentication.failed'];
    const inFlight = Number(args['logins-in-flight']);
    for (const [i, accountId] of accounts.entries()) {
      if (i - ended() >= inFlight) await events.until('ended', i - inFlight + 1, 120_000, 'logins', ended);
      const requestId = randomUUID();
      cmd.publish(`${namespace}.commands`, 'user.login.requested', Buffer.from(JSON.stringify({ requestId, accountId })), {
        persistent: true,
        contentType: 'application/json',
        messageId: randomUUID(),
        type: 'user.login.requested',
        appId: 'bench',
        correlationId: requestId,
      });
    }
    await cmd.waitForConfirms();
    await events.until('ended', n, 300_000, 'logins', ended);
    if (events.counts['user.authentication.failed']) throw new Error(`${events.counts['user.authentication.failed']} of ${n} logins failed`);
    const loginMs = performance.now() - loginT0;
    console.log(
      `logins: ${n} tokens stored in ${secs(loginMs)} s (${(n / (loginMs / 1000)).toFixed(0)} logins/s over ${replicaCount} replicas; failed ${events.counts['user.authentication.failed']}, consent answers failed ${consents.failed()})`,
    );
    const rssAfterLogins = loginReplicas.map((r) => rssMb(r.child.pid));
    for (const r of loginReplicas) await r.kill('SIGTERM');

    // ---- 3. the drain: every token due, 2 fresh replicas refresh them while readers read
    await fetch(`${xsim.url}/_sim/token-lifetime`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: FULL_LIFETIME_SEC }),
    });
    const issuedBefore = (await simStats()).tokensIssued;
    const grant = await fetch(`${gateway.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret }),
    });
    if (grant.status !== 200) throw new Error(`token grant failed: ${grant.status} ${await grant.text()}`);
    const jwt = (await grant.json()).access_token;
    const memBefore = { 'x-sim': rssMb(xsim.child.pid), gateway: rssMb(gateway.child.pid) };
    const gatewayLinesBefore = gateway.lines.length;
    let reads;
    const drainT0 = performance.now();
    const replicas = [];
    // The gateway keeps routing to the first login replica's address: stopped, so it needs one that lives.
    for (let i = 0; i < replicaCount; i++) {
      const r = await start('orchestrator', { REFRESH_AHEAD_MS: String(DUE_AHEAD_MS), HTTP_PORT: i === 0 ? new URL(loginReplicas[0].url).port : '0' });
      replicas.push(r);
      reads ??= readLoop(gateway.url, jwt, accounts, Number(args.readers));
      memBefore[`orchestrator ${i + 1}`] = rssMb(r.child.pid);
    }
    const peak = { ...memBefore };
    const sampler = setInterval(() => {
      for (const [name, p] of [['x-sim', xsim], ['gateway', gateway], ...replicas.map((r, i) => [`orchestrator ${i + 1}`, r])])
        peak[name] = Math.max(peak[name], rssMb(p.child.pid));
    }, 500);
    await events.until('token.refreshed', n, Math.max(300_000, n * 100), 'the drain').finally(() => clearInterval(sampler));
    const drainMs = performance.now() - drainT0;
    const { ms, statuses } = await reads.stop();
    const refreshT = events.times['token.refreshed'];
    const refreshMs = refreshT.last - refreshT.first;
    const rate = n / (refreshMs / 1000);
    const memAfter = {
      'x-sim': rssMb(xsim.child.pid),
      gateway: rssMb(gateway.child.pid),
      ...Object.fromEntries(replicas.map((r, i) => [`orchestrator ${i + 1}`, rssMb(r.child.pid)])),
    };
    const stats = await simStats();

    db = new pg.Client({ connectionString: DATABASE_URL });
    await db.connect();
    const { rows: byState } = await db.query(
      `SELECT status, (expires_at > now() + interval '1 hour') AS renewed, count(*)::int AS n FROM "${schema}".tokens GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const p50 = quantile(ms, 0.5);
    const p99 = quantile(ms, 0.99);
    console.log(
      `refresh: ${n} tokens refreshed by ${replicaCount} replicas in ${secs(refreshMs)} s from the first token.refreshed to the last (${secs(drainMs)} s from the first replica's spawn, starts and syncs included): ${rate.toFixed(1)} tokens/s`,
    );
    console.log(
      `  X token calls during the drain: ${stats.tokensIssued - issuedBefore} issued; refresh failures heard: ${events.counts['token.refresh.failed']}, reauthorizations: ${events.counts['user.reauthorization.required']}`,
    );
    console.log(`  stored tokens now: ${byState.map((r) => `${r.status}${r.renewed ? ' (renewed)' : ' (not renewed)'} ${r.n}`).join(', ')}`);
    console.log(
      `reads during the refresh: ${ms.length} through the gateway (${args.readers} loops), p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; answers ${JSON.stringify(statuses)}`,
    );
    console.log(`memory (RSS, MB): before the drain -> peak -> after`);
    for (const name of Object.keys(memAfter))
      console.log(
        `  ${name.padEnd(15)} ${memBefore[name].toFixed(0).padStart(5)} -> ${peak[name].toFixed(0).padStart(5)} -> ${memAfter[name].toFixed(0).padStart(5)}`,
      );
    console.log(`  (the login replicas held ${rssAfterLogins.map((m) => m.toFixed(0)).join(' and ')} MB after ${n} logins)`);
    console.log(`live heap after each full GC during the drain (--trace-gc; MB): first -> largest -> last (count)`);
    for (const [name, lines] of [
      ['gateway', gateway.lines.slice(gatewayLinesBefore)],
      ...replicas.map((r, i) => [`orchestrator ${i + 1}`, r.lines]),
      ...loginReplicas.map((r, i) => [`login replica ${i + 1}`, r.lines]),
    ]) {
      const live = liveAfterFullGcMb(lines);
      console.log(
        `  ${name.padEnd(15)} ${
          live.length
            ? `${live[0].toFixed(0).padStart(5)} -> ${Math.max(...live)
                .toFixed(0)
                .padStart(5)} -> ${live.at(-1).toFixed(0).padStart(5)} (${live.length})`
            : 'no full GC'
        }`,
      );
    }
    const warns = all.flatMap((p) => p.lines.filter((l) => /"level":"(error|warn)"/.test(l)).map((l) => `${p.name}: ${l}`));
    console.log(`error/warn lines logged: ${warns.length}`);
    for (const w of warns.slice(0, 8)) console.log(`  ${w.slice(0, 300)}`);
    console.log(`load average at the end: ${load()}`);
    console.log(
      `accounts bench: ${n} accounts; refresh ${rate.toFixed(0)} tokens/s with ${replicaCount} replicas; double spends ${stats.refreshDoubleSpends}; sync ${secs(syncMs)} s; read p99 ${p99.toFixed(0)} ms`,
    );
  } finally {
    await db?.end().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await workerConn?.close().catch(() => undefined);
    for (const p of all.reverse()) await p.kill('SIGTERM');
    if (args.logs) {
      mkdirSync(args.logs, { recursive: true });
      for (const [i, p] of all.entries()) writeFileSync(join(args.logs, `${i}-${p.name}.log`), `${p.lines.join('\n')}\n`);
    }
    await removeNamespace(namespace);
  }
}

// Interrupted (Ctrl-C, a timeout): end what was started and remove the namespace, not leave them behind.
// A crash (an amqplib connection's unhandled 'error', say) ends them too: they would outlive the bench, holding ports and the broker.
async function stopStarted(why, code) {
  console.error(`${why}: stopping the services`);
  await Promise.all(started.processes.map((p) => p.kill('SIGTERM')));
  await started.cleanup?.().catch(() => undefined);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopStarted(`interrupted by ${signal}`, 130));
process.once('uncaughtException', (err) => {
  console.error(err);
  void stopStarted('crashed', 1);
});

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
