import { expect } from 'chai';
import { ConfirmDeadlines } from '../src/bus/confirm-deadlines.js';
import { waitUntil } from './support/wait.js';

describe('confirm deadlines (one timer for every publish waiting for its confirm)', () => {
  it('when a deadline passes unsettled, then it expires once; a settled wait never does', async () => {
    const deadlines = new ConfirmDeadlines(10);
    const expired: string[] = [];
    const late = deadlines.wait(Date.now() + 20, () => expired.push('late'));
    const confirmed = deadlines.wait(Date.now() + 20, () => expired.push('confirmed'));
    expect(confirmed.settle()).to.equal(true);
    await waitUntil(() => expired.length > 0, 'the late wait to expire', 2_000);
    expect(expired).to.deep.equal(['late']);
    expect(late.settle(), 'a confirm after expiry is ignored').to.equal(false);
    expect(deadlines.size).to.equal(0);
  });

  it('when nothing waits any more, then no timer is left running', async () => {
    const deadlines = new ConfirmDeadlines(10);
    const w = deadlines.wait(Date.now() + 60_000, () => undefined);
    expect(deadlines.size).to.equal(1);
    w.settle();
    expect(deadlines.size).to.equal(0);
    expect((deadlines as unknown as { timer?: unknown }).timer).to.equal(undefined);
  });
});
