import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SlidingWindowBudget, createLogger } from '@xauth/shared';
import { startXSim, type ScenarioName, type XSim } from '@xauth/x-sim';
import { runAuthorizeFlow } from '../src/browser/authorize-flow.js';
import { GoLoginProvider } from '../src/data-access/gologin.provider.js';
import type { CapturedConsent } from '../src/domain/ports.js';
import { failure } from './support/expectations.js';

const logger = createLogger({ service: 'browser-worker-test', silent: true });

describe('authorize flow in a real Chromium against x-sim', function () {
  this.timeout(60_000);
  let sim: XSim;
  let provider: GoLoginProvider;
  let callback: Server;
  let redirectUri: string;
  let callbackHits = 0;

  before(async () => {
    // A live listener at the redirect URI: if the code ever left the browser, it would land here.
    callback = createServer((_req, res) => {
      callbackHits++;
      res.end('leaked');
    }).listen(0, '127.0.0.1');
    await new Promise((r) => callback.once('listening', r));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/oauth/callback`;
    sim = await startXSim({ apps: [{ name: 'xauth-dev', clientId: 'cid', clientSecret: 'sec', redirectUris: [redirectUri] }], interstitialMs: 200 });
    provider = new GoLoginProvider({
      baseUrl: sim.url,
      token: 'xsim-gologin-token',
      timeoutMs: 10_000,
      stopTimeoutMs: 10_000,
      startTimeoutMs: 10_000,
      pollMs: 100,
      budget: new SlidingWindowBudget(240, 60_000),
      budgetWaitMs: 1_000,
    });
  });
  afterEach(() => {
    sim.state.reset();
    expect(sim.state.runningBrowsers(), 'no profile browser outlives its test').to.deep.equal([]);
  });
  after(async () => {
    await sim?.stop();
    callback?.close();
  });

  async function authorize(username: string, opts: { scenario?: ScenarioName; clientId?: string; interstitialMs?: number } = {}): Promise<CapturedConsent> {
    if (opts.scenario) sim.state.setScenario(username, opts.scenario, { latencyMs: 300 });
    const profile = sim.state.profileOf(username)!;
    const open = await provider.start(profile.id);
    try {
      const url = new URL(`${sim.url}/i/oauth2/authorize`);
      for (const [k, v] of Object.entries({
        response_type: 'code',
        client_id: opts.clientId ?? 'cid',
        redirect_uri: redirectUri,
        scope: 'users.read offline.access',
        state: `st-${username}`,
        code_challenge: 'challenge-123',
        code_challenge_method: 'plain',
      }))
        url.searchParams.set(k, v);
      return await runAuthorizeFlow(
        {
          jobId: '00000000-0000-4000-8000-000000000001',
          attempt: 1,
          wsUrl: open.wsUrl,
          authorizeUrl: url.toString(),
          redirectUri,
          deadline: Date.now() + 30_000,
        },
        { stepMs: 8_000, interstitialMs: opts.interstitialMs ?? 3_000 },
        logger,
      );
    } finally {
      await provider.stop(profile.id);
    }
  }

  it('when the profile is signed in, then the interstitial is waited out and the code is captured without the redirect leaving the browser', async () => {
    const interstitials: boolean[] = [];
    // A challenge that lasts long enough to be seen even on a loaded machine (the default one is 200 ms).
    sim.state.setScenario('xsim_user_001', 'interstitial', { latencyMs: 1_500 });
    const profile = sim.state.profileOf('xsim_user_001')!;
    const open = await provider.start(profile.id);
    let consent: CapturedConsent;
    try {
      const url = `${sim.url}/i/oauth2/authorize?response_type=code&client_id=cid&redirect_uri=${encodeURIComponent(redirectUri)}&scope=users.read&state=s-1&code_challenge=challenge-123&code_challenge_method=plain`;
      consent = await runAuthorizeFlow(
        { jobId: '00000000-0000-4000-8000-000000000001', attempt: 1, wsUrl: open.wsUrl, authorizeUrl: url, redirectUri, deadline: Date.now() + 30_000 },
        { stepMs: 8_000, interstitialMs: 3_000 },
        logger,
        { interstitial: (c) => interstitials.push(c) },
      );
    } finally {
      await provider.stop(profile.id);
    }
    expect(consent.state).to.equal('s-1');
    expect(consent.code).to.match(/^[A-Za-z0-9_-]{40,}$/);
    expect(interstitials).to.deep.equal([true]);
    expect(callbackHits).to.equal(0);
    // The captured code is a real one: x-sim exchanges it.
    const res = await fetch(`${sim.url}/2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('cid:sec').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: consent.code, redirect_uri: redirectUri, code_verifier: 'challenge-123' }),
    });
    expect(res.status).to.equal(200);
  });

  const cases: Array<[string, Parameters<typeof authorize>[1], string, boolean]> = [
    ['the profile is signed out', { scenario: 'logged_out' }, 'LOGIN_REQUIRED', false],
    ['the account is locked', { scenario: 'locked' }, 'ACCOUNT_LOCKED', false],
    ['consent is denied', { scenario: 'denies' }, 'ACCESS_DENIED', false],
    ['a captcha never clears', { scenario: 'captcha', interstitialMs: 1_000 }, 'CAPTCHA_REQUIRED', false],
    ['the CDN blocks the profile', { scenario: 'blocked' }, 'BLOCKED', true],
    ['X refuses the authorize request', { clientId: 'unknown-client' }, 'APP_CONFIG_INVALID', false],
  ];
  for (const [when, opts, code, retryable] of cases) {
    it(`when ${when}, then ${code} (${retryable ? 'retried' : 'needs a person'})`, async () => {
      const err = await failure(authorize('xsim_user_002', opts));
      expect(err).to.include({ code, retryable });
    });
  }

  for (const browserKept of [true, false]) {
    it(`when a captured consent is tidied for a browser ${browserKept ? 'kept warm, then its page is closed' : 'about to be stopped, then its page is left to the stop'} and its trace leaves no temporary directory`, async () => {
      // Playwright keeps a trace in a directory of the temporary directory until the trace stops.
      const profile = sim.state.profileOf('xsim_user_004')!;
      const open = await provider.start(profile.id);
      // Set once the browser runs, which keeps its own temporary directory.
      const tmp = await mkdtemp(join(tmpdir(), 'xauth-flow-tmp-'));
      const savedTmp = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      const pages = async () => {
        const list = (await (await fetch(`http://127.0.0.1:${new URL(open.wsUrl).port}/json/list`)).json()) as Array<{ type: string }>;
        return list.filter((t) => t.type === 'page').length;
      };
      try {
        const before = await pages();
        const url = `${sim.url}/i/oauth2/authorize?response_type=code&client_id=cid&redirect_uri=${encodeURIComponent(redirectUri)}&scope=users.read&state=s-4&code_challenge=challenge-123&code_challenge_method=plain`;
        const consent = await runAuthorizeFlow(
          { jobId: '00000000-0000-4000-8000-000000000004', attempt: 1, wsUrl: open.wsUrl, authorizeUrl: url, redirectUri, deadline: Date.now() + 30_000 },
          { stepMs: 8_000, interstitialMs: 3_000 },
          logger,
          {},
          { trace: 'actions' },
        );
        expect(await readdir(tmp), 'the trace is recorded while the flow runs').to.have.length.greaterThan(0);
        await consent.tidy!(browserKept);
        expect(await readdir(tmp), 'what the trace left').to.deep.equal([]);
        expect(await pages()).to.equal(browserKept ? before : before + 1);
      } finally {
        if (savedTmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = savedTmp;
        await provider.stop(profile.id);
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }

  it('when the profile is already running elsewhere, then PROFILE_BUSY, retryable', async () => {
    const profile = sim.state.profileOf('xsim_user_003')!;
    await provider.start(profile.id);
    try {
      expect(await failure(provider.start(profile.id))).to.include({ code: 'PROFILE_BUSY', retryable: true });
    } finally {
      await provider.stop(profile.id);
    }
  });
});
