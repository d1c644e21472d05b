import type { CampaignProgress, CampaignStatus, Payload, RoutingKey } from '@xauth/contracts';
import type { OutboxMeta } from '@xauth/shared';
import type { AccountEventKind, AccountStanding } from './accounts.rule.js';
import type { XIdentity } from './identity.js';
import type {
  CampaignRecord,
  CampaignStep,
  EncryptedRow,
  EncryptedTableName,
  FailedJobFilter,
  Job,
  LoginRequest,
  ProfileLink,
  StoredToken,
  TokenSet,
  XApp,
} from './model.js';

/** X's OAuth 2.0 and identity endpoints. */
export interface XOAuthPort {
  exchangeCode(app: XApp, p: { code: string; verifier: string; redirectUri: string }): Promise<TokenSet>;
  me(accessToken: string): Promise<XIdentity>;
  /**
   * Revokes one token; resolves only when X confirmed it (200 and not `revoked: false`), else throws
   * `REVOKE_FAILED` (or `X_UNAVAILABLE` / `X_RATE_LIMITED`, transient).
   */
  revoke(app: XApp, token: string, kind: 'access_token' | 'refresh_token'): Promise<void>;
  /**
   * Rotates the pair. Only a dead refresh token throws `REFRESH_TOKEN_INVALID` (not retryable); the
   * app's credentials refused throw `APP_CONFIG_INVALID`; a call sent without an answer throws
   * `REFRESH_OUTCOME_UNKNOWN`; anything else is transient.
   */
  refresh(app: XApp, refreshToken: string): Promise<TokenSet>;
}

/**
 * A listing of the profile directory. `complete` only when every page came whole and the count
 * matched the directory's own total: only a complete listing may delete what it does not name.
 */
export interface ProfileListing {
  links: ProfileLink[];
  complete: boolean;
  problem?: string;
}

/** Where profiles and the X accounts they are signed in to are listed (GoLogin). */
export interface ProfileDirectoryPort {
  /** Throws when the first page cannot be read; a later page that fails ends the listing incomplete. */
  listProfiles(): Promise<ProfileListing>;
}

/** A job as a use case creates it (the store dates it; no artifacts, no exchange claim yet). */
export type NewJob = Omit<Job, 'createdAt' | 'updatedAt' | 'artifacts' | 'exchangeStartedAt'>;

/** What a use case may change on a job. */
export type JobPatch = Partial<
  Pick<Job, 'status' | 'attempt' | 'errorCode' | 'errorMessage' | 'pendingTokensEnc' | 'deadline' | 'stateEnc' | 'verifierEnc' | 'exchangeStartedAt'>
> & { workerId?: string | null; artifacts?: string[] };

/** How the refresher last left a token (see `TokensTx.setRefreshState`). */
export type RefreshStatePatch = Partial<Pick<StoredToken, 'status' | 'nextAttemptAt' | 'failures' | 'lastErrorCode' | 'refreshStartedAt'>>;

/** Messages in and out, inside the transaction that acts on them (inbox and outbox). */
export interface MessagingTx {
  /** False when the consumer already handled the message. */
  claimInbox(consumer: string, messageId: string): Promise<boolean>;
  /** Queues the event for the relay, sent once the transaction commits; its messageId. */
  emit<K extends RoutingKey>(type: K, payload: Payload<K>, meta: OutboxMeta): Promise<string>;
}

/** Login requests and the jobs they wait on. */
export interface LoginRequestsTx {
  findLoginRequest(requestId: string): Promise<LoginRequest | undefined>;
  insertLoginRequest(r: LoginRequest, outcome: 'accepted' | 'answered' | 'failed', errorCode?: string): Promise<void>;
  /** Deletes a refused request so a replay can record it anew; true when there was one. */
  forgetFailedLoginRequest(requestId: string): Promise<boolean>;
  /** The job's requests still waiting, oldest first. */
  requestsOfJob(jobId: string): Promise<LoginRequest[]>;
  /** Answers every request still waiting on the job. */
  setRequestsOutcome(jobId: string, outcome: 'answered' | 'failed'): Promise<void>;
  /** The job's requests answered with a failure, waiting again (a reopen); how many. */
  reacceptFailedRequests(jobId: string): Promise<number>;
  /** How many of the job's requests a reopen would answer again (those answered with a failure). */
  countFailedRequests(jobId: string): Promise<number>;
  /** The correlation id of the job's oldest request, if any. */
  firstCorrelationOf(jobId: string): Promise<string | undefined>;
}

/** Authorization jobs. */
export interface JobsTx {
  /**
   * The account's active job, share-locked until the transaction ends, so no request joins a job
   * whose answers went out (a completing job is waited for, and then there is none).
   */
  activeJobFor(accountId: string, app: string): Promise<Job | undefined>;
  /** Throws a transient CONCURRENT_UPDATE when another active job of the account and app was created meanwhile. */
  insertJob(job: NewJob): Promise<void>;
  /** The job, row-locked until the transaction ends. */
  lockJob(jobId: string): Promise<Job | undefined>;
  /** The newest job of the account and app (by creation). */
  latestJobFor(accountId: string, app: string): Promise<Job | undefined>;
  updateJob(jobId: string, patch: JobPatch): Promise<void>;
  /**
   * Makes an ended job active again, its exchange claim cleared; false when another job of the
   * account and app became active meanwhile (nothing changed then).
   */
  reactivateJob(jobId: string, patch: JobPatch): Promise<boolean>;
  /** Active jobs past their deadline, locked; replicas skip each other's. */
  lockOverdueJobs(now: Date, limit: number): Promise<Job[]>;
}

/** Stored tokens and the refresher's bookkeeping on them. */
export interface TokensTx {
  findToken(accountId: string, app: string): Promise<StoredToken | undefined>;
  /** Inserts or replaces the account's tokens for the app, active and with a clean refresh record; `version` counts rotations. */
  saveToken(t: Pick<StoredToken, 'accountId' | 'app' | 'xUserId' | 'accessTokenEnc' | 'refreshTokenEnc' | 'scopes' | 'expiresAt'>): Promise<void>;
  /** The token, locked; undefined when absent or when another transaction holds it (it is being refreshed). */
  lockTokenIfFree(accountId: string, app: string): Promise<StoredToken | undefined>;
  markTokenDead(accountId: string, app: string, errorCode: string): Promise<void>;
  /** Records the refresher's bookkeeping (in-flight marker, backoff, outcome) without touching the tokens. */
  setRefreshState(accountId: string, app: string, patch: RefreshStatePatch): Promise<void>;
}

/** The profile ↔ account map. */
export interface ProfilesTx {
  /** The given profile, or else the account's most recently synced one. */
  profileFor(accountId: string, profileId?: string): Promise<ProfileLink | undefined>;
  /** Inserts or updates the profiles (a profile listed twice is stored once, the last listing winning). */
  upsertProfiles(listed: ProfileLink[], provider: string, at: Date): Promise<void>;
  /** Removes the provider's profiles the sync at `at` did not see (only after a complete listing); the account keys they mapped. */
  deleteProfilesSyncedBefore(provider: string, at: Date): Promise<string[]>;
}

/** Pause state, profile-gone clock, offboarding and history of accounts. */
export interface AccountsTx {
  /** Paused or offboarded; undefined when the account has no record (neither). */
  standing(accountId: string): Promise<AccountStanding | undefined>;
  /** Whether xauth knows the account (a profile, a token or a record) and it is not offboarded. */
  known(accountId: string): Promise<boolean>;
  /** Pauses the account; false when it already was paused. */
  pause(accountId: string, by: string, reason: string): Promise<boolean>;
  /** Clears pause and offboarding; false when the account was neither. */
  resume(accountId: string): Promise<boolean>;
  markOffboarded(accountId: string): Promise<void>;
  record(accountId: string, e: { kind: AccountEventKind; app?: string | null; errorCode?: string | null; detail?: string | null }): Promise<void>;
  /** Every token of the account, row-locked (a refresh claiming one waits, or is waited for). */
  lockTokens(accountId: string): Promise<StoredToken[]>;
  deleteTokens(accountId: string): Promise<void>;
  /**
   * The profile-gone rule after a complete sync at `at`: accounts that lost their last profile are
   * paused and their clock starts; those whose profile came back are resumed if the rule paused them.
   */
  applyProfileChanges(goneKeys: string[], at: Date): Promise<{ gone: string[]; back: string[] }>;
  /** Accounts whose profile has been gone since before `before` and that are not offboarded yet, at most `limit`. */
  goneSince(before: Date, limit: number): Promise<string[]>;
}

/** Everything one transaction of the orchestrator's use cases does; plain objects in and out. */
export interface OrchestratorTx extends MessagingTx, LoginRequestsTx, JobsTx, TokensTx, ProfilesTx {
  readonly accounts: AccountsTx;
  /** Audits an operator's action (who, what, with which parameters, what came of it); its id. */
  recordOperatorAction(a: { action: string; actor: string; reason: string; params: unknown; result: unknown }): Promise<string>;
}

/** The orchestrator's storage as the use cases see it: transactions (each commit nudges the outbox relay) and plain reads. */
export interface OrchestratorStore {
  transaction<T>(fn: (tx: OrchestratorTx) => Promise<T>): Promise<T>;
  getJob(jobId: string): Promise<Job | undefined>;
  /**
   * Each account+app's newest job, when it ended failed, dead_lettered or expired and matches the
   * filter, oldest end first, at most `limit`; and how many match in all.
   */
  failedLatestJobs(filter: FailedJobFilter, limit: number): Promise<{ jobs: Job[]; total: number }>;
  /** The hot token read behind every consumer's token request. */
  getToken(accountId: string, app: string): Promise<StoredToken | undefined>;
  /** The same read for many account+app pairs in one statement; each answer in the keys' order. */
  getTokens(keys: ReadonlyArray<{ accountId: string; app: string }>): Promise<Array<StoredToken | undefined>>;
  /**
   * Refreshes that were lost, at most `limit`: outcome unknown, or in flight for longer than
   * `leaseMs` (a crashed refresh). Paused accounts' tokens are never selected.
   */
  lostRefreshes(limit: number, opts: { leaseMs: number }): Promise<Array<{ accountId: string; app: string }>>;
  /**
   * Claims, committed, the next due token: active, of one of `apps` and none of `pausedApps`,
   * expiring soonest before `before`, not in flight, not backing off, not of a paused account;
   * marked in flight. Replicas never claim the same one. Undefined when none is due.
   */
  /** `notSavedSince`: a token stored at or after it (refreshed this round) is not claimed again. */
  claimNextDue(before: Date, opts: { apps: string[]; pausedApps?: string[]; notSavedSince: Date }): Promise<StoredToken | undefined>;
  /** The database's clock, which row times are written with. */
  databaseNow(): Promise<Date>;
  /** Dead tokens of an app after `afterKey` (account key order), at most `limit`: pages for a recheck. */
  deadTokens(app: string, afterKey: string, limit: number): Promise<Array<{ accountId: string; key: string }>>;
  hasProfileFor(accountId: string): Promise<boolean>;
}

/** Login campaigns: resolved to items at creation, requested by the runner at the campaign's pace. */
export interface CampaignsPort {
  /** Creates the campaign and its items (the selection resolved now), audited; how many items it holds. */
  create(c: Omit<CampaignRecord, 'status' | 'createdAt' | 'updatedAt'>, audit: { actor: string; reason: string }): Promise<number>;
  find(campaignId: string): Promise<CampaignRecord | undefined>;
  list(opts: { status?: CampaignStatus; limit: number }): Promise<CampaignRecord[]>;
  /**
   * Moves the campaign to `to` if it stands in one of `from` (audited), after any runner step in
   * progress; the campaign as it is after, or undefined when it was elsewhere.
   */
  transition(
    campaignId: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    audit: { action: string; actor: string; reason: string },
  ): Promise<CampaignRecord | undefined>;
  /** Progress of each campaign, from its items' login requests and jobs. */
  progress(campaignIds: string[]): Promise<Map<string, CampaignProgress>>;
  /** Campaigns the runner should look at. */
  runningIds(): Promise<string[]>;
  /**
   * One runner step: requests the campaign's next pending items as its pace, `batch` and
   * `maxInFlight` allow; undefined when it is not running or another replica is on it.
   */
  step(campaignId: string, opts: { batch: number; maxInFlight: number; burstSeconds: number; defaultScopes: string }): Promise<CampaignStep | undefined>;
}

/** The stored ciphertexts, for re-encryption under the active key. */
export interface EncryptedRowsPort {
  /** Keys of the next rows after `after` with a ciphertext under another key than `activeKid`, not locked; at most `limit`. */
  candidates(name: EncryptedTableName, activeKid: string, after: string[] | undefined, limit: number): Promise<string[][]>;
  /**
   * In one short transaction, hands each of `keys` still under another key and not locked by
   * anyone else to `rewrite`, and stores what it returns; how many rows were locked and rewritten.
   */
  rewrite(
    name: EncryptedTableName,
    activeKid: string,
    keys: string[][],
    rewrite: (row: EncryptedRow) => Record<string, string> | undefined,
  ): Promise<{ locked: number; rewritten: number }>;
  /** Rows per key id in each table, and how many rows are under another key than `activeKid`. */
  usage(activeKid: string): Promise<{ byKey: Array<{ keyId: string; tokens: number; jobs: number }>; notOnActive: number }>;
}
