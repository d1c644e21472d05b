import { Command } from 'commander';
import type { ReopenJobResult } from '@xauth/contracts';
import { fields } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

/** `xauth jobs reopen <jobId>`: run a failed, dead-lettered or expired job again (scope dlq:admin). */
export function jobsCommand(client: () => GatewayClient, io: Output): Command {
  const jobs = new Command('jobs').description('authorization jobs (reopen: scope dlq:admin)');
  jobs
    .command('reopen')
    .description('reopen a failed, dead-lettered or expired job: fresh deadline, attempt 1; its login requests are answered again when it ends')
    .argument('<jobId>', 'job id')
    .requiredOption('--reason <text>', 'why (recorded with who and when)')
    .option('--dry-run', 'run the same checks, change nothing')
    .option('--json', 'JSON output')
    .action(async (jobId: string, o: { reason: string; dryRun?: boolean; json?: boolean }) => {
      const r = await client().post<ReopenJobResult>(`/v1/jobs/${encodeURIComponent(jobId)}/reopen`, { reason: o.reason, dryRun: Boolean(o.dryRun) });
      io.out(
        o.json
          ? JSON.stringify(r, null, 2)
          : r.dryRun
            ? `dry run: job ${r.jobId} would be reopened; ${r.requests} login request(s) would be answered again`
            : `reopened job ${r.jobId}; ${r.requests} login request(s) will be answered again\n${fields([
                ['deadline', r.deadline],
                ['messageId', r.messageId],
              ])}`,
      );
    });
  return jobs;
}
