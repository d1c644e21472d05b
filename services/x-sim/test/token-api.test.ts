import { expect } from 'chai';
import { startXSim, type XSim } from '../src/index.js';
import { authorizeUrl, basicAuth, codeFor, exchangeCode, pkce, postForm, postJson, REDIRECT_URI } from './support/sim-http.helper.js';

const USER = 'xsim_user_003';

describe('x-sim token endpoint', () => {
  let sim: XSim;
  let tokenUrl: string;

  before(async () => {
    sim = await startXSim({ port: 0, userCount: 5 });
    tokenUrl = new URL('/2/oauth2/token', sim.url).toString();
  });
  after(() => sim.stop());
  beforeEach(() => sim.state.reset());

  it('when the body is JSON, then 400 invalid_request', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basicAuth() },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when a confidential client sends no or a wrong Basic header, then 401 unauthorized_client', async () => {
    const p = pkce();
    const code = await codeFor(sim, USER, p);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: p.verifier, client_id: 'xsim-client-id' };
    const none = await postForm(tokenUrl, form);
    const wrong = await postForm(tokenUrl, form, basicAuth({ ...sim.state.options.apps[0], clientSecret: 'nope' }));
    for (const res of [none, wrong]) {
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal({ error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
    }
  });

  it('when the S256 verifier matches, then bearer tokens with a refresh token for offline.access', async () => {
    const p = pkce('S256');
    const res = await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier);
    const body = await res.json();
    expect(res.status).to.equal(200);
    expect(body).to.include({ token_type: 'bearer', expires_in: 7200, scope: 'tweet.read users.read offline.access' });
    expect(body.access_token).to.be.a('string').with.length.greaterThan(20);
    expect(body.refresh_token).to.be.a('string').with.length.greaterThan(20);
    expect(sim.state.stats().tokensIssued).to.equal(1);
  });

  it('when the challenge method is plain, then the verifier must equal the challenge', async () => {
    const p = pkce('plain');
    const bad = await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier + 'x');
    const good = await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.include({ error: 'invalid_request' });
    expect(good.status).to.equal(200);
  });

  it('when offline.access is not granted, then no refresh token', async () => {
    const p = pkce();
    const res = await exchangeCode(sim, await codeFor(sim, USER, p, 'tweet.read users.read'), p.verifier);
    const body = await res.json();
    expect(body.scope).to.equal('tweet.read users.read');
    expect(body).to.not.have.property('refresh_token');
  });

  it('when the S256 verifier does not match, then invalid_request (as X answers)', async () => {
    const p = pkce();
    const res = await exchangeCode(sim, await codeFor(sim, USER, p), pkce().verifier);
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when a code is used twice, then the second exchange is invalid_request (as X answers)', async () => {
    const p = pkce();
    const code = await codeFor(sim, USER, p);
    expect((await exchangeCode(sim, code, p.verifier)).status).to.equal(200);
    const again = await exchangeCode(sim, code, p.verifier);
    expect(again.status).to.equal(400);
    expect(await again.json()).to.include({ error: 'invalid_request' });
  });

  it('when redirect_uri differs from the authorize one (trailing slash), then invalid_request (as X answers)', async () => {
    const p = pkce();
    const res = await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier, { redirect_uri: REDIRECT_URI + '/' });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when a parameter is missing, then invalid_request', async () => {
    const res = await postForm(tokenUrl, { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, code_verifier: 'v' }, basicAuth());
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when refreshing, then both tokens rotate and the old refresh token is invalid_request (as X answers)', async () => {
    const p = pkce();
    const first = await (await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier)).json();
    const refresh = (token: string) => postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: token }, basicAuth());
    const rotated = await refresh(first.refresh_token);
    const second = await rotated.json();
    expect(rotated.status).to.equal(200);
    expect(second.access_token).to.not.equal(first.access_token);
    expect(second.refresh_token).to.be.a('string').and.not.equal(first.refresh_token);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).to.equal(400);
    expect(await reuse.json()).to.deep.equal({ error: 'invalid_request', error_description: 'Value passed for the token was invalid.' });
    expect((await refresh(second.refresh_token)).status).to.equal(200);
  });

  it('when a rotated refresh token is presented again, then it counts as a double spend; an unknown token does not', async () => {
    const p = pkce();
    const first = await (await exchangeCode(sim, await codeFor(sim, USER, p), p.verifier)).json();
    const refresh = (token: string) => postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: token }, basicAuth());
    expect((await refresh(first.refresh_token)).status).to.equal(200);
    expect((await refresh('never-issued')).status).to.equal(400);
    expect(sim.state.stats().refreshDoubleSpends).to.equal(0);
    expect((await refresh(first.refresh_token)).status).to.equal(400);
    expect((await (await fetch(new URL('/_sim/stats', sim.url))).json()).refreshDoubleSpends).to.equal(1);
  });

  it('when consent is given through /_sim/consent, then its redirect carries the state and a code the exchange accepts', async () => {
    const p = pkce();
    const res = await postJson(new URL('/_sim/consent', sim.url).toString(), { authorizeUrl: authorizeUrl(sim, { state: 'st-1' }, p), username: USER });
    expect(res.status).to.equal(200);
    const to = new URL((await res.json()).location);
    expect(`${to.origin}${to.pathname}`).to.equal(REDIRECT_URI);
    expect(to.searchParams.get('state')).to.equal('st-1');
    const exchanged = await exchangeCode(sim, to.searchParams.get('code')!, p.verifier);
    expect(exchanged.status).to.equal(200);
    const bad = await postJson(new URL('/_sim/consent', sim.url).toString(), {
      authorizeUrl: authorizeUrl(sim, { redirect_uri: 'http://elsewhere/cb' }, p),
      username: USER,
    });
    expect(bad.status).to.equal(400);
  });

  it('when the user is flaky_token, then the first exchange answers 503 and the retry succeeds with the same code', async () => {
    sim.state.setScenario(USER, 'flaky_token');
    const p = pkce();
    const code = await codeFor(sim, USER, p);
    expect((await exchangeCode(sim, code, p.verifier)).status).to.equal(503);
    expect((await exchangeCode(sim, code, p.verifier)).status).to.equal(200);
  });
});
