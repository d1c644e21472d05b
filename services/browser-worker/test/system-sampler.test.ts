import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemSampler } from '../src/pool/system-sampler.js';

describe('system sampler: event loop (real process)', () => {
  it('when the event loop is blocked once, then the sample reports that one delay as its longest (loopStallMs)', async () => {
    const sampler = new SystemSampler();
    try {
      await sleep(100);
      await sampler.sample();
      await sleep(100);
      const until = Date.now() + 600;
      while (Date.now() < until) {
        /* the loop is blocked: no timer of the histogram runs */
      }
      await sleep(100);
      const blocked = await sampler.sample();
      expect(blocked.loopStallMs).to.be.at.least(500);
      expect(blocked.loopStallMs).to.be.at.least(blocked.loopLagMs);
    } finally {
      sampler.stop();
    }
  });
});
