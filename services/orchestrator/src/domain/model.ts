import type { CampaignSelection, CampaignStatus, JobStatus } from '@xauth/contracts';

/** Plain shapes the use cases work with; the database's entities never reach the domain. */
export interface Job {
  jobId: string;
  accountId: string;
  app: string;
  profileId: string;
  scopes: string;
  status: JobStatus;
  attempt: number;
  redirectUri: string;
  stateEnc: string;
  verifierEnc: string;
  pendingTokensEnc: string | null;
  deadline: Date;
  errorCode: string | null;
  errorMessage: string | null;
  /** Names of what the last failed browser attempt kept (see `ArtifactName`). */
  artifacts: string[];
  /** When a copy of the captured consent claimed the code exchange (null: nobody did since the job (re)opened). */
  exchangeStartedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One of our X apps (`X_APPS`): the OAuth client a job and its tokens belong to. */
export interface XApp {
  name: string;
  clientId: string;
  /** Absent: a public client (PKCE only, no client authentication). */
  clientSecret?: string;
  redirectUri: string;
}

export interface LoginRequest {
  requestId: string;
  accountId: string;
  app: string;
  jobId: string | null;
  replyTo: string | null;
  correlationId: string;
}

export interface StoredToken {
  accountId: string;
  app: string;
  xUserId: string;
  accessTokenEnc: string;
  refreshTokenEnc: string | null;
  scopes: string;
  expiresAt: Date;
  /** `outcome_unknown`: a refresh was sent and its answer lost; the refresh token is never spent blindly again. */
  status: 'active' | 'dead' | 'outcome_unknown';
  version: number;
  /** A failing token is not tried again by the refresher before this. */
  nextAttemptAt: Date | null;
  /** Failed refreshes in a row. */
  failures: number;
  lastErrorCode: string | null;
  /** Set (and committed) before X is called, cleared when the outcome is recorded. */
  refreshStartedAt: Date | null;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  scope: string;
}

export interface ProfileLink {
  profileId: string;
  accountId: string;
}

/** Which failed jobs an operator asks about (times bound when the job ended). */
export interface FailedJobFilter {
  errorCode?: string;
  accountId?: string;
  app?: string;
  from?: string;
  to?: string;
}

/** A campaign as stored (progress apart). */
export interface CampaignRecord {
  campaignId: string;
  status: CampaignStatus;
  app: string;
  scopes: string | null;
  force: boolean;
  selection: CampaignSelection;
  ratePerSecond: number;
  createdBy: string;
  reason: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What one runner step did for one campaign. */
export interface CampaignStep {
  requested: number;
  finished: boolean;
  budgetLeft: boolean;
}

/** The tables whose rows hold ciphertexts. */
export type EncryptedTableName = 'tokens' | 'jobs';

/** The stored ciphertexts of one row, with the associated data each was encrypted with. */
export interface EncryptedRow {
  /** The row's place in its table's order (the pass's cursor). */
  key: string[];
  aad: string;
  /** Column name -> ciphertext (null columns left out). */
  values: Record<string, string>;
}

/** Case-insensitive key of an X username. */
export function accountKey(accountId: string): string {
  return accountId.toLowerCase();
}

/** Associated data binding a token ciphertext to its row, so ciphertexts cannot be swapped between rows. */
export function tokenAad(accountId: string, app: string): string {
  return `${accountKey(accountId)}/${app}`;
}
