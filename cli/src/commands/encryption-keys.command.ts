import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { EncryptionKeyUsage, ReencryptResult } from '@xauth/contracts';
import { table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

function usageText(u: EncryptionKeyUsage): string {
  const rows = u.keys.map((k) => [k.keyId, k.tokens, k.jobs, k.active ? 'active' : k.configured ? 'configured' : 'NOT CONFIGURED']);
  const verdict =
    u.rowsNotOnActiveKey === 0
      ? `every row is on the active key ${u.activeKeyId}: keys other than it can be removed from ENCRYPTION_KEYS`
      : `${u.rowsNotOnActiveKey} row(s) are still on other keys than ${u.activeKeyId}: keep those keys (run keys reencrypt)`;
  return `${table(['KEY ID', 'TOKEN ROWS', 'JOB ROWS', 'STATE'], rows)}\n${verdict}`;
}

/** How many passes `keys reencrypt` makes at most before it reports what is left (rows busy every time, or undecryptable). */
const MAX_PASSES = 10;

/**
 * `xauth keys reencrypt` and `xauth keys usage` (scope keys:admin), added to the `keys` command:
 * re-encrypt the orchestrator's stored secrets under its active key, then show rows per key id.
 */
export function addEncryptionKeyCommands(keys: Command, client: () => GatewayClient, io: Output): void {
  keys
    .command('reencrypt')
    .description('re-encrypt every stored token, PKCE verifier and state under the active key (online, in batches), then show rows per key id')
    .option('--limit <n>', 'rows per request (the orchestrator caps it at REENCRYPT_LIMIT)', positiveInt)
    .option('--json', 'JSON output (one object per request)')
    .action(async (o: { limit?: number; json?: boolean }) => {
      let last: ReencryptResult | undefined;
      for (let pass = 1; pass <= MAX_PASSES; pass++) {
        let after: string | undefined;
        let rewritten = 0;
        let busy = 0;
        do {
          const r: ReencryptResult = await client().post('/v1/keys/encryption/reencrypt', {
            ...(o.limit ? { limit: o.limit } : {}),
            ...(after ? { after } : {}),
          });
          rewritten += r.reencrypted.tokens + r.reencrypted.jobs;
          busy += r.skippedBusy;
          io.out(
            o.json
              ? JSON.stringify(r)
              : `pass ${pass}: re-encrypted ${r.reencrypted.tokens} token row(s), ${r.reencrypted.jobs} job row(s) under ${r.activeKeyId}` +
                  `${r.skippedBusy ? `, ${r.skippedBusy} busy (next pass)` : ''}${r.undecryptable ? `, ${r.undecryptable} undecryptable` : ''}; ${r.usage.rowsNotOnActiveKey} row(s) left on other keys`,
          );
          after = r.next;
          last = r;
        } while (after);
        // Done, or nothing more this command can move (rows no configured key decrypts).
        if (last.usage.rowsNotOnActiveKey === 0 || (rewritten === 0 && busy === 0)) break;
        if (rewritten === 0) await sleep(1_000);
      }
      if (!o.json) io.out(usageText(last!.usage));
      if (last!.usage.rowsNotOnActiveKey > 0) io.fail();
    });
  keys
    .command('usage')
    .description('how many stored rows each encryption key id still holds, so an old key can be removed safely')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const u = await client().get<EncryptionKeyUsage>('/v1/keys/encryption/usage');
      io.out(o.json ? JSON.stringify(u, null, 2) : usageText(u));
    });
}
