import { ErrorCodes, type DeadLetterActionResult, type DeadLetterFilter } from '@xauth/contracts';
import { AppError, errorMessage } from '@xauth/shared';
import type { Requester } from './model.js';
import type { DeadLetterStore } from './ports.js';

/** Ids, or a filter (by default only letters still `new`), as chosen by the caller. */
export type Selection = { ids: string[] } | { filter: DeadLetterFilter };

/** What acting on one letter gives: done (maybe with the replay's messageId, the reopened job) or an AppError; dry: the same checks, no effect. */
export type ActOnOne = (id: string, by: Requester, opts: { dryRun: boolean }) => Promise<{ replayMessageId?: string; reopenedJobId?: string }>;

/**
 * Resolves a selection to ids (at most `batchLimit`) and acts on each in turn, at most
 * `ratePerSecond`, collecting what was refused and why instead of stopping. A dry run calls the
 * same `act` with `dryRun` (every check, no effect, unpaced) and reports per letter what the real
 * run would do (`wouldDo`) or refuse (`refused`).
 */
export async function actOnSelection(
  store: DeadLetterStore,
  selection: Selection,
  opts: { dryRun: boolean; batchLimit: number; ratePerSecond?: number; by: Requester },
  act: ActOnOne,
): Promise<DeadLetterActionResult> {
  const { ids, total } =
    'ids' in selection
      ? { ids: [...new Set(selection.ids)].slice(0, opts.batchLimit), total: new Set(selection.ids).size }
      : await store.select({ status: 'new', ...selection.filter }, opts.batchLimit);
  const result: DeadLetterActionResult = { dryRun: opts.dryRun, matched: total, more: total > ids.length, done: [], refused: [], wouldDo: [] };
  const started = Date.now();
  for (const [i, id] of ids.entries()) {
    if (opts.ratePerSecond && !opts.dryRun) {
      // Paced from the start, so a slow publish does not make the next ones burst.
      const wait = started + (i * 1000) / opts.ratePerSecond - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    try {
      const outcome = await act(id, opts.by, { dryRun: opts.dryRun });
      if (opts.dryRun) result.wouldDo.push({ id, ...(outcome.reopenedJobId ? { reopensJobId: outcome.reopenedJobId } : {}) });
      else result.done.push({ id, ...outcome });
    } catch (err) {
      result.refused.push({ id, code: err instanceof AppError ? err.code : ErrorCodes.INTERNAL, message: errorMessage(err) });
    }
  }
  return result;
}
