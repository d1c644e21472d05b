import { Command } from 'commander';
import type { FailedLoginFilter, RetryFailedLoginsResult } from '@xauth/contracts';
import { table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

interface RetryOpts {
  errorCode?: string;
  account?: string;
  app?: string;
  since?: string;
  until?: string;
  reason: string;
  dryRun?: boolean;
  json?: boolean;
}

function retryText(r: RetryFailedLoginsResult): string {
  const head = r.dryRun
    ? `dry run: ${r.requested.length} of ${r.matched} failed login(s) would be requested again, ${r.refused.length} refused`
    : `requested ${r.requested.length} of ${r.matched} failed login(s) again, ${r.refused.length} refused (audit ${r.actionId})`;
  const lines = [head];
  if (r.requested.length)
    lines.push(
      '',
      table(
        ['ACCOUNT', 'APP', 'JOB', 'LAST ERROR'],
        r.requested.map((l) => [l.accountId, l.app, l.jobId, l.errorCode]),
      ),
    );
  if (r.refused.length)
    lines.push(
      '',
      table(
        ['ACCOUNT', 'APP', 'JOB', 'REFUSED', 'WHY'],
        r.refused.map((l) => [l.accountId, l.app, l.jobId, l.code, l.message]),
      ),
    );
  if (r.more) lines.push('', 'more match than one request acts on; run it again for the rest');
  return lines.join('\n');
}

/** `xauth logins retry-failed`: request failed logins again by filter (scope dlq:admin). */
export function loginsCommand(client: () => GatewayClient, io: Output): Command {
  const logins = new Command('logins').description('login requests (retry-failed: scope dlq:admin)');
  logins
    .command('retry-failed')
    .description("request failed logins again: each matching account's latest failed, dead-lettered or expired job is reopened, paced and audited")
    .option('--error-code <code>', 'only jobs that ended with this error code, e.g. BLOCKED')
    .option('--account <accountId>', 'only this X account')
    .option('--app <app>', 'only this app')
    .option('--since <time>', 'only jobs that ended at or after (ISO 8601)')
    .option('--until <time>', 'only jobs that ended before (ISO 8601)')
    .requiredOption('--reason <text>', 'why (recorded with who and when)')
    .option('--dry-run', 'run the same checks, change nothing, and list what would be requested or refused')
    .option('--json', 'JSON output')
    .action(async (o: RetryOpts) => {
      const filter: FailedLoginFilter = {
        ...(o.errorCode ? { errorCode: o.errorCode } : {}),
        ...(o.account ? { accountId: o.account } : {}),
        ...(o.app ? { app: o.app } : {}),
        ...(o.since ? { from: o.since } : {}),
        ...(o.until ? { to: o.until } : {}),
      };
      const r = await client().post<RetryFailedLoginsResult>('/v1/logins/retry-failed', { filter, reason: o.reason, dryRun: Boolean(o.dryRun) });
      io.out(o.json ? JSON.stringify(r, null, 2) : retryText(r));
      if (r.refused.length && !r.dryRun) io.fail();
    });
  return logins;
}
