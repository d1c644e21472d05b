import type { Keyring, Logger } from '@xauth/shared';
import type { XApp } from '../config.js';
import type { Store } from '../data-access/store.js';
import type { ProfileDirectoryPort, XOAuthPort } from './ports.js';

/** What the use cases need, handed in once at start. */
export interface OrchestratorDeps {
  store: Store;
  keyring: Keyring;
  x: XOAuthPort;
  profiles: ProfileDirectoryPort;
  logger: Logger;
  apps: readonly XApp[];
  /** Re-reads the profile directory now, if it was not read very recently. */
  syncProfilesOnDemand(): Promise<void>;
  settings: {
    defaultApp: string;
    defaultScopes: string;
    authorizeUrl: string;
    jobTtlMs: number;
    tokenValidityMarginMs: number;
    refreshAheadMs: number;
    refreshBatch: number;
    refreshConcurrency: number;
    autoReauthorize: boolean;
    /** "Request failed logins again": jobs one request acts on at most, and reopens per second. */
    relogin: { batchLimit: number; ratePerSecond: number };
  };
}
