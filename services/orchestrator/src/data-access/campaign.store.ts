import type { DataSource, EntityManager } from 'typeorm';
import type { CampaignProgress, CampaignSelection, CampaignStatus } from '@xauth/contracts';
import { enqueue } from '@xauth/shared';
import type { CampaignRecord, CampaignStep } from '../domain/model.js';
import type { CampaignsPort } from '../domain/ports.js';

interface CampaignRow {
  campaign_id: string;
  status: CampaignStatus;
  app: string;
  scopes: string | null;
  force: boolean;
  selection: CampaignSelection;
  rate_per_second: number;
  created_by: string;
  reason: string;
  created_at: Date;
  updated_at: Date;
}
const toRecord = (r: CampaignRow): CampaignRecord => ({
  campaignId: r.campaign_id,
  status: r.status,
  app: r.app,
  scopes: r.scopes,
  force: r.force,
  selection: r.selection,
  ratePerSecond: Number(r.rate_per_second),
  createdBy: r.created_by,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const FAILED_JOB = `('failed', 'dead_lettered', 'expired')`;

/** Each selection as the accounts it resolves to ($1 campaign id, $2 app, $3 the selection's argument), numbered in a stable order. */
const SELECTIONS: Record<CampaignSelection['kind'], string> = {
  // Accounts are the synced profiles; "active" means a token that is active and not expired.
  'without-token': `SELECT row_number() OVER (ORDER BY a.account_key) AS seq, a.account_id FROM (
      SELECT DISTINCT ON (p.account_key) p.account_key, p.account_id FROM profiles p ORDER BY p.account_key, p.synced_at DESC) a
    WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.account_key = a.account_key AND t.app = $2 AND t.status = 'active' AND t.expires_at > now())
      AND $3::text IS NULL`,
  accounts: `SELECT row_number() OVER (ORDER BY d.ord) AS seq, d.account_id FROM (
      SELECT DISTINCT ON (lower(u.account_id)) u.account_id, u.ord FROM unnest($3::text[]) WITH ORDINALITY AS u(account_id, ord)
      ORDER BY lower(u.account_id), u.ord) d WHERE $2::text IS NOT NULL`,
  'error-code': `SELECT row_number() OVER (ORDER BY latest.account_key) AS seq, latest.account_id FROM (
      SELECT DISTINCT ON (account_key) account_key, account_id, status, error_code FROM authorization_jobs
      WHERE app = $2 ORDER BY account_key, created_at DESC, job_id DESC) latest
    WHERE latest.status IN ${FAILED_JOB} AND latest.error_code = $3`,
};

const selectionArgument = (s: CampaignSelection): unknown => (s.kind === 'accounts' ? s.accountIds : s.kind === 'error-code' ? s.errorCode : null);

/**
 * The orchestrator's campaign tables. A campaign's items are resolved once, at creation; the runner
 * requests them under the campaign's row lock (replicas skip a campaign another one is advancing),
 * one transaction per batch, each login request written to the outbox with its item's requestId.
 */
export class CampaignStore implements CampaignsPort {
  constructor(
    private readonly ds: DataSource,
    private readonly onCommit: () => void = () => undefined,
  ) {}

  private async tx<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.ds.transaction(fn);
    this.onCommit();
    return result;
  }

  /** Creates the campaign and its items (the selection resolved now), audited; how many items it holds. */
  async create(c: Omit<CampaignRecord, 'status' | 'createdAt' | 'updatedAt'>, audit: { actor: string; reason: string }): Promise<number> {
    return this.tx(async (m) => {
      await m.query(
        `INSERT INTO campaigns (campaign_id, status, app, scopes, force, selection, rate_per_second, created_by, reason)
         VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8)`,
        [c.campaignId, c.app, c.scopes, c.force, JSON.stringify(c.selection), c.ratePerSecond, c.createdBy, c.reason],
      );
      const inserted: Array<{ n: number }> = await m.query(
        `WITH picked AS (${SELECTIONS[c.selection.kind]}),
              ins AS (INSERT INTO campaign_items (request_id, campaign_id, seq, account_id)
                      SELECT gen_random_uuid(), $1, picked.seq, picked.account_id FROM picked RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [c.campaignId, c.app, selectionArgument(c.selection)],
      );
      const total = inserted[0]!.n;
      await audited(m, 'campaign.create', audit, { campaignId: c.campaignId, app: c.app, selection: c.selection, force: c.force }, { total });
      return total;
    });
  }

  async find(campaignId: string): Promise<CampaignRecord | undefined> {
    const rows: CampaignRow[] = await this.ds.query('SELECT * FROM campaigns WHERE campaign_id = $1', [campaignId]);
    return rows[0] && toRecord(rows[0]);
  }

  async list(opts: { status?: CampaignStatus; limit: number }): Promise<CampaignRecord[]> {
    const rows: CampaignRow[] = await this.ds.query(
      'SELECT * FROM campaigns WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, campaign_id LIMIT $2',
      [opts.status ?? null, opts.limit],
    );
    return rows.map(toRecord);
  }

  /**
   * Moves the campaign to `to` if it stands in one of `from` (audited); the campaign as it is after,
   * or undefined when it was elsewhere. Waits for a runner step in progress (the row lock), so no
   * login is requested after a pause or cancel commits.
   */
  async transition(
    campaignId: string,
    from: CampaignStatus[],
    to: CampaignStatus,
    audit: { action: string; actor: string; reason: string },
  ): Promise<CampaignRecord | undefined> {
    return this.tx(async (m) => {
      const rows: [CampaignRow[], number] = await m.query(
        `UPDATE campaigns SET status = $3, updated_at = now(), paced_at = CASE WHEN $3 = 'running' THEN now() ELSE paced_at END
         WHERE campaign_id = $1 AND status = ANY($2::text[]) RETURNING *`,
        [campaignId, from, to],
      );
      const row = rows[0][0];
      if (row) await audited(m, audit.action, audit, { campaignId }, { status: to });
      return row && toRecord(row);
    });
  }

  /** Progress of each campaign, from its items' login requests and jobs. */
  async progress(campaignIds: string[]): Promise<Map<string, CampaignProgress>> {
    const rows: Array<{ campaign_id: string; state: keyof Omit<CampaignProgress, 'total' | 'failedByCode'>; code: string | null; n: number }> =
      await this.ds.query(
        `SELECT ci.campaign_id,
         CASE WHEN ci.requested_at IS NULL THEN CASE WHEN c.status = 'cancelled' THEN 'cancelled' ELSE 'pending' END
              WHEN lr.request_id IS NULL THEN 'queued'
              WHEN lr.outcome = 'answered' OR j.status = 'succeeded' THEN 'succeeded'
              WHEN lr.outcome = 'failed' OR j.status IN ${FAILED_JOB} THEN 'failed'
              WHEN j.status IN ('running', 'consent_captured') THEN 'running'
              ELSE 'queued' END AS state,
         CASE WHEN lr.outcome = 'failed' OR j.status IN ${FAILED_JOB} THEN coalesce(j.error_code, lr.error_code, 'UNKNOWN') END AS code,
         count(*)::int AS n
       FROM campaign_items ci JOIN campaigns c ON c.campaign_id = ci.campaign_id
         LEFT JOIN login_requests lr ON lr.request_id = ci.request_id
         LEFT JOIN authorization_jobs j ON j.job_id = lr.job_id
       WHERE ci.campaign_id = ANY($1::uuid[]) GROUP BY 1, 2, 3`,
        [campaignIds],
      );
    const out = new Map<string, CampaignProgress>(
      campaignIds.map((id) => [id, { total: 0, pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, failedByCode: {} }]),
    );
    for (const r of rows) {
      const p = out.get(r.campaign_id)!;
      p.total += r.n;
      p[r.state] += r.n;
      if (r.state === 'failed') p.failedByCode[r.code ?? 'UNKNOWN'] = (p.failedByCode[r.code ?? 'UNKNOWN'] ?? 0) + r.n;
    }
    return out;
  }

  /** Campaigns the runner should look at. */
  async runningIds(): Promise<string[]> {
    return ((await this.ds.query(`SELECT campaign_id FROM campaigns WHERE status = 'running' ORDER BY created_at`)) as Array<{ campaign_id: string }>).map(
      (r) => r.campaign_id,
    );
  }

  /**
   * One runner step for one campaign, in one transaction under its row lock (SKIP LOCKED: another
   * replica is on it): marks the items whose request reached an end, then requests the next pending
   * ones, as many as the pace (a token bucket in `paced_at`, at most `burstSeconds` of it saved up),
   * `batch` and the in-flight bound allow. A campaign with nothing pending and nothing in flight is finished.
   */
  async step(campaignId: string, opts: { batch: number; maxInFlight: number; burstSeconds: number; defaultScopes: string }): Promise<CampaignStep | undefined> {
    return this.tx(async (m) => {
      const locked: Array<CampaignRow & { saved: number }> = await m.query(
        `SELECT *, extract(epoch FROM now() - greatest(paced_at, now() - make_interval(secs => $2)))::float8 AS saved
         FROM campaigns WHERE campaign_id = $1 AND status = 'running' FOR UPDATE SKIP LOCKED`,
        [campaignId, opts.burstSeconds],
      );
      const row = locked[0];
      if (!row) return undefined;
      const c = toRecord(row);
      await m.query(
        `UPDATE campaign_items ci SET settled_at = now() FROM login_requests lr
         WHERE ci.campaign_id = $1 AND ci.requested_at IS NOT NULL AND ci.settled_at IS NULL
           AND lr.request_id = ci.request_id AND lr.outcome IN ('answered', 'failed')`,
        [campaignId],
      );
      const [{ n: inFlight }] = (await m.query(
        'SELECT count(*)::int AS n FROM campaign_items WHERE campaign_id = $1 AND requested_at IS NOT NULL AND settled_at IS NULL',
        [campaignId],
      )) as [{ n: number }];
      const paced = Math.floor(row.saved * c.ratePerSecond + 1e-9);
      const allowance = Math.max(0, Math.min(paced, opts.batch, opts.maxInFlight - inFlight));
      const items: Array<{ request_id: string; account_id: string }> =
        allowance === 0
          ? []
          : await m.query('SELECT request_id, account_id FROM campaign_items WHERE campaign_id = $1 AND requested_at IS NULL ORDER BY seq LIMIT $2', [
              campaignId,
              allowance,
            ]);
      for (const item of items) {
        await enqueue(
          m,
          'user.login.requested',
          {
            requestId: item.request_id,
            accountId: item.account_id,
            app: c.app,
            scopes: c.scopes ?? opts.defaultScopes,
            ...(c.force ? { force: true } : {}),
          },
          { correlationId: campaignId },
        );
      }
      if (items.length) {
        await m.query('UPDATE campaign_items SET requested_at = now() WHERE request_id = ANY($1::uuid[])', [items.map((i) => i.request_id)]);
        await m.query(
          `UPDATE campaigns SET paced_at = greatest(paced_at, now() - make_interval(secs => $2)) + make_interval(secs => $3), updated_at = now() WHERE campaign_id = $1`,
          [campaignId, opts.burstSeconds, items.length / c.ratePerSecond],
        );
      }
      const [{ n: pending }] = (await m.query('SELECT count(*)::int AS n FROM campaign_items WHERE campaign_id = $1 AND requested_at IS NULL', [
        campaignId,
      ])) as [{ n: number }];
      const finished = pending === 0 && inFlight === 0 && items.length === 0;
      if (finished) await m.query(`UPDATE campaigns SET status = 'finished', updated_at = now() WHERE campaign_id = $1`, [campaignId]);
      return { requested: items.length, finished, budgetLeft: items.length === opts.batch && paced > items.length && pending > 0 };
    });
  }
}

async function audited(m: EntityManager, action: string, who: { actor: string; reason: string }, params: unknown, result: unknown): Promise<void> {
  await m.query('INSERT INTO operator_actions (action, actor, reason, params, result) VALUES ($1, $2, $3, $4, $5)', [
    action,
    who.actor,
    who.reason,
    JSON.stringify(params),
    JSON.stringify(result),
  ]);
}
