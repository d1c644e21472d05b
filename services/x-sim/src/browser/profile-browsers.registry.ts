import { setTimeout as sleep } from 'node:timers/promises';
import type { SimProfile } from '../domain/sim-users.store.js';
import type { SimStatsStore } from '../domain/sim-stats.store.js';
import type { SimLogger } from '../options.js';
import { killChromium, killChromiumSync, launchChromium, signalGroup, type LaunchedChromium } from '@xauth/shared/chromium';
import { LaunchQueue } from './launch-queue.js';
import { seedSessionCookie } from './session-cookie.seeder.js';

export class ProfileAlreadyRunningError extends Error {
  constructor(readonly profileId: string) {
    super('Profile is already running');
  }
}

export interface RunningBrowser {
  profileId: string;
  pid: number;
  wsUrl: string;
  userDataDir: string;
}

export interface ProfileBrowsersDeps {
  chromiumPath: string;
  stats: SimStatsStore;
  logger: SimLogger;
  /** Host the session cookie is set for; known only once the server listens. */
  cookieDomain: () => string;
  /** Chromium launches run at most this many at a time; further starts wait their turn. */
  launchConcurrency: number;
}

type Entry = { status: 'starting'; ready: Promise<unknown> } | { status: 'running'; chromium: LaunchedChromium };

/**
 * Only a broken Chromium takes this long: a slow machine must make starts slower, never make them
 * fail, since the real GoLogin would not fail them. Time waiting in the launch queue is not counted.
 */
const LAUNCH_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 2_000;

/** One real Chromium per started GoLogin profile. */
export class ProfileBrowsers {
  private readonly entries = new Map<string, Entry>();
  /** Set by stopAll: a start still waiting in a slow request must not launch after the sweep. */
  private closing = false;
  private readonly launches: LaunchQueue;

  constructor(private readonly deps: ProfileBrowsersDeps) {
    this.launches = new LaunchQueue(deps.launchConcurrency);
  }

  /**
   * Marks the profile as starting synchronously, so a concurrent second start is rejected too.
   * With `delayMs` the browser comes up only that much later (a GoLogin start that is "pending").
   */
  async start(profile: SimProfile, opts: { delayMs?: number } = {}): Promise<RunningBrowser> {
    if (this.closing) throw new Error('x-sim is stopping');
    if (this.entries.has(profile.id)) throw new ProfileAlreadyRunningError(profile.id);
    const ready = opts.delayMs ? sleep(opts.delayMs).then(() => this.launch(profile)) : this.launch(profile);
    this.entries.set(profile.id, { status: 'starting', ready });
    try {
      const chromium = await ready;
      this.entries.set(profile.id, { status: 'running', chromium });
      this.deps.stats.profileOpened(profile.id);
      void chromium.closed.then(() => this.onClosed(profile.id, chromium));
      return toRunning(profile.id, chromium);
    } catch (err) {
      this.entries.delete(profile.id);
      throw err;
    }
  }

  async stop(profileId: string): Promise<void> {
    const entry = this.entries.get(profileId);
    if (entry?.status === 'starting') await entry.ready.catch(() => undefined);
    const current = this.entries.get(profileId);
    if (current?.status === 'running') await killChromium(current.chromium, STOP_GRACE_MS);
  }

  /** Simulates a browser crash: no goodbye, the profile just stops. */
  crash(profileId: string): void {
    const entry = this.entries.get(profileId);
    if (entry?.status === 'running') signalGroup(entry.chromium.pid, 'SIGKILL');
  }

  isRunning(profileId: string): boolean {
    return this.entries.has(profileId);
  }

  /** Starts not yet running: pending, waiting for a launch slot, or launching. */
  startsInFlight(): number {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.status === 'starting') n += 1;
    return n;
  }

  /** What GoLogin's status call answers: pending while starting, running with its wsUrl, else stopped. */
  statusOf(profileId: string): { status: 'pending' | 'running' | 'stopped'; wsUrl?: string } {
    const entry = this.entries.get(profileId);
    if (!entry) return { status: 'stopped' };
    return entry.status === 'starting' ? { status: 'pending' } : { status: 'running', wsUrl: entry.chromium.wsUrl };
  }

  running(): RunningBrowser[] {
    return [...this.entries].flatMap(([id, e]) => (e.status === 'running' ? [toRunning(id, e.chromium)] : []));
  }

  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.entries.keys()].map((id) => this.stop(id)));
  }

  /** Last resort on process exit, when no promise will ever settle again. */
  killAllSync(): void {
    for (const entry of this.entries.values()) if (entry.status === 'running') killChromiumSync(entry.chromium);
  }

  private launch(profile: SimProfile): Promise<LaunchedChromium> {
    return this.launches.run(async () => {
      if (this.closing) throw new Error('x-sim is stopping');
      this.deps.stats.launchBegan();
      try {
        const chromium = await launchChromium({ chromiumPath: this.deps.chromiumPath, timeoutMs: LAUNCH_TIMEOUT_MS, logger: this.deps.logger });
        try {
          await seedSessionCookie(chromium.wsUrl, this.deps.cookieDomain(), profile.sessionToken, LAUNCH_TIMEOUT_MS);
          return chromium;
        } catch (err) {
          await killChromium(chromium, 0);
          throw err;
        }
      } finally {
        this.deps.stats.launchEnded();
      }
    });
  }

  /** Single place a profile becomes stopped, whether it was stopped, crashed or exited on its own. */
  private onClosed(profileId: string, chromium: LaunchedChromium): void {
    const entry = this.entries.get(profileId);
    if (entry?.status === 'running' && entry.chromium === chromium) this.entries.delete(profileId);
    this.deps.stats.profileClosed();
    this.deps.logger.info('profile browser closed', { profileId, pid: chromium.pid });
  }
}

const toRunning = (profileId: string, c: LaunchedChromium): RunningBrowser => ({
  profileId,
  pid: c.pid,
  wsUrl: c.wsUrl,
  userDataDir: c.userDataDir,
});
