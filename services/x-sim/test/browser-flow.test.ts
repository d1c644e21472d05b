import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startXSim, type XSim } from '../src/index.js';
import { startProfile } from './support/gologin.helper.js';
import { ChromiumTracker, waitFor } from './support/processes.helper.js';
import { authorizeUrl, exchangeCode, pkce, REDIRECT_URI, usersMe } from './support/sim-http.helper.js';

describe('x-sim through a real Chromium', () => {
  const tracker = new ChromiumTracker();
  const connected: Browser[] = [];
  let sim: XSim;

  before(async () => {
    sim = await startXSim({ port: 0, interstitialMs: 300 });
  });
  after(async () => {
    await Promise.all(connected.map((b) => b.close()));
    await sim.stop();
    expect(tracker.count).to.be.greaterThan(0);
    expect(tracker.leftovers()).to.deep.equal([]);
  });

  beforeEach(() => sim.state.reset());

  /** Starts the user's profile as xauth does and opens a tab in its default, signed-in context. */
  async function openProfile(username: string): Promise<Page> {
    const { wsUrl } = await startProfile(sim, username, tracker);
    const browser = await chromium.connectOverCDP(wsUrl);
    connected.push(browser);
    return browser.contexts()[0].newPage();
  }

  it('when consent is given, then the captured code exchanges for tokens of that account', async () => {
    const page = await openProfile('xsim_user_021');
    const p = pkce();
    const redirected = page.waitForRequest((r) => r.url().startsWith(REDIRECT_URI));
    const first = await page.goto(authorizeUrl(sim, { state: 'flow-1' }, p));
    expect(first?.status(), 'first visit meets the interstitial').to.equal(403);
    await page.click('[data-testid="OAuth_Consent_Button"]', { timeout: 10_000 });
    const callback = new URL((await redirected).url());
    expect(callback.searchParams.get('state')).to.equal('flow-1');

    const tokens = await (await exchangeCode(sim, callback.searchParams.get('code')!, p.verifier)).json();
    const me = await (await usersMe(sim, tokens.access_token)).json();
    expect(me.data.username).to.equal('xsim_user_021');
    expect(sim.state.stats()).to.include({ consentsGranted: 1, tokensIssued: 1 });
  });

  it('when the user denies, then the redirect carries error=access_denied', async () => {
    sim.state.setScenario('xsim_user_022', 'denies');
    const page = await openProfile('xsim_user_022');
    const redirected = page.waitForRequest((r) => r.url().startsWith(REDIRECT_URI));
    await page.goto(authorizeUrl(sim, { state: 'flow-2' }));
    await page.click('[data-testid="OAuth_Consent_Button"]', { timeout: 10_000 });
    const callback = new URL((await redirected).url());
    expect(Object.fromEntries(callback.searchParams)).to.deep.equal({ error: 'access_denied', state: 'flow-2' });
  });

  it('when the profile meets a captcha, then the challenge never clears', async () => {
    sim.state.setScenario('xsim_user_023', 'captcha');
    const page = await openProfile('xsim_user_023');
    const response = await page.goto(authorizeUrl(sim));
    expect(response?.status()).to.equal(403);
    expect(await page.title()).to.equal('Just a moment...');
    expect(await page.isVisible('.cf-turnstile')).to.equal(true);
    expect(await page.locator('input[name="cf-turnstile-response"]').count()).to.equal(1);
    expect(await page.content()).to.not.contain('location.reload');
    const clearStatus = await page.evaluate(async () => (await fetch('/cdn-cgi/challenge-platform/clear', { method: 'POST' })).status);
    expect(clearStatus).to.equal(403);
    await page.reload();
    expect(await page.title()).to.equal('Just a moment...');
  });

  it('when the profile is logged out, then the login wall after the interstitial', async () => {
    sim.state.setScenario('xsim_user_024', 'logged_out');
    const page = await openProfile('xsim_user_024');
    await page.goto(authorizeUrl(sim));
    await page.waitForSelector('[data-testid="LoginForm"] input[name="text"][autocomplete="username"]', { timeout: 10_000 });
    expect(await page.title()).to.equal('Log in to X / X');
    expect(await page.textContent('[data-testid="LoginForm_Login_Button"]')).to.equal('Next');
  });

  it('when the browser crashes after consent is served, then the profile ends up stopped', async () => {
    sim.state.setScenario('xsim_user_025', 'browser_crash');
    const page = await openProfile('xsim_user_025');
    const profileId = sim.state.profileOf('xsim_user_025')!.id;
    await page.goto(authorizeUrl(sim)).catch(() => undefined);
    await waitFor(() => !sim.state.runningBrowsers().some((b) => b.profileId === profileId), 15_000, 'crashed profile stopped');
    expect(sim.state.stats().consentsGranted).to.equal(0);
  });
});
