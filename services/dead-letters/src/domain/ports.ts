import type { DeadLetterAction, DeadLetterFilter, DeadLetterRecord, Requester, StoredDeadLetter } from './model.js';

/** What one transaction can do to a locked dead letter. */
export interface LockedDeadLetters {
  markReplayed(id: string, replayMessageId: string, by: Requester): Promise<void>;
  markDiscarded(id: string, by: Requester): Promise<void>;
}

/** The office's storage; plain objects in and out. */
export interface DeadLetterStore {
  /** Stores a letter unless one with its messageId and queue is stored already; true when it was new. */
  insert(record: DeadLetterRecord): Promise<boolean>;
  get(id: string): Promise<StoredDeadLetter | undefined>;
  actionsOf(id: string): Promise<DeadLetterAction[]>;
  list(filter: DeadLetterFilter, limit: number, offset: number): Promise<{ items: StoredDeadLetter[]; total: number }>;
  counts(
    filter: DeadLetterFilter,
  ): Promise<{ total: number; byErrorCode: Array<{ errorCode: string; count: number }>; byQueue: Array<{ queue: string | null; count: number }> }>;
  /** Ids matching the filter, oldest first, at most `limit`, and how many match in all. */
  select(filter: DeadLetterFilter, limit: number): Promise<{ ids: string[]; total: number }>;
  /** Runs `fn` in a transaction holding the letter's row lock (undefined when there is no such letter). */
  withLocked<T>(id: string, fn: (letter: StoredDeadLetter | undefined, tx: LockedDeadLetters) => Promise<T>): Promise<T>;
}

/** The orchestrator's job reopen (it owns the jobs): the same checks with `dryRun`, which changes nothing. */
export interface JobReopener {
  /** Resolves once the orchestrator committed (or, dry, found nothing against it); its refusal is an AppError with its code. */
  reopen(jobId: string, opts: { dryRun: boolean; by: string; reason: string; replayOf: string }): Promise<{ messageId?: string; requests: number }>;
}
