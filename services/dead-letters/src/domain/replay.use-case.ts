import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';
import { jobOfLetter, replayHeaders, replayTarget, whyNotReplayable } from './dead-letter.rule.js';
import type { Requester, StoredDeadLetter } from './model.js';
import type { DeadLetterStore, JobReopener, LockedDeadLetters } from './ports.js';

/** Publishes bytes with properties and resolves when the broker confirmed them. */
export type Republish = (exchange: string, routingKey: string, body: Buffer, properties: Record<string, unknown>) => Promise<void>;

export function notFound(id: string): AppError {
  return new AppError({ code: ErrorCodes.DEAD_LETTER_NOT_FOUND, message: `no dead letter ${id}`, httpStatus: 404, retryable: false });
}

/** Why a letter may not be replayed now, if it may not. */
export function replayRefusal(letter: StoredDeadLetter, maxReplays: number): AppError | undefined {
  if (letter.status === 'discarded') {
    return new AppError({
      code: ErrorCodes.DEAD_LETTER_DISCARDED,
      message: `dead letter ${letter.id} was discarded; it is kept for the record, not for replay`,
      httpStatus: 409,
      retryable: false,
    });
  }
  const impossible = whyNotReplayable(letter);
  if (impossible) {
    return new AppError({
      code: ErrorCodes.REPLAY_NOT_POSSIBLE,
      message: `dead letter ${letter.id} cannot be replayed: ${impossible}`,
      httpStatus: 409,
      retryable: false,
    });
  }
  if (letter.replayCount >= maxReplays) {
    return new AppError({
      code: ErrorCodes.REPLAY_LIMIT_REACHED,
      httpStatus: 409,
      retryable: false,
      message: `dead letter ${letter.id} was replayed ${letter.replayCount} times, the limit (MAX_REPLAYS=${maxReplays}); fix the cause, or discard it`,
    });
  }
  return undefined;
}

/** What a replay of one letter did, or in a dry run would do. */
export interface ReplayOutcome {
  /** The republished copy's messageId, or for a job letter the fresh `authorization.job.requested` (none in a dry run). */
  replayMessageId?: string;
  /** The job the replay reopened (a job letter). */
  reopenedJobId?: string;
}

export interface ReplayDeps {
  store: DeadLetterStore;
  republish: Republish;
  /** Reopens the job of an `authorization.job.requested` letter at the orchestrator. */
  jobs: JobReopener;
  maxReplays: number;
  /** Exchanges a replay may go to: those the office's broker user may publish to (any other would close the publish channel). */
  exchanges: ReadonlySet<string>;
}

/**
 * Replays one letter under its row lock (so concurrent replays cannot pass the cap): the letter's
 * own rules (`replayRefusal`), then a job letter asks the orchestrator to reopen its job (same
 * jobId, fresh deadline and attempt count; its requests are answered again when it ends), any other
 * is republished to its original exchange and routing key with a new messageId, `x-replay-of` and a
 * fresh attempt count. Only once the orchestrator committed or the broker confirmed is the letter
 * marked replayed, with who and why. A dry run runs every check (the orchestrator's too, dry) and
 * stops before the first effect, so it never disagrees with the real replay.
 */
export async function replayOne(deps: ReplayDeps, id: string, by: Requester, opts: { dryRun?: boolean } = {}): Promise<ReplayOutcome> {
  return deps.store.withLocked(id, async (letter, tx) => {
    if (!letter) throw notFound(id);
    const refusal = replayRefusal(letter, deps.maxReplays);
    if (refusal) throw refusal;
    const jobId = jobOfLetter(letter);
    if (jobId !== undefined) return reopenJobOf(deps, letter, jobId, by, tx, opts.dryRun ?? false);
    const { exchange, routingKey } = replayTarget(letter);
    if (!deps.exchanges.has(exchange)) {
      throw new AppError({
        code: ErrorCodes.REPLAY_TARGET_UNKNOWN,
        message: `dead letter ${id} came from exchange "${exchange}", which is not this namespace's commands or events exchange (the only ones the office publishes to); replay it by hand`,
        httpStatus: 409,
        retryable: false,
      });
    }
    if (opts.dryRun) return {};
    const replayMessageId = randomUUID();
    const { expiration: _e, ...properties } = letter.properties;
    await deps.republish(exchange, routingKey, letter.body, {
      ...properties,
      persistent: true,
      messageId: replayMessageId,
      headers: replayHeaders(letter, replayMessageId),
    });
    await tx.markReplayed(letter.id, replayMessageId, by);
    return { replayMessageId };
  });
}

async function reopenJobOf(
  deps: ReplayDeps,
  letter: StoredDeadLetter,
  jobId: string,
  by: Requester,
  tx: LockedDeadLetters,
  dryRun: boolean,
): Promise<ReplayOutcome> {
  if (!jobId) {
    throw new AppError({
      code: ErrorCodes.REPLAY_NOT_POSSIBLE,
      message: `dead letter ${letter.id} is an authorization.job.requested without a job id, so there is no job to reopen`,
      httpStatus: 409,
      retryable: false,
    });
  }
  const { messageId } = await deps.jobs.reopen(jobId, { dryRun, by: by.actor, reason: by.reason, replayOf: letter.messageId });
  if (dryRun) return { reopenedJobId: jobId };
  // The orchestrator committed: marking fails only with our database, and a second replay is then refused there (the job is active).
  await tx.markReplayed(letter.id, messageId ?? randomUUID(), by);
  return { replayMessageId: messageId, reopenedJobId: jobId };
}
