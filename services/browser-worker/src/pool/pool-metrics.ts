import type { Metrics } from '@xauth/shared';

/** What the pool reports to Prometheus. */
export interface PoolMetrics {
  slotsBusy(n: number): void;
  browsersOpen(n: number): void;
  browserRestarted(reason: 'stale' | 'crashed' | 'recycled'): void;
  orphansKilled(n: number): void;
}

export function poolMetrics(metrics: Metrics, slots: number): PoolMetrics {
  metrics.gauge('xauth_pool_slots_total', 'Profiles this worker may hold open at once').set(slots);
  const busy = metrics.gauge('xauth_pool_slots_busy', 'Profiles held by a job right now');
  const open = metrics.gauge('xauth_pool_browsers_open', 'Profile browsers open right now, busy or kept warm');
  const restarts = metrics.counter('xauth_pool_browser_restarts_total', 'Browsers closed and started again: a stale run found at start, a crash, a recycle after BROWSER_RECYCLE_AFTER_JOBS', ['reason']);
  const orphans = metrics.counter('xauth_pool_orphans_killed_total', 'Browsers that did not end when asked (or were left by a dead worker) and were killed with their process tree');
  busy.set(0);
  open.set(0);
  return {
    slotsBusy: (n) => busy.set(n),
    browsersOpen: (n) => open.set(n),
    browserRestarted: (reason) => restarts.inc({ reason }),
    orphansKilled: (n) => { if (n > 0) orphans.inc(n); },
  };
}
