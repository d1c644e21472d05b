import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, TransientError, inSpan, type Logger } from '@xauth/shared';
import type { OpenProfile, ProfileLease, ProfilePool, ProfileProvider } from '../domain/ports.js';
import { BrowserCloser } from './browser-closer.js';
import type { PoolMetrics } from './pool-metrics.js';
import type { ProfileLock, ProfileLocks } from './profile-locks.js';

export interface BrowserPoolOptions {
  provider: ProfileProvider;
  locks: ProfileLocks;
  metrics: PoolMetrics;
  logger: Logger;
  /**
   * The ceiling: browsers open at once in this worker, busy, warm, starting or closing (GoLogin counts
   * a profile running until its stop has ended). The level (`setLevel`) is at most this.
   */
  maxOpen: number;
  /** How long a polite close may take before the process tree is killed. */
  closeTimeoutMs: number;
  /** 0: close after each job. */
  keepAliveMs: number;
  /** 0: no limit. */
  recycleAfterJobs: number;
  /** Told every profile start (how long, whether it worked) and how many jobs hold or acquire a slot. */
  observer?: PoolObserver;
}

export interface PoolObserver {
  startEnded(ms: number, ok: boolean): void;
  busyNow(n: number): void;
  /**
   * A job gave up its place `ms` after it asked for it: at its release when its consent was captured
   * (the job is acked then and its browser closes beside the next job), after its browser is gone
   * when it failed (its job waits for the close). A wait for the room under the ceiling is in it.
   */
  cycleEnded(ms: number): void;
}

interface Entry {
  open: OpenProfile;
  lock: ProfileLock;
  jobs: number;
  busy: boolean;
  /** When the job now holding it asked for its place (its acquire, or the warm browser's lease). */
  placedAt: number;
  idleTimer?: NodeJS.Timeout;
  idleSince?: number;
}

/**
 * The profiles this worker holds. A job acquires its profile: the profile's advisory lock first
 * (PROFILE_BUSY when held in any replica), then a browser (a warm one of the same profile, or a
 * fresh start). Release closes the browser within a bound, kills its process tree if it will not
 * end, and only then frees the lock.
 */
export class BrowserPool implements ProfilePool {
  private readonly entries = new Map<string, Entry>();
  private closing = false;
  /** Jobs between acquire and release, starting browsers included. */
  private inUse = 0;
  /**
   * Browsers on their way out: released jobs' (their tidying up, then the close) and closes under
   * way. A job need not wait for them; a new start waits for the room they hold, shutdown for all.
   */
  private readonly leaving = new Set<Promise<void>>();
  /** Browsers no longer in `entries` whose close has not ended: GoLogin still counts them running. */
  private closingCount = 0;
  /** Browsers being started: not in `entries` yet, but GoLogin (and the machine) already carry them. */
  private starting = 0;

  private readonly closer: BrowserCloser;
  /**
   * How many browsers the pool keeps open for work: the jobs in flight (the consumer's prefetch follows
   * the same level) and warm ones. Browsers on their way out may pass it, up to the ceiling.
   */
  private level: number;

  constructor(private readonly o: BrowserPoolOptions) {
    this.closer = new BrowserCloser(o.provider, o.metrics, o.logger, o.closeTimeoutMs);
    this.level = o.maxOpen;
  }

  /**
   * The concurrency controller moves it (at most the ceiling); a lower level closes warm browsers as
   * new ones need room. Below the ceiling, a new start need not wait for the last job's browser to
   * close: the room the ceiling leaves holds it while it does.
   */
  setLevel(n: number): void {
    this.level = Math.min(n, this.o.maxOpen);
  }

  async acquire(profileId: string): Promise<ProfileLease> {
    if (this.closing) throw new TransientError({ code: ErrorCodes.PROFILE_BUSY, message: 'this worker is shutting down', deferred: true });
    const askedAt = performance.now();
    this.using(1);
    try {
      return await this.acquireSlot(profileId, askedAt);
    } catch (err) {
      this.using(-1);
      throw err;
    }
  }

  private using(delta: number): void {
    this.inUse += delta;
    this.o.observer?.busyNow(this.inUse);
  }

  private async acquireSlot(profileId: string, askedAt: number): Promise<ProfileLease> {
    const warm = this.entries.get(profileId);
    if (warm?.busy) throw busy(profileId, 'in this worker');
    if (warm) return this.lease(this.take(warm), true);
    const lock = await inSpan('profile lock', {}, () => this.o.locks.tryLock(profileId));
    if (!lock) throw busy(profileId, 'in another job (lock held)');
    // A raced second acquire of the same profile in this worker fails on the lock above.
    try {
      await inSpan('pool wait for room', {}, () => this.makeRoom());
      // Counted from the moment makeRoom gave the room (no await between), so starts made together never pass the bound.
      this.starting += 1;
      let open: OpenProfile;
      try {
        open = await inSpan('profile start', {}, () => this.timedStart(profileId));
      } finally {
        this.starting -= 1;
      }
      const entry: Entry = { open, lock, jobs: 0, busy: false, placedAt: askedAt };
      this.entries.set(profileId, entry);
      return this.lease(this.take(entry), false);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * Kills browsers a dead worker left on this host (the provider can tell for local profiles),
   * each only once its lock is ours: a live replica's browsers keep their locks and are left alone.
   */
  async sweepStrays(): Promise<number> {
    let killed = 0;
    for (const profileId of await this.o.provider.strays()) {
      if (this.entries.has(profileId)) continue;
      const lock = await this.o.locks.tryLock(profileId);
      if (!lock) continue;
      try {
        killed += await this.o.provider.reapStale(profileId);
      } finally {
        await lock.release();
      }
    }
    this.o.metrics.orphansKilled(killed);
    return killed;
  }

  /** Closes every browser and frees every lock (SIGTERM drain), releases still closing included. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...[...this.entries.values()].map((e) => this.close(e)), ...this.leaving]);
  }

  private take(entry: Entry): Entry {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.idleSince = undefined;
    entry.busy = true;
    entry.jobs += 1;
    if (entry.jobs > 1) entry.placedAt = performance.now();
    this.report();
    return entry;
  }

  private lease(entry: Entry, reused: boolean): ProfileLease {
    let done = false;
    return {
      profileId: entry.open.profileId,
      wsUrl: entry.open.wsUrl,
      reused,
      release: async ({ reusable, crashed, after }) => {
        if (done) return;
        done = true;
        this.using(-1);
        const giveBack = () => this.o.observer?.cycleEnded(performance.now() - entry.placedAt);
        // A captured job gives its place back now (it is acked while its browser is tidied and closed); a failed one once its browser is gone.
        if (reusable) giveBack();
        await this.track(
          (async () => {
            const recycle = this.o.recycleAfterJobs > 0 && entry.jobs >= this.o.recycleAfterJobs;
            const keep = () => reusable && !recycle && !this.closing && this.o.keepAliveMs > 0;
            // The job's own tidying up ends before the browser is kept or closed.
            await after?.(keep());
            entry.busy = false;
            if (keep()) return this.keepWarm(entry);
            if (crashed) this.o.metrics.browserRestarted('crashed');
            else if (recycle && this.o.keepAliveMs > 0) this.o.metrics.browserRestarted('recycled');
            await this.close(entry);
            if (!reusable) giveBack();
          })(),
        );
      },
    };
  }

  private async track(leaving: Promise<void>): Promise<void> {
    this.leaving.add(leaving);
    try {
      await leaving;
    } finally {
      this.leaving.delete(leaving);
    }
  }

  private keepWarm(entry: Entry): void {
    entry.idleSince = Date.now();
    entry.idleTimer = setTimeout(() => void this.close(entry), this.o.keepAliveMs);
    entry.idleTimer.unref();
    this.report();
  }

  /**
   * A new browser needs a place. Warm browsers keep none beyond the level: the one idle longest gives
   * up its own. A browser on its way out still holds one under the ceiling (GoLogin counts it running
   * until it stops), so at the ceiling one leaving is waited for; below it, the start overlaps the
   * close. Browsers still starting hold a place too. Only busy or starting browsers left at the
   * ceiling means jobs in flight passed it (they follow the level): the start goes on.
   */
  private async makeRoom(): Promise<void> {
    for (;;) {
      const kept = this.entries.size + this.starting;
      const open = kept + this.closingCount;
      const idle = [...this.entries.values()].filter((e) => !e.busy).sort((a, b) => a.idleSince! - b.idleSince!)[0];
      if (idle && (kept >= this.level || open >= this.o.maxOpen)) await this.close(idle);
      else if (open < this.o.maxOpen) return;
      else if (this.leaving.size) await Promise.race(this.leaving);
      else return;
    }
  }

  private async timedStart(profileId: string): Promise<OpenProfile> {
    const started = performance.now();
    try {
      const open = await this.startFresh(profileId);
      this.o.observer?.startEnded(performance.now() - started, true);
      return open;
    } catch (err) {
      this.o.observer?.startEnded(performance.now() - started, false);
      throw err;
    }
  }

  /** Holding the lock, a run GoLogin still reports is nobody's: a dead worker's. Stop it and start again, once. */
  private async startFresh(profileId: string): Promise<OpenProfile> {
    try {
      return await this.o.provider.start(profileId);
    } catch (err) {
      if (!(err instanceof AppError && err.code === ErrorCodes.PROFILE_BUSY)) throw err;
      this.o.logger.warn('profile already running while nobody holds its lock: stopping the stale run', { profileId });
      this.o.metrics.browserRestarted('stale');
      if (!(await this.closer.stopPolitely(profileId))) this.o.metrics.orphansKilled(await this.o.provider.reapStale(profileId));
      return this.startAfterStale(profileId);
    }
  }

  /** The provider may need a moment to notice the stale run has ended: a few tries, then PROFILE_BUSY. */
  private async startAfterStale(profileId: string): Promise<OpenProfile> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.o.provider.start(profileId);
      } catch (err) {
        if (!(err instanceof AppError && err.code === ErrorCodes.PROFILE_BUSY) || attempt >= STALE_START_TRIES) throw err;
        await sleep(STALE_START_BACKOFF_MS * attempt);
      }
    }
  }

  private async close(entry: Entry): Promise<void> {
    if (this.entries.get(entry.open.profileId) !== entry) return;
    this.entries.delete(entry.open.profileId);
    clearTimeout(entry.idleTimer);
    this.closingCount += 1;
    try {
      await this.closer.close(entry.open);
    } finally {
      this.closingCount -= 1;
      await entry.lock.release();
      this.report();
    }
  }

  private report(): void {
    const all = [...this.entries.values()];
    this.o.metrics.slotsBusy(all.filter((e) => e.busy).length);
    this.o.metrics.browsersOpen(all.length);
  }
}

const STALE_START_TRIES = 4;
const STALE_START_BACKOFF_MS = 250;

/** Nothing was tried: the job waits for the profile without spending one of its attempts. */
const busy = (profileId: string, where: string): TransientError =>
  new TransientError({ code: ErrorCodes.PROFILE_BUSY, message: `profile ${profileId} is busy ${where}`, deferred: true });
