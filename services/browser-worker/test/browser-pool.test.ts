import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ChromiumCensus, launchChromium, killChromium } from '@xauth/shared/chromium';
import { startXSim, type XSim } from '@xauth/x-sim';
import { LocalChromiumProvider } from '../src/data-access/local-chromium.provider.js';
import { failure, waitFor } from './support/expectations.js';
import { PoolFixture, silentLogger } from './support/pool.fixture.js';

const census = new ChromiumCensus();

describe('browser pool (real PostgreSQL locks, Chromium, x-sim GoLogin)', function () {
  this.timeout(60_000);
  let sim: XSim;
  let fx: PoolFixture;
  let before: number[];
  const profileOf = (u: string) => sim.state.profileOf(u)!.id;

  beforeEach(async () => {
    before = census.pids();
    sim = await startXSim({ interstitialMs: 0 });
    fx = new PoolFixture();
  });
  afterEach(async () => {
    await fx.close();
    await sim.stop();
    expect(await census.leftSince(before), 'Chromium processes the test left').to.deep.equal([]);
  });

  it('when two workers spend the GoLogin call budget they share (PostgreSQL), then the next call is refused (GOLOGIN_RATE_LIMITED, retryable) instead of provoking the 429 that revokes the token', async () => {
    await sim.stop();
    sim = await startXSim({ interstitialMs: 0, gologinRateLimitPerMinute: 10 });
    // Each replica alone would stay under x-sim's 10 a minute; together, only the shared budget keeps them there.
    const [a, b] = [
      fx.gologin(sim.url, { budget: await fx.sharedBudget(8, 60_000), budgetWaitMs: 200 }),
      fx.gologin(sim.url, { budget: await fx.sharedBudget(8, 60_000), budgetWaitMs: 200 }),
    ];
    const calls = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).stop(profileOf('xsim_user_008'))));
    expect(calls.filter((c) => c.status === 'fulfilled')).to.have.length(8);
    const refused = calls.flatMap((c) => (c.status === 'rejected' ? [c.reason as { code: string; retryable: boolean; retryAfterMs?: number }] : []));
    expect(refused.map((e) => [e.code, e.retryable])).to.deep.equal(Array.from({ length: 4 }, () => ['GOLOGIN_RATE_LIMITED', true]));
    expect(refused[0]!.retryAfterMs).to.be.within(50_000, 60_000);
    expect(await failure(a.stop(profileOf('xsim_user_008')))).to.include({ code: 'GOLOGIN_RATE_LIMITED', retryable: true });
    expect(sim.state.gologinTokenRevoked).to.equal(false);
    expect((await fetch(`${sim.url}/browser/v2`, { headers: { authorization: 'Bearer xsim-gologin-token' } })).status, 'the token still works').to.equal(200);
  });

  it('when GoLogin answers a start as pending, then the pool waits until the profile runs and gets its browser', async () => {
    sim.state.setScenario('xsim_user_001', 'slow_start', { latencyMs: 800 });
    const lease = await fx.pool(fx.gologin(sim.url)).acquire(profileOf('xsim_user_001'));
    expect(lease.wsUrl).to.match(/^ws:\/\/127\.0\.0\.1:\d+\//);
    expect(sim.state.runningBrowsers().map((b) => b.wsUrl)).to.deep.equal([lease.wsUrl]);
    await lease.release({ reusable: true });
    expect(sim.state.runningBrowsers()).to.deep.equal([]);
    expect(await fx.lockIsFree(profileOf('xsim_user_001'))).to.equal(true);
  });

  it('when a start GoLogin answered as pending is still not running at the start bound, then TIMEOUT, and the run is stopped before the lock is freed', async () => {
    const id = profileOf('xsim_user_013');
    sim.state.setScenario('xsim_user_013', 'slow_start', { latencyMs: 3_000 });
    const pool = fx.pool(fx.gologin(sim.url, { startTimeoutMs: 1_000 }));
    expect(await failure(pool.acquire(id))).to.include({ code: 'TIMEOUT', retryable: true });
    expect(await fx.lockIsFree(id)).to.equal(true);
    // x-sim ends it once its start is through; had it not been asked to stop, it would run for nobody.
    await waitFor(() => sim.state.browsers.statusOf(id).status === 'stopped', 'x-sim to stop the pending run');
  });

  it('when the GoLogin stop never answers and the browser stays up, then its process tree is killed and the lock freed', async () => {
    sim.state.setScenario('xsim_user_002', 'hang_on_close', { latencyMs: 60_000 });
    const lease = await fx.pool(fx.gologin(sim.url)).acquire(profileOf('xsim_user_002'));
    const pid = sim.state.runningBrowsers()[0]!.pid;
    await lease.release({ reusable: true });
    expect(await fx.value('xauth_pool_orphans_killed_total')).to.equal(1);
    expect(census.pids()).not.to.include(pid);
    await waitFor(() => sim.state.runningBrowsers().length === 0, 'x-sim to see its Chromium end');
    expect(await fx.lockIsFree(profileOf('xsim_user_002'))).to.equal(true);
  });

  it('when the GoLogin stop answers but the browser refuses to die, then the worker kills it', async () => {
    sim.state.setScenario('xsim_user_003', 'hang_on_close', { latencyMs: 10 });
    const lease = await fx.pool(fx.gologin(sim.url)).acquire(profileOf('xsim_user_003'));
    await lease.release({ reusable: true });
    expect(await fx.value('xauth_pool_orphans_killed_total')).to.equal(1);
    await waitFor(() => sim.state.runningBrowsers().length === 0, 'x-sim to see its Chromium end');
  });

  it('when another replica holds the profile lock, then PROFILE_BUSY (retryable) and GoLogin is not asked', async () => {
    const release = await fx.holdLock(profileOf('xsim_user_004'));
    try {
      expect(await failure(fx.pool(fx.gologin(sim.url)).acquire(profileOf('xsim_user_004')))).to.include({ code: 'PROFILE_BUSY', retryable: true });
      expect(sim.state.stats().startsByProfile).to.deep.equal({});
    } finally {
      await release();
    }
  });

  it('when a profile is acquired twice in one worker, then the second is PROFILE_BUSY until the first is released', async () => {
    const pool = fx.pool(fx.gologin(sim.url));
    const first = await pool.acquire(profileOf('xsim_user_005'));
    expect(await failure(pool.acquire(profileOf('xsim_user_005')))).to.include({ code: 'PROFILE_BUSY' });
    await first.release({ reusable: true });
    const second = await pool.acquire(profileOf('xsim_user_005'));
    await second.release({ reusable: true });
    expect(sim.state.stats().alreadyRunningRejections).to.equal(0);
  });

  it("when GoLogin still runs a profile nobody holds (a dead worker's), then the stale run is stopped and the profile started again", async () => {
    const id = profileOf('xsim_user_006');
    await fetch(`${sim.url}/browser/${id}/start`, { method: 'POST', headers: { authorization: 'Bearer xsim-gologin-token' } });
    const stalePid = sim.state.runningBrowsers()[0]!.pid;
    const lease = await fx.pool(fx.gologin(sim.url)).acquire(id);
    expect(sim.state.runningBrowsers().map((b) => b.pid))
      .to.have.lengthOf(1)
      .and.not.include(stalePid);
    expect(await fx.value('xauth_pool_browser_restarts_total', { reason: 'stale' })).to.equal(1);
    await lease.release({ reusable: true });
  });

  it('when the answer to a start is lost (timeout) but GoLogin started the browser, then it is stopped before the lock is freed, and the next start finds the profile free', async () => {
    const id = profileOf('xsim_user_012');
    // x-sim starts the browser, then answers after the caller gave up.
    sim.state.addFault({ endpoint: 'gologin', user: 'xsim_user_012', latencyAfterMs: 10_000, times: 1 });
    const pool = fx.pool(fx.gologin(sim.url, { timeoutMs: 5_000 }));
    expect(await failure(pool.acquire(id))).to.include({ code: 'GOLOGIN_UNAVAILABLE', retryable: true });
    expect(sim.state.runningBrowsers(), 'the run the lost answer began').to.deep.equal([]);
    expect(await fx.lockIsFree(id)).to.equal(true);
    const lease = await pool.acquire(id);
    expect(sim.state.stats().alreadyRunningRejections, 'the next start was not refused as already running').to.equal(0);
    expect(await fx.value('xauth_pool_browser_restarts_total', { reason: 'stale' })).to.equal(0);
    await lease.release({ reusable: false });
  });

  it('when the stale GoLogin run also refuses to stop, then it is killed by its DevTools port and the profile started again', async () => {
    const id = profileOf('xsim_user_009');
    sim.state.setScenario('xsim_user_009', 'hang_on_close', { latencyMs: 60_000 });
    await fetch(`${sim.url}/browser/${id}/start`, { method: 'POST', headers: { authorization: 'Bearer xsim-gologin-token' } });
    const stalePid = sim.state.runningBrowsers()[0]!.pid;
    const lease = await fx.pool(fx.gologin(sim.url)).acquire(id);
    expect(census.pids()).not.to.include(stalePid);
    expect(sim.state.runningBrowsers().map((b) => b.wsUrl)).to.deep.equal([lease.wsUrl]);
    expect(await fx.value('xauth_pool_orphans_killed_total')).to.equal(1);
    sim.state.setScenario('xsim_user_009', 'normal');
    await lease.release({ reusable: true });
  });

  it('when keep-alive is on, then the next job of the profile reuses the warm browser until BROWSER_RECYCLE_AFTER_JOBS', async () => {
    const pool = fx.pool(fx.gologin(sim.url), { keepAliveMs: 30_000, recycleAfterJobs: 2 });
    const id = profileOf('xsim_user_007');
    const a = await pool.acquire(id);
    await a.release({ reusable: true });
    expect(await fx.lockIsFree(id), 'a warm browser keeps its lock').to.equal(false);
    const b = await pool.acquire(id);
    expect(b).to.include({ reused: true, wsUrl: a.wsUrl });
    await b.release({ reusable: true });
    expect(sim.state.runningBrowsers(), 'recycled after 2 jobs').to.deep.equal([]);
    const c = await pool.acquire(id);
    expect(c.reused).to.equal(false);
    await c.release({ reusable: false, crashed: true });
    expect(sim.state.stats().startsByProfile[id]).to.equal(2);
    expect(await fx.value('xauth_pool_browser_restarts_total', { reason: 'recycled' })).to.equal(1);
    expect(await fx.value('xauth_pool_browser_restarts_total', { reason: 'crashed' })).to.equal(1);
    expect(await fx.lockIsFree(id)).to.equal(true);
  });

  it('when a job gives up its place, then the observer hears how long it held it: from its acquire (or a warm lease) to its release when it was captured, until its browser is gone when it failed', async () => {
    const cycles: Array<{ ms: number; running: number }> = [];
    const observer = {
      startEnded: () => undefined,
      busyNow: () => undefined,
      cycleEnded: (ms: number) => cycles.push({ ms, running: sim.state.runningBrowsers().length }),
    };
    const pool = fx.pool(fx.gologin(sim.url), { keepAliveMs: 30_000, observer });
    const id = profileOf('xsim_user_014');
    const t0 = performance.now();
    const a = await pool.acquire(id);
    await sleep(300);
    await a.release({ reusable: true });
    const t1 = performance.now();
    expect(cycles, 'a warm browser: told at the release').to.have.lengthOf(1);
    expect(cycles[0]!.ms).to.be.within(300, t1 - t0);
    expect(cycles[0]!.running, 'kept warm').to.equal(1);

    const t2 = performance.now();
    const b = await pool.acquire(id);
    expect(b.reused).to.equal(true);
    await sleep(200);
    await b.release({ reusable: false });
    const t3 = performance.now();
    expect(cycles).to.have.lengthOf(2);
    expect(cycles[1]!.ms, "the warm lease's own time, no start in it").to.be.within(200, t3 - t2);
    expect(cycles[1]!.running, 'told once the browser was gone').to.equal(0);
  });

  it("when the last job's browser is on its way out and the level is below MAX_CONCURRENT_PROFILES, then the next start does not wait for it; at the ceiling it does", async () => {
    /**
     * Job A is captured and released with a slow tidy-up (its browser leaves after it): until job B,
     * which asks for its profile at once, has its browser, or `tidyMs` if B waits for A's to leave.
     */
    const handOver = async (maxOpen: number, tidyMs: number, [a, b]: string[]) => {
      sim.state.reset();
      const cycles: number[] = [];
      const observer = { startEnded: () => undefined, busyNow: () => undefined, cycleEnded: (ms: number) => cycles.push(ms) };
      const pool = fx.pool(fx.gologin(sim.url), { maxOpen, observer });
      pool.setLevel(1);
      const first = await pool.acquire(a!);
      let secondIn = () => undefined as void;
      const secondStarted = new Promise<void>((resolve) => (secondIn = resolve));
      const leaving = first.release({ reusable: true, after: () => Promise.race([secondStarted, sleep(tidyMs, undefined, { ref: false })]) });
      const toldAtRelease = cycles.length;
      const t0 = performance.now();
      const second = await pool.acquire(b!);
      const waitedMs = performance.now() - t0;
      secondIn();
      await leaving;
      await second.release({ reusable: false });
      return { toldAtRelease, waitedMs, maxOpen: sim.state.stats().maxConcurrentOpen };
    };
    const [a1, b1, a2, b2] = ['xsim_user_020', 'xsim_user_021', 'xsim_user_022', 'xsim_user_023'].map(profileOf);
    const below = await handOver(2, 30_000, [a1!, b1!]);
    expect(below.toldAtRelease, 'a captured job gave its place back at its release, before its browser left').to.equal(1);
    expect(below.maxOpen, 'the next browser started beside the one leaving').to.equal(2);
    const at = await handOver(1, 1_500, [a2!, b2!]);
    expect(at.maxOpen, 'at the ceiling the leaving browser was gone before the next one started').to.equal(1);
    expect(at.waitedMs, 'the start waited for the tidy-up and the close').to.be.above(1_500);
  });

  it('when two starts come together while a warm browser holds a place, then the warm one is closed for them: the browsers open never pass maxOpen', async () => {
    const pool = fx.pool(fx.gologin(sim.url), { maxOpen: 2, keepAliveMs: 30_000 });
    const [warm, b, c] = ['xsim_user_009', 'xsim_user_010', 'xsim_user_011'].map(profileOf);
    await (await pool.acquire(warm!)).release({ reusable: true });
    // Before, neither start counted the other while it ran: both saw one browser open of two, and x-sim saw three.
    const leases = await Promise.all([pool.acquire(b!), pool.acquire(c!)]);
    expect(sim.state.stats().maxConcurrentOpen, 'browsers open at once').to.equal(2);
    expect(
      sim.state
        .runningBrowsers()
        .map((r) => r.profileId)
        .sort(),
    ).to.deep.equal([b, c].sort());
    expect(await fx.lockIsFree(warm!), 'the warm browser gave up its place and its lock').to.equal(true);
    for (const lease of leases) await lease.release({ reusable: false });
  });

  it('when a local profile directory still has a browser from a dead worker, then it is killed and a fresh one starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xauth-profiles-'));
    try {
      const provider = new LocalChromiumProvider({
        profilesDir: dir,
        chromiumPath: '/usr/bin/chromium',
        launchTimeoutMs: 20_000,
        stopGraceMs: 2_000,
        logger: silentLogger,
        onOrphansKilled: (n) => fx.stats.orphansKilled(n),
      });
      const stale = await launchChromium({ chromiumPath: '/usr/bin/chromium', timeoutMs: 20_000, logger: silentLogger, userDataDir: join(dir, 'local-1') });
      const lease = await fx.pool(provider).acquire('local-1');
      await stale.closed;
      expect(lease.wsUrl).not.to.equal(stale.wsUrl);
      expect(await fx.value('xauth_pool_orphans_killed_total')).to.equal(1);
      await lease.release({ reusable: true });
      await killChromium(stale, 0);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('when a launched Chromium is killed, then nothing of it is left in the temporary directory: its singleton socket directory was in a TMPDIR of its own, gone with it', async () => {
    const chromium = await launchChromium({ chromiumPath: '/usr/bin/chromium', timeoutMs: 20_000, logger: silentLogger });
    expect(
      (await readdir(chromium.tmpDir)).filter((f) => f.startsWith('org.chromium.Chromium.')),
      'Chromium made its singleton directory in its own TMPDIR',
    ).to.have.lengthOf(1);
    await killChromium(chromium, 0);
    expect(existsSync(chromium.tmpDir), 'its TMPDIR is gone').to.equal(false);
    expect(existsSync(chromium.userDataDir), 'its temporary profile is gone').to.equal(false);
  });

  it("when a worker starts and dead workers left browsers on local profiles, then it kills those whose lock is free and leaves a live replica's alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xauth-profiles-'));
    const launch = (id: string) => launchChromium({ chromiumPath: '/usr/bin/chromium', timeoutMs: 20_000, logger: silentLogger, userDataDir: join(dir, id) });
    const [orphan, held] = [await launch('orphan-1'), await launch('held-1')];
    const release = await fx.holdLock('held-1');
    try {
      const provider = new LocalChromiumProvider({
        profilesDir: dir,
        chromiumPath: '/usr/bin/chromium',
        launchTimeoutMs: 20_000,
        stopGraceMs: 2_000,
        logger: silentLogger,
      });
      expect(await fx.pool(provider).sweepStrays()).to.equal(1);
      await orphan.closed;
      expect(census.pids()).to.include(held.pid);
      expect(await fx.value('xauth_pool_orphans_killed_total')).to.equal(1);
    } finally {
      await release();
      await killChromium(held, 0);
      await killChromium(orphan, 0);
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
