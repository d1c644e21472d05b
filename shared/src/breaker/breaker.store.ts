import type { BreakerRecord } from './breaker.rule.js';

/** A breaker's record as the store keeps it, with the store's clock (epoch ms) when it was read. */
export interface StoredBreaker {
  rec: BreakerRecord | undefined;
  now: number;
}

export interface StoredBreakerRow extends StoredBreaker {
  name: string;
  rec: BreakerRecord;
  updatedAt: number;
}

/**
 * Where breakers live, so every replica sees the same state. Times are on the store's clock, so
 * replicas' clocks need not agree. The PostgreSQL store is the real one; tests may give two breaker
 * instances one store to play two replicas.
 */
export interface BreakerStore {
  read(name: string): Promise<StoredBreaker>;
  /**
   * Reads the record under a lock, writes what `change` returns (`undefined`: nothing to write) and
   * gives back the record before and after: two replicas never both claim a probe or lose a count.
   */
  update(
    name: string,
    change: (rec: BreakerRecord | undefined, now: number) => BreakerRecord | undefined,
  ): Promise<{ before: BreakerRecord | undefined; after: BreakerRecord | undefined; now: number }>;
  list(): Promise<StoredBreakerRow[]>;
}
