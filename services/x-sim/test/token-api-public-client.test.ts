import { expect } from 'chai';
import { startXSim, type SimApp, type XSim } from '../src/index.js';
import { pkce, postForm } from './support/sim-http.helper.js';

const PUBLIC_APP: SimApp = { name: 'public-app', clientId: 'public-client', redirectUris: ['http://127.0.0.1:9000/cb'] };

describe('x-sim token endpoint with a public client and short codes', () => {
  let sim: XSim;
  before(async () => {
    sim = await startXSim({ port: 0, userCount: 2, apps: [PUBLIC_APP], codeLifetimeSec: 0, interstitialMs: 0 });
  });
  after(() => sim.stop());

  it('when the code outlived codeLifetimeSec, then invalid_request (as X answers)', async () => {
    const p = pkce();
    const url = new URL('/i/oauth2/authorize', sim.url);
    const query = {
      response_type: 'code',
      client_id: PUBLIC_APP.clientId,
      redirect_uri: PUBLIC_APP.redirectUris[0],
      scope: 'users.read',
      state: 's',
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const cookie = `auth_token=${sim.state.profileOf('xsim_user_001')!.sessionToken}`;
    const consentId = /name="consent_id" value="([^"]+)"/.exec(await (await fetch(url, { headers: { cookie } })).text())![1];
    const redirect = await postForm(new URL('/i/oauth2/authorize/consent', sim.url).toString(), { consent_id: consentId, approval: 'allow' });
    const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
    const res = await postForm(new URL('/2/oauth2/token', sim.url).toString(), {
      grant_type: 'authorization_code',
      code,
      redirect_uri: PUBLIC_APP.redirectUris[0],
      code_verifier: p.verifier,
      client_id: PUBLIC_APP.clientId,
    });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });

  it('when a public client names an unknown client_id, then 401 unauthorized_client', async () => {
    const res = await postForm(new URL('/2/oauth2/token', sim.url).toString(), { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nobody' });
    expect(res.status).to.equal(401);
  });

  it('when a public client sends client_id in the body, then it is authenticated', async () => {
    const res = await postForm(new URL('/2/oauth2/token', sim.url).toString(), {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: PUBLIC_APP.clientId,
    });
    expect(res.status).to.equal(400);
    expect(await res.json()).to.include({ error: 'invalid_request' });
  });
});
