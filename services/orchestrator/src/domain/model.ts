import type { JobStatus } from '@xauth/contracts';

/** Plain shapes the use cases work with; entities stay in data-access. */
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

export interface ProfileLink { profileId: string; accountId: string }

/** Case-insensitive key of an X username. */
export function accountKey(accountId: string): string {
  return accountId.toLowerCase();
}

/** Associated data binding a token ciphertext to its row, so ciphertexts cannot be swapped between rows. */
export function tokenAad(accountId: string, app: string): string {
  return `${accountKey(accountId)}/${app}`;
}
