import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createLogger } from '@xauth/shared';
import { ChromiumCensus } from '@xauth/shared/chromium';
import { loadBrowserWorkerConfig, startBrowserWorker, type RunningBrowserWorker, type Sampler } from '@xauth/browser-worker';
import { simUsername } from '@xauth/x-sim';
import { REDIRECT_URI, ServiceProcess, metricValue, startStack, waitUntil, type Received, type Stack } from '../src/index.js';
import { lockIsFree } from './support/profile-lock.helper.js';

const census = new ChromiumCensus();
const requestIdOf = (r: Received) => (r.body as { requestId?: string }).requestId;
const TERMINAL = new Set(['user.authenticated', 'user.authentication.failed']);
/** The services' warnings and errors, so that a failure says what went wrong along the way. */
const warnings = (logs: string[]) =>
  logs
    .filter((l) => /"level":"(warn|error)"/.test(l))
    .slice(0, 40)
    .join('\n');
/** The machine as the pool sizing sees it, pinned: a shared test machine's CPU belongs to whoever else runs there. */
const calmMachine: Sampler = { sample: async () => ({ cpu: 0.2, freeMemoryBytes: 8 * 2 ** 30, loopLagMs: 1, loopStallMs: 1 }), stop: () => undefined };

describe('browser pool, end to end (RabbitMQ, PostgreSQL, Chromium, x-sim)', function () {
  this.timeout(300_000);
  let stack: Stack | undefined;
  let before: number[];
  const extraWorkers: RunningBrowserWorker[] = [];
  const processes: ServiceProcess[] = [];

  beforeEach(() => {
    before = census.pids();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    for (const w of extraWorkers.splice(0)) await w.stop();
    await stack?.stop();
    stack = undefined;
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  /** Publishes login requests and waits until each has its terminal event. */
  async function loginAll(s: Stack, requests: Array<Record<string, unknown>>, timeoutMs: number): Promise<Map<string, Received>> {
    const events = await s.probe.listen('user.#');
    const ids = requests.map((r) => {
      const requestId = randomUUID();
      s.probe.publishCommand('user.login.requested', { requestId, ...r });
      return requestId;
    });
    const ended = new Map<string, Received>();
    await waitUntil(
      () => {
        for (const e of events.all) if (TERMINAL.has(e.routingKey) && requestIdOf(e)) ended.set(requestIdOf(e)!, e);
        return ids.every((id) => ended.has(id));
      },
      timeoutMs,
      `${ids.length} terminal events (have ${ended.size})`,
    );
    return new Map(ids.map((id) => [id, ended.get(id)!]));
  }

  it('when 60 login requests arrive at once with MAX_CONCURRENT_PROFILES=4, then x-sim never sees more than 4 profiles open nor one opened twice, and all 60 end', async () => {
    stack = await startStack({ xsim: { interstitialMs: 50 }, env: { MAX_CONCURRENT_PROFILES: '4' } });
    const requests = [
      ...Array.from({ length: 50 }, (_, i) => ({ accountId: simUsername(i + 1) })),
      ...Array.from({ length: 10 }, (_, i) => ({ accountId: simUsername(i + 1), force: true })),
    ];
    const ended = await loginAll(stack, requests, 280_000);
    const stats = stack.xsim.state.stats();
    expect(stats.maxConcurrentOpen).to.be.at.most(4).and.at.least(1);
    expect(stats.alreadyRunningRejections, `starts refused as already running; the worker's warnings:\n${warnings(stack.logs)}`).to.equal(0);
    expect([...ended.values()].map((e) => e.routingKey))
      .to.have.lengthOf(60)
      .and.satisfy((keys: string[]) => keys.every((k) => k === 'user.authenticated'));
    await waitUntil(() => stack!.xsim.state.runningBrowsers().length === 0, 30_000, 'every profile to be stopped');
    await waitUntil(async () => (await metricValue(stack!.worker!.url, 'xauth_pool_slots_busy')) === 0, 30_000, 'every slot to be free');
  });

  /**
   * A worker whose pool sizes itself (MIN 1, MAX 3, every 300 ms) on a calm machine: the sampler says so, and
   * starts slower than usual (this test's own Chromiums on a busy CI machine) do not shrink it.
   */
  async function adaptiveWorker(s: Stack, env: Record<string, string> = {}): Promise<RunningBrowserWorker> {
    const config = loadBrowserWorkerConfig({
      ...s.env,
      MIN_CONCURRENT_PROFILES: '1',
      MAX_CONCURRENT_PROFILES: '3',
      POOL_SIZING_INTERVAL_MS: '300',
      POOL_SLOW_START_FACTOR: '0',
      ...env,
    });
    const worker = await startBrowserWorker(config, { logger: createLogger({ service: 'browser-worker', silent: true }), sampler: calmMachine });
    extraWorkers.push(worker);
    return worker;
  }
  const slowAccounts = (s: Stack, from: number, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const accountId = simUsername(from + i);
      s.xsim.state.setScenario(accountId, 'slow', { latencyMs: 1_000 });
      return { accountId };
    });

  it('when jobs queue up and the machine has room, then the pool starts at MIN_CONCURRENT_PROFILES, grows one step at a time to MAX_CONCURRENT_PROFILES, and its prefetch follows', async () => {
    stack = await startStack({ inProcessWorker: false, xsim: { interstitialMs: 50 } });
    const worker = await adaptiveWorker(stack);
    expect(await metricValue(worker.url, 'xauth_pool_concurrency')).to.equal(1);
    expect(await metricValue(worker.url, 'xauth_pool_concurrency_changes_total', { direction: 'up', reason: 'start' })).to.equal(1);

    const ended = await loginAll(stack, slowAccounts(stack, 31, 8), 180_000);
    expect(
      [...ended.values()].every((e) => e.routingKey === 'user.authenticated'),
      JSON.stringify([...ended.values()].map((e) => e.body)),
    ).to.equal(true);
    expect(await metricValue(worker.url, 'xauth_pool_concurrency')).to.equal(3);
    expect(await metricValue(worker.url, 'xauth_pool_concurrency_changes_total', { direction: 'up', reason: 'idle_room' })).to.equal(2);
    expect(await metricValue(worker.url, 'xauth_pool_concurrency_changes_total', { direction: 'down' })).to.equal(0);
    // Jobs in flight followed the concurrency: more than one profile at once, never more than the ceiling.
    expect(stack.xsim.state.stats().maxConcurrentOpen).to.be.within(2, 3);
  });

  it('when profile starts turn slow, then the pool shrinks (starts_slow) and the jobs still end', async () => {
    stack = await startStack({ inProcessWorker: false, xsim: { interstitialMs: 50 } });
    const worker = await adaptiveWorker(stack, { POOL_SLOW_START_MS: '1500' });
    const all = loginAll(stack, slowAccounts(stack, 39, 10), 240_000);
    await waitUntil(async () => (await metricValue(worker.url, 'xauth_pool_concurrency')) === 3, 60_000, 'the pool to grow to 3');

    stack.xsim.state.addFault({ endpoint: 'gologin', latencyMs: 2_500 });
    await waitUntil(
      async () => (await metricValue(worker.url, 'xauth_pool_concurrency_changes_total', { direction: 'down', reason: 'starts_slow' })) >= 1,
      60_000,
      'a shrink for slow starts',
    );
    expect(await metricValue(worker.url, 'xauth_pool_concurrency')).to.be.below(3);
    const ended = await all;
    expect([...ended.values()].every((e) => e.routingKey === 'user.authenticated')).to.equal(true);
  });

  it('when two worker replicas get two jobs for each profile at once, then no profile is ever opened twice (advisory lock)', async () => {
    const apps = [
      { name: 'xauth-dev', clientId: 'xsim-client-id', clientSecret: 'xsim-client-secret' },
      { name: 'xauth-two', clientId: 'xsim-client-two', clientSecret: 'xsim-secret-two' },
    ];
    stack = await startStack({
      xsim: { interstitialMs: 50, apps: apps.map((a) => ({ ...a, redirectUris: [REDIRECT_URI] })) },
      // The default budget of 3 attempts: waiting for a profile held by the other replica spends none.
      env: { X_APPS: JSON.stringify(apps.map((a) => ({ ...a, redirectUri: REDIRECT_URI }))), MAX_CONCURRENT_PROFILES: '3' },
    });
    extraWorkers.push(
      await startBrowserWorker(loadBrowserWorkerConfig({ ...stack.env, WORKER_ID: 'replica-2' }), {
        logger: createLogger({ service: 'browser-worker', silent: true }),
      }),
    );
    const started = await stack.probe.listen('authorization.job.started');
    const accounts = Array.from({ length: 6 }, (_, i) => simUsername(i + 11));
    const ended = await loginAll(
      stack,
      accounts.flatMap((accountId) => [
        { accountId, app: 'xauth-dev' },
        { accountId, app: 'xauth-two' },
      ]),
      240_000,
    );

    expect(stack.xsim.state.stats().alreadyRunningRejections, 'starts GoLogin refused as already running').to.equal(0);
    expect(
      [...ended.values()].every((e) => e.routingKey === 'user.authenticated'),
      JSON.stringify([...ended.values()].map((e) => e.body)),
    ).to.equal(true);
    const workers = new Set(started.all.map((e) => (e.body as { workerId: string }).workerId));
    expect(workers.size, 'both replicas took jobs').to.equal(2);
  });

  it('when the browser crashes mid-job, then its slot is freed and the job is retried and completes', async () => {
    stack = await startStack({ xsim: { interstitialMs: 50 } });
    const user = 'xsim_user_025';
    stack.xsim.state.setScenario(user, 'browser_crash');
    const failed = await stack.probe.listen('authorization.attempt.failed');
    const events = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: user });
    await failed.waitFor((e) => (e.body as { errorCode: string }).errorCode === 'BROWSER_CRASHED', 90_000, 'BROWSER_CRASHED');
    stack.xsim.state.setScenario(user, 'normal');
    const outcome = await events.waitFor((e) => requestIdOf(e) === requestId, 90_000, 'the outcome');
    expect(outcome.routingKey).to.equal('user.authenticated');
    expect(await metricValue(stack.worker!.url, 'xauth_pool_browser_restarts_total', { reason: 'crashed' })).to.equal(1);
    await waitUntil(async () => (await metricValue(stack!.worker!.url, 'xauth_pool_slots_busy')) === 0, 30_000, 'the slot to be free');
    expect(stack.xsim.state.runningBrowsers()).to.deep.equal([]);
  });

  it('when the profile hangs on close, then the worker kills its browser, frees the slot and the profile serves the next job', async () => {
    stack = await startStack({ xsim: { interstitialMs: 50 }, env: { BROWSER_CLOSE_TIMEOUT_MS: '2000' } });
    const user = 'xsim_user_026';
    stack.xsim.state.setScenario(user, 'hang_on_close', { latencyMs: 120_000 });
    const first = await loginAll(stack, [{ accountId: user }], 90_000);
    expect([...first.values()][0]!.routingKey).to.equal('user.authenticated');
    await waitUntil(() => stack!.xsim.state.runningBrowsers().length === 0, 30_000, 'the hung browser to be gone');
    await waitUntil(async () => (await metricValue(stack!.worker!.url, 'xauth_pool_slots_busy')) === 0, 30_000, 'the slot to be free');
    expect(await metricValue(stack.worker!.url, 'xauth_pool_orphans_killed_total')).to.equal(1);
    await waitUntil(() => lockIsFree(stack!, stack!.xsim.state.profileOf(user)!.id), 30_000, 'the profile lock to be free');
    // The profile is not left "running" at GoLogin: a new job starts it without a 409.
    const again = await loginAll(stack, [{ accountId: user, force: true }], 90_000);
    expect([...again.values()][0]!.routingKey).to.equal('user.authenticated');
    expect(stack.xsim.state.stats().alreadyRunningRejections).to.equal(0);
  });

  it('when a browser-worker process is killed with SIGKILL mid-job, then the job is redelivered and completes with a fresh worker, and no profile stays busy', async () => {
    stack = await startStack({ inProcessWorker: false, xsim: { interstitialMs: 50 } });
    const env = { ...stack.env, LOG_LEVEL: 'info' };
    const user = 'xsim_user_027';
    const profileId = stack.xsim.state.profileOf(user)!.id;
    stack.xsim.state.setScenario(user, 'slow', { latencyMs: 5_000 });
    const worker = await ServiceProcess.start('browser-worker', env);
    processes.push(worker);
    const started = await stack.probe.listen('authorization.job.started');
    const events = await stack.probe.listen('user.#');
    const requestId = randomUUID();
    stack.probe.publishCommand('user.login.requested', { requestId, accountId: user });
    await started.waitFor(() => true, 90_000, 'authorization.job.started');
    expect(await lockIsFree(stack, profileId), 'the worker holds the lock').to.equal(false);

    await worker.kill('SIGKILL');
    await waitUntil(() => lockIsFree(stack!, profileId), 30_000, "the dead worker's lock to go with its connection");
    stack.xsim.state.setScenario(user, 'normal');
    const fresh = await ServiceProcess.start('browser-worker', env);
    processes.push(fresh);
    const outcome = await events.waitFor((e) => requestIdOf(e) === requestId, 120_000, 'the outcome after the kill');
    expect(outcome.routingKey).to.equal('user.authenticated');
    expect(fresh.logged('profile already running while nobody holds its lock: stopping the stale run')).to.have.lengthOf(1);
    await waitUntil(() => stack!.xsim.state.runningBrowsers().length === 0, 30_000, 'no profile running at x-sim');
    await waitUntil(() => lockIsFree(stack!, profileId), 30_000, 'the profile lock to be free');
  });
});
