import { expect } from 'chai';
import type { XSim } from '../src/index.js';
import { gologin, simForSuite } from './support/gologin.helper.js';
import { ChromiumTracker, isAlive, waitFor } from './support/processes.helper.js';

describe('x-sim GoLogin: pending starts, browsers that will not close, cookie exports', () => {
  const tracker = new ChromiumTracker();
  const suite = simForSuite(tracker);
  let sim: XSim;
  const idOf = (u: string) => sim.state.profileOf(u)!.id;
  beforeEach(() => {
    sim = suite.sim;
  });

  it('when a slow_start profile is started, then 202 pending, and the status call says running with its wsUrl once it is up', async () => {
    sim.state.setScenario('xsim_user_031', 'slow_start', { latencyMs: 300 });
    const id = idOf('xsim_user_031');
    const res = await gologin(sim, 'POST', `/browser/${id}/start`);
    expect(res.status).to.equal(202);
    expect(await res.json()).to.deep.equal({ id, status: 'pending' });
    expect(await (await gologin(sim, 'GET', `/browser/${id}/status`)).json()).to.deep.equal({ id, status: 'pending' });
    expect((await gologin(sim, 'POST', `/browser/${id}/start`)).status, 'a pending profile counts as running').to.equal(409);
    let status: { status: string; wsUrl?: string } = { status: 'pending' };
    await waitFor(async () => (status = await (await gologin(sim, 'GET', `/browser/${id}/status`)).json()).status === 'running', 20_000, 'the profile to run');
    expect(status.wsUrl).to.match(/^ws:\/\/127\.0\.0\.1:\d+\//);
    tracker.track(sim.state.runningBrowsers().find((b) => b.profileId === id)!);
    await gologin(sim, 'POST', `/browser/${id}/stop`);
    expect(await (await gologin(sim, 'GET', `/browser/${id}/status`)).json()).to.deep.equal({ id, status: 'stopped' });
  });

  it('when a hang_on_close profile is stopped, then stop answers late and its Chromium keeps running', async () => {
    sim.state.setScenario('xsim_user_032', 'hang_on_close', { latencyMs: 200 });
    const id = idOf('xsim_user_032');
    expect((await gologin(sim, 'POST', `/browser/${id}/start`)).status).to.equal(200);
    const running = sim.state.runningBrowsers().find((b) => b.profileId === id)!;
    tracker.track(running);
    expect((await gologin(sim, 'POST', `/browser/${id}/stop`)).status).to.equal(200);
    expect(isAlive(running.pid), 'the browser refused to die').to.equal(true);
    // Whoever started it must end it; then x-sim sees it gone.
    process.kill(-running.pid, 'SIGKILL');
    await waitFor(() => !sim.state.browsers.isRunning(id), 10_000, 'x-sim to see the browser gone');
  });

  it("when a user's cookies are exported, then an EditThisCookie-style array carries the X session with an expiry", async () => {
    const res = await fetch(`${sim.url}/_sim/users/xsim_user_033/cookies`);
    expect(res.status).to.equal(200);
    const [cookie, ...rest] = (await res.json()) as Array<Record<string, unknown>>;
    expect(rest).to.deep.equal([]);
    expect(cookie).to.include({
      name: 'auth_token',
      value: sim.state.profileOf('xsim_user_033')!.sessionToken,
      domain: '127.0.0.1',
      path: '/',
      httpOnly: true,
      session: false,
      hostOnly: true,
    });
    expect(cookie!.expirationDate)
      .to.be.a('number')
      .above(Date.now() / 1000);
    expect((await fetch(`${sim.url}/_sim/users/nobody/cookies`)).status).to.equal(404);
  });
});
