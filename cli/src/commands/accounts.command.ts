import { Command, InvalidArgumentError, Option } from 'commander';
import { TOKEN_STATES, type AccountActionResult, type AccountDetail, type AccountPage, type AccountSummary } from '@xauth/contracts';
import { fields, table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const count = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
  return n;
};
const tokensText = (a: AccountSummary) => a.tokens.map((t) => `${t.app}:${t.state}`).join(' ');

function listText(p: AccountPage): string {
  const byState = Object.entries(p.counts.byState)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return [
    table(
      ['ACCOUNT', 'PAUSED', 'TOKENS', 'LAST JOB', 'ERROR CODE', 'PROFILE'],
      p.items.map((a) => [
        a.accountId,
        a.paused ? 'yes' : 'no',
        tokensText(a),
        a.lastJob?.status,
        a.lastJob?.errorCode,
        a.profiles[0]?.profileId ?? (a.profileGoneAt ? 'gone' : null),
      ]),
    ),
    `${p.total ? `${p.offset + 1}-${p.offset + p.items.length}` : 0} of ${p.total}; in all ${p.counts.accounts} account(s), ${p.counts.paused} paused; tokens by state: ${byState || 'none'}`,
  ].join('\n');
}

function showText(d: AccountDetail): string {
  const a = d.account;
  return [
    fields([
      ['account', a.accountId],
      ['paused', a.paused ? `yes, by ${a.pausedBy} at ${a.pausedAt}: ${a.pauseReason}` : 'no'],
      ['profiles', a.profiles.map((p) => p.profileId).join(', ') || (a.profileGoneAt ? `gone since ${a.profileGoneAt}; offboarded at ${a.offboardAt}` : '-')],
      ['tokens', tokensText(a) || '-'],
    ]),
    '',
    'Jobs:',
    table(
      ['CREATED', 'JOB', 'APP', 'STATUS', 'ATTEMPT', 'ERROR CODE'],
      d.jobs.map((j) => [j.createdAt, j.jobId, j.app, j.status, j.attempt, j.errorCode]),
    ),
    '',
    'History:',
    table(
      ['AT', 'EVENT', 'APP', 'CODE', 'DETAIL'],
      d.events.map((e) => [e.at, e.kind, e.app, e.errorCode, e.detail]),
    ),
  ].join('\n');
}

const actionText = (r: AccountActionResult) =>
  r.action === 'offboard'
    ? `offboarded @${r.accountId}: tokens revoked at X and deleted for ${r.revokedApps?.join(', ') || 'no app'}`
    : `${r.changed ? '' : 'already '}${r.action === 'pause' ? 'paused' : 'resumed'} @${r.accountId}${r.jobsEnded ? `; ${r.jobsEnded} active job(s) ended` : ''}`;

/** `xauth accounts list|show|pause|resume|offboard` (scope accounts:admin). */
export function accountsCommand(client: () => GatewayClient, io: Output): Command {
  const accounts = new Command('accounts').description('accounts: token states, history, pause, resume, offboard (scope accounts:admin)');
  accounts
    .command('list')
    .description('accounts in id order, with token state per app, last job and counts by state')
    .option('--prefix <text>', 'accounts whose id starts with this')
    .addOption(new Option('--state <state>', 'accounts with a token in this state').choices([...TOKEN_STATES]))
    .option('--error-code <code>', 'accounts whose last job or last refresh failed with this code')
    .option('--paused', 'paused accounts only')
    .option('--limit <n>', 'page size (at most 500)', count(1), 50)
    .option('--offset <n>', 'skip this many', count(0), 0)
    .option('--json', 'JSON output')
    .action(async (o: { prefix?: string; state?: string; errorCode?: string; paused?: boolean; limit: number; offset: number; json?: boolean }) => {
      const q = new URLSearchParams({ limit: String(o.limit), offset: String(o.offset) });
      if (o.prefix) q.set('prefix', o.prefix);
      if (o.state) q.set('state', o.state);
      if (o.errorCode) q.set('errorCode', o.errorCode);
      if (o.paused) q.set('paused', 'true');
      const page = await client().get<AccountPage>(`/v1/accounts?${q}`);
      io.out(o.json ? JSON.stringify(page, null, 2) : listText(page));
    });
  accounts
    .command('show')
    .description('one account: profiles, token states, jobs and history')
    .argument('<accountId>', 'X username')
    .option('--json', 'JSON output')
    .action(async (accountId: string, o: { json?: boolean }) => {
      const d = await client().get<AccountDetail>(`/v1/accounts/${encodeURIComponent(accountId)}`);
      io.out(o.json ? JSON.stringify(d, null, 2) : showText(d));
    });
  const actions = {
    pause: 'no login and no refresh runs for the account until it is resumed; its active jobs end',
    resume: 'logins and refreshes run again for a paused (or offboarded) account',
    offboard: 'revoke both tokens at X (X must confirm), delete them, announce account.offboarded',
  } as const;
  for (const [action, description] of Object.entries(actions)) {
    accounts
      .command(action)
      .description(description)
      .argument('<accountId>', 'X username')
      .requiredOption('--reason <text>', "why (recorded in the account's history with who and when)")
      .option('--json', 'JSON output')
      .action(async (accountId: string, o: { reason: string; json?: boolean }) => {
        const r = await client().post<AccountActionResult>(`/v1/accounts/${encodeURIComponent(accountId)}/${action}`, { reason: o.reason });
        io.out(o.json ? JSON.stringify(r, null, 2) : actionText(r));
      });
  }
  return accounts;
}
