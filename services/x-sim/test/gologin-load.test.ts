import { expect } from 'chai';
import type { XSim } from '../src/index.js';
import { gologin, simForSuite } from './support/gologin.helper.js';
import { ChromiumTracker } from './support/processes.helper.js';
import { postJson } from './support/sim-http.helper.js';

const LAUNCH_BOUND = 2;

describe('x-sim GoLogin under parallel starts', () => {
  const tracker = new ChromiumTracker();
  const suite = simForSuite(tracker, { chromiumLaunchConcurrency: LAUNCH_BOUND });
  let sim: XSim;
  beforeEach(() => {
    sim = suite.sim;
  });
  afterEach(async () => {
    await Promise.all(sim.state.runningBrowsers().map((b) => gologin(sim, 'POST', `/browser/${b.profileId}/stop`)));
    expect(sim.state.runningBrowsers()).to.deep.equal([]);
    expect(tracker.leftovers()).to.deep.equal([]);
  });

  /** Starts the users' profiles all at once; answers their statuses in the users' order and tracks what runs. */
  async function startAtOnce(users: string[]): Promise<number[]> {
    const ids = users.map((u) => sim.state.profileOf(u)!.id);
    const responses = await Promise.all(ids.map((id) => gologin(sim, 'POST', `/browser/${id}/start`)));
    for (const b of sim.state.runningBrowsers()) tracker.track(b);
    return responses.map((r) => r.status);
  }

  const users = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `xsim_user_${String(from + i).padStart(3, '0')}`);

  it('when 6 starts are requested at once with a launch bound of 2, then all 6 run and no more than 2 launched together', async () => {
    const statuses = await startAtOnce(users(1, 6));
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200]);
    expect(sim.state.stats()).to.include({ openProfiles: 6, maxConcurrentLaunches: LAUNCH_BOUND });
  });

  it('when GoLogin is overloaded in reject mode with 2 starts allowed, then of 4 starts at once the 2 past the limit get 503', async () => {
    expect((await postJson(`${sim.url}/_sim/overload`, { maxConcurrentStarts: 2, mode: 'reject' })).status).to.equal(200);
    const batch = users(11, 4);
    const statuses = await startAtOnce(batch);
    // Which two come first is up to the order the requests arrive in.
    expect([...statuses].sort()).to.deep.equal([200, 200, 503, 503]);
    expect(sim.state.stats()).to.include({ overloadRejections: 2, overloadDelays: 0, openProfiles: 2 });

    // Limits starts in flight, not profiles open: with the first two running, a refused one starts.
    expect(await startAtOnce([batch[statuses.indexOf(503)]])).to.deep.equal([200]);
  });

  it('when GoLogin is overloaded in delay mode with 2 starts allowed, then of 4 starts at once the 2 past the limit are delayed and all run', async () => {
    sim.state.setOverload({ maxConcurrentStarts: 2, mode: 'delay', delayMs: 500 });
    const statuses = await startAtOnce(users(21, 4));
    expect(statuses).to.deep.equal([200, 200, 200, 200]);
    expect(sim.state.stats()).to.include({ overloadDelays: 2, overloadRejections: 0, openProfiles: 4 });
  });
});
