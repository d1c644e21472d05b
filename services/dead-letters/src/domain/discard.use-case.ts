import type { Requester } from './model.js';
import type { DeadLetterStore } from './ports.js';
import { notFound } from './replay.use-case.js';

/** Marks one letter discarded (it stays stored) and records who and why; discarding twice changes nothing more. */
export async function discardOne(deps: { store: DeadLetterStore }, id: string, by: Requester, opts: { dryRun?: boolean } = {}): Promise<Record<string, never>> {
  return deps.store.withLocked(id, async (letter, tx) => {
    if (!letter) throw notFound(id);
    if (letter.status !== 'discarded' && !opts.dryRun) await tx.markDiscarded(letter.id, by);
    return {};
  });
}
