import { Command, InvalidArgumentError } from 'commander';
import type { RecheckTokensResult } from '@xauth/contracts';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

function recheckText(r: RecheckTokensResult): string {
  const lines = [`${r.app}: checked ${r.checked} dead token(s): ${r.revived.length} revived, ${r.stillDead} still dead`];
  for (const accountId of r.revived) lines.push(`  revived @${accountId}`);
  for (const [code, n] of Object.entries(r.failed)) lines.push(`  could not tell for ${n}: ${code}`);
  return lines.join('\n');
}

/** `xauth tokens ...`: token repair through the gateway (scope dlq:admin). */
export function tokensCommand(client: () => GatewayClient, io: Output): Command {
  const tokens = new Command('tokens').description('repair tokens (scope dlq:admin)');
  tokens
    .command('recheck')
    .description('try the refresh token of each dead token of an app once: tokens X rotates are active again, those X refuses stay dead')
    .requiredOption('--app <app>', 'the X app whose dead tokens to recheck')
    .option('--limit <n>', 'dead tokens per request (the orchestrator caps it at RECHECK_LIMIT)', positiveInt)
    .option('--max <n>', 'stop after this many dead tokens in all', positiveInt)
    .option('--json', 'JSON output (one object per page)')
    .action(async (o: { app: string; limit?: number; max?: number; json?: boolean }) => {
      let after: string | undefined;
      let checked = 0;
      // Page by page (each bounded by the orchestrator) until every dead token was tried once.
      do {
        const limit = o.max === undefined ? o.limit : Math.min(o.limit ?? o.max, o.max - checked);
        const r: RecheckTokensResult = await client().post(`/v1/apps/${encodeURIComponent(o.app)}/tokens/recheck`, {
          ...(limit ? { limit } : {}),
          ...(after ? { after } : {}),
        });
        io.out(o.json ? JSON.stringify(r) : recheckText(r));
        if (Object.keys(r.failed).length) io.fail();
        checked += r.checked;
        after = r.next;
      } while (after && (o.max === undefined || checked < o.max));
    });
  return tokens;
}
