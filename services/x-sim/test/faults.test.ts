import { expect } from 'chai';
import { startXSim, type XSim } from '../src/index.js';
import { basicAuth, codeFor, exchangeCode, pkce, postForm, postJson, usersMe } from './support/sim-http.helper.js';

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('x-sim fault injection', () => {
  let sim: XSim;
  let access: { a: string; b: string };

  before(async () => {
    sim = await startXSim({ port: 0, userCount: 3 });
    const tokenOf = async (username: string): Promise<string> => {
      const p = pkce();
      return (await (await exchangeCode(sim, await codeFor(sim, username, p), p.verifier)).json()).access_token;
    };
    access = { a: await tokenOf('xsim_user_001'), b: await tokenOf('xsim_user_002') };
  });
  after(() => sim.stop());
  beforeEach(() => sim.state.reset());

  it('when a 429 is injected once for users/me, then one 429 with x-rate-limit headers, then normal', async () => {
    await postJson(new URL('/_sim/faults', sim.url).toString(), { endpoint: 'me', status429: true, times: 1 });
    const limited = await usersMe(sim, access.a);
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('x-rate-limit-remaining')).to.equal('0');
    expect(limited.headers.get('x-rate-limit-limit')).to.match(/^\d+$/);
    expect(Number(limited.headers.get('x-rate-limit-reset'))).to.be.greaterThan(Date.now() / 1000);
    expect(await limited.json()).to.include({ title: 'Too Many Requests', status: 429 });
    expect((await usersMe(sim, access.a)).status).to.equal(200);
  });

  it('when a fault targets one user, then other users are untouched', async () => {
    sim.state.addFault({ user: 'xsim_user_001', endpoint: 'me', status5xx: true });
    expect((await usersMe(sim, access.a)).status).to.equal(503);
    expect((await usersMe(sim, access.b)).status).to.equal(200);
  });

  it('when a drop is injected on the token endpoint, then the connection closes without a response', async () => {
    sim.state.addFault({ endpoint: 'token', drop: true, times: 1 });
    const p = pkce();
    const code = await codeFor(sim, 'xsim_user_003', p);
    let failure: unknown;
    await exchangeCode(sim, code, p.verifier).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    expect((await exchangeCode(sim, code, p.verifier)).status).to.equal(200);
  });

  it('when latency is injected, then the answer is at least that late', async () => {
    sim.state.addFault({ endpoint: 'me', latencyMs: 300, times: 1 });
    const started = Date.now();
    expect((await usersMe(sim, access.a)).status).to.equal(200);
    expect(Date.now() - started).to.be.at.least(290);
  });

  it('when the token answer is held after processing and the caller times out, then the refresh token was rotated anyway', async () => {
    const p = pkce();
    const { refresh_token } = await (await exchangeCode(sim, await codeFor(sim, 'xsim_user_003', p), p.verifier)).json();
    await postJson(new URL('/_sim/faults', sim.url).toString(), { endpoint: 'token', latencyAfterMs: 30_000, times: 1 });
    const refresh = (signal?: AbortSignal) =>
      postForm(new URL('/2/oauth2/token', sim.url).toString(), { grant_type: 'refresh_token', refresh_token }, basicAuth(), signal);
    const issuedBefore = sim.state.stats().tokensIssued;
    let failure: unknown;
    await refresh(AbortSignal.timeout(500)).catch((err: unknown) => (failure = err));
    expect(failure, 'the caller gave up').to.be.instanceOf(Error);
    expect(sim.state.stats().tokensIssued, 'the grant was processed').to.equal(issuedBefore + 1);
    const reuse = await refresh();
    expect(reuse.status).to.equal(400);
    expect(await reuse.json()).to.include({ error: 'invalid_request' });
  });

  it('when the sim is reset, then faults are gone', async () => {
    sim.state.addFault({ status5xx: 502 });
    expect((await usersMe(sim, access.a)).status).to.equal(502);
    await postJson(new URL('/_sim/reset', sim.url).toString(), {});
    expect((await usersMe(sim, access.a)).status).to.equal(200);
  });

  it("when a fault targets one OAuth client, then only that client's token calls fail", async () => {
    await postJson(new URL('/_sim/faults', sim.url).toString(), { clientId: 'someone-else', endpoint: 'token', status5xx: 502 });
    const p = pkce();
    expect((await exchangeCode(sim, await codeFor(sim, 'xsim_user_003', p), p.verifier)).status).to.equal(200);
    sim.state.addFault({ clientId: 'xsim-client-id', endpoint: 'token', status5xx: 502 });
    const q = pkce();
    expect((await exchangeCode(sim, await codeFor(sim, 'xsim_user_003', q), q.verifier)).status).to.equal(502);
  });

  it('when latencyAfterMs is injected on the token endpoint, then the work is done before the late answer', async () => {
    sim.state.addFault({ endpoint: 'token', latencyAfterMs: 400, times: 1 });
    const p = pkce();
    const code = await codeFor(sim, 'xsim_user_003', p);
    const issuedBefore = sim.state.stats().tokensIssued;
    const answer = exchangeCode(sim, code, p.verifier);
    await waitFor(() => sim.state.stats().tokensIssued > issuedBefore);
    // The code is already spent while the answer is still on its way.
    expect((await exchangeCode(sim, code, p.verifier)).status).to.equal(400);
    expect((await answer).status).to.equal(200);
  });

  it('when the control API gets a bad body, then 400', async () => {
    const res = await postJson(new URL('/_sim/faults', sim.url).toString(), { endpoint: 'nowhere' });
    expect(res.status).to.equal(400);
  });
});
