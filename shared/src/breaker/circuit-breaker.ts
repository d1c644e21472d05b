import { ErrorCodes } from '@xauth/contracts';
import { TransientError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactText } from '../redact.js';
import { admit, closedRecord, onFailure, onProbeAbandoned, onSuccess, type BreakerPolicy, type BreakerRecord, type BreakerState } from './breaker.rule.js';
import type { BreakerStore } from './breaker.store.js';

export interface CircuitBreakerOptions {
  store: BreakerStore;
  policy: BreakerPolicy;
  /** How long a closed state read from the store is trusted without asking again. @defaultValue 1000 */
  cacheMs?: number;
  /** Names the dependency in errors and logs, e.g. "GoLogin". */
  dependency: string;
  logger: Logger;
  /** Told of every transition this instance makes (each transition is made by exactly one replica). */
  onTransition?(name: string, to: BreakerState): void;
  /** Told of every state this instance sees. */
  onState?(name: string, state: BreakerState): void;
}

/** The right to call the dependency, from `admit`. A probe that never called must be `abandon`ed. */
export interface BreakerTicket {
  readonly probe: boolean;
  /** The probe did not call the dependency after all: another caller may probe at once. */
  abandon(): Promise<void>;
}

const PASS: BreakerTicket = { probe: false, abandon: async () => undefined };
/** Deferred work comes back this much later at least, so a long outage does not spend MAX_DEFERRALS quickly. */
const MIN_RETRY_AFTER_MS = 1_000;

/**
 * A circuit breaker over one dependency whose state lives in a `BreakerStore` shared by every
 * replica. On the hot path (closed, nothing failing) it asks the store at most once per `cacheMs`
 * and writes nothing; it writes on a failure, on the first success after failures, and to claim or
 * settle the half-open probe. While open, `admit` throws a deferred `CIRCUIT_OPEN` whose
 * `retryAfterMs` reaches past the open window (with jitter, so deferred work does not come back at once).
 * A store that cannot be reached lets calls through: the dependency, not our database, is watched.
 */
export class CircuitBreaker {
  private view?: { rec: BreakerRecord; readAt: number; skew: number };
  private readonly cacheMs: number;

  constructor(
    readonly name: string,
    private readonly o: CircuitBreakerOptions,
  ) {
    this.cacheMs = o.cacheMs ?? 1_000;
  }

  /** Throws `CIRCUIT_OPEN` (transient, deferred) while the breaker is open or another caller probes. */
  async admit(): Promise<BreakerTicket> {
    const local = Date.now();
    const v = this.view;
    if (v?.rec.state === 'closed' && local - v.readAt < this.cacheMs) return PASS;
    if (v?.rec.state === 'open' && local + v.skew < v.rec.openedUntil) throw this.openError(v.rec, v.rec.openedUntil - (local + v.skew));
    try {
      const read = await this.o.store.read(this.name);
      const rec = this.remember(read.rec, read.now);
      const decision = admit(rec, read.now, this.o.policy);
      if (decision.kind === 'pass') return PASS;
      if (decision.kind === 'reject') throw this.openError(rec, decision.waitMs);
      let claimed = false;
      const claim = await this.o.store.update(this.name, (cur, now) => {
        const again = admit(cur ?? closedRecord(this.o.policy), now, this.o.policy);
        if (again.kind !== 'probe') return undefined;
        claimed = true;
        return again.next;
      });
      const after = this.settle(claim);
      if (claimed) {
        this.o.logger.info('circuit breaker half-open: this call probes the dependency', { breaker: this.name, dependency: this.o.dependency });
        return { probe: true, abandon: () => this.abandon() };
      }
      // Another replica claimed the probe (or closed the breaker) between the read and the claim.
      const again = admit(after, claim.now, this.o.policy);
      if (again.kind === 'reject') throw this.openError(after, again.waitMs);
      return PASS;
    } catch (err) {
      if (err instanceof TransientError && err.code === ErrorCodes.CIRCUIT_OPEN) throw err;
      this.o.logger.warn('circuit breaker store unreachable; letting the call through', { breaker: this.name, error: errorMessage(err) });
      return PASS;
    }
  }

  /** A call that worked. Writes only when the last known state had failures or was not closed. */
  async success(): Promise<void> {
    const v = this.view;
    if (v && v.rec.state === 'closed' && v.rec.failures === 0) return;
    await this.change((rec) => onSuccess(rec, this.o.policy));
  }

  /** A call that failed in a way that counts against the dependency; `weight` counts it as several. */
  async failure(err: unknown, weight = 1): Promise<void> {
    const text = redactText(errorMessage(err)).slice(0, 300);
    await this.change((rec, now) => onFailure(rec, now, this.o.policy, text, weight));
  }

  /** Whether a call now would be refused, without claiming the probe (for callers that skip work). */
  async blocks(): Promise<boolean> {
    return (await this.refusal()) !== undefined;
  }

  /**
   * The deferred `CIRCUIT_OPEN` a call now would get, without claiming the probe: a caller whose
   * call just failed against an open breaker defers its work with it instead of spending an attempt.
   */
  async refusal(): Promise<TransientError | undefined> {
    const local = Date.now();
    const v = this.view;
    let rec: BreakerRecord;
    let now: number;
    if (v && local - v.readAt < this.cacheMs) {
      rec = v.rec;
      now = local + v.skew;
    } else {
      try {
        const read = await this.o.store.read(this.name);
        rec = this.remember(read.rec, read.now);
        now = read.now;
      } catch {
        return undefined;
      }
    }
    const decision = admit(rec, now, this.o.policy);
    return decision.kind === 'reject' ? this.openError(rec, decision.waitMs) : undefined;
  }

  private abandon(): Promise<void> {
    return this.change((rec, now) => onProbeAbandoned(rec, now));
  }

  private async change(fn: (rec: BreakerRecord, now: number) => BreakerRecord): Promise<void> {
    try {
      this.settle(
        await this.o.store.update(this.name, (cur, now) => {
          const rec = cur ?? closedRecord(this.o.policy);
          const next = fn(rec, now);
          return same(next, rec) && cur ? undefined : next;
        }),
      );
    } catch (err) {
      this.o.logger.warn('circuit breaker store unreachable; outcome not recorded', { breaker: this.name, error: errorMessage(err) });
    }
  }

  /** Remembers what the store said and reports a transition this instance made. */
  private settle(r: { before: BreakerRecord | undefined; after: BreakerRecord | undefined; now: number }): BreakerRecord {
    const before = r.before ?? closedRecord(this.o.policy);
    const after = this.remember(r.after, r.now);
    if (after.state !== before.state) {
      this.o.onTransition?.(this.name, after.state);
      const fields = {
        breaker: this.name,
        dependency: this.o.dependency,
        failures: after.failures,
        ...(after.state === 'open' ? { openMs: after.openMs, lastError: after.lastError } : {}),
      };
      if (after.state === 'open') this.o.logger.warn('circuit breaker open', fields);
      else this.o.logger.info(`circuit breaker ${after.state.replace('_', '-')}`, fields);
    }
    return after;
  }

  private remember(rec: BreakerRecord | undefined, storeNow: number): BreakerRecord {
    const r = rec ?? closedRecord(this.o.policy);
    this.view = { rec: r, readAt: Date.now(), skew: storeNow - Date.now() };
    this.o.onState?.(this.name, r.state);
    return r;
  }

  private openError(rec: BreakerRecord, waitMs: number): TransientError {
    // Open: come back when the probe is due. Someone probing: come back after a base window (a failed probe opens it again).
    const base = rec.state === 'open' ? waitMs : this.o.policy.openMs;
    const retryAfterMs = Math.max(MIN_RETRY_AFTER_MS, Math.round(base + Math.random() * 0.2 * this.o.policy.openMs));
    return new TransientError({
      code: ErrorCodes.CIRCUIT_OPEN,
      deferred: true,
      retryAfterMs,
      message: `the ${this.o.dependency} circuit breaker (${this.name}) is ${rec.state.replace('_', '-')} after ${rec.failures} failures${rec.lastError ? ` (last: ${rec.lastError})` : ''}; the work is deferred`,
    });
  }
}

function same(a: BreakerRecord, b: BreakerRecord): boolean {
  return (
    a.state === b.state && a.failures === b.failures && a.openedUntil === b.openedUntil && a.openMs === b.openMs && a.probeLeaseUntil === b.probeLeaseUntil
  );
}
