import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CampaignList, CampaignSelection, CampaignView, CreateCampaignRequest } from '@xauth/contracts';
import { fields, table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import { UsageError, type Output } from './dlq.command.js';

interface CreateOpts {
  withoutToken?: boolean;
  accounts?: string;
  accountsFile?: string;
  errorCode?: string;
  app?: string;
  scopes?: string;
  force?: boolean;
  rate?: number;
  reason: string;
  json?: boolean;
}

const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** Exactly one of --without-token, --accounts/--accounts-file, --error-code. */
function selectionOf(o: CreateOpts): CampaignSelection {
  const listed = [o.accounts ?? '', o.accountsFile ? readFileSync(o.accountsFile, 'utf8') : '']
    .join('\n')
    .split(/[\s,]+/)
    .filter(Boolean);
  const given = [o.withoutToken, listed.length > 0, o.errorCode].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give exactly one selection: --without-token, --accounts (or --accounts-file), or --error-code');
  if (o.withoutToken) return { kind: 'without-token' };
  if (o.errorCode) return { kind: 'error-code', errorCode: o.errorCode };
  return { kind: 'accounts', accountIds: listed };
}

function selectionText(s: CampaignSelection): string {
  return s.kind === 'without-token'
    ? 'accounts without an active token'
    : s.kind === 'error-code'
      ? `accounts whose last job failed with ${s.errorCode}`
      : `${s.accountIds.length} listed account(s)`;
}

/** One line of progress: every state, then failures by code. */
export function progressLine(c: CampaignView): string {
  const p = c.progress;
  const codes = Object.entries(p.failedByCode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return `${p.total} total: ${p.succeeded} succeeded, ${p.failed} failed${codes ? ` (${codes})` : ''}, ${p.running} running, ${p.queued} queued, ${p.pending} pending, ${p.cancelled} cancelled`;
}

function showText(c: CampaignView): string {
  const lines = [
    fields([
      ['campaign', c.campaignId],
      ['status', c.status],
      ['app', c.app],
      ['selection', selectionText(c.selection)],
      ['force', String(c.force)],
      ['rate', `${c.ratePerSecond}/s`],
      ['by', c.createdBy],
      ['reason', c.reason],
      ['created', c.createdAt],
      ['updated', c.updatedAt],
    ]),
    '',
    `progress: ${progressLine(c)}`,
  ];
  const codes = Object.entries(c.progress.failedByCode);
  if (codes.length)
    lines.push(
      '',
      table(
        ['FAILED WITH', 'COUNT'],
        codes.sort(([a], [b]) => a.localeCompare(b)),
      ),
    );
  return lines.join('\n');
}

/** `xauth campaigns ...`: logins for many accounts, paced (scope logins:write). */
export function campaignsCommand(client: () => GatewayClient, io: Output): Command {
  const campaigns = new Command('campaigns').description('login campaigns: logins for a selection of accounts, paced, with progress (scope logins:write)');
  campaigns
    .command('create')
    .description('ask for logins for a selection of accounts, requested at a paced rate with a bound on those in flight')
    .option('--without-token', 'every account (synced profile) without an active token for the app')
    .option('--accounts <ids>', 'these X accounts (comma or space separated)')
    .option('--accounts-file <path>', 'X accounts listed in a file (one per line)')
    .option('--error-code <code>', 'accounts whose latest job for the app ended with this error code')
    .option('--app <app>', "the X app (default: the orchestrator's DEFAULT_APP)")
    .option('--scopes <scopes>', "space-separated OAuth scopes (default: the orchestrator's DEFAULT_SCOPES)")
    .option('--force', 'authorize even accounts that hold a valid token')
    .option('--rate <perSecond>', 'logins requested per second (at most CAMPAIGN_RATE_PER_SECOND)', positiveNumber)
    .requiredOption('--reason <text>', 'why (recorded with who and when)')
    .option('--json', 'JSON output')
    .action(async (o: CreateOpts) => {
      const body: CreateCampaignRequest = {
        selection: selectionOf(o),
        reason: o.reason,
        force: Boolean(o.force),
        ...(o.app ? { app: o.app } : {}),
        ...(o.scopes ? { scopes: o.scopes } : {}),
        ...(o.rate ? { ratePerSecond: o.rate } : {}),
      };
      const c = await client().post<CampaignView>('/v1/campaigns', body);
      io.out(
        o.json
          ? JSON.stringify(c, null, 2)
          : `created campaign ${c.campaignId}: ${c.progress.total} login(s) to request at ${c.ratePerSecond}/s\n${progressLine(c)}`,
      );
    });
  campaigns
    .command('list')
    .description('campaigns, newest first, with their progress')
    .addOption(new Option('--status <status>', 'only campaigns in this status').choices(['running', 'paused', 'cancelled', 'finished']))
    .option('--limit <n>', 'at most this many', positiveNumber)
    .option('--json', 'JSON output')
    .action(async (o: { status?: string; limit?: number; json?: boolean }) => {
      const q = new URLSearchParams({ ...(o.status ? { status: o.status } : {}), ...(o.limit ? { limit: String(o.limit) } : {}) });
      const r = await client().get<CampaignList>(`/v1/campaigns?${q}`);
      io.out(
        o.json
          ? JSON.stringify(r, null, 2)
          : r.items.length === 0
            ? 'no campaigns'
            : table(
                ['CAMPAIGN', 'STATUS', 'APP', 'TOTAL', 'SUCCEEDED', 'FAILED', 'RUNNING', 'QUEUED', 'PENDING', 'CREATED'],
                r.items.map((c) => [
                  c.campaignId,
                  c.status,
                  c.app,
                  c.progress.total,
                  c.progress.succeeded,
                  c.progress.failed,
                  c.progress.running,
                  c.progress.queued,
                  c.progress.pending,
                  c.createdAt,
                ]),
              ),
      );
    });
  campaigns
    .command('show')
    .description('one campaign and its progress: pending, queued, running, succeeded, failed by error code, cancelled')
    .argument('<campaignId>', 'campaign id')
    .option('--json', 'JSON output')
    .action(async (campaignId: string, o: { json?: boolean }) => {
      const c = await client().get<CampaignView>(`/v1/campaigns/${encodeURIComponent(campaignId)}`);
      io.out(o.json ? JSON.stringify(c, null, 2) : showText(c));
    });
  const verbs = {
    pause: 'paused: no further login is requested until it is resumed',
    resume: 'resumed',
    cancel: 'cancelled: logins not yet requested never will be; those requested run to their end',
  };
  for (const [action, said] of Object.entries(verbs)) {
    campaigns
      .command(action)
      .description(`${action} a campaign`)
      .argument('<campaignId>', 'campaign id')
      .option('--reason <text>', 'why (recorded with who and when)')
      .option('--json', 'JSON output')
      .action(async (campaignId: string, o: { reason?: string; json?: boolean }) => {
        const c = await client().post<CampaignView>(`/v1/campaigns/${encodeURIComponent(campaignId)}/${action}`, o.reason ? { reason: o.reason } : {});
        io.out(o.json ? JSON.stringify(c, null, 2) : `campaign ${c.campaignId} ${said}\n${progressLine(c)}`);
      });
  }
  return campaigns;
}
