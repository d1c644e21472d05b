import { expect } from 'chai';
import { SlidingWindowBudget } from '@xauth/shared';
import { parseCookieExport } from '../src/domain/cookie-export.rule.js';
import { profileLockKey } from '../src/pool/profile-lock-key.js';
import { localDebuggingPort } from '../src/pool/browser-reaper.js';

describe('pool rules (unit)', () => {
  describe('GoLogin call budget', () => {
    it('when calls stay within the limit, then each goes at once', () => {
      const budget = new SlidingWindowBudget(3, 60_000);
      expect([0, 10, 20].map((t) => budget.book(t, 0))).to.deep.equal([0, 0, 0]);
    });

    it('when the limit is reached, then the next call waits until the oldest leaves the window', () => {
      const budget = new SlidingWindowBudget(3, 60_000);
      for (const t of [0, 10, 20]) budget.book(t, 0);
      expect(budget.book(30, 60_000)).to.equal(60_000 - 30);
      // That booking sits at 60 000: the one after waits for the call at 10 to leave.
      expect(budget.book(40, 60_000)).to.equal(60_010 - 40);
    });

    it('when the wait would exceed the bound, then nothing is booked and the caller is told no', () => {
      const budget = new SlidingWindowBudget(2, 1_000);
      budget.book(0, 0);
      budget.book(0, 0);
      expect(budget.book(100, 500)).to.equal(undefined);
      // The refusal booked nothing: once the window moved on, two calls go at once again.
      expect(budget.book(1_000, 0)).to.equal(0);
      expect(budget.book(1_000, 0)).to.equal(0);
      expect(budget.book(1_000, 0)).to.equal(undefined);
    });

    it('when many callers book at once, then no window of windowMs ever holds more than the limit', () => {
      const budget = new SlidingWindowBudget(5, 1_000);
      const at = Array.from({ length: 40 }, (_, i) => i * 7).map((now) => now + budget.book(now, 10_000)!);
      for (const t of at) expect(at.filter((u) => u > t - 1_000 && u <= t).length).to.be.at.most(5);
    });

    it("when it starts from stored bookings (another replica's), then they count, and a refused turn says when to come back", () => {
      const budget = new SlidingWindowBudget(2, 1_000, [0, 500]);
      expect(budget.turnAt(600, 0)).to.deep.equal({ granted: false, retryAfterMs: 400 });
      expect(budget.turnAt(600, 400)).to.deep.equal({ granted: true, waitMs: 400 });
      expect(budget.turnAt(1_000, 0)).to.deep.equal({ granted: false, retryAfterMs: 500 });
    });
  });

  describe('profile lock key', () => {
    it('when the same namespace and profile are hashed twice, then the key is the same signed 64-bit integer', () => {
      const key = profileLockKey('xauth', 'profile-1');
      expect(key).to.equal(profileLockKey('xauth', 'profile-1'));
      const n = BigInt(key);
      expect(n >= -(2n ** 63n) && n < 2n ** 63n).to.equal(true);
    });

    it('when the namespace or the profile differs, then the key differs', () => {
      const keys = new Set([profileLockKey('xauth', 'p1'), profileLockKey('test-a', 'p1'), profileLockKey('xauth', 'p2'), profileLockKey('xauth:p', '1')]);
      expect(keys.size).to.equal(4);
    });
  });

  describe('cookie export', () => {
    it('when an EditThisCookie export is read, then cookies come out in Playwright shape', () => {
      const [c] = parseCookieExport([
        {
          domain: 'x.com',
          hostOnly: false,
          httpOnly: true,
          name: 'auth_token',
          path: '/',
          sameSite: 'no_restriction',
          secure: true,
          session: false,
          storeId: '0',
          value: 'v',
          expirationDate: 1900000000.5,
        },
      ]);
      expect(c).to.deep.equal({
        name: 'auth_token',
        value: 'v',
        domain: '.x.com',
        path: '/',
        expires: 1900000000,
        httpOnly: true,
        secure: true,
        sameSite: 'None',
      });
    });

    it('when a Playwright storage state is read, then its session cookies stay session cookies', () => {
      const [c] = parseCookieExport({
        cookies: [{ name: 'a', value: 'b', domain: '127.0.0.1', path: '/', expires: -1, httpOnly: false, secure: false, sameSite: 'Lax' }],
      });
      expect(c).to.include({ expires: -1, sameSite: 'Lax', domain: '127.0.0.1' });
    });

    it('when the file is not a cookie export, then the error names the field and never a value', () => {
      expect(() => parseCookieExport([{ name: 'auth_token', value: 'secret-value' }]))
        .to.throw(/0\.domain/)
        .that.satisfies((e: Error) => !e.message.includes('secret-value'));
    });
  });

  describe('local DevTools port', () => {
    it('when the wsUrl is on loopback, then its port is known; when remote, then not', () => {
      expect(localDebuggingPort('ws://127.0.0.1:39123/devtools/browser/abc')).to.equal(39123);
      expect(localDebuggingPort('ws://localhost:9222/devtools/browser/abc')).to.equal(9222);
      expect(localDebuggingPort('wss://cloud.gologin.com/connect?token=t')).to.equal(undefined);
    });
  });
});
