import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { TcpProxy, getJson, startStack, waitUntil, type Received, type Stack } from '../src/index.js';

const isFor = (requestId: string) => (r: Received) => (r.body as { requestId?: string }).requestId === requestId;

describe('PostgreSQL unreachable for the orchestrator (TCP proxy in between)', function () {
  this.timeout(240_000);
  let stack: Stack;
  let proxy: TcpProxy;

  beforeEach(async () => {
    proxy = await TcpProxy.open('127.0.0.1', 5432);
    stack = await startStack({ env: { DATABASE_URL: `postgres://postgres@${proxy.address}/postgres` }, xsim: { interstitialMs: 50 } });
  });
  afterEach(async () => {
    proxy?.up();
    await stack?.stop();
    await proxy?.close();
  });

  it('when the database goes away, then messages are retried, /ready says not ready, and when it returns everything completes', async () => {
    const events = await stack.probe.listen('user.#');
    const first = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: first, accountId: 'xsim_user_021' });
    await events.waitFor(isFor(first), 90_000, 'the first login');

    proxy.down();
    const cached: string[] = Array.from({ length: 10 }, () => randomUUID());
    for (const requestId of cached) stack.probe.publishCommand('user.login.requested', { requestId, accountId: 'xsim_user_021' });
    const fresh: string = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId: fresh, accountId: 'xsim_user_022' });

    const ready = await waitUntil(
      async () => {
        const r = await getJson(`${stack.orchestrator.url}/ready`);
        return r.status === 503 ? r : undefined;
      },
      30_000,
      '/ready to say not ready',
    );
    expect(JSON.stringify(ready.body)).to.match(/database/);
    await waitUntil(
      () => stack.logs.some((l) => l.includes('handler failed; retrying later') && l.includes('user.login.requested')) || undefined,
      30_000,
      'a retry',
    );
    expect(events.all.filter((e) => [...cached, fresh].includes((e.body as { requestId: string }).requestId))).to.deep.equal([]);

    proxy.up();
    for (const requestId of cached) {
      const ev = await events.waitFor(isFor(requestId), 60_000, `the answer to ${requestId}`);
      expect(ev.routingKey).to.equal('user.authenticated');
      expect(ev.body).to.include({ cached: true });
    }
    const ev = await events.waitFor(isFor(fresh), 90_000, 'the login that needed a browser');
    expect(ev.routingKey).to.equal('user.authenticated');
    await waitUntil(async () => (await getJson(`${stack.orchestrator.url}/ready`)).status === 200 || undefined, 30_000, '/ready to recover');
    // Retried, not dead-lettered: each request was answered exactly once.
    const answers = events.all.filter((e) => [...cached, fresh].includes((e.body as { requestId: string }).requestId));
    expect(answers).to.have.lengthOf(cached.length + 1);
  });
});
