import { expect } from 'chai';
import { startXSim, type XSim, type XSimOptions } from '../../src/index.js';
import type { ChromiumTracker } from './processes.helper.js';
import { GOLOGIN_AUTH } from './sim-http.helper.js';

export function gologin(sim: XSim, method: 'GET' | 'POST', path: string, headers: Record<string, string> = GOLOGIN_AUTH): Promise<Response> {
  return fetch(new URL(path, sim.url), { method, headers });
}

/** Starts the user's profile through the GoLogin API and tracks its Chromium for the leftover check. */
export async function startProfile(sim: XSim, username: string, tracker: ChromiumTracker): Promise<{ id: string; wsUrl: string; pid: number }> {
  const id = sim.state.profileOf(username)!.id;
  const res = await gologin(sim, 'POST', `/browser/${id}/start`);
  if (res.status !== 200) throw new Error(`start ${username}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string; wsUrl: string };
  const running = sim.state.runningBrowsers().find((b) => b.profileId === id)!;
  tracker.track(running);
  return { id, wsUrl: body.wsUrl, pid: running.pid };
}

/**
 * One x-sim for a suite (hooks registered in the calling `describe`): reset before each test,
 * stopped after the suite, and no Chromium it started may be left then.
 */
export function simForSuite(tracker: ChromiumTracker, opts: XSimOptions = {}): { readonly sim: XSim } {
  const holder = {} as { sim: XSim };
  before(async () => {
    holder.sim = await startXSim({ port: 0, ...opts });
  });
  after(async () => {
    await holder.sim.stop();
    expect(tracker.leftovers()).to.deep.equal([]);
  });
  beforeEach(() => holder.sim.state.reset());
  return holder;
}
