export interface SimStats {
  openProfiles: number;
  maxConcurrentOpen: number;
  startsByProfile: Record<string, number>;
  alreadyRunningRejections: number;
  tokensIssued: number;
  authorizePageViews: number;
  consentsGranted: number;
  /** GoLogin start, status and stop requests received (answered or faulted; the profile listing is not counted). */
  gologinProfileCalls: number;
}

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

  snapshot(): SimStats {
    return {
      openProfiles: this.openProfiles,
      maxConcurrentOpen: this.maxConcurrentOpen,
      startsByProfile: { ...this.startsByProfile },
      alreadyRunningRejections: this.alreadyRunningRejections,
      tokensIssued: this.tokensIssued,
      authorizePageViews: this.authorizePageViews,
      consentsGranted: this.consentsGranted,
      gologinProfileCalls: this.gologinProfileCalls,
    };
  }

  /** Open profiles are live state, not counters: they survive a reset and seed the new maximum. */
  reset(): void {
    this.maxConcurrentOpen = this.openProfiles;
    this.startsByProfile = {};
    this.alreadyRunningRejections = 0;
    this.tokensIssued = 0;
    this.authorizePageViews = 0;
    this.consentsGranted = 0;
    this.gologinProfileCalls = 0;
  }
}
