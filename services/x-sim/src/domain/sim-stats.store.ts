import { OUTAGE_TARGETS, type OutageTarget } from './outages.store.js';

export interface SimStats {
  openProfiles: number;
  maxConcurrentOpen: number;
  /** Most Chromium launches that ran at the same time (bounded by the launch concurrency). */
  maxConcurrentLaunches: number;
  startsByProfile: Record<string, number>;
  alreadyRunningRejections: number;
  tokensIssued: number;
  authorizePageViews: number;
  consentsGranted: number;
  /** GoLogin start, status and stop requests received (answered or faulted; the profile listing is not counted). */
  gologinProfileCalls: number;
  /** GoLogin starts refused with 503 by the overload scenario. */
  overloadRejections: number;
  /** GoLogin starts slowed down by the overload scenario. */
  overloadDelays: number;
  /** Requests refused (503 or dropped) by an outage, per target. */
  outageRefusals: Record<OutageTarget, number>;
  /** Refreshes presented with a refresh token X had already rotated: one refresh token spent twice. */
  refreshDoubleSpends: number;
}

const noRefusals = (): Record<OutageTarget, number> => Object.fromEntries(OUTAGE_TARGETS.map((t) => [t, 0])) as Record<OutageTarget, number>;

/** Counters tests and operators read to check what the system under test did to X and GoLogin. */
export class SimStatsStore {
  private openProfiles = 0;
  private maxConcurrentOpen = 0;
  private startsByProfile: Record<string, number> = {};
  private alreadyRunningRejections = 0;
  private tokensIssued = 0;
  private authorizePageViews = 0;
  private consentsGranted = 0;
  private gologinProfileCalls = 0;
  private launches = 0;
  private maxConcurrentLaunches = 0;
  private overloadRejections = 0;
  private overloadDelays = 0;
  private outageRefusals = noRefusals();

  profileOpened(profileId: string): void {
    this.openProfiles += 1;
    this.maxConcurrentOpen = Math.max(this.maxConcurrentOpen, this.openProfiles);
    this.startsByProfile[profileId] = (this.startsByProfile[profileId] ?? 0) + 1;
  }

  profileClosed(): void {
    this.openProfiles = Math.max(0, this.openProfiles - 1);
  }

  alreadyRunningRejected(): void {
    this.alreadyRunningRejections += 1;
  }

  tokenIssued(): void {
    this.tokensIssued += 1;
  }

  authorizePageViewed(): void {
    this.authorizePageViews += 1;
  }

  gologinProfileCalled(): void {
    this.gologinProfileCalls += 1;
  }

  consentGranted(): void {
    this.consentsGranted += 1;
  }

  launchBegan(): void {
    this.launches += 1;
    this.maxConcurrentLaunches = Math.max(this.maxConcurrentLaunches, this.launches);
  }

  launchEnded(): void {
    this.launches = Math.max(0, this.launches - 1);
  }

  overloadRejected(): void {
    this.overloadRejections += 1;
  }

  overloadDelayed(): void {
    this.overloadDelays += 1;
  }

  outageRefused(target: OutageTarget): void {
    this.outageRefusals[target] += 1;
  }

  snapshot(): Omit<SimStats, 'refreshDoubleSpends'> {
    return {
      openProfiles: this.openProfiles,
      maxConcurrentOpen: this.maxConcurrentOpen,
      maxConcurrentLaunches: this.maxConcurrentLaunches,
      startsByProfile: { ...this.startsByProfile },
      alreadyRunningRejections: this.alreadyRunningRejections,
      tokensIssued: this.tokensIssued,
      authorizePageViews: this.authorizePageViews,
      consentsGranted: this.consentsGranted,
      gologinProfileCalls: this.gologinProfileCalls,
      overloadRejections: this.overloadRejections,
      overloadDelays: this.overloadDelays,
      outageRefusals: { ...this.outageRefusals },
    };
  }

  /** Open profiles and running launches are live state, not counters: they survive a reset and seed the new maxima. */
  reset(): void {
    this.maxConcurrentOpen = this.openProfiles;
    this.maxConcurrentLaunches = this.launches;
    this.startsByProfile = {};
    this.alreadyRunningRejections = 0;
    this.tokensIssued = 0;
    this.authorizePageViews = 0;
    this.consentsGranted = 0;
    this.gologinProfileCalls = 0;
    this.overloadRejections = 0;
    this.overloadDelays = 0;
    this.outageRefusals = noRefusals();
  }
}
