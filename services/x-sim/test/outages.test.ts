import { expect } from 'chai';
import { startXSim, type OutageTarget, type XSim } from '../src/index.js';
import { gologin } from './support/gologin.helper.js';
import { waitFor } from './support/processes.helper.js';
import { authorizeUrl, browserCookies, codeFor, exchangeCode, getPage, pkce, postJson, usersMe } from './support/sim-http.helper.js';

const OUTAGE_MS = 1500;

describe('x-sim outages', () => {
  let sim: XSim;
  let access: string;

  before(async () => {
    sim = await startXSim({ port: 0, userCount: 3 });
    const p = pkce();
    access = (await (await exchangeCode(sim, await codeFor(sim, 'xsim_user_001', p), p.verifier)).json()).access_token;
  });
  after(() => sim.stop());
  beforeEach(() => sim.state.reset());

  const control = (path: string, method: 'POST' | 'DELETE', body?: unknown): Promise<Response> =>
    body === undefined ? fetch(new URL(path, sim.url), { method }) : postJson(new URL(path, sim.url).toString(), body);
  const listProfiles = (): Promise<Response> => gologin(sim, 'GET', '/browser/v2?page=1');
  const authorizePage = async (): Promise<number> => (await getPage(authorizeUrl(sim), await browserCookies(sim, 'xsim_user_002'))).status;
  const isOver = (target: OutageTarget) => () => sim.state.outages.modeOf(target) === undefined;

  it('when GoLogin is down, then every GoLogin call gets 503 while X works, and afterwards GoLogin answers again by itself', async () => {
    expect((await control('/_sim/outages', 'POST', { target: 'gologin', durationMs: OUTAGE_MS })).status).to.equal(200);
    const down = [await listProfiles(), await gologin(sim, 'POST', `/browser/${sim.state.profileOf('xsim_user_003')!.id}/start`)];
    expect(down.map((r) => r.status)).to.deep.equal([503, 503]);
    expect(await down[0].json()).to.deep.equal({ message: 'Service Unavailable' });
    expect((await usersMe(sim, access)).status, 'X API unaffected').to.equal(200);
    expect(await authorizePage(), 'X web unaffected').to.equal(200);

    await waitFor(isOver('gologin'), OUTAGE_MS + 5_000, 'the outage to pass');
    expect((await listProfiles()).status).to.equal(200);
    expect(sim.state.stats().outageRefusals).to.deep.equal({ gologin: 2, 'x-web': 0, 'x-api': 0 });
    expect(sim.state.stats().startsByProfile, 'the refused start launched nothing').to.deep.equal({});
  });

  it('when X API is down in drop mode, then token and users/me connections drop while GoLogin works, and afterwards both answer', async () => {
    sim.state.startOutage({ target: 'x-api', durationMs: OUTAGE_MS, mode: 'drop' });
    const p = pkce();
    const code = await codeFor(sim, 'xsim_user_002', p);
    const failures = await Promise.all(
      [exchangeCode(sim, code, p.verifier), usersMe(sim, access)].map((r) =>
        r.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    expect(
      failures.every((e) => e instanceof Error),
      'both connections dropped',
    ).to.equal(true);
    expect((await listProfiles()).status, 'GoLogin unaffected').to.equal(200);

    await waitFor(isOver('x-api'), OUTAGE_MS + 5_000, 'the outage to pass');
    expect((await usersMe(sim, access)).status).to.equal(200);
    expect((await exchangeCode(sim, code, p.verifier)).status, 'the dropped exchange never used the code').to.equal(200);
    expect(sim.state.stats().outageRefusals).to.deep.equal({ gologin: 0, 'x-web': 0, 'x-api': 2 });
  });

  it('when X web is down, then authorize, consent and Cloudflare answer 503 while the X API works, until the outage is ended', async () => {
    sim.state.startOutage({ target: 'x-web', durationMs: 60_000 });
    const page = await getPage(authorizeUrl(sim));
    expect(page.status).to.equal(503);
    expect(page.body).to.contain('data-testid="ServiceUnavailable"');
    const consent = await postJson(new URL('/i/oauth2/authorize/consent', sim.url).toString(), {});
    const clearance = await fetch(new URL('/cdn-cgi/challenge-platform/clear', sim.url), { method: 'POST' });
    expect([consent.status, clearance.status]).to.deep.equal([503, 503]);
    expect((await usersMe(sim, access)).status, 'X API unaffected').to.equal(200);

    expect((await control('/_sim/outages', 'DELETE')).status).to.equal(200);
    expect(await authorizePage()).to.equal(200);
    expect(sim.state.stats().outageRefusals['x-web']).to.equal(3);
  });

  it('when the sim is reset, then outages end', async () => {
    sim.state.startOutage({ target: 'x-api', durationMs: 60_000 });
    expect((await usersMe(sim, access)).status).to.equal(503);
    await control('/_sim/reset', 'POST', {});
    expect((await usersMe(sim, access)).status).to.equal(200);
  });

  it('when an outage names an unknown target or no duration, then 400', async () => {
    expect((await control('/_sim/outages', 'POST', { target: 'x', durationMs: 1000 })).status).to.equal(400);
    expect((await control('/_sim/outages', 'POST', { target: 'gologin' })).status).to.equal(400);
  });
});
