import type { Command } from 'commander';
import type { SigningKeyList, SigningKeyRotation, SigningKeyView } from '@xauth/contracts';
import { table } from '../format.js';
import type { GatewayClient } from '../gateway.client.js';
import type { Output } from './dlq.command.js';

const row = (k: SigningKeyView) => [k.kid, k.state, k.activatesAt, k.retiresAt];

/** `xauth keys list|rotate-signing`: the gateway's JWT signing keys (scope clients:admin). */
export function addSigningKeyCommands(keys: Command, gateway: () => GatewayClient, io: Output): void {
  const client = () => gateway().withScope('clients:admin');
  keys
    .command('list')
    .description('the JWT signing keys and their states: next (published, not signing yet), active, retiring, retired')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const r = await client().get<SigningKeyList>('/v1/keys/signing');
      io.out(o.json ? JSON.stringify(r, null, 2) : `signing keys (${r.source})\n${table(['KID', 'STATE', 'SIGNS FROM', 'RETIRES'], r.keys.map(row))}`);
    });
  keys
    .command('rotate-signing')
    .description('publish a new signing key now; it signs one JWKS cache period later, and the old one verifies until its last token expired')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const r = await client().post<SigningKeyRotation>('/v1/keys/signing/rotate', {});
      io.out(
        o.json
          ? JSON.stringify(r, null, 2)
          : [
              `next key ${r.next.kid} is published; it signs from ${r.next.activatesAt}`,
              ...(r.previous ? [`key ${r.previous.kid} signs until then and verifies until ${r.previous.retiresAt}`] : []),
            ].join('\n'),
      );
    });
}
