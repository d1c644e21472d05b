import type { Metrics } from '@xauth/shared';
import type { ConcurrencyMetrics } from './concurrency-controller.js';

/** What the pool reports to Prometheus. */
export interface PoolMetrics {
  slotsBusy(n: number): void;
  browsersOpen(n: number): void;
  browserRestarted(reason: 'stale' | 'crashed' | 'recycled'): void;
  orphansKilled(n: number): void;
}

export function poolMetrics(metrics: Metrics, slots: number): PoolMetrics {
  metrics
    .gauge(
      'xauth_pool_slots_total',
      'Profiles this worker may ever hold open at once, closing ones included: MAX_CONCURRENT_PROFILES, the ceiling of xauth_pool_concurrency',
    )
    .set(slots);
  const busy = metrics.gauge('xauth_pool_slots_busy', 'Profiles held by a job right now');
  const open = metrics.gauge('xauth_pool_browsers_open', 'Profile browsers open right now, busy or kept warm');
  const restarts = metrics.counter(
    'xauth_pool_browser_restarts_total',
    'Browsers closed and started again: a stale run found at start, a crash, a recycle after BROWSER_RECYCLE_AFTER_JOBS',
    ['reason'],
  );
  const orphans = metrics.counter(
    'xauth_pool_orphans_killed_total',
    'Browsers that did not end when asked (or were left by a dead worker) and were killed with their process tree',
  );
  busy.set(0);
  open.set(0);
  return {
    slotsBusy: (n) => busy.set(n),
    browsersOpen: (n) => open.set(n),
    browserRestarted: (reason) => restarts.inc({ reason }),
    orphansKilled: (n) => {
      if (n > 0) orphans.inc(n);
    },
  };
}

/** The adaptive concurrency: where it is, its floor, each change and why, and whether the machine is at its limit. */
export function concurrencyMetrics(metrics: Metrics, min: number): ConcurrencyMetrics {
  metrics.gauge('xauth_pool_concurrency_min', 'MIN_CONCURRENT_PROFILES: the floor of xauth_pool_concurrency').set(min);
  const current = metrics.gauge(
    'xauth_pool_concurrency',
    'Jobs this worker runs at once now (= its prefetch; browsers closing beside them count only against xauth_pool_slots_total), sized from what the machine and the provider take',
  );
  const changes = metrics.counter(
    'xauth_pool_concurrency_changes_total',
    'Changes of xauth_pool_concurrency: direction up (reason start|idle_room|probe|pays) or down (no_gain|measure_below|starts_failing|flows_failing|memory_low|cpu_saturated|loop_lag|starts_slow)',
    ['direction', 'reason'],
  );
  const saturated = metrics.gauge(
    'xauth_pool_saturated',
    '1 when the last sizing found the machine or the provider at their limit (CPU, memory, event loop, slow or failing starts), whether or not the pool could shrink',
  );
  current.set(0);
  saturated.set(0);
  return {
    concurrency: (n) => current.set(n),
    changed: (direction, reason) => changes.inc({ direction, reason }),
    saturated: (yes) => saturated.set(yes ? 1 : 0),
  };
}
