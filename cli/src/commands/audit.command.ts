import { Command, InvalidArgumentError } from 'commander';
import type { AuditPage } from '@xauth/contracts';
import { table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const when = (v: string) => {
  const ms = /^(\d+)([smhd])$/.exec(v);
  const date = ms ? new Date(Date.now() - Number(ms[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[ms[2] as 's' | 'm' | 'h' | 'd']) : new Date(v);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('an ISO time, or an age such as 30m, 6h, 2d');
  return date.toISOString();
};
const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

/** `xauth audit list`: who read which token, asked for which login, and every admin action (scope audit:read). */
export function auditCommand(gateway: () => GatewayClient, io: Output): Command {
  const audit = new Command('audit').description('the audit log (scope audit:read)');
  audit
    .command('list')
    .description('audit events, newest first')
    .option('--client <clientId>', 'by client')
    .option('--account <accountId>', 'by account')
    .option('--action <action>', 'e.g. token.read, login.request, clients.disable')
    .option('--from <time>', 'since (ISO time or an age: 30m, 6h, 2d)', when)
    .option('--to <time>', 'before (ISO time or an age)', when)
    .option('--limit <n>', 'events at most (pages of 1000)', positive, 100)
    .option('--json', 'JSON output (one event a line)')
    .action(async (o: { client?: string; account?: string; action?: string; from?: string; to?: string; limit: number; json?: boolean }) => {
      const client = gateway().withScope('audit:read');
      const rows: AuditPage['events'] = [];
      let before: string | undefined;
      do {
        const q = {
          clientId: o.client,
          accountId: o.account,
          action: o.action,
          from: o.from,
          to: o.to,
          limit: String(Math.min(1_000, o.limit - rows.length)),
          before,
        };
        const query = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
        const page = await client.get<AuditPage>(`/v1/audit?${query}`);
        rows.push(...page.events);
        before = page.next;
      } while (before && rows.length < o.limit);
      io.out(
        o.json
          ? rows.map((e) => JSON.stringify(e)).join('\n')
          : table(
              ['TIME', 'CLIENT', 'ACTION', 'ACCOUNT', 'APP', 'TARGET', 'OUTCOME'],
              rows.map((e) => [e.at, e.clientId, e.action, e.accountId, e.app, e.target, `${e.outcome} ${e.status}`]),
            ),
      );
    });
  return audit;
}
