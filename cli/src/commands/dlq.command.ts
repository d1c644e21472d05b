import { Command, InvalidArgumentError, Option } from 'commander';
import type { DeadLetterActionResult, DeadLetterActionView, DeadLetterCounts, DeadLetterFilter, DeadLetterPage, DeadLetterView } from '@xauth/contracts';
import { fields, table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';

export interface Output {
  out(text: string): void;
  /** Set when a command finished but something was refused (exit code 1). */
  fail(): void;
}

/** A command line that cannot be run as given (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const FILTER_KEYS = ['queue', 'routingKey', 'errorCode', 'status', 'from', 'to'] as const;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--filter errorCode=UNKNOWN_ACCOUNT --filter queue=xauth.orchestrator.login-requests` into a filter. */
export function parseFilter(pairs: string[]): DeadLetterFilter {
  const filter: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    if (eq < 1 || !(FILTER_KEYS as readonly string[]).includes(key))
      throw new UsageError(`--filter "${pair}": use key=value with key one of ${FILTER_KEYS.join(', ')}`);
    filter[key] = pair.slice(eq + 1);
  }
  return filter as DeadLetterFilter;
}

const positiveNumber = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

function listTable(items: DeadLetterView[]): string {
  return table(
    ['ID', 'STATUS', 'ERROR CODE', 'QUEUE', 'ROUTING KEY', 'ATTEMPTS', 'REPLAYS', 'LAST FAILURE'],
    items.map((d) => [d.id, d.status, d.errorCode, d.queue, d.routingKey, d.attempts, d.replayCount, d.lastFailureAt]),
  );
}

function showText(d: DeadLetterView & { actions?: DeadLetterActionView[] }): string {
  const head = fields([
    ['id', d.id],
    ['messageId', d.messageId],
    ['status', d.status],
    ['errorCode', d.errorCode],
    ['errorMessage', d.errorMessage],
    ['queue', d.queue],
    ['exchange', d.originalExchange],
    ['routingKey', d.routingKey],
    ['service', d.service],
    ['attempts', d.attempts],
    ['firstFailureAt', d.firstFailureAt],
    ['lastFailureAt', d.lastFailureAt],
    ['replays', d.replayCount],
    ['receivedAt', d.receivedAt],
    ['notReplayable', d.notReplayable],
  ]);
  const actions = d.actions?.length
    ? `\n\nactions:\n${table(
        ['AT', 'ACTION', 'BY', 'REASON', 'REPLAY MESSAGE ID'],
        d.actions.map((a) => [a.at, a.action, a.actor, a.reason, a.replayMessageId]),
      )}`
    : '';
  return `${head}\n\nbody:\n${typeof d.body === 'string' ? d.body : JSON.stringify(d.body, null, 2)}${actions}`;
}

function resultText(verb: string, r: DeadLetterActionResult): string {
  const lines = r.dryRun
    ? [`dry run: ${r.wouldDo.length} of ${r.matched} matching dead letter(s) would be ${verb}, ${r.refused.length} refused (the same checks as the real run)`]
    : [`${verb} ${r.done.length} of ${r.matched} matching dead letter(s)`];
  for (const d of r.wouldDo ?? []) lines.push(`  ${d.id}  would be ${verb}${d.reopensJobId ? ` (reopens job ${d.reopensJobId})` : ''}`);
  for (const d of r.done)
    lines.push(`  ${d.id}${d.replayMessageId ? `  -> ${d.replayMessageId}` : ''}${d.reopenedJobId ? `  (reopened job ${d.reopenedJobId})` : ''}`);
  if (r.refused.length) {
    lines.push(`${r.dryRun ? 'would refuse' : 'refused'} ${r.refused.length}:`);
    for (const f of r.refused) lines.push(`  ${f.id}  ${f.code}: ${f.message}`);
  }
  if (r.more) lines.push('more match than one request acts on; run it again for the rest');
  return lines.join('\n');
}

interface SelectionOpts {
  id?: string[];
  filter?: string[];
  dryRun?: boolean;
  reason: string;
  json?: boolean;
  rate?: number;
}

/** `xauth dlq ...`: list, show, replay, discard dead letters through the gateway (scope dlq:admin). */
export function dlqCommand(client: () => GatewayClient, io: Output): Command {
  const dlq = new Command('dlq').description('inspect, replay and discard dead letters (scope dlq:admin)');
  const print = (json: boolean | undefined, value: unknown, text: () => string) => io.out(json ? JSON.stringify(value, null, 2) : text());

  dlq
    .command('list')
    .description('list dead letters, newest first (or --counts: how many, by error code and queue)')
    .option('--queue <queue>', 'original queue, e.g. xauth.orchestrator.login-requests')
    .option('--routing-key <key>', 'original routing key')
    .option('--error-code <code>', 'error code, e.g. UNKNOWN_ACCOUNT')
    .addOption(new Option('--status <status>', 'status').choices(['new', 'replayed', 'discarded']))
    .option('--from <time>', 'last failure at or after (ISO 8601)')
    .option('--to <time>', 'last failure before (ISO 8601)')
    .option('--limit <n>', 'page size', nonNegativeInt, 50)
    .option('--offset <n>', 'skip this many', nonNegativeInt, 0)
    .option('--counts', 'counts grouped by error code and queue instead of the letters')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, string | number | boolean | undefined>) => {
      const filter = new URLSearchParams();
      for (const [key, flag] of [
        ['queue', 'queue'],
        ['routingKey', 'routingKey'],
        ['errorCode', 'errorCode'],
        ['status', 'status'],
        ['from', 'from'],
        ['to', 'to'],
      ] as const) {
        if (o[flag] !== undefined) filter.set(key, String(o[flag]));
      }
      if (o.counts) {
        const counts = await client().get<DeadLetterCounts>(`/v1/dead-letters/counts?${filter}`);
        print(
          o.json as boolean,
          counts,
          () =>
            `${counts.total} dead letter(s)\n\n${table(
              ['ERROR CODE', 'COUNT'],
              counts.byErrorCode.map((c) => [c.errorCode, c.count]),
            )}\n\n${table(
              ['QUEUE', 'COUNT'],
              counts.byQueue.map((c) => [c.queue, c.count]),
            )}`,
        );
        return;
      }
      filter.set('limit', String(o.limit));
      filter.set('offset', String(o.offset));
      const page = await client().get<DeadLetterPage>(`/v1/dead-letters?${filter}`);
      print(
        o.json as boolean,
        page,
        () => `${listTable(page.items)}\n\n${page.items.length ? `${page.offset + 1}-${page.offset + page.items.length}` : 0} of ${page.total}`,
      );
    });

  dlq
    .command('show')
    .description('one dead letter: reason, body, headers and what was done to it')
    .argument('<id>', 'dead letter id')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { json?: boolean }) => {
      const d = await client().get<DeadLetterView & { actions: DeadLetterActionView[] }>(`/v1/dead-letters/${encodeURIComponent(id)}`);
      print(o.json, d, () => `${showText(d)}\n\nheaders:\n${JSON.stringify(d.headers, null, 2)}`);
    });

  const selection = (cmd: Command) =>
    cmd
      .option('--id <id>', 'a dead letter id (repeatable)', collect)
      .option('--filter <key=value>', `every dead letter matching (repeatable; keys ${FILTER_KEYS.join(', ')}; status defaults to new)`, collect)
      .option('--dry-run', 'run the same checks, change nothing, and say per letter what would be done or refused')
      .requiredOption('--reason <text>', 'why (recorded with who and when)')
      .option('--json', 'JSON output');
  const act = async (verb: 'replay' | 'discard', o: SelectionOpts) => {
    if (!o.id === !o.filter) throw new UsageError('give --id (one or more) or --filter (one or more), not both');
    const extra = verb === 'replay' && o.rate !== undefined ? { rate: o.rate } : {};
    if (o.id?.length === 1 && !o.dryRun) {
      const d = await client().post<DeadLetterView & { replayMessageId?: string }>(`/v1/dead-letters/${encodeURIComponent(o.id[0]!)}/${verb}`, {
        reason: o.reason,
      });
      print(
        o.json,
        d,
        () => `${verb === 'replay' ? `replayed ${d.id} as ${d.replayMessageId}` : `discarded ${d.id}`} (status ${d.status}, replays ${d.replayCount})`,
      );
      return;
    }
    const body = { ...(o.id ? { ids: o.id } : { filter: parseFilter(o.filter!) }), reason: o.reason, dryRun: Boolean(o.dryRun), ...extra };
    const r = await client().post<DeadLetterActionResult>(`/v1/dead-letters/${verb}`, body);
    print(o.json, r, () => resultText(verb === 'replay' ? 'replayed' : 'discarded', r));
    // A dry run is a forecast: what it would refuse is reported, not failed.
    if (r.refused.length && !r.dryRun) io.fail();
  };
  selection(
    dlq
      .command('replay')
      .description('republish dead letters to their original exchange and routing key (new messageId, x-replay-of); a job letter reopens its job'),
  )
    .option('--rate <n>', 'messages per second', positiveNumber)
    .action((o: SelectionOpts) => act('replay', o));
  selection(dlq.command('discard').description('mark dead letters discarded (they stay stored)')).action((o: SelectionOpts) => act('discard', o));
  return dlq;
}
