import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemSampler } from '../src/pool/system-sampler.js';

describe('system sampler: event loop (real process)', () => {
  it('when the event loop is blocked once among many quick turns, then loopStallMs is that delay while the p99 lag (loopLagMs) stays low', async () => {
    const sampler = new SystemSampler();
    try {
      await sampler.sample();
      // Three seconds of turns (one every 20 ms): the one blocked turn is under 1 % of the interval's.
      await sleep(3_000);
      const until = Date.now() + 600;
      while (Date.now() < until) {
        /* the loop is blocked: no timer of the histogram runs */
      }
      await sleep(100);
      const blocked = await sampler.sample();
      expect(blocked.loopStallMs).to.be.at.least(500);
      expect(blocked.loopLagMs).to.be.below(500);
    } finally {
      sampler.stop();
    }
  });
});
