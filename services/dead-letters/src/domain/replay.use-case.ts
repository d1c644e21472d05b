import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '@xauth/contracts';
import { AppError } from '@xauth/shared';
import { replayHeaders, replayTarget, whyNotReplayable } from './dead-letter.rule.js';
import type { Requester, StoredDeadLetter } from './model.js';
import type { DeadLetterStore } from './ports.js';

/** Publishes bytes with properties and resolves when the broker confirmed them. */
export type Republish = (exchange: string, routingKey: string, body: Buffer, properties: Record<string, unknown>) => Promise<void>;

export function notFound(id: string): AppError {
  return new AppError({ code: ErrorCodes.DEAD_LETTER_NOT_FOUND, message: `no dead letter ${id}`, httpStatus: 404, retryable: false });
}

/** Why a letter may not be replayed now, if it may not. */
export function replayRefusal(letter: StoredDeadLetter, maxReplays: number): AppError | undefined {
  if (letter.status === 'discarded') {
    return new AppError({ code: ErrorCodes.DEAD_LETTER_DISCARDED, message: `dead letter ${letter.id} was discarded; it is kept for the record, not for replay`, httpStatus: 409, retryable: false });
  }
  const impossible = whyNotReplayable(letter);
  if (impossible) {
    return new AppError({ code: ErrorCodes.REPLAY_NOT_POSSIBLE, message: `dead letter ${letter.id} cannot be replayed: ${impossible}`, httpStatus: 409, retryable: false });
  }
  if (letter.replayCount >= maxReplays) {
    return new AppError({
      code: ErrorCodes.REPLAY_LIMIT_REACHED, httpStatus: 409, retryable: false,
      message: `dead letter ${letter.id} was replayed ${letter.replayCount} times, the limit (MAX_REPLAYS=${maxReplays}); fix the cause, or discard it`,
    });
  }
  return undefined;
}

/**
 * Replays one letter: republishes it to its original exchange and routing key with a new messageId,
 * `x-replay-of` and a fresh attempt count, and, once the broker confirmed, marks it replayed and
 * records who and why, all under the letter's row lock (so concurrent replays cannot pass the cap).
 */
export interface ReplayDeps {
  store: DeadLetterStore;
  republish: Republish;
  maxReplays: number;
  /** Exchanges a replay may go to (the namespace's, and '' for a queue): publishing to a missing one would close the publish channel. */
  exchanges: ReadonlySet<string>;
}

export async function replayOne(deps: ReplayDeps, id: string, by: Requester): Promise<{ replayMessageId: string }> {
  return deps.store.withLocked(id, async (letter, tx) => {
    if (!letter) throw notFound(id);
    const refusal = replayRefusal(letter, deps.maxReplays);
    if (refusal) throw refusal;
    const replayMessageId = randomUUID();
    const { exchange, routingKey } = replayTarget(letter);
    if (!deps.exchanges.has(exchange)) {
      throw new AppError({ code: ErrorCodes.REPLAY_TARGET_UNKNOWN, message: `dead letter ${id} came from exchange "${exchange}", which is not one of this namespace's; replay it by hand`, httpStatus: 409, retryable: false });
    }
    const { expiration: _e, ...properties } = letter.properties;
    await deps.republish(exchange, routingKey, letter.body, { ...properties, persistent: true, messageId: replayMessageId, headers: replayHeaders(letter) });
    await tx.markReplayed(letter.id, replayMessageId, by);
    return { replayMessageId };
  });
}
