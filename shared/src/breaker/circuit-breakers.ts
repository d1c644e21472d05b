import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { STATE_VALUE, type BreakerPolicy, type BreakerState } from './breaker.rule.js';
import type { BreakerStore } from './breaker.store.js';
import { CircuitBreaker } from './circuit-breaker.js';

/** One breaker as `/ready`, the internal API and the console show it. */
export interface BreakerView {
  name: string;
  state: BreakerState;
  failures: number;
  /** While open: how long until a probe may go (ms). */
  openForMs?: number;
  /** The current open window (ms). */
  openMs: number;
  lastError?: string;
  updatedAt: string;
}

export interface CircuitBreakersOptions {
  store: BreakerStore;
  policy: BreakerPolicy;
  cacheMs?: number;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * A service's breakers, created on first use by name (`gologin:<token id>`, `x-web`,
 * `x-token:<app>`), over one store. Exports `xauth_circuit_breaker_state{breaker}` (0 closed,
 * 1 half-open, 2 open; read from the store at each scrape, so every replica reports the shared
 * state) and `xauth_circuit_breaker_transitions_total{breaker,to}` (counted by the replica that
 * made the transition).
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly onTransition?: (name: string, to: BreakerState) => void;
  private readonly onState?: (name: string, state: BreakerState) => void;

  constructor(private readonly o: CircuitBreakersOptions) {
    if (o.metrics) {
      const transitions = o.metrics.counter('xauth_circuit_breaker_transitions_total', 'Circuit breaker transitions, by breaker and the state entered', [
        'breaker',
        'to',
      ]);
      const gauge = o.metrics.gauge('xauth_circuit_breaker_state', 'Circuit breaker state by breaker: 0 closed, 1 half-open, 2 open', ['breaker']);
      this.onTransition = (name, to) => transitions.inc({ breaker: name, to });
      this.onState = (name, state) => gauge.set({ breaker: name }, STATE_VALUE[state]);
      Object.assign(gauge, {
        collect: () =>
          this.list().then(
            () => undefined,
            () => undefined,
          ),
      });
    }
  }

  /** The breaker of one dependency; `dependency` names it in errors ("GoLogin", "X token endpoint (app a)"). */
  get(name: string, dependency: string): CircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      b = new CircuitBreaker(name, {
        store: this.o.store,
        policy: this.o.policy,
        cacheMs: this.o.cacheMs,
        dependency,
        logger: this.o.logger,
        onTransition: this.onTransition,
        onState: this.onState,
      });
      this.breakers.set(name, b);
    }
    return b;
  }

  /** Every breaker the store knows (every replica's), as the shared state says now. */
  async list(): Promise<BreakerView[]> {
    const rows = await this.o.store.list();
    return rows.map(({ name, rec, now, updatedAt }) => {
      this.onState?.(name, rec.state);
      return {
        name,
        state: rec.state,
        failures: rec.failures,
        openMs: rec.openMs || this.o.policy.openMs,
        ...(rec.state === 'open' ? { openForMs: Math.max(0, Math.round(rec.openedUntil - now)) } : {}),
        ...(rec.lastError ? { lastError: rec.lastError } : {}),
        updatedAt: new Date(updatedAt).toISOString(),
      };
    });
  }

  /** For `/ready`'s details: the breakers, or why they could not be read (never a reason to be unready). */
  async details(): Promise<{ breakers: BreakerView[] } | { breakersError: string }> {
    try {
      return { breakers: await this.list() };
    } catch (err) {
      return { breakersError: errorMessage(err) };
    }
  }
}

/** The breaker policy `breakerConfig` describes. */
export function breakerPolicy(c: {
  BREAKER_FAILURE_THRESHOLD: number;
  BREAKER_OPEN_MS: number;
  BREAKER_MAX_OPEN_MS: number;
  BREAKER_PROBE_LEASE_MS: number;
}): BreakerPolicy {
  return {
    failureThreshold: c.BREAKER_FAILURE_THRESHOLD,
    openMs: c.BREAKER_OPEN_MS,
    maxOpenMs: Math.max(c.BREAKER_OPEN_MS, c.BREAKER_MAX_OPEN_MS),
    probeLeaseMs: c.BREAKER_PROBE_LEASE_MS,
  };
}
