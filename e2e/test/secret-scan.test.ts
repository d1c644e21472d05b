import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SERVICES, devBrokerPassword, exchangeName } from '@xauth/contracts';
import { readZip } from '@xauth/browser-worker';
import { INTERNAL_TOKENS, schemaName } from '@xauth/shared';
import { getServiceToken, readStoredDeadLetters, startStack, type EventCollector, type Received, type Stack } from '../src/index.js';

const SCANNER = { clientId: 'scanner', clientSecret: 'scanner-secret-0123456789', scopes: ['jobs:read', 'tokens:read', 'artifacts:read', 'dlq:admin'] };
const isFor = (requestId: string) => (r: Received) => (r.body as { requestId?: string }).requestId === requestId;

/** Where a run's outputs are: each haystack is one log line, event, dead letter, error body or artifact. */
interface Haystack {
  where: string;
  text: string;
}

/**
 * The two work messages whose contracts carry a secret to the one service that needs it: the
 * browser-worker opens `authorizeUrl` (its state), the orchestrator checks `state` and exchanges
 * `code`. Those fields are left out of the scan; the rest of these messages (headers, ids) is not.
 */
const CARRIED: Record<string, string[]> = { 'authorization.job.requested': ['authorizeUrl'], 'authorization.consent.captured': ['code', 'state'] };

function onTheBus(where: string, r: Received): Haystack {
  let body: unknown = r.body;
  if (typeof body === 'string')
    try {
      body = JSON.parse(body);
    } catch {
      /* scanned as is */
    }
  const base = Object.keys(CARRIED).find((k) => r.routingKey === k || r.routingKey.startsWith(`${k}.`));
  if (base && body && typeof body === 'object') body = Object.fromEntries(Object.entries(body).filter(([k]) => !CARRIED[base]!.includes(k)));
  return { where: `${where} (${r.routingKey})`, text: `${typeof body === 'string' ? body : JSON.stringify(body)}\n${JSON.stringify(r.properties)}` };
}

/** Every secret (8+ characters) found in any haystack, named by where. */
function leaks(haystacks: Haystack[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets.filter((s) => s.length >= 8)) {
    for (const h of haystacks) if (h.text.includes(secret)) found.push(`${h.where} holds ${secret.slice(0, 4)}… (${secret.length} chars)`);
  }
  return found;
}

/**
 * A run that handles every kind of secret, at LOG_LEVEL=debug: a full login, a refresh, a failure
 * that keeps artifacts and dead-letters its job, the replay that then succeeds, and a few refused
 * HTTP calls. Answers everything the run put out, and every secret it handled.
 */
async function exercise(stack: Stack): Promise<{ haystacks: Haystack[]; secrets: string[] }> {
  const events = await stack.probe.listen('#');
  const commands = await listenToCommands(stack);
  const errorBodies: Haystack[] = [];
  const jwt = await getServiceToken(stack.gateway.url, SCANNER.clientId, SCANNER.clientSecret);
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${stack.gateway.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', ...init.headers },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status >= 400) errorBodies.push({ where: `HTTP ${res.status} ${path}`, text: bytes.toString('utf8') });
    return { status: res.status, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
  };
  const login = async (accountId: string, outcome: string, collector: EventCollector) => {
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId });
    const answer = await collector.waitFor((r) => isFor(requestId)(r) && r.routingKey.startsWith('user.authentica'), 90_000, `the answer to ${accountId}`);
    expect(answer.routingKey, JSON.stringify(answer.body)).to.equal(outcome);
    return { requestId, jobId: (answer.body as { jobId: string }).jobId };
  };

  // A full login, then the refresher rotates its token (30-minute tokens are inside the refresh window).
  await login('xsim_user_011', 'user.authenticated', events);
  await events.waitFor(
    (r) => r.routingKey === 'token.refreshed' && (r.body as { accountId?: string }).accountId === 'xsim_user_011',
    60_000,
    'token.refreshed',
  );
  stack.xsim.state.setTokenLifetime(7200);
  expect((await call('/v1/accounts/xsim_user_011/token')).status).to.equal(200);

  // A failure that keeps artifacts and dead-letters the job (BLOCKED twice), its artifacts read back.
  stack.xsim.state.setScenario('xsim_user_012', 'blocked');
  const failed = await login('xsim_user_012', 'user.authentication.failed', events);
  const letter = await stack.probe.waitForDeadLetter((r) => (r.body as { jobId?: string }).jobId === failed.jobId, 30_000);
  const job = (await call(`/v1/jobs/${failed.jobId}`)).json() as { artifacts: Array<{ href: string }> };
  expect(job.artifacts, 'screenshot, HTML and trace of each attempt').to.have.length(6);
  const artifacts: Haystack[] = [];
  for (const a of job.artifacts) {
    const got = await call(a.href);
    expect(got.status).to.equal(200);
    artifacts.push({ where: `artifact ${a.href}`, text: got.bytes.toString('latin1') });
    if (a.href.endsWith('.zip')) for (const e of readZip(got.bytes)) artifacts.push({ where: `artifact ${a.href}!${e.name}`, text: e.data.toString('latin1') });
  }
  // Everything the store holds, not only what the job view links to.
  const { rows: kept } = await stack.db.query(`SELECT job_id, attempt, file, bytes FROM "${schemaName(stack.namespace, 'browser_worker')}".failure_artifacts`);
  for (const r of kept as Array<{ job_id: string; attempt: number; file: string; bytes: Buffer }>) {
    artifacts.push({ where: `stored artifact ${r.job_id}/${r.attempt}/${r.file}`, text: r.bytes.toString('latin1') });
  }

  // The dead letter, replayed once the cause is gone: the same request is answered again, now a success.
  const listed = (await call('/v1/dead-letters?errorCode=BLOCKED')).json() as { items: Array<{ id: string; messageId: string }> };
  const stored = listed.items.find((d) => d.messageId === letter.properties.messageId) ?? listed.items[0]!;
  stack.xsim.state.setScenario('xsim_user_012', 'normal');
  expect((await call(`/v1/dead-letters/${stored.id}/replay`, { method: 'POST', body: JSON.stringify({ reason: 'unblocked' }) })).status).to.equal(200);
  await events.waitFor((r) => isFor(failed.requestId)(r) && r.routingKey === 'user.authenticated', 90_000, 'the replayed login');
  expect((await call('/v1/accounts/xsim_user_012/token')).status).to.equal(200);

  // Refused calls: their bodies are scanned too.
  expect((await call('/v1/accounts/xsim_user_099/token')).status).to.be.at.least(400);
  expect((await call('/v1/jobs/not-a-uuid')).status).to.equal(400);
  const wrongSecret = await fetch(`${stack.gateway.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: SCANNER.clientId, client_secret: `${SCANNER.clientSecret}-wrong` }),
  });
  errorBodies.push({ where: 'HTTP 401 token', text: await wrongSecret.text() });

  const deadLetters = (await readStoredDeadLetters(stack.db, stack.namespace)).map((d, i) => onTheBus(`dead letter ${i}`, d));
  const bus = [...events.all, ...commands.all].map((r) => onTheBus('bus', r));
  const haystacks = [...stack.logs.map((l, i) => ({ where: `log line ${i}`, text: l })), ...bus, ...deadLetters, ...errorBodies, ...artifacts];
  const secrets = [
    ...stack.xsim.state.handledSecrets(),
    jwt,
    SCANNER.clientSecret,
    `${SCANNER.clientSecret}-wrong`,
    'dev-admin-secret',
    'xsim-client-secret',
    ...Object.values(INTERNAL_TOKENS),
    // The services' broker passwords (their development ones here).
    ...SERVICES.map(devBrokerPassword),
  ];
  return { haystacks, secrets };
}

/** Every command on the bus too (a replay republishes one). */
async function listenToCommands(stack: Stack): Promise<EventCollector> {
  const collector = await stack.probe.listen('no.such.event');
  const { queue } = await stack.probe.ch.assertQueue('', { exclusive: true, autoDelete: true });
  await stack.probe.ch.bindQueue(queue, exchangeName(stack.namespace, 'commands'), '#');
  await stack.probe.ch.consume(
    queue,
    (m) => {
      if (m) collector.push({ routingKey: m.fields.routingKey, body: m.content.toString(), raw: m.content.toString(), properties: m.properties });
    },
    { noAck: true },
  );
  return collector;
}

describe('secret scan: no secret a run handled reaches its logs, bus, error bodies or artifacts (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(300_000);
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  const start = (unredactedLogs: boolean) =>
    startStack({
      unredactedLogs,
      xsim: { interstitialMs: 50, tokenLifetimeSec: 1800 },
      env: {
        LOG_LEVEL: 'debug',
        MAX_ATTEMPTS: 'browser-worker.authorization-jobs=2',
        ARTIFACTS_TRACE_FROM_ATTEMPT: '1',
        PROFILE_SYNC_MIN_GAP_MS: '0',
        REFRESH_INTERVAL_MS: '200',
        REFRESH_AHEAD_MS: '3000000',
        BOOTSTRAP_CLIENTS: JSON.stringify([SCANNER]),
      },
    });

  it('when a login, a refresh, a failure with artifacts, a dead letter and its replay run at debug, then none of their secrets appears anywhere', async () => {
    stack = await start(false);
    const { haystacks, secrets } = await exercise(stack);
    expect(secrets.length, 'the run handled codes, tokens, states, verifiers, cookies').to.be.greaterThan(10);
    expect(haystacks.length).to.be.greaterThan(50);
    expect(leaks(haystacks, secrets)).to.deep.equal([]);
  });

  it('when the logger redaction is turned off, then the same scan finds secrets in the logs (the scan can fail)', async () => {
    stack = await start(true);
    const { haystacks, secrets } = await exercise(stack);
    const found = leaks(haystacks, secrets);
    expect(found, 'redaction off must leak').to.not.deep.equal([]);
    expect(
      found.every((f) => f.startsWith('log line')),
      found.join('\n'),
    ).to.equal(true);
  });
});
