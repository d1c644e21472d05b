import { expect } from 'chai';
import { MAX_DEFERRALS, decideFailure, pickTier } from '../src/bus/failure-policy.js';
import { NeedsOperatorError, TransientError, ValidationError } from '../src/errors.js';

describe('failure policy (the consumer wrapper decision)', () => {
  const tiers = [1_000, 5_000, 30_000, 120_000, 600_000];

  it('when input is invalid or needs a person, then it is dead-lettered at once', () => {
    expect(decideFailure(new ValidationError({ message: 'bad' }), 1, 5, tiers)).to.include({ action: 'dead-letter', code: 'VALIDATION_FAILED' });
    expect(decideFailure(new NeedsOperatorError({ code: 'CAPTCHA_REQUIRED', message: 'x' }), 1, 5, tiers)).to.include({ action: 'dead-letter' });
  });

  it('when an error is transient, then the delay grows exponentially with jitter until the budget ends', () => {
    const err = new TransientError({ code: 'TIMEOUT', message: 't' });
    const d1 = decideFailure(err, 1, 5, tiers);
    const d3 = decideFailure(err, 3, 5, tiers);
    expect(d1.action).to.equal('retry');
    if (d1.action !== 'retry' || d3.action !== 'retry') throw new Error('expected retries');
    expect(d1.delayMs).to.be.within(800, 1200);
    expect(d3.delayMs).to.be.within(3200, 4800);
    expect(decideFailure(err, 5, 5, tiers)).to.include({ action: 'dead-letter' });
  });

  it('when an error is untyped, then it counts as transient; a rate limit waits for its reset', () => {
    expect(decideFailure(new Error('boom'), 1, 3, tiers)).to.include({ action: 'retry', code: 'INTERNAL' });
    const d = decideFailure(new TransientError({ code: 'X_RATE_LIMITED', message: '429', retryAfterMs: 45_000 }), 1, 5, tiers);
    expect(d.action === 'retry' && d.delayMs).to.equal(45_000);
    expect(pickTier(45_000, tiers)).to.equal(120_000);
    expect(pickTier(10_000_000, tiers)).to.equal(600_000);
  });

  it('when the handler already reported the outcome, then only its dead letter carries the mark', () => {
    const reported = new TransientError({ code: 'BLOCKED', message: 'cdn', outcomeReported: true });
    expect(decideFailure(reported, 2, 2, tiers)).to.include({ action: 'dead-letter', code: 'BLOCKED', outcomeReported: true });
    expect(decideFailure(reported, 1, 2, tiers))
      .to.include({ action: 'retry' })
      .and.not.have.property('outcomeReported');
    expect(decideFailure(new TransientError({ code: 'BLOCKED', message: 'cdn' }), 2, 2, tiers)).not.to.have.property('outcomeReported');
  });

  it('when the work could not start (deferred), then it waits without spending an attempt, until the deferrals run out', () => {
    const busy = new TransientError({ code: 'PROFILE_BUSY', message: 'held elsewhere', deferred: true });
    const first = decideFailure(busy, 5, 5, tiers, 0);
    expect(first, 'even on the last attempt').to.include({ action: 'retry', deferred: true });
    const later = decideFailure(busy, 5, 5, tiers, 10);
    expect(later.action === 'retry' && later.delayMs).to.be.within(24_000, 36_000);
    expect(decideFailure(busy, 1, 5, tiers, MAX_DEFERRALS), 'past the deferral cap it counts as an attempt')
      .to.include({ action: 'retry' })
      .and.not.have.property('deferred');
    expect(decideFailure(busy, 5, 5, tiers, MAX_DEFERRALS)).to.include({ action: 'dead-letter' });
  });
});
