import { expect } from 'chai';
import { createLogger } from '@xauth/shared';
import type { OrchestratorDeps } from '../src/domain/deps.js';
import type { ProfileListing } from '../src/domain/ports.js';
import { ProfileSync } from '../src/domain/use-cases/sync-profiles.use-case.js';

/** A directory whose listing ends when the test says: a large GoLogin directory, paced, takes minutes. */
function slowDirectory() {
  let calls = 0;
  let end: (l: ProfileListing) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const deps = {
    logger: createLogger({ service: 'profile-sync-test', silent: true }),
    profiles: {
      listProfiles: () => {
        calls += 1;
        return new Promise<ProfileListing>((resolve, reject) => {
          end = resolve;
          fail = reject;
        });
      },
    },
  } as unknown as OrchestratorDeps;
  // An empty listing keeps the map it has (nothing is written), so no store is needed here.
  return { deps, calls: () => calls, end: () => end({ links: [], complete: true }), fail: (err: Error) => fail(err) };
}

describe('profile sync: one at a time per replica, and a bounded wait for a login that asked for one', () => {
  it('when a sync outlasts the wait, then the login goes on (false) and the sync goes on; others join it; once it ends the map counts as fresh for minGapMs', async () => {
    const dir = slowDirectory();
    const sync = new ProfileSync(() => dir.deps, { minGapMs: 60_000, waitMs: 50 });
    const started = Date.now();
    expect(await sync.onDemand(), 'a sync still under way').to.equal(false);
    expect(Date.now() - started).to.be.below(1_000);
    const periodic = sync.run();
    expect(await sync.onDemand()).to.equal(false);
    expect(dir.calls(), 'the periodic sync and the second login joined the first').to.equal(1);
    dir.end();
    await periodic;
    expect(await sync.onDemand(), 'synced within minGapMs: nothing to wait for').to.equal(true);
    expect(dir.calls()).to.equal(1);
  });

  it('when the sync at start fails after the start stopped waiting, then the start still hears of the failure', async () => {
    const dir = slowDirectory();
    const sync = new ProfileSync(() => dir.deps, { minGapMs: 0, waitMs: 20 });
    const failures: string[] = [];
    expect(await sync.within((err) => failures.push((err as Error).message))).to.equal(false);
    const periodic = sync.run();
    dir.fail(new Error('GoLogin answered 503'));
    await periodic.catch(() => undefined);
    expect(failures).to.deep.equal(['GoLogin answered 503']);
  });

  it('when the sync ends within the wait, then the login sees it done (true)', async () => {
    const dir = slowDirectory();
    const sync = new ProfileSync(() => dir.deps, { minGapMs: 0, waitMs: 5_000 });
    const asked = sync.onDemand();
    setTimeout(() => dir.end(), 20);
    expect(await asked).to.equal(true);
  });
});
