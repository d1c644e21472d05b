import { expect } from 'chai';
import { startXSim, type XSim } from '../src/index.js';
import { basicAuth, codeFor, exchangeCode, pkce, postForm, postJson, usersMe } from './support/sim-http.helper.js';

const PROBLEM = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };

describe('x-sim users/me', () => {
  let sim: XSim;
  before(async () => {
    sim = await startXSim({ port: 0, userCount: 10 });
  });
  after(() => sim.stop());
  beforeEach(() => sim.state.reset());

  async function tokensFor(username: string): Promise<{ access_token: string; refresh_token: string }> {
    const p = pkce();
    return (await exchangeCode(sim, await codeFor(sim, username, p), p.verifier)).json();
  }

  async function expectUnauthorized(res: Response): Promise<void> {
    expect(res.status).to.equal(401);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(await res.json()).to.deep.equal(PROBLEM);
  }

  it('when the access token is valid, then the user it was issued for', async () => {
    const res = await usersMe(sim, (await tokensFor('xsim_user_007')).access_token);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ data: { id: '1800000000000000007', name: 'Sim User 007', username: 'xsim_user_007' } });
  });

  it('when the token is unknown, then a problem+json 401', async () => {
    await expectUnauthorized(await usersMe(sim, 'not-a-token'));
  });

  it('when the access token was revoked, then 401', async () => {
    const { access_token } = await tokensFor('xsim_user_002');
    const revoke = await postForm(new URL('/2/oauth2/revoke', sim.url).toString(), { token: access_token, token_type_hint: 'access_token' }, basicAuth());
    expect(revoke.status).to.equal(200);
    expect(await revoke.json()).to.deep.equal({ revoked: true });
    await expectUnauthorized(await usersMe(sim, access_token));
  });

  it('when the refresh token was revoked, then it no longer refreshes', async () => {
    const { refresh_token } = await tokensFor('xsim_user_002');
    await postForm(new URL('/2/oauth2/revoke', sim.url).toString(), { token: refresh_token }, basicAuth());
    const res = await postForm(new URL('/2/oauth2/token', sim.url).toString(), { grant_type: 'refresh_token', refresh_token }, basicAuth());
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when the token lifetime is cut to 0 through the control API, then the token is expired', async () => {
    const { access_token } = await tokensFor('xsim_user_004');
    expect((await usersMe(sim, access_token)).status).to.equal(200);
    expect((await postJson(new URL('/_sim/token-lifetime', sim.url).toString(), { seconds: 0, user: 'xsim_user_004' })).status).to.equal(200);
    await expectUnauthorized(await usersMe(sim, access_token));
  });

  it('when the token lifetime is shortened, then new tokens say so in expires_in', async () => {
    sim.state.setTokenLifetime(60);
    const p = pkce();
    const body = await (await exchangeCode(sim, await codeFor(sim, 'xsim_user_005', p), p.verifier)).json();
    expect(body.expires_in).to.equal(60);
  });

  it('when the profile is wrong_identity, then consent and token are for another user', async () => {
    sim.state.setScenario('xsim_user_005', 'wrong_identity');
    const me = await (await usersMe(sim, (await tokensFor('xsim_user_005')).access_token)).json();
    expect(me.data.username).to.equal('xsim_user_006');
  });
});
