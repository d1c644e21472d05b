import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ChromiumCensus } from '@xauth/shared/chromium';
import { simUsername } from '@xauth/x-sim';
import { metricValue, readStoredDeadLetters, schemaOf, startStack, waitUntil, type Received, type Stack } from '../src/index.js';

/** The `xauth` command npm linked at install, as an operator runs it. */
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/xauth', import.meta.url));
function xauth(stack: Stack, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { PATH: process.env.PATH ?? '', XAUTH_GATEWAY_URL: stack.gateway.url }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const census = new ChromiumCensus();
const TERMINAL = new Set(['user.authenticated', 'user.authentication.failed']);
const requestIdOf = (r: Received) => (r.body as { requestId?: string }).requestId;

/**
 * The issue-10 checks, run as a new user would: default pool settings (no MAX_CONCURRENT_PROFILES),
 * bursts far larger than the machine, and providers that go away for minutes.
 */
describe('load and outages, end to end (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(900_000);
  let stack: Stack | undefined;
  let before: number[];

  beforeEach(() => {
    before = census.pids();
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  /** Publishes one login request per entry and returns the requestIds, in order. */
  function publishLogins(s: Stack, accounts: string[]): string[] {
    return accounts.map((accountId) => {
      const requestId = randomUUID();
      s.probe.publishCommand('user.login.requested', { requestId, accountId });
      return requestId;
    });
  }

  /** Every terminal answer per requestId, once all `ids` have one. */
  async function answers(events: { all: Received[] }, ids: string[], timeoutMs: number): Promise<Map<string, Received[]>> {
    const byId = () => {
      const m = new Map<string, Received[]>();
      for (const e of events.all) {
        const id = requestIdOf(e);
        if (TERMINAL.has(e.routingKey) && id) m.set(id, [...(m.get(id) ?? []), e]);
      }
      return m;
    };
    await waitUntil(
      () => {
        const m = byId();
        return ids.every((id) => m.has(id));
      },
      timeoutMs,
      `${ids.length} answered (have ${byId().size})`,
    );
    return byId();
  }

  async function activeTokens(s: Stack): Promise<string[]> {
    const { rows } = await s.db.query(`SELECT account_id FROM "${schemaOf(s)}".tokens WHERE status = 'active' ORDER BY account_id`);
    return rows.map((r: { account_id: string }) => r.account_id);
  }

  async function unsentOutbox(s: Stack): Promise<number> {
    const { rows } = await s.db.query(`SELECT count(*)::int AS n FROM "${schemaOf(s)}".outbox WHERE sent_at IS NULL`);
    return rows[0].n as number;
  }

  const accounts = (n: number) => Array.from({ length: n }, (_, i) => simUsername(i + 1));

  it('when 4,000 login requests arrive over 50 accounts without tokens on default pool settings, then every account gets a token, every request is answered exactly once, and nothing is dead-lettered', async () => {
    stack = await startStack({ env: { MAX_CONCURRENT_PROFILES: undefined } });
    const events = await stack.probe.listen('user.#');
    const fifty = accounts(50);
    const ids = publishLogins(
      stack,
      Array.from({ length: 4_000 }, (_, i) => fifty[i % 50]!),
    );
    const byId = await answers(events, ids, 840_000);
    await waitUntil(async () => (await unsentOutbox(stack!)) === 0, 30_000, 'the outbox to drain');

    const twice = [...byId].filter(([, list]) => list.length !== 1);
    expect(twice, 'requests answered more than once').to.deep.equal([]);
    const failed = [...byId.values()].flat().filter((e) => e.routingKey !== 'user.authenticated');
    expect(
      failed.map((e) => e.body),
      'failed answers',
    ).to.deep.equal([]);
    expect(await activeTokens(stack)).to.deep.equal([...fifty].sort());
    expect(
      (await readStoredDeadLetters(stack.db, stack.namespace)).map((l) => l.properties.headers?.['x-error-code']),
      'dead letters',
    ).to.deep.equal([]);
  });

  async function deadLetterCodes(s: Stack): Promise<unknown[]> {
    return (await readStoredDeadLetters(s.db, s.namespace)).map((l) => l.properties.headers?.['x-error-code']);
  }

  it('when GoLogin is out for 2 minutes in the middle of a burst, then its breaker opens, no attempt is spent while it is open, and every account is authorized after it closes with no operator action', async () => {
    // The open window does not double past 30 s here (BREAKER_MAX_OPEN_MS), so the breaker closes within
    // 30 s of the outage's end instead of up to 90 s: the same behaviour, less of CI's time spent waiting.
    stack = await startStack({
      xsim: { interstitialMs: 50 },
      env: { MAX_CONCURRENT_PROFILES: undefined, BREAKER_FAILURE_THRESHOLD: '3', BREAKER_MAX_OPEN_MS: '30000' },
    });
    const s = stack;
    const events = await s.probe.listen('user.#');
    const failedAttempts = await s.probe.listen('authorization.attempt.failed');
    const twenty = accounts(20);
    const ids = publishLogins(s, twenty);
    await waitUntil(() => events.all.filter((e) => e.routingKey === 'user.authenticated').length >= 2, 300_000, 'the first accounts authorized');
    s.xsim.state.startOutage({ target: 'gologin', durationMs: 120_000, mode: '503' });
    await waitUntil(
      async () => (await metricValue(s.worker!.url, 'xauth_circuit_breaker_transitions_total', { to: 'open' })) >= 1,
      120_000,
      'the GoLogin breaker to open',
    );

    const byId = await answers(events, ids, 720_000);
    const all = [...byId.values()].flat();
    expect(
      all.filter((e) => e.routingKey !== 'user.authenticated').map((e) => e.body),
      'failed answers',
    ).to.deep.equal([]);
    expect(
      [...byId.values()].every((list) => list.length === 1),
      'each request answered once',
    ).to.equal(true);
    expect(await activeTokens(s)).to.deep.equal([...twenty].sort());
    expect(await deadLetterCodes(s), 'dead letters').to.deep.equal([]);

    // While open nothing reaches GoLogin but the probes: the calls the outage refused are the ones
    // that tripped the breaker (a few in flight together) plus one per half-open probe.
    const probes = await metricValue(s.worker!.url, 'xauth_circuit_breaker_transitions_total', { to: 'half_open' });
    const refused = s.xsim.state.stats().outageRefusals.gologin;
    expect(refused, `GoLogin calls refused by the outage (${probes} probes)`).to.be.at.most(3 + 4 + probes);
    const spent = failedAttempts.all.map((e) => (e.body as { errorCode: string }).errorCode);
    expect(spent.length, `attempts spent: ${spent.join(', ')}`).to.be.at.most(3 + 4 + probes);
    expect(spent).to.not.include('CIRCUIT_OPEN');
  });

  it("when a GoLogin outage outlasts the jobs' deadline, then the jobs are dead-lettered, and one replay command after it authorizes every account", async () => {
    stack = await startStack({
      xsim: { interstitialMs: 50 },
      env: {
        MAX_CONCURRENT_PROFILES: undefined,
        BREAKER_FAILURE_THRESHOLD: '2',
        BREAKER_OPEN_MS: '15000',
        BREAKER_MAX_OPEN_MS: '15000',
        JOB_TTL_MS: '45000',
        SWEEP_INTERVAL_MS: '5000',
      },
    });
    const s = stack;
    const events = await s.probe.listen('user.#');
    const six = Array.from({ length: 6 }, (_, i) => simUsername(i + 31));
    s.xsim.state.startOutage({ target: 'gologin', durationMs: 75_000, mode: '503' });
    const ids = publishLogins(s, six);
    const first = await answers(events, ids, 300_000);
    expect([...first.values()].flat().map((e) => e.routingKey)).to.satisfy((keys: string[]) => keys.every((k) => k === 'user.authentication.failed'));
    await waitUntil(async () => (await deadLetterCodes(s)).length >= 6, 240_000, 'a dead letter per job');
    await waitUntil(() => s.xsim.state.outages.modeOf('gologin') === undefined, 120_000, 'the outage to end');

    const replay = await xauth(s, ['dlq', 'replay', '--filter', 'routingKey=authorization.job.requested', '--reason', 'GoLogin is back', '--json']);
    expect(replay.code, replay.stderr).to.equal(0);
    const authenticated = () => new Set(events.all.filter((e) => e.routingKey === 'user.authenticated').map(requestIdOf));
    await waitUntil(() => ids.every((id) => authenticated().has(id)), 420_000, 'every request answered again, authenticated');
    expect(await activeTokens(s)).to.deep.equal([...six].sort());
  });
});
