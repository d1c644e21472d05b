import type { Pool } from 'pg';
import { In, LessThan, type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { ErrorCodes, type JobStatus, type Payload, type RoutingKey } from '@xauth/contracts';
import { TransientError, claimInbox, enqueue, type OutboxMeta } from '@xauth/shared';
import { ACTIVE_STATUSES } from '../domain/job-rules.js';
import { accountKey, type FailedJobFilter, type Job, type LoginRequest, type ProfileLink, type StoredToken } from '../domain/model.js';
import type { JobPatch, NewJob, OrchestratorStore, OrchestratorTx, RefreshStatePatch } from '../domain/ports.js';
import { AccountRecords } from './account-records.js';
import { JobRow, LoginRequestRow, ProfileRow, TokenRow } from './entities/index.js';
import { toJob, toRequest, toToken } from './row-mappers.js';

const PROFILE_CHUNK = 2_000;
/** A token's account is not paused (nor offboarded, which pauses): the refresher leaves it alone. */
const NOT_PAUSED = 'NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_key = tokens.account_key AND a.paused_at IS NOT NULL)';

/** The hot token read (see `Store.getToken`); the table resolves through the connection's search_path. */
const TOKEN_COLUMNS = `account_id, app, x_user_id, access_token_enc, refresh_token_enc, scopes, expires_at, status, version,
  next_attempt_at, failures, last_error_code, refresh_started_at`;
const TOKEN_READ = {
  name: 'orchestrator.token-read',
  text: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE account_key = $1 AND app = $2`,
};
/** Many token reads at once (the gateway's reads of one moment): one statement for the lot. */
const TOKEN_READS = {
  name: 'orchestrator.token-reads',
  text: `SELECT ${TOKEN_COLUMNS} FROM tokens JOIN unnest($1::text[], $2::text[]) AS k(read_key, read_app) ON tokens.account_key = k.read_key AND tokens.app = k.read_app`,
};
interface TokenReadRow {
  account_id: string;
  app: string;
  x_user_id: string;
  access_token_enc: string;
  refresh_token_enc: string | null;
  scopes: string;
  expires_at: Date;
  status: string;
  version: number;
  next_attempt_at: Date | null;
  failures: number;
  last_error_code: string | null;
  refresh_started_at: Date | null;
}
const fromTokenRow = (r: TokenReadRow): StoredToken => ({
  accountId: r.account_id,
  app: r.app,
  xUserId: r.x_user_id,
  accessTokenEnc: r.access_token_enc,
  refreshTokenEnc: r.refresh_token_enc,
  scopes: r.scopes,
  expiresAt: r.expires_at,
  status: r.status as StoredToken['status'],
  version: r.version,
  nextAttemptAt: r.next_attempt_at,
  failures: r.failures,
  lastErrorCode: r.last_error_code,
  refreshStartedAt: r.refresh_started_at,
});

/** The operations one transaction of the orchestrator can do; plain objects in and out. */
export class Tx implements OrchestratorTx {
  constructor(private readonly m: EntityManager) {}

  /** Pause state, history and offboarding of accounts, in this transaction. */
  get accounts(): AccountRecords {
    return new AccountRecords(this.m);
  }

  claimInbox(consumer: string, messageId: string): Promise<boolean> {
    return claimInbox(this.m, consumer, messageId);
  }
  emit<K extends RoutingKey>(type: K, payload: Payload<K>, meta: OutboxMeta): Promise<string> {
    return enqueue(this.m, type, payload, meta);
  }

  async findLoginRequest(requestId: string): Promise<LoginRequest | undefined> {
    const r = await this.m.findOneBy(LoginRequestRow, { requestId });
    return r ? toRequest(r) : undefined;
  }
  async insertLoginRequest(r: LoginRequest, outcome: 'accepted' | 'answered' | 'failed', errorCode?: string): Promise<void> {
    await this.m.insert(LoginRequestRow, { ...r, outcome, errorCode: errorCode ?? null });
  }
  /** Deletes a refused request so a replay can record it anew; true when there was one. */
  async forgetFailedLoginRequest(requestId: string): Promise<boolean> {
    return ((await this.m.delete(LoginRequestRow, { requestId, outcome: 'failed' })).affected ?? 0) > 0;
  }
  async requestsOfJob(jobId: string): Promise<LoginRequest[]> {
    return (await this.m.find(LoginRequestRow, { where: { jobId, outcome: 'accepted' }, order: { createdAt: 'ASC' } })).map(toRequest);
  }
  async setRequestsOutcome(jobId: string, outcome: 'answered' | 'failed'): Promise<void> {
    await this.m.update(LoginRequestRow, { jobId, outcome: 'accepted' }, { outcome });
  }
  /** The job's requests answered with a failure, waiting again (a reopen); how many. */
  async reacceptFailedRequests(jobId: string): Promise<number> {
    return (await this.m.update(LoginRequestRow, { jobId, outcome: 'failed' }, { outcome: 'accepted' })).affected ?? 0;
  }
  /** How many of the job's requests a reopen would answer again (those answered with a failure). */
  async countFailedRequests(jobId: string): Promise<number> {
    return this.m.countBy(LoginRequestRow, { jobId, outcome: 'failed' });
  }
  /** The correlation id of the job's oldest request, if any. */
  async firstCorrelationOf(jobId: string): Promise<string | undefined> {
    return (await this.m.findOne(LoginRequestRow, { where: { jobId }, order: { createdAt: 'ASC' } }))?.correlationId;
  }

  async profileFor(accountId: string, profileId?: string): Promise<ProfileLink | undefined> {
    const r = profileId
      ? await this.m.findOneBy(ProfileRow, { profileId })
      : await this.m.findOne(ProfileRow, { where: { accountKey: accountKey(accountId) }, order: { syncedAt: 'DESC' } });
    return r ? { profileId: r.profileId, accountId: r.accountId } : undefined;
  }

  /**
   * The account's active job, share-locked until the transaction ends: a request joining it and
   * the job's completion (which locks it for update, then answers every joined request) serialize,
   * so no request joins a job after its answers went out. Waiting for a completing job returns none.
   */
  async activeJobFor(accountId: string, app: string): Promise<Job | undefined> {
    const r = await this.m
      .getRepository(JobRow)
      .createQueryBuilder('j')
      .where({ accountKey: accountKey(accountId), app, status: In([...ACTIVE_STATUSES]) })
      .setLock('pessimistic_read')
      .getOne();
    return r ? toJob(r) : undefined;
  }
  async insertJob(job: NewJob): Promise<void> {
    try {
      await this.m.insert(JobRow, { ...job, accountKey: accountKey(job.accountId) });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === '23505') {
        // Another request created the active job first; retrying coalesces onto it.
        throw new TransientError({ code: ErrorCodes.CONCURRENT_UPDATE, message: 'another job for this account and app was created concurrently' });
      }
      throw err;
    }
  }
  /** The job, row-locked until the transaction ends. */
  async lockJob(jobId: string): Promise<Job | undefined> {
    const r = await this.m.getRepository(JobRow).createQueryBuilder('j').where('j.job_id = :jobId', { jobId }).setLock('pessimistic_write').getOne();
    return r ? toJob(r) : undefined;
  }
  /** The newest job of the account and app (by creation). */
  async latestJobFor(accountId: string, app: string): Promise<Job | undefined> {
    const r = await this.m.findOne(JobRow, { where: { accountKey: accountKey(accountId), app }, order: { createdAt: 'DESC', jobId: 'DESC' } });
    return r ? toJob(r) : undefined;
  }
  /**
   * Each account+app's newest job, when it ended failed, dead_lettered or expired and matches the
   * filter (times bound when it ended), oldest end first, at most `limit`; and how many match in all.
   */
  async latestFailedJobs(filter: FailedJobFilter, limit: number): Promise<{ jobs: Job[]; total: number }> {
    const where: string[] = [`latest.status IN ('failed', 'dead_lettered', 'expired')`];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.errorCode) add('latest.error_code = ?', filter.errorCode);
    if (filter.accountId) add('latest.account_key = ?', accountKey(filter.accountId));
    if (filter.app) add('latest.app = ?', filter.app);
    if (filter.from) add('latest.updated_at >= ?', new Date(filter.from));
    if (filter.to) add('latest.updated_at < ?', new Date(filter.to));
    params.push(limit);
    const rows: Array<{ job_id: string; total: string }> = await this.m.query(
      `SELECT latest.job_id, count(*) OVER () AS total FROM (
         SELECT DISTINCT ON (account_key, app) job_id, account_key, app, status, error_code, updated_at
         FROM authorization_jobs ORDER BY account_key, app, created_at DESC, job_id DESC) latest
       WHERE ${where.join(' AND ')} ORDER BY latest.updated_at, latest.job_id LIMIT $${params.length}`,
      params,
    );
    const byId = new Map((await this.m.findBy(JobRow, { jobId: In(rows.map((r) => r.job_id)) })).map((r) => [r.jobId, toJob(r)]));
    return { jobs: rows.flatMap((r) => byId.get(r.job_id) ?? []), total: Number(rows[0]?.total ?? 0) };
  }
  /** Audits an operator's action (who, what, with which parameters, what came of it); returns its id. */
  async recordOperatorAction(a: { action: string; actor: string; reason: string; params: unknown; result: unknown }): Promise<string> {
    const rows: Array<{ id: string }> = await this.m.query(
      'INSERT INTO operator_actions (action, actor, reason, params, result) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id',
      [a.action, a.actor, a.reason, JSON.stringify(a.params), JSON.stringify(a.result)],
    );
    return rows[0]!.id;
  }
  /**
   * Makes an ended job active again; false when another job of the account and app became active
   * meanwhile (the one-active-job index refused it), so the caller can refuse instead of crash.
   */
  async reactivateJob(jobId: string, patch: JobPatch): Promise<boolean> {
    try {
      await this.m.query('SAVEPOINT reactivate');
      // A reopened job's consent is exchanged anew: no earlier claim stands.
      await this.updateJob(jobId, { ...patch, exchangeStartedAt: null });
      await this.m.query('RELEASE SAVEPOINT reactivate');
      return true;
    } catch (err) {
      if (!(err instanceof QueryFailedError && (err.driverError as { code?: string })?.code === '23505')) throw err;
      await this.m.query('ROLLBACK TO SAVEPOINT reactivate');
      return false;
    }
  }
  async updateJob(jobId: string, patch: JobPatch): Promise<void> {
    await this.m.update(JobRow, { jobId }, patch);
  }
  /** Active jobs past their deadline, locked; replicas skip each other's. */
  async lockOverdueJobs(now: Date, limit: number): Promise<Job[]> {
    const rows = await this.m
      .getRepository(JobRow)
      .createQueryBuilder('j')
      .where({ status: In([...ACTIVE_STATUSES]), deadline: LessThan(now) })
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    return rows.map(toJob);
  }

  async findToken(accountId: string, app: string): Promise<StoredToken | undefined> {
    const r = await this.m.findOneBy(TokenRow, { accountKey: accountKey(accountId), app });
    return r ? toToken(r) : undefined;
  }
  /** Inserts or replaces the account's tokens for the app, active and with a clean refresh record; `version` counts rotations. */
  async saveToken(t: Pick<StoredToken, 'accountId' | 'app' | 'xUserId' | 'accessTokenEnc' | 'refreshTokenEnc' | 'scopes' | 'expiresAt'>): Promise<void> {
    await this.m.query(
      `INSERT INTO tokens (account_key, app, account_id, x_user_id, access_token_enc, refresh_token_enc, scopes, expires_at, status, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1)
       ON CONFLICT (account_key, app) DO UPDATE SET account_id = EXCLUDED.account_id, x_user_id = EXCLUDED.x_user_id,
         access_token_enc = EXCLUDED.access_token_enc, refresh_token_enc = EXCLUDED.refresh_token_enc, scopes = EXCLUDED.scopes,
         expires_at = EXCLUDED.expires_at, status = 'active', version = tokens.version + 1, updated_at = now(),
         next_attempt_at = NULL, failures = 0, last_error_code = NULL, refresh_started_at = NULL`,
      [accountKey(t.accountId), t.app, t.accountId, t.xUserId, t.accessTokenEnc, t.refreshTokenEnc, t.scopes, t.expiresAt],
    );
  }

  /** The token row, locked; undefined when absent or when another transaction holds it (it is being refreshed). */
  async lockTokenIfFree(accountId: string, app: string): Promise<StoredToken | undefined> {
    const r = await this.m
      .getRepository(TokenRow)
      .createQueryBuilder('t')
      .where('t.account_key = :key AND t.app = :app', { key: accountKey(accountId), app })
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getOne();
    return r ? toToken(r) : undefined;
  }
  async markTokenDead(accountId: string, app: string, errorCode: string): Promise<void> {
    await this.setRefreshState(accountId, app, { status: 'dead', lastErrorCode: errorCode, refreshStartedAt: null, nextAttemptAt: null });
  }
  /** Records the refresher's bookkeeping (in-flight marker, backoff, outcome) without touching the tokens. */
  async setRefreshState(accountId: string, app: string, patch: RefreshStatePatch): Promise<void> {
    await this.m.update(TokenRow, { accountKey: accountKey(accountId), app }, patch);
  }

  /** Removes the provider's profiles the sync at `at` did not see (call only after a complete listing); the account keys they mapped. */
  async deleteProfilesSyncedBefore(provider: string, at: Date): Promise<string[]> {
    const [rows]: [Array<{ account_key: string }>, number] = await this.m.query(
      'DELETE FROM profiles WHERE provider = $1 AND synced_at < $2 RETURNING account_key',
      [provider, at],
    );
    return [...new Set(rows.map((r) => r.account_key))];
  }

  /** Inserts or updates the profiles (a profile listed twice is stored once, the last listing winning). */
  async upsertProfiles(listed: ProfileLink[], provider: string, at: Date): Promise<void> {
    const links = [...new Map(listed.map((l) => [l.profileId, l])).values()];
    // In chunks: one statement for 40,000 profiles would need 200,000 bind parameters (PostgreSQL allows 65,535).
    for (let i = 0; i < links.length; i += PROFILE_CHUNK) {
      await this.m
        .createQueryBuilder()
        .insert()
        .into(ProfileRow)
        .values(
          links
            .slice(i, i + PROFILE_CHUNK)
            .map((l) => ({ profileId: l.profileId, accountId: l.accountId, accountKey: accountKey(l.accountId), provider, syncedAt: at })),
        )
        .orUpdate(['account_id', 'account_key', 'provider', 'synced_at'], ['profile_id'])
        .execute();
    }
  }
}

/** Transactions (each commit nudges the outbox relay) and plain reads. */
export class Store implements OrchestratorStore {
  constructor(
    private readonly ds: DataSource,
    private readonly onCommit: () => void = () => undefined,
  ) {}

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.ds.transaction((m) => fn(new Tx(m)));
    this.onCommit();
    return result;
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const r = await this.ds.manager.findOneBy(JobRow, { jobId });
    return r ? toJob(r) : undefined;
  }
  /** See `Tx.latestFailedJobs`. */
  async failedLatestJobs(filter: FailedJobFilter, limit: number): Promise<{ jobs: Job[]; total: number }> {
    return new Tx(this.ds.manager).latestFailedJobs(filter, limit);
  }
  /**
   * Every consumer's token read goes through here, so it skips the ORM: one named prepared
   * statement on the pool (parsed and planned once per connection), rows mapped by hand.
   */
  async getToken(accountId: string, app: string): Promise<StoredToken | undefined> {
    const { rows } = await this.pool().query<TokenReadRow>({ ...TOKEN_READ, values: [accountKey(accountId), app] });
    return rows[0] && fromTokenRow(rows[0]);
  }
  async getTokens(keys: ReadonlyArray<{ accountId: string; app: string }>): Promise<Array<StoredToken | undefined>> {
    const { rows } = await this.pool().query<TokenReadRow>({ ...TOKEN_READS, values: [keys.map((k) => accountKey(k.accountId)), keys.map((k) => k.app)] });
    const keyOf = (accountId: string, app: string) => `${accountKey(accountId)}/${app}`;
    const found = new Map(rows.map((r) => [keyOf(r.account_id, r.app), fromTokenRow(r)]));
    return keys.map((k) => found.get(keyOf(k.accountId, k.app)));
  }
  /**
   * Refreshes that were lost, at most `limit`: tokens whose refresh outcome is unknown (announced
   * without spending them) or whose in-flight marker outlived `leaseMs` (a crashed refresh). Paused
   * accounts' tokens are never selected.
   */
  async lostRefreshes(limit: number, opts: { leaseMs: number }): Promise<Array<{ accountId: string; app: string }>> {
    const rows: Array<{ account_id: string; app: string }> = await this.ds.query(
      `SELECT account_id, app FROM tokens
        WHERE (status = 'outcome_unknown' OR (status = 'active' AND refresh_started_at < now() - make_interval(secs => $2::float8 / 1000)))
          AND ${NOT_PAUSED}
        LIMIT $1`,
      [limit, opts.leaseMs],
    );
    return rows.map((r) => ({ accountId: r.account_id, app: r.app }));
  }
  /**
   * Claims the next due token in one statement: the active token of one of `apps` expiring
   * soonest before `before`, not in flight, not backing off, not of `pausedApps` nor of a paused
   * account, locked (SKIP LOCKED: replicas never wait on each other, and one re-checked after
   * another replica's claim is passed over) and marked in flight, committed. Undefined when none is
   * due. Replaces a lock-then-look transaction per token, and replicas no longer walk the same list.
   */
  async claimNextDue(before: Date, opts: { apps: string[]; pausedApps?: string[]; notSavedSince: Date }): Promise<StoredToken | undefined> {
    const { rows } = await this.pool().query<TokenReadRow>({
      name: 'orchestrator.claim-next-due',
      text: `UPDATE tokens t SET refresh_started_at = now() FROM (
               SELECT account_key, app FROM tokens
                WHERE status = 'active' AND refresh_token_enc IS NOT NULL AND expires_at < $1 AND refresh_started_at IS NULL
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now()) AND app = ANY($2::text[]) AND NOT (app = ANY($3::text[]))
                  AND ${NOT_PAUSED} AND updated_at < $4
                ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED) due
             WHERE t.account_key = due.account_key AND t.app = due.app
             RETURNING ${TOKEN_COLUMNS.split(/,\s*/)
               .map((c) => `t.${c}`)
               .join(', ')}`,
      values: [before, opts.apps, opts.pausedApps ?? [], opts.notSavedSince],
    });
    return rows[0] && fromTokenRow(rows[0]);
  }

  /** PostgreSQL's clock: what `updated_at` and the other row times are written with. */
  async databaseNow(): Promise<Date> {
    const { rows } = await this.pool().query<{ now: Date }>('SELECT now() AS now');
    return rows[0]!.now;
  }

  /** The pg pool under the ORM, for the hot statements (named, prepared once per connection). */
  private pool(): Pool {
    return (this.ds.driver as unknown as { master: Pool }).master;
  }
  /** Dead tokens of an app after `afterKey` (account key order), at most `limit`: pages for a recheck. */
  async deadTokens(app: string, afterKey: string, limit: number): Promise<Array<{ accountId: string; key: string }>> {
    const rows: Array<{ account_id: string; account_key: string }> = await this.ds.query(
      `SELECT account_id, account_key FROM tokens WHERE status = 'dead' AND app = $1 AND account_key > $2 AND refresh_token_enc IS NOT NULL
       ORDER BY account_key LIMIT $3`,
      [app, afterKey, limit],
    );
    return rows.map((r) => ({ accountId: r.account_id, key: r.account_key }));
  }
  /** Tokens by status, plus `backing_off`: active tokens waiting out a failure. */
  async countTokensByStatus(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; n: number }> = await this.ds.query(
      `SELECT status, count(*)::int AS n FROM tokens GROUP BY status
       UNION ALL SELECT 'backing_off', count(*)::int FROM tokens WHERE status = 'active' AND next_attempt_at > now()`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
  async hasProfileFor(accountId: string): Promise<boolean> {
    return this.ds.manager.existsBy(ProfileRow, { accountKey: accountKey(accountId) });
  }
}

export type { JobStatus };
