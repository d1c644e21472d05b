import { expect } from 'chai';
import { DEFAULT_APP, startXSim, type SimApp, type XSim } from '../src/index.js';
import { authorizeUrl, browserCookies, consentOverHttp, getPage, postJson, REDIRECT_URI } from './support/sim-http.helper.js';

const NASTY_APP: SimApp = { name: '<img src=x onerror=alert(1)>&"', clientId: 'nasty', redirectUris: ['http://127.0.0.1:9/cb'] };

describe('x-sim authorize pages over HTTP', () => {
  let sim: XSim;
  before(async () => {
    sim = await startXSim({ port: 0, userCount: 10, apps: [DEFAULT_APP, NASTY_APP] });
  });
  after(() => sim.stop());
  beforeEach(() => sim.state.reset());

  const invalid: Array<[string, Record<string, string | undefined>]> = [
    ['unknown client_id', { client_id: 'nope' }],
    ['redirect_uri with a trailing slash', { redirect_uri: REDIRECT_URI + '/' }],
    ['response_type token', { response_type: 'token' }],
    ['an unknown scope', { scope: 'users.read dm.read' }],
    ['an empty scope', { scope: '' }],
    ['no state', { state: undefined }],
    ['a state over 500 chars', { state: 'x'.repeat(501) }],
    ['no code_challenge', { code_challenge: undefined }],
    ['code_challenge_method S512', { code_challenge_method: 'S512' }],
  ];
  for (const [what, overrides] of invalid) {
    it(`when the request has ${what}, then X's "Something went wrong" page`, async () => {
      const page = await getPage(authorizeUrl(sim, overrides), await browserCookies(sim, 'xsim_user_001'));
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('<h1>Something went wrong</h1>');
      expect(page.body).to.contain("You weren't able to give access to the App. Please go back and try again.");
      expect(page.body).to.contain('data-testid="error-detail"');
    });
  }

  it('when state is exactly 500 chars, then consent', async () => {
    const page = await getPage(authorizeUrl(sim, { state: 'x'.repeat(500) }), await browserCookies(sim, 'xsim_user_001'));
    expect(page.body).to.contain('data-testid="OAuth_Consent_Button"');
  });

  it('when there is no cf_clearance, then the 403 interstitial', async () => {
    const page = await getPage(authorizeUrl(sim));
    expect(page.status).to.equal(403);
    expect(page.body).to.contain('<title>Just a moment...</title>');
    expect(page.body).to.contain('<div id="challenge-running"');
    expect(page.body).to.contain('name="cf-turnstile-response"');
    expect(page.body).to.contain('location.reload()');
  });

  it('when there is no session cookie, then the login wall', async () => {
    const clearance = (await browserCookies(sim, 'xsim_user_001')).split('; ')[1];
    const page = await getPage(authorizeUrl(sim), clearance);
    expect(page.body).to.contain('<title>Log in to X / X</title>');
    expect(page.body).to.contain('data-testid="LoginForm"');
    expect(page.body).to.match(/<input name="text"[^>]*autocomplete="username"/);
    expect(page.body).to.contain('data-testid="LoginForm_Login_Button">Next</button>');
  });

  it('when signed in, then consent names the app, the scopes and the account', async () => {
    const page = await getPage(authorizeUrl(sim), await browserCookies(sim, 'xsim_user_003'));
    expect(page.body).to.contain('<title>Authorize app / X</title>');
    expect(page.body).to.contain(
      '<h1 data-testid="OAuth_Consent_Header"><span data-testid="OAuth_Consent_AppName">xauth-dev</span> wants to access your X account.</h1>',
    );
    expect(page.body).to.contain('See your X account details');
    expect(page.body).to.contain('@xsim_user_003');
    expect(page.body).to.contain('data-testid="OAuth_Consent_Cancel_Button">Cancel</button>');
    expect(sim.state.stats().authorizePageViews).to.equal(1);
  });

  it('when the app name holds markup, then it is escaped', async () => {
    const url = authorizeUrl(sim, { client_id: NASTY_APP.clientId, redirect_uri: NASTY_APP.redirectUris[0] });
    const page = await getPage(url, await browserCookies(sim, 'xsim_user_003'));
    expect(page.body).to.contain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;');
    expect(page.body).to.not.contain('<img');
  });

  it('when the user is locked, then 302 to /account/access and the locked page', async () => {
    await postJson(new URL('/_sim/users/xsim_user_004/scenario', sim.url).toString(), { scenario: 'locked' });
    const cookie = await browserCookies(sim, 'xsim_user_004');
    const page = await getPage(authorizeUrl(sim), cookie);
    expect(page.status).to.equal(302);
    expect(page.location).to.equal('/account/access');
    const locked = await getPage(new URL(page.location!, sim.url).toString(), cookie);
    expect(locked.body).to.contain('<h1>Your account has been locked.</h1>');
    expect(locked.body).to.contain('data-testid="LockedAccountPage"');
  });

  it("when the profile is blocked, then Cloudflare's blocked page even with a clearance", async () => {
    const cookie = await browserCookies(sim, 'xsim_user_005');
    sim.state.setScenario('xsim_user_005', 'blocked');
    const page = await getPage(authorizeUrl(sim), cookie);
    expect(page.status).to.equal(403);
    expect(page.body).to.contain('<title>Attention Required! | Cloudflare</title>');
    expect(page.body).to.contain('<h1 data-translate="block_headline">Sorry, you have been blocked</h1>');
    expect(page.body).to.contain('Access denied');
  });

  it('when the user is slow, then the page comes at least latencyMs late', async () => {
    const cookie = await browserCookies(sim, 'xsim_user_009');
    sim.state.setScenario('xsim_user_009', 'slow', { latencyMs: 250 });
    const started = Date.now();
    const page = await getPage(authorizeUrl(sim), cookie);
    expect(Date.now() - started).to.be.at.least(240);
    expect(page.body).to.contain('data-testid="OAuth_Consent_Button"');
  });

  it('when the user is captcha, then the clearance endpoint refuses', async () => {
    sim.state.setScenario('xsim_user_010', 'captcha');
    const cookie = `auth_token=${sim.state.profileOf('xsim_user_010')!.sessionToken}`;
    const res = await fetch(new URL('/cdn-cgi/challenge-platform/clear', sim.url), { method: 'POST', headers: { cookie } });
    expect(res.status).to.equal(403);
    expect(res.headers.get('set-cookie')).to.equal(null);
  });

  it('when the user denies, then allow redirects with error=access_denied and the state', async () => {
    sim.state.setScenario('xsim_user_006', 'denies');
    const redirect = await consentOverHttp(sim, 'xsim_user_006', authorizeUrl(sim, { state: 'st-1' }));
    expect(redirect.origin + redirect.pathname).to.equal(REDIRECT_URI);
    expect(Object.fromEntries(redirect.searchParams)).to.deep.equal({ error: 'access_denied', state: 'st-1' });
    expect(sim.state.stats().consentsGranted).to.equal(0);
  });

  it('when the user clicks Cancel, then error=access_denied', async () => {
    const redirect = await consentOverHttp(sim, 'xsim_user_007', authorizeUrl(sim, { state: 'st-2' }), 'deny');
    expect(redirect.searchParams.get('error')).to.equal('access_denied');
  });

  it('when allowed, then redirect_uri?state=&code= with a url-safe code of 40+ chars', async () => {
    const redirect = await consentOverHttp(sim, 'xsim_user_008', authorizeUrl(sim, { state: 'st-3' }));
    expect([...redirect.searchParams.keys()]).to.deep.equal(['state', 'code']);
    expect(redirect.searchParams.get('code')).to.match(/^[A-Za-z0-9_-]{40,}$/);
    expect(sim.state.stats().consentsGranted).to.equal(1);
  });
});
