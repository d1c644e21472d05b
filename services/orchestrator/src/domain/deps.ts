import type { Keyring, Logger } from '@xauth/shared';
import type { CampaignsPort, EncryptedRowsPort, OrchestratorStore, ProfileDirectoryPort, XOAuthPort } from './ports.js';
import type { XApp } from './model.js';
import type { AppPauses, BackoffPolicy } from './refresh-failure.rule.js';

/** What the use cases need, handed in once at start. */
export interface OrchestratorDeps {
  store: OrchestratorStore;
  campaigns: CampaignsPort;
  /** Every stored ciphertext, for re-encryption under the active key. */
  encryptedRows: EncryptedRowsPort;
  keyring: Keyring;
  x: XOAuthPort;
  profiles: ProfileDirectoryPort;
  logger: Logger;
  apps: readonly XApp[];
  /** Apps whose refreshes wait (a 429's reset, refused credentials), in this replica's memory. */
  appPauses: AppPauses;
  /** The dependencies' circuit breakers, as far as the use cases ask (absent: nothing is ever skipped). */
  breakers?: {
    /** Whether the app's token-endpoint breaker refuses calls now (the refresher leaves that app's tokens alone). */
    tokenEndpointBlocked(app: string): Promise<boolean>;
  };
  /**
   * Re-reads the profile directory for a login whose account no known profile maps to (not if it was
   * read very recently); false when that sync was still under way after its wait.
   */
  syncProfilesOnDemand(): Promise<boolean>;
  settings: {
    defaultApp: string;
    defaultScopes: string;
    authorizeUrl: string;
    jobTtlMs: number;
    /** X_HTTP_TIMEOUT_MS: a claimed consent exchange is left to its holder for three of these. */
    xHttpTimeoutMs: number;
    tokenValidityMarginMs: number;
    refreshAheadMs: number;
    refreshBatch: number;
    refreshConcurrency: number;
    autoReauthorize: boolean;
    /** An in-flight marker older than this is a refresh whose replica died: its outcome is unknown. */
    refreshLeaseMs: number;
    refreshBackoff: BackoffPolicy;
    /** Dead tokens one recheck call tries at most. */
    recheckLimit: number;
    /** "Request failed logins again": jobs one request acts on at most, and reopens per second. */
    relogin: { batchLimit: number; ratePerSecond: number };
    /** Login campaigns: the pace (and its ceiling), the bound on requests in flight, items per transaction, the runner's period. */
    campaigns: { ratePerSecond: number; maxInFlight: number; batch: number; intervalMs: number };
    /** Rows one re-encryption request rewrites at most. */
    reencryptLimit: number;
  };
}
