import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { schemaName } from '@xauth/shared';
import { refreshDueTokens } from '@xauth/orchestrator';
import { getJson, getServiceToken, schemaOf, startStack, waitUntil, type EventCollector, type Received, type Stack } from '../src/index.js';

/** Two failures open a breaker; a short open window keeps the test quick. */
const ENV = { BREAKER_FAILURE_THRESHOLD: '2', BREAKER_OPEN_MS: '5000', MAX_ATTEMPTS: 'browser-worker.authorization-jobs=5' };
interface Breaker {
  service: string;
  name: string;
  state: string;
  failures: number;
  lastError?: string;
}

describe('circuit breakers, end to end (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let events: EventCollector;
  let admin: Record<string, string>;

  beforeEach(async () => {
    stack = await startStack({ xsim: { interstitialMs: 0 }, env: ENV });
    events = await stack.probe.listen('#');
    admin = { authorization: `Bearer ${await getServiceToken(stack.gateway.url, 'dev-admin', 'dev-admin-secret')}` };
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(stack.logs.filter((l) => /breaker|deferred|attempt failed/i.test(l)).join('\n'));
    await stack?.stop();
  });

  const breakers = async (): Promise<Breaker[]> => {
    const res = await getJson(`${stack.gateway.url}/v1/breakers`, admin);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.unavailable).to.deep.equal([]);
    return res.body.breakers as Breaker[];
  };
  const login = (accountId: string): string => {
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId });
    return requestId;
  };
  const answerTo = (requestId: string) =>
    events.waitFor(
      (r) => (r.body as { requestId?: string }).requestId === requestId && r.routingKey.startsWith('user.authentica'),
      90_000,
      `the answer to ${requestId}`,
    );
  /** Every probe but the last (which closed the breaker) failed. */
  const failedProbes = (breaker: string) => stack.logs.filter((l) => l.includes('this call probes the dependency') && l.includes(breaker)).length - 1;
  const failedAttempts = (jobId: string) =>
    events.all.filter((r: Received) => r.routingKey === 'authorization.attempt.failed' && (r.body as { jobId: string }).jobId === jobId);

  it('when GoLogin keeps answering 503, then its breaker opens, later jobs are deferred without an attempt or a GoLogin call, and once GoLogin is back the probe closes it and the jobs complete', async () => {
    stack.xsim.state.addFault({ endpoint: 'gologin', status5xx: 503 });
    const first = login('xsim_user_001');
    const gologin = await waitUntil(
      async () => (await breakers()).find((b) => b.name.startsWith('gologin:') && b.state === 'open'),
      30_000,
      'the GoLogin breaker to open',
    );
    expect(gologin).to.include({ service: 'browser-worker', failures: 2 });
    expect(gologin.lastError).to.contain('GoLogin answered 503');
    const callsWhenOpened = stack.xsim.state.stats().gologinProfileCalls;
    expect(callsWhenOpened).to.equal(2);

    const second = login('xsim_user_002');
    const secondProfile = stack.xsim.state.profileOf('xsim_user_002')!.id;
    await waitUntil(
      () => stack.logs.some((l) => l.includes('job deferred') && l.includes(secondProfile) && l.includes('CIRCUIT_OPEN')),
      30_000,
      'the second job to be deferred',
    );
    expect(stack.xsim.state.stats().gologinProfileCalls, 'GoLogin is not called while the breaker is open').to.equal(callsWhenOpened);
    expect(stack.xsim.state.stats().startsByProfile[secondProfile]).to.equal(undefined);
    const ready = await getJson(`${stack.worker!.url}/ready`);
    expect(ready.status, 'an open breaker does not make the worker unready').to.equal(200);
    expect(ready.body.details.breakers.map((b: Breaker) => [b.name, b.state])).to.deep.include([gologin.name, 'open']);
    expect(await getMetric(stack.worker!.url, `xauth_circuit_breaker_state{breaker="${gologin.name}"`)).to.equal(2);

    stack.xsim.state.faults.reset();
    const [a, b] = [await answerTo(first), await answerTo(second)];
    expect([a.routingKey, b.routingKey]).to.deep.equal(['user.authenticated', 'user.authenticated']);
    // Two failures opened the breaker. Only the first spent an attempt: the one that opened it, the deferrals and
    // the failed probes left the breaker open, so the outage was GoLogin's and the jobs waited for it.
    const firstFailures = failedAttempts((a.body as { jobId: string }).jobId).map((r) => (r.body as { errorCode: string }).errorCode);
    expect(firstFailures, `attempts the first job spent (${failedProbes(gologin.name)} failed probes)`).to.deep.equal(['GOLOGIN_UNAVAILABLE']);
    expect(failedAttempts((b.body as { jobId: string }).jobId), 'attempts the second job spent').to.deep.equal([]);
    expect((await breakers()).find((b) => b.name === gologin.name)).to.include({ state: 'closed', failures: 0 });
    expect(await getMetric(stack.worker!.url, `xauth_circuit_breaker_transitions_total{breaker="${gologin.name}",to="closed"`)).to.equal(1);
  });

  it("when X refuses the app's credentials on refresh, then the app's token-endpoint breaker opens, the refresher skips the app and no token is marked dead", async () => {
    expect((await answerTo(login('xsim_user_003'))).routingKey).to.equal('user.authenticated');
    const deps = stack.orchestrator.deps;
    const app = deps.apps.find((a) => a.name === 'xauth-dev')!;
    (app as { clientSecret?: string }).clientSecret = 'a-secret-x-does-not-know';
    await stack.db.query(`UPDATE "${schemaOf(stack)}".tokens SET expires_at = now() + interval '1 minute'`);

    const rounds = [await refreshDueTokens(deps), await refreshDueTokens(deps), await refreshDueTokens(deps)];
    expect(rounds.map((r) => Object.keys(r))).to.deep.equal([['APP_CONFIG_INVALID'], ['APP_CONFIG_INVALID'], ['breaker_open']]);
    expect((await breakers()).find((b) => b.name === 'x-token:xauth-dev')).to.include({ service: 'orchestrator', state: 'open' });
    const { rows } = await stack.db.query(`SELECT status FROM "${schemaOf(stack)}".tokens`);
    expect(rows).to.deep.equal([{ status: 'active' }]);
    expect(events.all.filter((r) => r.routingKey === 'token.refresh.failed' || r.routingKey === 'user.reauthorization.required')).to.deep.equal([]);
    const stored = await stack.db.query(`SELECT state FROM "${schemaName(stack.namespace, 'orchestrator')}".circuit_breakers WHERE name = 'x-token:xauth-dev'`);
    expect(stored.rows).to.deep.equal([{ state: 'open' }]);
  });
});

async function getMetric(serviceUrl: string, prefix: string): Promise<number | undefined> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
