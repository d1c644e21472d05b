import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { validateAuthorizeRequest } from '../src/domain/authorize-request.rule.js';
import { cloudflareVerdict } from '../src/domain/cloudflare-gate.rule.js';
import { Faults } from '../src/domain/faults.store.js';
import { overloadVerdict } from '../src/domain/gologin-overload.rule.js';
import { Outages } from '../src/domain/outages.store.js';
import { pkceMatches } from '../src/domain/pkce.rule.js';
import { SlidingWindowRateLimiter } from '../src/domain/sliding-window.rate-limiter.js';
import { simProfileId, simUsername } from '../src/domain/sim-users.store.js';
import { DEFAULT_APP } from '../src/index.js';

describe('x-sim domain rules', () => {
  it('when checking PKCE, then S256 hashes the verifier and plain compares it', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const s256 = createHash('sha256').update(verifier).digest('base64url');
    expect(s256).to.equal('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(pkceMatches(verifier, s256, 'S256')).to.equal(true);
    expect(pkceMatches(verifier, verifier, 'S256')).to.equal(false);
    expect(pkceMatches(verifier, verifier, 'plain')).to.equal(true);
  });

  it('when more hits than the limit fall in the window, then they are refused until the window slides', () => {
    let now = 0;
    const limiter = new SlidingWindowRateLimiter(2, 1000, () => now);
    expect([limiter.hit(), limiter.hit(), limiter.hit()]).to.deep.equal([true, true, false]);
    now = 1001;
    expect(limiter.hit()).to.equal(true);
  });

  it('when a fault has times, then it is used up; the harshest matching action wins', () => {
    const faults = new Faults();
    faults.add({ endpoint: 'me', status5xx: true, times: 1 });
    faults.add({ user: 'u', drop: true, times: 1 });
    expect(faults.take('me', 'other').action).to.deep.equal({ kind: '5xx', status: 503 });
    expect(faults.take('me', 'other').action).to.deep.equal({ kind: 'none' });
    expect(faults.take('token', 'u').action).to.deep.equal({ kind: 'drop' });
  });

  it('when faults add latency after processing, then the longest one is used', () => {
    const faults = new Faults();
    faults.add({ endpoint: 'token', latencyAfterMs: 200, times: 1 });
    faults.add({ endpoint: 'token', latencyAfterMs: 500, latencyMs: 10, times: 1 });
    expect(faults.take('token', undefined)).to.deep.equal({ latencyMs: 10, latencyAfterMs: 500, action: { kind: 'none' } });
    expect(faults.take('token', undefined).latencyAfterMs).to.equal(0);
  });

  it('when starts in flight reach the overload limit, then further starts are refused or delayed per mode', () => {
    expect(overloadVerdict(undefined, 100)).to.deep.equal({ kind: 'admit' });
    expect(overloadVerdict({ maxConcurrentStarts: 2, mode: 'reject' }, 1)).to.deep.equal({ kind: 'admit' });
    expect(overloadVerdict({ maxConcurrentStarts: 2, mode: 'reject' }, 2)).to.deep.equal({ kind: 'reject' });
    expect(overloadVerdict({ maxConcurrentStarts: 2, mode: 'delay', delayMs: 700 }, 3)).to.deep.equal({ kind: 'delay', delayMs: 700 });
  });

  it("when an outage's time has passed, then the target is up again without a call", () => {
    let now = 0;
    const outages = new Outages(() => now);
    outages.start({ target: 'x-api', durationMs: 1000, mode: 'drop' });
    expect([outages.modeOf('x-api'), outages.modeOf('gologin')]).to.deep.equal(['drop', undefined]);
    now = 999;
    expect(outages.modeOf('x-api')).to.equal('drop');
    now = 1000;
    expect(outages.modeOf('x-api')).to.equal(undefined);
  });

  it('when deciding on Cloudflare, then scenarios and clearance are honoured', () => {
    const normal = { scenario: 'normal', latencyMs: 2000 } as const;
    expect(cloudflareVerdict(normal, 300, false)).to.deep.equal({ kind: 'challenge', clearAfterMs: 300 });
    expect(cloudflareVerdict(normal, 300, true)).to.deep.equal({ kind: 'pass' });
    expect(cloudflareVerdict(normal, 0, false)).to.deep.equal({ kind: 'pass' });
    expect(cloudflareVerdict({ scenario: 'interstitial', latencyMs: 50 }, 0, false)).to.deep.equal({ kind: 'challenge', clearAfterMs: 50 });
    expect(cloudflareVerdict({ scenario: 'captcha', latencyMs: 0 }, 0, true).kind).to.equal('captcha');
  });

  it('when validating authorize, then repeated parameters are refused', () => {
    const query = {
      response_type: 'code',
      client_id: DEFAULT_APP.clientId,
      redirect_uri: DEFAULT_APP.redirectUris[0],
      scope: 'users.read',
      state: 's',
      code_challenge: 'c',
      code_challenge_method: 'plain',
    };
    expect(validateAuthorizeRequest(query, [DEFAULT_APP]).ok).to.equal(true);
    expect(validateAuthorizeRequest({ ...query, state: ['a', 'b'] }, [DEFAULT_APP]).ok).to.equal(false);
  });

  it('when seeding, then usernames and profile ids follow the pattern', () => {
    expect(simUsername(7)).to.equal('xsim_user_007');
    expect(simProfileId(255)).to.equal('64f0c0de00000000000000ff');
  });
});
