/** The three states of a circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What a breaker remembers (shared by every replica through its store). Times are epoch ms on the store's clock. */
export interface BreakerRecord {
  state: BreakerState;
  /** Consecutive failures counted while closed (a weighted answer counts several). */
  failures: number;
  /** While open: when one caller may probe. */
  openedUntil: number;
  /** The current open window; doubles after each failed probe, up to `maxOpenMs`. */
  openMs: number;
  /** While half-open: the prober's claim runs out then, and another caller may probe (a crashed prober does not wedge it). */
  probeLeaseUntil: number;
  /** Short, secret-free text of the failure that last counted. */
  lastError?: string;
}

export interface BreakerPolicy {
  /** Consecutive failures that open the breaker. @defaultValue 5 */
  failureThreshold: number;
  /** The first open window. @defaultValue 30000 */
  openMs: number;
  /** The longest open window (after failed probes). @defaultValue 300000 */
  maxOpenMs: number;
  /** How long one half-open probe may take before another caller may probe. @defaultValue 60000 */
  probeLeaseMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { failureThreshold: 5, openMs: 30_000, maxOpenMs: 300_000, probeLeaseMs: 60_000 };

export const closedRecord = (policy: BreakerPolicy): BreakerRecord => ({
  state: 'closed',
  failures: 0,
  openedUntil: 0,
  openMs: policy.openMs,
  probeLeaseUntil: 0,
});

/** Whether a call may go through now: freely (closed), as the one probe (half-open, claimed), or not at all. */
export type Admission = { kind: 'pass' } | { kind: 'probe'; next: BreakerRecord } | { kind: 'reject'; waitMs: number };

/**
 * Closed: pass. Open until `openedUntil`: reject; past it the first caller claims the probe (half-open
 * with a lease). Half-open: reject while the lease runs, then the next caller probes.
 */
export function admit(rec: BreakerRecord, now: number, policy: BreakerPolicy): Admission {
  if (rec.state === 'closed') return { kind: 'pass' };
  if (rec.state === 'open' && now < rec.openedUntil) return { kind: 'reject', waitMs: rec.openedUntil - now };
  if (rec.state === 'half_open' && now < rec.probeLeaseUntil) return { kind: 'reject', waitMs: rec.probeLeaseUntil - now };
  return { kind: 'probe', next: { ...rec, state: 'half_open', probeLeaseUntil: now + policy.probeLeaseMs } };
}

/**
 * A failure that counts (`weight` failures at once). Closed: counted, and the breaker opens at the
 * threshold. Half-open: the probe failed, so it opens again for twice as long (capped). Open: a call
 * that started before it opened; nothing changes but the count.
 */
export function onFailure(rec: BreakerRecord, now: number, policy: BreakerPolicy, lastError: string, weight = 1): BreakerRecord {
  const failures = rec.failures + Math.max(1, weight);
  if (rec.state === 'half_open') {
    const openMs = Math.min(policy.maxOpenMs, Math.max(policy.openMs, rec.openMs * 2));
    return { state: 'open', failures, openMs, openedUntil: now + openMs, probeLeaseUntil: 0, lastError };
  }
  if (rec.state === 'closed' && failures >= policy.failureThreshold) {
    return { state: 'open', failures, openMs: policy.openMs, openedUntil: now + policy.openMs, probeLeaseUntil: 0, lastError };
  }
  return { ...rec, failures, lastError };
}

/** A success. Half-open: the probe worked, the breaker closes. Closed: the count starts again. Open: a straggler; nothing changes. */
export function onSuccess(rec: BreakerRecord, policy: BreakerPolicy): BreakerRecord {
  if (rec.state === 'open') return rec;
  if (rec.state === 'half_open') return closedRecord(policy);
  return rec.failures === 0 ? rec : { ...rec, failures: 0 };
}

/** A claimed probe that never called the dependency (the job stopped for another reason): the next caller may probe at once. */
export function onProbeAbandoned(rec: BreakerRecord, now: number): BreakerRecord {
  return rec.state === 'half_open' ? { ...rec, probeLeaseUntil: Math.min(rec.probeLeaseUntil, now) } : rec;
}

/** The breaker state as a number for Prometheus: 0 closed, 1 half-open, 2 open. */
export const STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };
