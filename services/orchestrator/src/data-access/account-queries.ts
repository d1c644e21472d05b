import type { DataSource } from 'typeorm';
import type { AccountDetail, AccountListQuery, AccountPage, AccountSummary, JobStatus, TokenState } from '@xauth/contracts';
import { accountKey } from '../domain/model.js';

/** What the account reads need to know besides the query. */
export interface AccountReadSettings {
  apps: readonly string[];
  /** A token expiring within this is `expiring` (the refresher's REFRESH_AHEAD_MS). */
  refreshAheadMs: number;
  /** The profile-gone rule's grace period (PROFILE_GONE_GRACE_MS): when an account will be offboarded. */
  profileGoneGraceMs: number;
}

/**
 * Accounts are every account key the profiles, the tokens or the accounts table know, less the
 * offboarded ones; `pairs` is each account with each configured app and its token's state.
 * Parameters: $1 apps, $2 refresh-ahead in ms.
 */
const ACCOUNTS_CTE = `
  WITH keys AS (
    SELECT DISTINCT ON (account_key) account_key, account_id FROM (
      SELECT account_key, account_id FROM profiles UNION ALL SELECT account_key, account_id FROM tokens
      UNION ALL SELECT account_key, account_id FROM accounts) k ORDER BY account_key),
  acct AS (
    SELECT k.account_key, k.account_id, a.paused_at IS NOT NULL AS paused
    FROM keys k LEFT JOIN accounts a USING (account_key) WHERE a.offboarded_at IS NULL),
  pairs AS (
    SELECT acct.account_key, app.name AS app, t.last_error_code,
      CASE WHEN t.app IS NULL THEN 'none' WHEN t.status = 'dead' THEN 'dead' WHEN t.status = 'outcome_unknown' THEN 'outcome_unknown'
        WHEN t.next_attempt_at > now() THEN 'backing_off' WHEN t.expires_at <= now() THEN 'expired'
        WHEN t.expires_at < now() + make_interval(secs => $2::float8 / 1000) THEN 'expiring' ELSE 'active' END AS state
    FROM acct CROSS JOIN unnest($1::text[]) AS app(name)
    LEFT JOIN tokens t ON t.account_key = acct.account_key AND t.app = app.name)`;

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** The raw rows the queries below read (pg's column names and types). */
interface JobLine {
  job_id: string;
  app: string;
  status: JobStatus;
  attempt: number;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
}
interface EventLine {
  at: Date;
  kind: AccountDetail['events'][number]['kind'];
  app: string | null;
  error_code: string | null;
  detail: string | null;
}
interface AccountLine {
  account_key: string;
  account_id: string;
  paused_at: Date | null;
  paused_by: string | null;
  pause_reason: string | null;
  profile_gone_at: Date | null;
}
interface ProfileLine {
  account_key: string;
  profile_id: string;
  provider: string;
  synced_at: Date;
}
interface TokenLine {
  account_key: string;
  app: string;
  state: TokenState;
  last_error_code: string | null;
  expires_at: Date | null;
}
type LastJobLine = Omit<JobLine, 'attempt' | 'error_message' | 'created_at'> & { account_key: string };

/** The operator's reads of accounts: one page with counts, one account with its history. */
export class AccountQueries {
  constructor(
    private readonly ds: DataSource,
    private readonly settings: AccountReadSettings,
  ) {}

  async list(q: AccountListQuery): Promise<AccountPage> {
    const base = [this.settings.apps, this.settings.refreshAheadMs];
    const rows: Array<{ account_key: string; total: string }> = await this.ds.query(
      `${ACCOUNTS_CTE}
       SELECT acct.account_key, count(*) OVER () AS total FROM acct
       WHERE ($3::text IS NULL OR left(acct.account_key, length($3)) = $3)
         AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM pairs p WHERE p.account_key = acct.account_key AND p.state = $4))
         AND ($5::boolean IS NULL OR acct.paused = $5)
         AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM pairs p WHERE p.account_key = acct.account_key AND p.last_error_code = $6)
           OR (SELECT j.error_code FROM authorization_jobs j WHERE j.account_key = acct.account_key ORDER BY j.created_at DESC LIMIT 1) = $6)
       ORDER BY acct.account_key LIMIT $7 OFFSET $8`,
      [...base, q.prefix ? accountKey(q.prefix) : null, q.state ?? null, q.paused ?? null, q.errorCode ?? null, q.limit, q.offset],
    );
    const counts: Array<{ state: string; n: number }> = await this.ds.query(
      `${ACCOUNTS_CTE}
       SELECT state, count(*)::int AS n FROM pairs GROUP BY state
       UNION ALL SELECT '#accounts', count(*)::int FROM acct UNION ALL SELECT '#paused', count(*)::int FROM acct WHERE paused`,
      base,
    );
    const byState = Object.fromEntries(counts.filter((c) => !c.state.startsWith('#')).map((c) => [c.state, c.n]));
    const count = (name: string) => counts.find((c) => c.state === name)?.n ?? 0;
    return {
      items: await this.summaries(rows.map((r) => r.account_key)),
      total: Number(rows[0]?.total ?? 0),
      limit: q.limit,
      offset: q.offset,
      counts: { accounts: count('#accounts'), paused: count('#paused'), byState },
    };
  }

  /** The account with its newest jobs and history entries; undefined when unknown or offboarded. */
  async detail(accountId: string, limit = 100): Promise<AccountDetail | undefined> {
    const key = accountKey(accountId);
    const [account] = await this.summaries([key]);
    if (!account) return undefined;
    const jobs: JobLine[] = await this.ds.query(
      `SELECT job_id, app, status, attempt, error_code, error_message, created_at, updated_at FROM authorization_jobs
       WHERE account_key = $1 ORDER BY created_at DESC LIMIT $2`,
      [key, limit],
    );
    const events: EventLine[] = await this.ds.query(
      'SELECT at, kind, app, error_code, detail FROM account_events WHERE account_key = $1 ORDER BY at DESC, id DESC LIMIT $2',
      [key, limit],
    );
    return {
      account,
      jobs: jobs.map((j) => ({
        jobId: j.job_id,
        app: j.app,
        status: j.status,
        attempt: j.attempt,
        errorCode: j.error_code,
        errorMessage: j.error_message,
        createdAt: iso(j.created_at)!,
        updatedAt: iso(j.updated_at)!,
      })),
      events: events.map((e) => ({ at: iso(e.at)!, kind: e.kind, app: e.app, errorCode: e.error_code, detail: e.detail })),
    };
  }

  /** Summaries of these account keys, in their order; offboarded and unknown ones are left out. */
  private async summaries(keys: string[]): Promise<AccountSummary[]> {
    if (keys.length === 0) return [];
    const { apps, refreshAheadMs, profileGoneGraceMs } = this.settings;
    const [accts, profiles, tokens, jobs] = await Promise.all([
      this.ds.query<AccountLine[]>(
        `${ACCOUNTS_CTE}
        SELECT acct.account_key, acct.account_id, a.paused_at, a.paused_by, a.pause_reason, a.profile_gone_at
        FROM acct LEFT JOIN accounts a USING (account_key) WHERE acct.account_key = ANY($3::text[])`,
        [apps, refreshAheadMs, keys],
      ),
      this.ds.query<ProfileLine[]>(
        'SELECT account_key, profile_id, provider, synced_at FROM profiles WHERE account_key = ANY($1::text[]) ORDER BY synced_at DESC',
        [keys],
      ),
      this.ds.query<TokenLine[]>(
        `${ACCOUNTS_CTE}
        SELECT p.account_key, p.app, p.state, p.last_error_code, t.expires_at FROM pairs p
        LEFT JOIN tokens t ON t.account_key = p.account_key AND t.app = p.app WHERE p.account_key = ANY($3::text[]) ORDER BY p.app`,
        [apps, refreshAheadMs, keys],
      ),
      this.ds.query<LastJobLine[]>(
        `SELECT DISTINCT ON (account_key) account_key, job_id, app, status, error_code, updated_at FROM authorization_jobs
        WHERE account_key = ANY($1::text[]) ORDER BY account_key, created_at DESC, job_id DESC`,
        [keys],
      ),
    ]);
    const byKey = new Map(accts.map((a) => [a.account_key, a]));
    return keys.flatMap((key): AccountSummary[] => {
      const a = byKey.get(key);
      if (!a) return [];
      const job = jobs.find((j) => j.account_key === key);
      return [
        {
          accountId: a.account_id,
          profiles: profiles.filter((p) => p.account_key === key).map((p) => ({ profileId: p.profile_id, provider: p.provider, syncedAt: iso(p.synced_at)! })),
          tokens: tokens
            .filter((t) => t.account_key === key)
            .map((t) => ({ app: t.app, state: t.state, expiresAt: iso(t.expires_at), lastErrorCode: t.last_error_code })),
          lastJob: job ? { jobId: job.job_id, app: job.app, status: job.status, errorCode: job.error_code, updatedAt: iso(job.updated_at)! } : null,
          paused: a.paused_at !== null,
          pausedBy: a.paused_by,
          pauseReason: a.pause_reason,
          pausedAt: iso(a.paused_at),
          profileGoneAt: iso(a.profile_gone_at),
          offboardAt: a.profile_gone_at ? new Date(new Date(a.profile_gone_at).getTime() + profileGoneGraceMs).toISOString() : null,
        },
      ];
    });
  }
}
