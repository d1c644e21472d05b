import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startXSim, type XSim } from '../src/index.js';
import { gologin, simForSuite, startProfile } from './support/gologin.helper.js';
import { ChromiumTracker, isAlive, waitFor } from './support/processes.helper.js';

describe('x-sim GoLogin API', () => {
  const tracker = new ChromiumTracker();
  const suite = simForSuite(tracker);
  let sim: XSim;
  beforeEach(() => {
    sim = suite.sim;
  });

  it('when the bearer token is missing or wrong, then 401 Unauthorized', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
      const res = await gologin(sim, 'GET', '/browser/v2?page=1', headers);
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal({ message: 'Unauthorized' });
    }
  });

  it('when listing, then pages of 30 profiles named after their X accounts', async () => {
    const first = await (await gologin(sim, 'GET', '/browser/v2?page=1')).json();
    const second = await (await gologin(sim, 'GET', '/browser/v2?page=2')).json();
    expect(first.allProfilesCount).to.equal(50);
    expect(first.profiles).to.have.length(30);
    expect(second.profiles).to.have.length(20);
    expect(first.profiles[6]).to.deep.equal({
      id: '64f0c0de0000000000000007',
      name: 'xsim_user_007',
      notes: 'x:xsim_user_007',
      os: 'lin',
      browserType: 'chrome',
      canBeRunning: true,
    });
    expect(second.profiles[19].name).to.equal('xsim_user_050');
    expect(first.profiles.every((p: { id: string }) => /^[0-9a-f]{24}$/.test(p.id))).to.equal(true);
  });

  it('when the profile id is unknown, then 404', async () => {
    expect((await gologin(sim, 'POST', '/browser/ffffffffffffffffffffffff/start')).status).to.equal(404);
  });

  it('when started, then a running Chromium whose default context carries the X session cookie', async () => {
    const started = await startProfile(sim, 'xsim_user_010', tracker);
    expect(started.wsUrl).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/devtools\/browser\//);
    const browser = await chromium.connectOverCDP(started.wsUrl);
    try {
      const cookies = await browser.contexts()[0].cookies();
      expect(cookies.find((c) => c.name === 'auth_token')).to.include({
        value: sim.state.profileOf('xsim_user_010')!.sessionToken,
        domain: '127.0.0.1',
        path: '/',
        httpOnly: true,
        secure: false,
      });
    } finally {
      await browser.close();
    }
    expect(isAlive(started.pid), 'Chromium survives a CDP disconnect').to.equal(true);
    expect(sim.state.stats()).to.include({ openProfiles: 1, maxConcurrentOpen: 1 });
  });

  it('when started twice, then 409 and the rejection is counted', async () => {
    const id = sim.state.profileOf('xsim_user_010')!.id;
    const res = await gologin(sim, 'POST', `/browser/${id}/start`);
    expect(res.status).to.equal(409);
    expect(await res.json()).to.deep.equal({ message: 'Profile is already running' });
    expect(sim.state.stats().alreadyRunningRejections).to.equal(1);
  });

  it('when stopped, then its process group is gone and its user-data-dir removed; stopping again is fine', async () => {
    const running = sim.state.runningBrowsers().find((b) => b.profileId === sim.state.profileOf('xsim_user_010')!.id)!;
    const stop = await gologin(sim, 'POST', `/browser/${running.profileId}/stop`);
    expect(stop.status).to.equal(200);
    expect(await stop.json()).to.deep.equal({ status: 'stopped' });
    expect(isAlive(running.pid)).to.equal(false);
    expect(existsSync(running.userDataDir)).to.equal(false);
    expect(sim.state.stats().openProfiles).to.equal(0);
    expect((await gologin(sim, 'POST', `/browser/${running.profileId}/stop`)).status).to.equal(200);
  });

  it('when a Chromium exits on its own, then the profile is stopped and can start again', async () => {
    const started = await startProfile(sim, 'xsim_user_011', tracker);
    process.kill(started.pid, 'SIGKILL');
    await waitFor(() => !sim.state.runningBrowsers().some((b) => b.profileId === started.id), 10_000, 'profile marked stopped');
    expect(sim.state.stats().openProfiles).to.equal(0);
    await startProfile(sim, 'xsim_user_011', tracker);
    expect(sim.state.stats().startsByProfile[started.id]).to.equal(2);
  });
});

describe('x-sim GoLogin rate limit', () => {
  let sim: XSim;
  before(async () => {
    sim = await startXSim({ port: 0, gologinRateLimitPerMinute: 3 });
  });
  after(() => sim.stop());

  it('when the per-minute limit is exceeded, then 429 and the API token stays invalid until reset', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gologin(sim, 'GET', '/browser/v2?page=1')).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429, 401]);
    await fetch(new URL('/_sim/reset', sim.url), { method: 'POST' });
    expect((await gologin(sim, 'GET', '/browser/v2?page=1')).status).to.equal(200);
  });
});
